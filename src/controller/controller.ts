/**
 * The operator's wiring: caches (caches.ts) feed two work queues, one of namespace names and
 * one of baseline names; the reconciler (reconciler.ts) makes each namespace right, the
 * finalizer (finalizer.ts) guards each baseline's cleanup, the status writer
 * (status-writer.ts) reports per baseline, and announce.ts sends Events. This file decides
 * only what an event queues and what a run's result means for the queue and the metrics.
 */
import { EventRecorder, type EventSink } from '../kube/events.ts';
import type { InformerEvent } from '../kube/informer.ts';
import type { RestClient } from '../kube/rest.ts';
import type { ServiceAccountRef } from '../baseline/objects.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { Metrics } from '../observability/metrics.ts';
import { FirstPass } from './first-pass.ts';
import { announce } from './announce.ts';
import { Caches, hasFinalizer, type BaselineObject } from './caches.ts';
import { CreateMemory } from './creates.ts';
import { ExceptionBook } from './exceptions.ts';
import { DEFAULT_HORIZON_MS } from '../baseline/exceptions.ts';
import { reconcileFinalizer } from './finalizer.ts';
import { WorkQueue, defaultQueueOptions, type Outcome } from './queue.ts';
import { Reconciler, sameResult, type NamespaceResult } from './reconciler.ts';
import { NamespaceResults } from './results.ts';
import { PreviewPace } from './preview-pace.ts';
import { StatusWriter } from './status-writer.ts';
import { ReportBook, type LazyReport, type ReportsMode, type WantedReport } from './reports.ts';
import { baselineChecks } from '../baseline/checks.ts';
import { clusterReport, namespaceReport, type Lift, type NamespaceOutcome, type ReportLimits } from '../report/build.ts';

export interface ControllerConfig {
  /** The operator's own namespace: never selected. */
  readonly operatorNamespace: string | undefined;
  /**
   * The ServiceAccount kubeposture runs as (kube/identity.ts): it gets a grantor RoleBinding
   * where workload Roles have rules. Absent: kubeposture runs as someone else, who must hold
   * what baselines grant.
   */
  readonly operatorServiceAccount?: ServiceAccountRef | undefined;
  readonly workers: number;
  /** Every namespace is re-checked from cache this often. */
  readonly resyncPeriodMs: number;
  /** Status is written at most once per baseline per interval. */
  readonly statusIntervalMs: number;
  /** A namespace with a Conflict is checked again this often (the conflicting object is not watched). */
  readonly conflictRecheckMs: number;
  /**
   * How soon a namespace whose WhenClean rollout is held back by its pods is checked again (a
   * dry run each time); with many such namespaces, later, so that they cost at most
   * POD_SECURITY_PROBES_PER_SECOND dry runs a second between them.
   */
  readonly podSecurityRecheckMs: number;
  /**
   * Audit mode's Pod Security previews (preview-pace.ts): one is asked again when it is this
   * old (1 h by default), or when the namespace's pods changed but not sooner than
   * `podSecurityPreviewIntervalMs` after the last (10 s by default).
   */
  readonly podSecurityPreviewMaxAgeMs?: number;
  readonly podSecurityPreviewIntervalMs?: number;
  /** How far ahead a SecurityBaselineException may expire; 90 days by default. */
  readonly exceptionHorizonMs?: number;
  /** OpenReports Reports (reports.ts): `--reports`; off by default here, auto from the command line. */
  readonly reports?: ReportsMode;
  /** A baseline's ClusterReport is written at most this often; 10 s by default. */
  readonly clusterReportIntervalMs?: number;
}

export interface ControllerDeps {
  readonly rest: RestClient;
  readonly log: Logger;
  readonly clock: Clock;
  readonly config: ControllerConfig;
  /** Where Events go; by default to the apiserver. */
  readonly events?: EventSink;
  /** Whether this process may write (leader election); by default always. */
  readonly leadership?: { readonly isLeader: boolean };
  readonly metrics?: Metrics;
}

