/**
 * OpenReports reports, where the openreports.io API is installed (src/report/build.ts says
 * what they hold): a `Report` named `kubeposture` in each governed namespace, and per
 * baseline a `ClusterReport` named `kubeposture-<baseline>` with a result per namespace (in
 * pages of {@link CLUSTER_PAGE} namespaces, `kubeposture-<baseline>-page-<n>` after the first,
 * so that 10,000 namespaces stay far below the apiserver's object size limit).
 *
 * - **Only when installed.** Each CRD is watched by name; while `reports.openreports.io` is
 *   absent (or not yet Established) nothing is written or watched, one line is logged and
 *   `kubeposture_reports_api_installed` is 0 (ClusterReports likewise wait for theirs).
 *   `--reports=on` refuses to start without the Report API, `off` never looks.
 * - **Quiet.** The caches keep, of each of kubeposture's reports, a hash of what it holds; a
 *   report is written only when what it should hold hashes differently (so a resync of an
 *   unchanged cluster writes nothing, and a restart rewrites nothing); under churn a Report at
 *   most once per status interval and a ClusterReport once per `clusterIntervalMs` (10 s by
 *   default) and page ({@link clusterBuildInterval}), the last state winning.
 * - **Never another's.** A report is created with a POST, which fails on a taken name; one
 *   that is there without kubeposture's label is left alone (counted, logged once). One that
 *   someone edits (where some other grant lets them) is put back.
 * - A namespace's Report goes when it leaves every baseline's scope (deleted by uid); a
 *   baseline's reports go with it (their ownerReference), its ClusterReport deleted by
 *   kubeposture as soon as the baseline is gone, whatever the interval of its last build.
 * - **The legacy API.** Where OpenReports is not installed but wgpolicyk8s.io/v1alpha2 is
 *   (older Kyverno, Policy Reporter setups), the same reports are written as `PolicyReport`
 *   and `ClusterPolicyReport`, under the same names. OpenReports is preferred whenever it is
 *   installed: installing it moves every report over (the legacy ones are deleted).
 */