/** How often a baseline's ClusterReport may be written (reports.ts says why not every status interval). */
export const CLUSTER_REPORT_INTERVAL_MS = 10_000;

/** How soon a namespace whose baseline has no finalizer yet is looked at again. */
const FINALIZER_WAIT_MS = 100;
/** Dry runs a second, at most on average, for namespaces whose WhenClean rollout is held back. */
export const POD_SECURITY_PROBES_PER_SECOND = 20;
/** Audit-mode Pod Security previews a second, at most, between all namespaces. */
export const POD_SECURITY_PREVIEWS_PER_SECOND = 20;
const PREVIEW_MAX_AGE_MS = 3_600_000;
const PREVIEW_INTERVAL_MS = 10_000;

export class Controller {
  private readonly deps: ControllerDeps;
  private readonly caches: Caches;
  private readonly creates = new CreateMemory();
  private readonly reconciler: Reconciler;
  private readonly status: StatusWriter;
  private readonly exceptions: ExceptionBook;
  private readonly reports: ReportBook;
  private readonly events: EventSink;
  /** Namespace names. */
  private readonly namespaceQueue: WorkQueue;
  /** Baseline names: their finalizer. */
  private readonly baselineQueue: WorkQueue;
  private readonly results = new NamespaceResults();
  /** The namespaces not reconciled yet since this replica began acting; reports wait for them. */
  private readonly firstPass = new FirstPass();
  /** Namespaces whose WhenClean rollout their pods hold back (each checked again shortly). */
  private readonly heldRollouts = new Set<string>();
  private cancelResync: (() => void) | undefined;
  private started = false;

  constructor(deps: ControllerDeps) {
    this.deps = deps;
    const { rest, clock, log, config, metrics } = deps;
    this.events = deps.events ?? new EventRecorder(rest, log, () => clock.now());
    this.caches = new Caches({
      rest,
      clock,
      log,
      metrics,
      operatorNamespace: config.operatorNamespace,
      onFindings: (ns) => {
        const b = this.results.get(ns)?.baseline?.name;
        if (b !== undefined) this.status.markDirty(b);
        this.reports.offer(ns);
      },
      onGuard: () => {
        for (const b of this.caches.baselineObjectList()) this.status.markDirty(b.metadata.name);
      },
    });
    this.exceptions = new ExceptionBook({
      rest,
      clock,
      log,
      events: this.events,
      exceptions: () => this.caches.exceptionObjectList(),
      baselines: () => this.caches.baselines(),
      baselineUid: (name) => this.caches.baseline(name)?.metadata.uid,
      results: this.results,
      horizonMs: config.exceptionHorizonMs ?? DEFAULT_HORIZON_MS,
      mayWrite: () => this.leading() && this.started,
      settled: () => this.firstPass.done,
      onChange: (namespaces, baselines) => {
        for (const b of baselines) this.status.markDirty(b);
        if (!this.started) return;
        for (const ns of namespaces) this.namespaceQueue.add(ns);
      },
    });
    this.status = new StatusWriter({
      rest,
      clock,
      log,
      caches: this.caches,
      results: this.results,
      activeExceptions: (baseline) => this.exceptions.active(baseline),
      operatorNamespace: config.operatorNamespace,
      statusIntervalMs: config.statusIntervalMs,
      mayWrite: () => this.leading() && this.started,
    });
    this.reconciler = new Reconciler({
      rest,
      state: this.caches,
      log,
      operatorNamespace: config.operatorNamespace,
      operator: config.operatorServiceAccount,
      cache: this.caches.writeThrough(),
      unrecorded: this.creates,
      mayWrite: () => this.leading(),
      guarded: (name) => this.caches.guarded(name),
      exemptions: () => this.exceptions.exemptions(),
      previews: new PreviewPace({
        clock,
        perSecond: POD_SECURITY_PREVIEWS_PER_SECOND,
        maxAgeMs: config.podSecurityPreviewMaxAgeMs ?? PREVIEW_MAX_AGE_MS,
        minIntervalMs: config.podSecurityPreviewIntervalMs ?? PREVIEW_INTERVAL_MS,
      }),
    });
    this.reports = new ReportBook({
      rest,
      clock,
      log,
      metrics,
      mode: config.reports ?? 'off',
      intervalMs: config.statusIntervalMs,
      clusterIntervalMs: config.clusterReportIntervalMs ?? CLUSTER_REPORT_INTERVAL_MS,
      mayWrite: () => this.leading() && this.started,
      wanted: (ns, limits) => this.wantedReport(ns, limits),
      wantedCluster: (b, limits) => this.wantedClusterReport(b, limits),
      baselineExists: (b) => this.caches.baseline(b) !== undefined,
      known: (ns) => this.firstPass.knows(ns),
      allKnown: () => this.firstPass.done,
      namespaces: () => this.results.keys(),
      baselines: () => this.caches.baselineObjectList().map((b) => b.metadata.name),
      reconciles: () => this.namespaceQueue,
    });
    const queueOptions = {
      ...defaultQueueOptions,
      workers: config.workers,
      clock,
      onDequeue: (ms: number) => {
        metrics?.queueWaitSeconds.observe(ms / 1000);
      },
    };
    this.namespaceQueue = new WorkQueue((name) => this.whenActing(() => this.processNamespace(name)), queueOptions);
    this.baselineQueue = new WorkQueue((name) => this.whenActing(() => this.processBaseline(name)), queueOptions);
    metrics?.sample({
      queueDepth: () => this.namespaceQueue.size + this.baselineQueue.size,
      reportsPending: () => this.reports.pending,
      leader: () => this.leading(),
      cacheObjects: () => ({ ...this.caches.sizes(), 'namespace-results': this.results.size }),
    });

    this.caches.onNamespace((e) => {
      const name = e.object.metadata.name;
      if (e.type === 'delete') this.creates.forget(name);
      if (e.type !== 'delete' && this.started) this.status.trackNewlySelected(e.object);
      this.namespaceQueue.add(name);
    });
    this.caches.onManagedObject((ns, unchanged) => {
      // A change of nothing the cache keeps (the quota controller counting pods) needs a
      // reconcile only where pods matter: an Audit baseline's preview, a held WhenClean rollout.
      if (unchanged && !this.podsMatter(ns)) return;
      this.namespaceQueue.add(ns);
    });
    this.caches.onBaseline((e) => {
      this.onBaselineEvent(e);
    });
    this.caches.onException((e) => {
      if (this.started) this.exceptions.refresh([e.object]);
    });
  }

  /** True once every cache has synced, while none is failing to list or watch: what /readyz reports. */
  get ready(): boolean {
    return this.notReadyBecause === undefined;
  }

  /** Why /readyz says no: caches not synced yet, or a watch failing since when and with what. */
  get notReadyBecause(): string | undefined {
    return this.started ? this.caches.notReadyBecause() : 'caches not synced';
  }

  /** Starts the caches, then reconciles every namespace, then keeps watching. */
  async start(): Promise<void> {
    await this.caches.start();
    await this.reports.start();
    this.started = true;
    this.exceptions.refresh();
    this.lookAtEverything();
    this.scheduleResync();
    this.deps.log.info('Started controller', {
      namespaces: this.caches.namespaceCount,
      baselines: this.caches.baselineObjectList().length,
    });
  }

  /** Stops watching, finishes in-flight work and writes pending status. */
  async stop(): Promise<void> {
    this.caches.stop();
    this.exceptions.stop();
    this.reports.stop();
    this.cancelResync?.();
    await Promise.all([this.namespaceQueue.shutdown(), this.baselineQueue.shutdown()]);
    await this.status.stop();
    this.deps.log.info('Stopped controller');
  }

  /** Re-checks every namespace from cache now, as the periodic resync does. */
  resync(): void {
    this.enqueueNamespaces();
  }

  /** Called when this process becomes the leader: everything is looked at again. */
  startedLeading(): void {
    if (this.started) this.lookAtEverything();
  }