import { createHash } from 'node:crypto';
import { API_VERSION, FIELD_MANAGER, KIND, LABEL_BASELINE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../api/constants.ts';
import { ValuePool } from '../kube/compact.ts';
import { Informer } from '../kube/informer.ts';
import { RESOURCES } from '../kube/resources.ts';
import type { RestClient } from '../kube/rest.ts';
import { ApiError } from '../kube/transport.ts';
import type { WireObject } from '../kube/wire.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import { asPlainObject, canonicalJson } from '../lib/json.ts';
import type { Logger } from '../lib/log.ts';
import type { Metrics } from '../observability/metrics.ts';
import { REPORT_NAME, RESULT_STATUSES, summarize, type ReportBody, type ReportLimits, type ResultStatus } from '../report/build.ts';
import { reownPatch } from './patches.ts';
import { WorkQueue, defaultQueueOptions, type Backlog, type Outcome } from './queue.ts';

export const REPORTS_CRD = 'reports.openreports.io';
export const CLUSTER_REPORTS_CRD = 'clusterreports.openreports.io';
/** The legacy API (wgpolicyk8s.io/v1alpha2), written only where OpenReports is not installed. */
export const POLICY_REPORTS_CRD = 'policyreports.wgpolicyk8s.io';
export const CLUSTER_POLICY_REPORTS_CRD = 'clusterpolicyreports.wgpolicyk8s.io';
/** Namespaces per ClusterReport page: some 300 KB, well under the apiserver's 1.5 MiB. */
export const CLUSTER_PAGE = 2000;

/** `--reports`: write them when the API is installed, require it, or never. */
export type ReportsMode = 'auto' | 'on' | 'off';

/** What a report should hold, with the baseline it is written for. */
export interface WantedReport {
  readonly baseline: { readonly name: string; readonly uid: string };
  readonly body: ReportBody;
}

/**
 * A namespace's report, built only when `key` changed: the values it is made from, compared
 * one by one with `===` (objects by identity), so that the check costs no allocation.
 */
export interface LazyReport {
  readonly key: readonly unknown[];
  readonly build: () => WantedReport;
}

/** Whether two report keys hold the same values, one by one. */
export function sameKey(a: readonly unknown[] | undefined, b: readonly unknown[]): boolean {
  if (a?.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** What the caches keep of one of kubeposture's reports. */
type ReportRecord = WireObject & { readonly hash: string; readonly limits?: ReportLimits };

type ReportKind = 'Report' | 'ClusterReport' | 'PolicyReport' | 'ClusterPolicyReport';

/**
 * What a report of `kind` holds on the wire: wgpolicyk8s.io's PolicyReport has no top-level
 * `source` (each result names it), so it is left out there rather than pruned by the apiserver.
 */
export function wireBody(kind: ReportKind, body: ReportBody): Partial<ReportBody> {
  switch (kind) {
    case 'Report':
    case 'ClusterReport':
      return body;
    case 'PolicyReport':
    case 'ClusterPolicyReport': {
      const { source: _source, ...rest } = body;
      return rest;
    }
  }
}

export interface ReportDeps {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
  readonly mode: ReportsMode;
  /** A namespace's Report is written at most this often. */
  readonly intervalMs: number;
  /**
   * A baseline's ClusterReport is built at most this often. Each write is up to 1.5 MB of
   * results for the apiserver to validate and store; written every second during the cold
   * convergence of 10,000 namespaces, it slowed the convergence by a third (bench).
   */
  readonly clusterIntervalMs: number;
  readonly mayWrite: () => boolean;
  /**
   * What `namespace`'s Report should hold now, given the live one's configuration.limits; undefined:
   * it should have none. `key` names everything the body is made from: while it and the live
   * report stay as they were, the body is not built again (a resync of 10,000 namespaces
   * builds none).
   */
  readonly wanted: (namespace: string, limits: ReportLimits | undefined) => LazyReport | undefined;
  /** What `baseline`'s ClusterReport should hold (every page); undefined: the baseline is gone. */
  readonly wantedCluster: (baseline: string, limits: ReportLimits | undefined) => WantedReport | undefined;
  /** Whether `baseline` is in the caches (being deleted or not): cheap, unlike {@link wantedCluster}. */
  readonly baselineExists: (baseline: string) => boolean;
  /**
   * False while `namespace` waits for its first reconcile since this replica began acting: its
   * Report is neither written nor removed until then (no result may only mean not looked at yet).
   */
  readonly known: (namespace: string) => boolean;
  /** False until every namespace has been reconciled once since this replica began acting: ClusterReports wait (first-pass.ts). */
  readonly allKnown: () => boolean;
  /** The namespaces that may have a Report and the baselines: every one looked at when the API appears. */
  readonly namespaces: () => Iterable<string>;
  readonly baselines: () => Iterable<string>;
  /**
   * The reconciles' queue, to which report writes give way while namespaces wait in it (up to
   * {@link REPORT_MAX_WAIT_MS}): none when undefined.
   */
  readonly reconciles?: () => Backlog;
}

/**
 * The longest a report write gives way to waiting reconciles. A Report, a custom resource, cost
 * the apiserver some 5 ms of CPU and 1.9 MB of allocation to create, three and ten times what a
 * built-in object did: written alongside the cold convergence of 3,000 namespaces, the Reports
 * doubled the apiserver's allocation and took it 1.28-1.80 times the floor's time; after it,
 * 1.13-1.27 (docs/performance.md). Only a queue that never drains holds a report back this long.
 */
export const REPORT_MAX_WAIT_MS = 5 * 60_000;

/** The hash of what a report holds (the fields kubeposture writes), as written or as read back. */
export function bodyHash(body: unknown): string {
  const o = asPlainObject(body);
  const hash = createHash('sha256').update(canonicalJson({ scope: o?.scope, source: o?.source, summary: o?.summary }));
  // The results one by one (a line each: printed JSON holds no raw newline): a ClusterReport
  // page printed whole is a 300 KB string, a large object V8 frees only in a full collection.
  const results = o?.results;
  if (Array.isArray(results)) for (const r of results) hash.update('\n').update(canonicalJson(r));
  else hash.update(`|${canonicalJson(results)}`);
  // 128 bits of SHA-256: collisions are out of reach, and 10,000 cached hashes stay small. Printed
  // from the first 16 bytes, not sliced from the whole digest's text: V8 keeps a slice of 13 or
  // more characters as a view that holds the whole text alive (96 bytes a report, not 40).
  return hash.digest().toString('base64url', 0, 16);
}

/** `configuration.limits` of a live report, when someone set it. */
export function limitsOf(obj: unknown): ReportLimits | undefined {
  const limits = asPlainObject(asPlainObject(asPlainObject(obj)?.configuration)?.limits);
  if (limits === undefined) return undefined;
  const max = limits.maxResults;
  const filter = Array.isArray(limits.statusFilter)
    ? limits.statusFilter.filter((s): s is ResultStatus => RESULT_STATUSES.includes(s as ResultStatus))
    : undefined;
  return {
    ...(typeof max === 'number' && Number.isInteger(max) && max >= 0 ? { maxResults: max } : {}),
    ...(filter === undefined ? {} : { statusFilter: filter }),
  };
}

/**
 * How long after a build of a baseline's ClusterReport the next may start: the interval once
 * per page the last build made. A page is some 300 KB for the apiserver to validate and etcd to
 * keep; written every interval while 10,000 namespaces converge, the five pages were 45 MB
 * more than the floor's writes. So the apiserver takes about one page an interval whatever the
 * size (at 10,000 namespaces, a ClusterReport at most 50 s behind; each namespace's own Report
 * is not held back by this).
 */
export function clusterBuildInterval(intervalMs: number, lastPages: number | undefined): number {
  return intervalMs * Math.max(1, lastPages ?? 1);
}

/** The name of page `page` (from 1) of `baseline`'s ClusterReport. */
export function clusterReportName(baseline: string, page: number): string {
  return page === 1 ? `${REPORT_NAME}-${baseline}` : `${REPORT_NAME}-${baseline}-page-${String(page)}`;
}

/** `body` cut into pages of at most `size` results, each with its own summary; at least one page. */
export function pages(body: ReportBody, size = CLUSTER_PAGE): ReportBody[] {
  const out: ReportBody[] = [];
  for (let i = 0; i === 0 || i < body.results.length; i += size) {
    const results = body.results.slice(i, i + size);
    out.push({ ...body, summary: summarize(results), results });
  }
  return out;
}

function established(crd: WireObject): boolean {
  const conditions = asPlainObject(asPlainObject(crd)?.status)?.conditions;
  return (
    Array.isArray(conditions) && conditions.some((c) => asPlainObject(c)?.type === 'Established' && asPlainObject(c)?.status === 'True')
  );
}

/** The report as kubeposture sends it: its labels, an ownerReference to the baseline, and the body. */
export function reportObject(
  kind: ReportKind,
  namespace: string | undefined,
  name: string,
  w: WantedReport,
): WireObject & Partial<ReportBody> {
  return {
    apiVersion: RESOURCES[kind].apiVersion,
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_BASELINE]: w.baseline.name },
      ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: w.baseline.name, uid: w.baseline.uid, controller: true }],
    },
    ...wireBody(kind, w.body),
  };
}