  /** Whether `baseline`'s ClusterReport waits to be looked at, is delayed by its interval, or is in flight. */
  clusterReportPending(baseline: string): boolean {
    return this.reports.clusterReportPending(baseline);
  }

  /** Resolves once both queues are empty and nothing is in flight. */
  async idle(): Promise<void> {
    // A run on one queue can add to the other (a finalizer arriving queues namespaces).
    do {
      await this.namespaceQueue.whenIdle();
      await this.baselineQueue.whenIdle();
    } while (this.namespaceQueue.busy || this.baselineQueue.busy);
  }

  /** Resolves once the queues are idle and any status write waiting for its interval is done. */
  async settle(): Promise<void> {
    await this.idle();
    await this.status.flushNow();
  }

  /** Every baseline's status waits for its namespaces to be looked at; every key is queued. */
  private lookAtEverything(): void {
    this.status.beginWarming();
    this.exceptions.markAllDirty();
    for (const b of this.caches.baselineObjectList()) this.baselineQueue.add(b.metadata.name);
    if (this.firstPass.begin(this.caches.namespaceNames())) this.firstPassDone();
    this.enqueueNamespaces();
  }

  /**
   * True where kubeposture learns of pods coming and going from its ResourceQuota's status
   * (preview-pace.ts): an Audit baseline's namespace, a WhenClean rollout held back, or one not
   * reconciled yet.
   */
  private podsMatter(namespace: string): boolean {
    const r = this.results.get(namespace);
    return r?.baseline === undefined || r.baseline.mode === 'Audit' || r.podSecurity?.state === 'pending';
  }

  /** Every namespace has been reconciled once since this replica began acting: what waited for that may be written. */
  private firstPassDone(): void {
    this.reports.offerBaselines();
    this.exceptions.flushSoon();
  }

  /** True while this process may write. */
  private leading(): boolean {
    return this.deps.leadership?.isLeader ?? true;
  }

  /**
   * Followers keep their caches warm and act on nothing; the new leader looks at everything
   * again. Nothing is acted on before every cache has synced either: with namespaces listed but
   * not yet the baselines (or kubeposture's objects), a namespace would look unselected (its
   * objects deleted) or empty (created again). start() queues every key once they have.
   */
  private async whenActing(run: () => Promise<Outcome>): Promise<Outcome> {
    if (!this.leading() || !this.started) return { kind: 'done' };
    return run();
  }

  private onBaselineEvent(e: InformerEvent<BaselineObject>): void {
    const name = e.object.metadata.name;
    this.status.markDirty(name);
    if (!this.started) return;
    this.baselineQueue.add(name);
    if (e.type === 'update') {
      const before = e.old.metadata;
      const after = e.object.metadata;
      // Our own status writes change neither generation nor deletion: nothing to reconcile,
      // unless the finalizer just arrived, which lets the baseline's namespaces be written.
      const gotFinalizer = !hasFinalizer(e.old) && hasFinalizer(e.object);
      if (!gotFinalizer && before.generation === after.generation && before.deletionTimestamp === after.deletionTimestamp) return;
    }
    // A baseline that comes, goes or changes its spec may make an exception valid or invalid
    // (not on its status writes, which the return above leaves out).
    this.exceptions.refresh();
    // Its ClusterReport too: one that selects no namespace has no namespace to offer it.
    this.reports.offerBaseline(name);
    const affected = this.caches.affectedBy(name, e.type === 'delete' ? undefined : e.object, this.results.concerning(name));
    if (e.type === 'delete') {
      this.caches.forgetParsed(name);
      this.status.baselineDeleted(name);
    }
    this.status.baselineChanged(name, affected);
    this.deps.log.debug('Observed baseline change', {
      baseline: name,
      event: e.type,
      generation: e.object.metadata.generation,
      namespaces: affected.size,
    });
    // A live baseline without the finalizer may write nothing yet: its namespaces are queued
    // when the finalizer arrives, not now (each would only be put back to wait).
    if (e.type !== 'delete' && e.object.metadata.deletionTimestamp === undefined && !hasFinalizer(e.object)) return;
    for (const ns of affected) this.namespaceQueue.add(ns);
  }

  private async processBaseline(name: string): Promise<Outcome> {
    try {
      return await reconcileFinalizer(name, {
        rest: this.deps.rest,
        log: this.deps.log,
        events: this.events,
        caches: this.caches,
        status: this.status,
      });
    } catch (err: unknown) {
      this.deps.log.warn('Failed to update baseline finalizer', { baseline: name, error: errorMessage(err) });
      return { kind: 'retry', error: err };
    }
  }

  private async processNamespace(name: string): Promise<Outcome> {
    const before = this.results.get(name);
    const began = this.deps.clock.now();
    const result = await this.reconciler.reconcile(name, before);
    this.observe(result, began);
    this.deps.log.debug('Reconciled namespace', {
      namespace: name,
      baseline: result?.baseline?.name,
      generation: result?.baseline?.generation,
      drift: result?.drift.length,
      repaired: result?.repaired.length,
      error: result?.error,
    });
    if (result === undefined) this.results.delete(name);
    else if (!sameResult(before, result)) this.results.set(name, result);
    announce({ events: this.events, caches: this.caches }, before, result, this.status.recordRepairs(before, result));
    this.status.reconciled(name, before, result);
    this.exceptions.reconciled(before, result);
    this.reports.offer(name);
    if (this.firstPass.visited(name)) this.firstPassDone();
    const [was, is] = [outcomeKey(before), outcomeKey(result)];
    if (was !== is) {
      if (before?.baseline !== undefined) this.reports.offerBaseline(before.baseline.name);
      if (result?.baseline !== undefined && result.baseline.name !== before?.baseline?.name)
        this.reports.offerBaseline(result.baseline.name);
    }
    if (result?.podSecurity?.state === 'pending') this.heldRollouts.add(name);
    else this.heldRollouts.delete(name);
    if (result?.waitingForFinalizer === true) return { kind: 'requeueAfter', delayMs: FINALIZER_WAIT_MS };
    if (result?.error === undefined && result?.podSecurity?.state === 'pending') {
      const spread = Math.ceil((this.heldRollouts.size * 1000) / POD_SECURITY_PROBES_PER_SECOND);
      return { kind: 'requeueAfter', delayMs: Math.max(this.deps.config.podSecurityRecheckMs, spread) };
    }
    if (result?.error === undefined && result?.previewInMs !== undefined) return { kind: 'requeueAfter', delayMs: result.previewInMs };
    // A conflicting object is not in the caches (it lacks kubeposture's label), so its
    // removal sends no event: look again after a while.
    if (result?.error === undefined && result?.drift.some((d) => d.reason === 'Conflict') === true) {
      return { kind: 'requeueAfter', delayMs: this.deps.config.conflictRecheckMs };
    }
    return result?.error === undefined ? { kind: 'done' } : { kind: 'retry', error: result.error };
  }