/** One report API (Report, ClusterReport, or a legacy one): its CRD, and the cache of kubeposture's reports. */
class ReportApi {
  readonly crd: Informer<WireObject & { readonly established?: boolean }>;
  readonly cache: Informer<ReportRecord>;
  readonly kind: ReportKind;
  readonly crdName: string;
  installed = false;
  /** The report kubeposture just wrote, with the hash of what it sent, while its answer goes into the cache. */
  private written: { readonly namespace: string | undefined; readonly name: string; readonly hash: string } | undefined;

  constructor(rest: RestClient, clock: Clock, onError: (what: string) => (err: unknown) => void, kind: ReportKind, crdName: string) {
    this.kind = kind;
    const pool = new ValuePool(1000);
    this.crdName = crdName;
    this.crd = new Informer<WireObject & { readonly established?: boolean }>(rest, {
      kind: 'CustomResourceDefinition',
      clock,
      fieldSelector: `metadata.name=${crdName}`,
      onError: onError('CustomResourceDefinition'),
      // Only whether it is Established matters: nothing else of it is kept but the
      // resourceVersion, without which the cache sees no change when it becomes Established.
      transform: (o) => {
        const { name, resourceVersion } = o.metadata;
        return { metadata: { name, ...(resourceVersion === undefined ? {} : { resourceVersion }) }, established: established(o) };
      },
    });
    this.cache = new Informer<ReportRecord>(rest, {
      kind,
      clock,
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
      onError: onError(kind),
      // Of 10,000 Reports, what is read: where each is, its hash and limits, and (for a
      // baseline's reports) the baseline label, one shared object per baseline.
      transform: (o) => {
        const limits = limitsOf(o);
        const { name, namespace, uid, resourceVersion } = o.metadata;
        const baseline = o.metadata.labels?.[LABEL_BASELINE];
        return {
          apiVersion: RESOURCES[kind].apiVersion,
          kind,
          metadata: {
            name: pool.str(name),
            namespace,
            uid,
            resourceVersion,
            labels: baseline === undefined ? undefined : pool.tree({ [LABEL_BASELINE]: baseline }),
          },
          hash: this.knownHash(namespace, name, resourceVersion) ?? bodyHash(o),
          ...(limits === undefined ? {} : { limits }),
        } as ReportRecord;
      },
    });
  }

  get established(): boolean {
    return this.crd.get(undefined, this.crdName)?.established === true;
  }

  /**
   * The hash of a report's version whose hash is known without printing it again (some
   * 300 KB for a ClusterReport page): the answer to kubeposture's own write holds what it
   * sent, and the watch event for a version already cached holds what that version held.
   */
  private knownHash(namespace: string | undefined, name: string, resourceVersion: string | undefined): string | undefined {
    const w = this.written;
    if (w !== undefined && w.namespace === namespace && w.name === name) return w.hash;
    const cached = this.cache.get(namespace, name);
    return resourceVersion !== undefined && cached?.metadata.resourceVersion === resourceVersion ? cached.hash : undefined;
  }

  /** Caches the apiserver's answer to kubeposture's write of a report that hashes to `hash`. */
  cacheWritten(answer: WireObject, hash: string): void {
    this.written = { namespace: answer.metadata.namespace, name: answer.metadata.name, hash };
    try {
      this.cache.upsert(answer as ReportRecord);
    } finally {
      this.written = undefined;
    }
  }

  /** The hash a report of this API holding `body` has. */
  hash(body: ReportBody): string {
    return bodyHash(wireBody(this.kind, body));
  }
}

/**
 * The APIs one report can be written to, preferred first: the first installed one is written;
 * kubeposture's reports in the others installed are removed (so installing OpenReports where
 * only the legacy API was moves every report over).
 */
class Slot {
  readonly apis: readonly ReportApi[];
  /** What a report of this slot is for (a namespace, a baseline): the key its queue takes. */
  readonly keyOf: (r: ReportRecord) => string | undefined;
  /** Every key that may have a report here. */
  readonly keys: () => Iterable<string>;
  readonly queue: WorkQueue;

  constructor(apis: readonly ReportApi[], keyOf: (r: ReportRecord) => string | undefined, keys: () => Iterable<string>, queue: WorkQueue) {
    this.apis = apis;
    this.keyOf = keyOf;
    this.keys = keys;
    this.queue = queue;
  }