  /** What `namespace`'s Report should hold: undefined unless a baseline governs it (reports.ts). */
  private wantedReport(namespace: string, limits: ReportLimits | undefined): LazyReport | undefined {
    const result = this.results.get(namespace);
    const name = result?.baseline?.name;
    const obj = name === undefined ? undefined : this.caches.baseline(name);
    // Its own baseline, parsed once per resourceVersion: not every baseline's list, per namespace.
    const parsed = obj === undefined ? undefined : this.caches.parse(obj);
    const uid = obj?.metadata.uid;
    const baseline = parsed?.ok === true ? parsed.baseline : undefined;
    if (result === undefined || name === undefined || uid === undefined || baseline === undefined) return undefined;
    const index = this.exceptions.exemptions();
    const exemption = index.none(name) ? undefined : index.exemptionFor(name, namespace);
    const checks = baselineChecks(baseline, this.deps.config.operatorServiceAccount, exemption?.parts);
    const posture = this.caches.posture.findingsIn(namespace);
    const findings = result.podSecurity === undefined ? posture : [...posture, ...result.podSecurity.findings];
    // Everything the body is made from, compared value by value (reports.ts): a compliant
    // namespace's drift is the one shared empty list (a reconcile's result is new each time,
    // and a resync's differs from cold convergence's in what was repaired, which no report
    // shows), the checks are one list per baseline, findings are cached per NetworkPolicy.
    // A resync of a compliant cluster so builds no report and prints no key.
    const key = [
      uid,
      checks,
      limits === undefined ? null : JSON.stringify(limits),
      result.drift.length === 0 ? NO_DRIFT : result.drift,
      result.error ?? null,
      exemption === undefined ? null : exemption.exceptions.join('\n'),
      ...findings,
    ];
    const build = (): WantedReport => {
      const lifts: Lift[] = [];
      if (exemption !== undefined) {
        for (const e of this.exceptions.active(name)) {
          if (!exemption.exceptions.includes(e.metadata.name)) continue;
          for (const part of e.spec.exempt)
            lifts.push({ part, exception: e.metadata.name, reason: e.spec.reason, expires: e.spec.expires });
        }
      }
      const body = namespaceReport(
        { namespace, baseline: name, checks, drift: result.drift, lifts, findings, error: result.error },
        limits,
      );
      return { baseline: { name, uid }, body };
    };
    return { key, build };
  }

  /** What `baseline`'s ClusterReport should hold: a line per namespace it governs. */
  private wantedClusterReport(baseline: string, limits: ReportLimits | undefined): WantedReport | undefined {
    const uid = this.caches.baseline(baseline)?.metadata.uid;
    if (uid === undefined) return undefined;
    const outcomes: NamespaceOutcome[] = [];
    for (const r of this.results.governedBy(baseline)) {
      const o = outcomeOf(r);
      if (o !== undefined) outcomes.push(o);
    }
    return { baseline: { name: baseline, uid }, body: clusterReport(baseline, outcomes, limits) };
  }

  private observe(result: NamespaceResult | undefined, began: number): void {
    const m = this.deps.metrics;
    if (m === undefined) return;
    m.reconcileSeconds.observe((this.deps.clock.now() - began) / 1000);
    const outcome =
      result === undefined ? 'skipped' : result.error !== undefined ? 'retry' : result.waitingForFinalizer === true ? 'requeue' : 'done';
    m.reconciles.inc({ result: outcome });
    for (const d of result?.drift ?? []) m.driftFound.inc({ kind: d.kind, reason: d.reason });
    for (const d of result?.repaired ?? []) {
      m.driftFound.inc({ kind: d.kind, reason: d.reason });
      m.driftRepaired.inc({ kind: d.kind });
    }
  }

  private enqueueNamespaces(): void {
    for (const ns of this.caches.namespaceNames()) this.namespaceQueue.add(ns);
  }

  private scheduleResync(): void {
    this.cancelResync = this.deps.clock.setTimer(() => {
      this.deps.log.debug('Resyncing every namespace');
      this.enqueueNamespaces();
      this.scheduleResync();
    }, this.deps.config.resyncPeriodMs);
  }
}

/** The report key's drift for every namespace without any. */
const NO_DRIFT: readonly unknown[] = [];

/** A namespace's line in its baseline's ClusterReport, with the baseline; undefined when none governs it. */
function outcomeOf(r: NamespaceResult | undefined): (NamespaceOutcome & { readonly baseline: string }) | undefined {
  if (r?.baseline === undefined) return undefined;
  return {
    baseline: r.baseline.name,
    namespace: r.namespace,
    result: r.error !== undefined ? 'error' : r.drift.length > 0 ? 'fail' : 'pass',
    failed: r.drift.length,
    excepted: (r.exceptions ?? []).length > 0,
  };
}

/** What a namespace's line in its baseline's ClusterReport depends on: the line itself. */
function outcomeKey(r: NamespaceResult | undefined): string {
  const o = outcomeOf(r);
  return o === undefined ? '' : `${o.baseline}|${o.result}|${String(o.failed)}|${String(o.excepted)}`;
}