  /** `key`'s report may need writing. */
  offer(key: string): void {
    if (this.active !== undefined) this.queue.add(key);
  }

  /** Every report of the slot, looked at again: what should be there, and what kubeposture has in any installed API. */
  offerAll(): void {
    for (const k of this.keys()) this.queue.add(k);
    for (const a of this.apis) {
      if (!a.installed) continue;
      for (const r of a.cache.list()) {
        const k = this.keyOf(r);
        if (k !== undefined) this.queue.add(k);
      }
    }
  }

  get active(): ReportApi | undefined {
    return this.apis.find((a) => a.installed);
  }

  /** Installed APIs that are not written to, whose caches have synced: what is left there of kubeposture's goes. */
  retired(): ReportApi[] {
    const active = this.active;
    return this.apis.filter((a) => a.installed && a !== active && a.cache.synced);
  }
}

export class ReportBook {
  private readonly deps: ReportDeps;
  /** A namespace's report: OpenReports' Report, or the legacy PolicyReport where only that is installed. */
  private readonly reports: Slot;
  /** A baseline's: ClusterReport, or ClusterPolicyReport. */
  private readonly clusterReports: Slot;
  /** When each report was last written, by "Kind/namespace/name". */
  private readonly lastWrite = new Map<string, number>();
  /** When lastWrite was last swept of entries older than the interval (which no longer hold anything back). */
  private lastSweep = 0;
  /** When each baseline's ClusterReport was last built, and how many pages the last build that got that far made. */
  private readonly lastBuild = new Map<string, { readonly at: number; readonly pages?: number }>();
  /** Per namespace, the key its Report was last built from and the hash it came to. */
  private readonly built = new Map<string, { readonly key: readonly unknown[]; readonly hash: string }>();
  /** Reports someone else holds the name of, by "Kind/namespace/name": left alone, reported once. */
  private readonly foreign = new Set<string>();
  private running = false;

  constructor(deps: ReportDeps) {
    this.deps = deps;
    const { rest, clock, log } = deps;
    const onError =
      (what: string) =>
      (err: unknown): void => {
        log.debug('Restarting watch after an error', { kind: what, error: errorMessage(err) });
      };
    const api = (kind: ReportKind, crd: string): ReportApi => new ReportApi(rest, clock, onError, kind, crd);
    // Reports trail the objects they describe rather than compete with them for the apiserver
    // while thousands of namespaces converge: two workers, which give way to waiting reconciles.
    const { reconciles } = deps;
    const queueOptions = {
      ...defaultQueueOptions,
      workers: 2,
      clock,
      ...(reconciles === undefined ? {} : { giveWay: { to: reconciles, maxMs: REPORT_MAX_WAIT_MS } }),
    };
    this.reports = new Slot(
      [api('Report', REPORTS_CRD), api('PolicyReport', POLICY_REPORTS_CRD)],
      (r) => r.metadata.namespace,
      deps.namespaces,
      new WorkQueue((ns) => this.processNamespace(ns), queueOptions),
    );
    this.clusterReports = new Slot(
      [api('ClusterReport', CLUSTER_REPORTS_CRD), api('ClusterPolicyReport', CLUSTER_POLICY_REPORTS_CRD)],
      (r) => r.metadata.labels?.[LABEL_BASELINE],
      deps.baselines,
      new WorkQueue((b) => this.processBaseline(b), { ...queueOptions, workers: 1 }),
    );
    for (const slot of [this.reports, this.clusterReports]) {
      for (const a of slot.apis) {
        a.crd.on(() => {
          this.onCrd(slot, a);
        });
        // Someone else changed or deleted one of kubeposture's reports: look again (its own writes hash the same).
        a.cache.on((e) => {
          const k = slot.keyOf(e.object);
          if (k !== undefined) slot.offer(k);
        });
      }
    }
  }

  private all(): ReportApi[] {
    return [...this.reports.apis, ...this.clusterReports.apis];
  }

  /** Starts watching for the APIs (not with --reports=off); with --reports=on, throws unless Reports are installed. */
  async start(): Promise<void> {
    if (this.deps.mode === 'off') {
      this.deps.metrics?.reportsInstalled.set(0);
      return;
    }
    await Promise.all(this.all().map((a) => a.crd.start()));
    this.running = true;
    if (this.deps.mode === 'on' && !this.reports.apis.some((a) => a.established)) {
      this.stop();
      throw new Error(
        `--reports=on, but the OpenReports API is not installed: no established CustomResourceDefinition ${REPORTS_CRD} (nor the legacy ${POLICY_REPORTS_CRD}); install it, or run with --reports=auto`,
      );
    }
    for (const slot of [this.reports, this.clusterReports]) for (const a of slot.apis) this.onCrd(slot, a);
    if (this.reports.active === undefined) {
      this.deps.metrics?.reportsInstalled.set(0);
      this.deps.log.info('No report API installed: none are written until one is', { crds: [REPORTS_CRD, POLICY_REPORTS_CRD] });
    }
  }

  stop(): void {
    this.running = false;
    for (const a of this.all()) {
      a.crd.stop();
      a.cache.stop();
    }
    void this.reports.queue.shutdown();
    void this.clusterReports.queue.shutdown();
  }

  /** True while namespaces' Reports are being written. */
  get active(): boolean {
    return this.reports.active !== undefined;
  }

  /** Reports waiting to be looked at, delayed by their interval, or in flight. */
  get pending(): number {
    return this.reports.queue.size + this.clusterReports.queue.size;
  }

  /** Whether `baseline`'s ClusterReport waits to be looked at, is delayed by its interval, or is in flight. */
  clusterReportPending(baseline: string): boolean {
    return this.clusterReports.queue.holds(baseline);
  }

  /** Resolves once no report write is queued or in flight. */
  async idle(): Promise<void> {
    const { queue: namespaces } = this.reports;
    const { queue: baselines } = this.clusterReports;
    do {
      await namespaces.whenIdle();
      await baselines.whenIdle();
    } while (namespaces.busy || baselines.busy);
  }

  /** `namespace`'s Report may need writing (after a reconcile, or its findings changed). */
  offer(namespace: string): void {
    this.reports.offer(namespace);
  }

  /** `baseline`'s ClusterReport may need writing (a namespace's outcome under it changed). */
  offerBaseline(baseline: string): void {
    this.clusterReports.offer(baseline);
  }

  /** Every baseline's ClusterReport may need writing (the first pass is done). */
  offerBaselines(): void {
    this.clusterReports.offerAll();
  }

  private onCrd(slot: Slot, api: ReportApi): void {
    if (!this.running) return;
    const now = api.established;
    if (now === api.installed) return;
    api.installed = now;
    if (slot === this.reports) this.deps.metrics?.reportsInstalled.set(slot.active === undefined ? 0 : 1);
    const writing = slot.active === api ? ': writing them' : slot.active === undefined ? '' : `: ${slot.active.kind}s are written instead`;
    if (!now) {
      api.cache.stop();
      this.deps.log.info(`${api.kind} API not installed: none are written`, { crd: api.crdName });
    } else {
      this.deps.log.info(`${api.kind} API installed${writing}`, { crd: api.crdName });
    }
    // Every report of the slot is looked at again once the cache synced: written where it
    // should be, removed where it no longer should (reports of namespaces no longer governed,
    // left from before a restart, and those in an API that is no longer the one written).
    void (now ? api.cache.start() : Promise.resolve())
      .then(() => {
        slot.offerAll();
      })
      .catch((err: unknown) => {
        this.deps.log.warn(`Could not watch ${api.kind}s`, { error: errorMessage(err) });
      });
  }

  /** The API a slot's reports are written to now, once its cache synced and while this replica may write. */
  private writable(slot: Slot): ReportApi | undefined {
    const api = slot.active;
    return api?.cache.synced === true && this.deps.mayWrite() ? api : undefined;
  }

  private async processNamespace(namespace: string): Promise<Outcome> {
    const api = this.writable(this.reports);
    // Looked at again once its namespace is reconciled (the controller offers it then).
    if (api === undefined || !this.deps.known(namespace)) return { kind: 'done' };
    const live = api.cache.get(namespace, REPORT_NAME);
    const lazy = this.deps.wanted(namespace, live?.limits);
    try {
      for (const old of this.reports.retired()) await this.remove(old, old.cache.get(namespace, REPORT_NAME));
      if (lazy === undefined) {
        this.built.delete(namespace);
        await this.remove(api, live);
        return { kind: 'done' };
      }
      const last = this.built.get(namespace);
      if (sameKey(last?.key, lazy.key) && live?.hash === last?.hash) return { kind: 'done' };
      const wanted = lazy.build();
      const hash = api.hash(wanted.body);
      this.built.set(namespace, { key: lazy.key, hash });
      return await this.write(api, namespace, REPORT_NAME, wanted, hash);
    } catch (err: unknown) {
      return this.failed(api, namespace, err);
    }
  }

  private async processBaseline(baseline: string): Promise<Outcome> {
    const api = this.writable(this.clusterReports);
    // Built from every namespace's result, so not before each has one: offered again then.
    if (api === undefined || !this.deps.allKnown()) return { kind: 'done' };
    const ofBaseline = (a: ReportApi): ReportRecord[] => a.cache.list().filter((r) => r.metadata.labels?.[LABEL_BASELINE] === baseline);
    // A baseline that is gone takes its ClusterReport with it at once: there is nothing to
    // build, so no interval to wait (up to 50 s after a 10,000-namespace baseline's deletion).
    if (!this.deps.baselineExists(baseline)) {
      this.lastBuild.delete(baseline);
      try {
        for (const a of [api, ...this.clusterReports.retired()]) for (const r of ofBaseline(a)) await this.remove(a, r);
        return { kind: 'done' };
      } catch (err: unknown) {
        return this.failed(api, baseline, err);
      }
    }
    // Built at most once per interval and page: at 10,000 namespaces a build is some 10 MB of
    // results to sort, print and hash, and during cold convergence every namespace's outcome changes.
    const now = this.deps.clock.now();
    const last = this.lastBuild.get(baseline);
    const every = clusterBuildInterval(this.deps.clusterIntervalMs, last?.pages);
    if (last !== undefined && now - last.at < every) return { kind: 'requeueAfter', delayMs: last.at + every - now };
    this.lastBuild.set(baseline, { ...last, at: now });
    const ours = ofBaseline(api);
    const wanted = this.deps.wantedCluster(baseline, api.cache.get(undefined, clusterReportName(baseline, 1))?.limits);
    try {
      for (const old of this.clusterReports.retired()) for (const r of ofBaseline(old)) await this.remove(old, r);
      const bodies = wanted === undefined ? [] : pages(wanted.body);
      this.lastBuild.set(baseline, { at: now, pages: bodies.length });
      let outcome: Outcome = { kind: 'done' };
      for (const [i, body] of bodies.entries()) {
        if (wanted === undefined) break;
        const o = await this.write(api, undefined, clusterReportName(baseline, i + 1), { ...wanted, body });
        if (o.kind !== 'done') outcome = o;
      }
      const names = new Set(bodies.map((_, i) => clusterReportName(baseline, i + 1)));
      for (const r of ours) if (!names.has(r.metadata.name)) await this.remove(api, r);
      return outcome;
    } catch (err: unknown) {
      return this.failed(api, baseline, err);
    }
  }

  /** Writes one report unless it already holds `wanted`; no sooner than the interval after its last write. */
  private async write(
    api: ReportApi,
    namespace: string | undefined,
    name: string,
    wanted: WantedReport,
    hash = api.hash(wanted.body),
  ): Promise<Outcome> {
    const live = api.cache.get(namespace, name);
    if (live?.hash === hash) return { kind: 'done' };
    const key = `${api.kind}/${namespace ?? ''}/${name}`;
    const now = this.deps.clock.now();
    const last = this.lastWrite.get(key);
    if (last !== undefined && now - last < this.deps.intervalMs)
      return { kind: 'requeueAfter', delayMs: last + this.deps.intervalMs - now };
    const object = reportObject(api.kind, namespace, name, wanted);
    const written =
      live === undefined
        ? await this.create(api, key, object)
        : live.metadata.labels?.[LABEL_BASELINE] !== wanted.baseline.name
          ? await this.reown(api, live, object, wanted)
          : await this.apply(api, object);
    if (written !== undefined) {
      api.cacheWritten(written, hash);
      this.lastWrite.set(key, now);
      this.sweep(now);
    }
    return { kind: 'done' };
  }

  /** Forgets writes older than the interval, at most once an interval: the map holds the last interval's writes, not 10,000 keys. */
  private sweep(now: number): void {
    const every = this.deps.intervalMs;
    if (now - this.lastSweep < every) return;
    this.lastSweep = now;
    for (const [key, at] of this.lastWrite) if (now - at >= every) this.lastWrite.delete(key);
  }

  private async remove(api: ReportApi, live: ReportRecord | undefined): Promise<void> {
    if (live === undefined) return;
    const { namespace, name, uid } = live.metadata;
    if (uid !== undefined) {
      await this.deps.rest.delete(api.kind, namespace, name, uid);
      this.count('delete');
    }
    api.cache.evict(namespace, name);
    const key = `${api.kind}/${namespace ?? ''}/${name}`;
    this.lastWrite.delete(key);
    this.foreign.delete(key);
  }

  private async create(api: ReportApi, key: string, object: WireObject): Promise<WireObject | undefined> {
    try {
      const created = await this.deps.rest.create(api.kind, object, FIELD_MANAGER);
      this.count('create');
      return created;
    } catch (err: unknown) {
      if (!(err instanceof ApiError) || err.status !== 409) throw err;
    }
    // The name is taken: kubeposture's (labelled, not yet in the cache), or someone else's.
    const { namespace, name } = object.metadata;
    const existing = await this.deps.rest.get(api.kind, namespace, name);
    if (existing === undefined) throw new Error(`the ${api.kind} name was taken, then freed again; retrying`);
    if (existing.metadata.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) {
      if (!this.foreign.has(key)) {
        this.foreign.add(key);
        this.deps.log.warn(`A ${api.kind} of kubeposture's name is someone else's: left alone`, { namespace, name });
        this.count('conflict');
      }
      return undefined;
    }
    return this.apply(api, object);
  }

  /** Another baseline's report (its namespace changed baselines): moved to `wanted`'s baseline and rewritten, one JSON patch. */
  private async reown(api: ReportApi, live: ReportRecord, object: WireObject, wanted: WantedReport): Promise<WireObject> {
    const { namespace, name } = live.metadata;
    const patch = reownPatch(live, object.metadata.ownerReferences ?? [], wanted.baseline.name, wireBody(api.kind, wanted.body));
    const moved = await this.deps.rest.jsonPatch(api.kind, namespace, name, patch, { fieldManager: FIELD_MANAGER });
    this.count('reown');
    return moved;
  }

  private async apply(api: ReportApi, object: WireObject): Promise<WireObject> {
    const applied = await this.deps.rest.apply(api.kind, object, { fieldManager: FIELD_MANAGER, force: true });
    this.count('apply');
    return applied;
  }

  private failed(api: ReportApi, key: string, err: unknown): Outcome {
    this.deps.log.warn(`Failed to write ${api.kind}`, { key, error: errorMessage(err) });
    this.count('error');
    return { kind: 'retry', error: err };
  }

  private count(outcome: 'create' | 'apply' | 'reown' | 'delete' | 'conflict' | 'error'): void {
    this.deps.metrics?.reportWrites.inc({ outcome });
  }
}
