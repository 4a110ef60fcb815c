/**
 * The operator's core: informers feed a work queue of namespace names, the
 * reconciler makes each namespace right, and a status writer reports per
 * baseline. Baselines get a finalizer so their cleanup runs before they go.
 */
import { ANNOTATION_CREATE_ID, ANNOTATION_OWNED, API_VERSION, FIELD_MANAGER, FINALIZER, KIND, LABEL_BASELINE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../api/constants.ts';
import { EventRecorder, type EventSink, type EventTarget } from '../kube/events.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SecurityBaseline, SecurityBaselineStatus } from '../api/types.ts';
import { formatErrors, parseSecurityBaseline, type ParseResult } from '../api/validate.ts';
import { OWNED_KINDS, type ServiceAccountRef } from '../baseline/objects.ts';
import { resolve, selects } from '../baseline/selection.ts';
import { compactNamespace, compactObject, ValuePool } from '../kube/compact.ts';
import { Informer, keepOwnManagedFields, type InformerEvent, type InformerOptions, type WireObject } from '../kube/informer.ts';
import { ApiError, type ResourceKind, type RestClient } from '../kube/rest.ts';
import type { Logger } from '../lib/log.ts';
import { namespaceInfo, type Baselines, type CachedOwned, type NamespaceSnapshot, type OwnedKind } from './plan.ts';
import type { Clock } from '../lib/clock.ts';
import { WorkQueue, defaultQueueOptions, type Outcome } from './queue.ts';
import { Reconciler, type NamespaceResult, type StateReader, type UnrecordedCreates, type WriteThrough } from './reconciler.ts';
import { DriftLedger } from './ledger.ts';
import { mayRecord, readRecord, type OwnedEntry, type UncertainCreate } from './ownership.ts';
import { PostureWatch } from './posture.ts';
import { computeStatus, deletingStatus, driftEntries, sameStatus, someOf, stalledStatus } from './status.ts';
import { rfc3339 } from '../lib/time.ts';
import { errorMessage } from '../lib/errors.ts';

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

type BaselineObject = WireObject & { readonly spec?: unknown; readonly status?: SecurityBaselineStatus };
type NamespaceObject = NamespaceSnapshot['namespace'];

const BASELINE_KEY = 'baseline:';
/** The pause before a status write that gathers the changes one event causes. */
const STATUS_BATCH_MS = 50;
const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

export class Controller implements StateReader {
  private readonly deps: ControllerDeps;
  private readonly namespaces: Informer<NamespaceObject>;
  private readonly baselineInformer: Informer<BaselineObject>;
  private readonly owned: ReadonlyMap<OwnedKind, Informer<WireObject>>;
  private readonly defaultServiceAccounts: Informer<WireObject>;
  private readonly posture: PostureWatch;
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly results = new Map<string, NamespaceResult>();
  /** Namespaces still to reconcile since each baseline last changed. */
  private readonly pending = new Map<string, Set<string>>();
  /**
   * Namespaces not reconciled since this process started leading: until each baseline's
   * have been, its status would count only some of them, so it is not written.
   */
  private readonly warming = new Map<string, Set<string>>();
  private readonly parsed = new Map<string, { readonly rv: string | undefined; readonly result: ParseResult }>();
  private readonly dirty = new Set<string>();
  private readonly ledger = new DriftLedger();
  /** Objects created but not yet recorded on their Namespace, per namespace (reconciler.ts). */
  private readonly unrecorded = new Map<string, readonly OwnedEntry[]>();
  /** Creates whose answer never came, per namespace, until the name is read again (reconciler.ts). */
  private readonly uncertain = new Map<string, readonly UncertainCreate[]>();
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private readonly events: EventSink;
  private cancelFlush: (() => void) | undefined;
  private cancelResync: (() => void) | undefined;
  private started = false;

  constructor(deps: ControllerDeps) {
    this.deps = deps;
    const { rest, clock, log } = deps;
    this.events = deps.events ?? new EventRecorder(rest, log, () => clock.now());
    const watchOpts = (kind: string): Pick<InformerOptions<WireObject>, 'onError' | 'onRelist'> => ({
      onError: (err: unknown): void => {
        deps.metrics?.informerRestarts.inc({ kind });
        log.warn('Restarting watch after an error', { kind, error: errorMessage(err) });
      },
      onRelist: (reason): void => {
        deps.metrics?.informerRelists.inc({ kind, reason });
        if (reason === 'expired') log.info('Listed again after the watch expired (410 Gone)', { kind });
      },
    });
    // The caches keep only what the reconciler reads, with equal values shared (compact.ts).
    const pool = new ValuePool();
    this.namespaces = new Informer<NamespaceObject>(rest, { kind: 'Namespace', clock, transform: compactNamespace<NamespaceObject>(pool, FIELD_MANAGER, [ANNOTATION_OWNED]), ...watchOpts('Namespace') });
    this.baselineInformer = new Informer<BaselineObject>(rest, { kind: 'SecurityBaseline', clock, transform: keepOwnManagedFields<BaselineObject>(FIELD_MANAGER), ...watchOpts('SecurityBaseline') });
    this.owned = new Map(OWNED_KINDS.map((kind) => [kind, new Informer<WireObject>(rest, { kind, clock, labelSelector: MANAGED_SELECTOR, transform: compactObject<WireObject>(pool, FIELD_MANAGER, { withFields: false, dropAnnotations: [ANNOTATION_CREATE_ID] }), ...watchOpts(kind) })]));
    this.defaultServiceAccounts = new Informer<WireObject>(rest, { kind: 'ServiceAccount', clock, fieldSelector: 'metadata.name=default', transform: compactObject<WireObject>(pool, FIELD_MANAGER, { withFields: true }), ...watchOpts('ServiceAccount/default') });
    this.posture = new PostureWatch({
      rest, clock, log, pool,
      onNamespace: (ns) => {
        const b = this.results.get(ns)?.baseline?.name;
        if (b !== undefined) this.markDirty(b);
      },
      onGuard: () => { for (const b of this.baselineInformer.list()) this.markDirty(b.metadata.name); },
    });
    this.reconciler = new Reconciler({
      rest, state: this, log, operatorNamespace: deps.config.operatorNamespace, operator: deps.config.operatorServiceAccount, cache: this.writeThrough(), unrecorded: this.unrecordedCreates(),
      mayWrite: () => this.leading(),
      guarded: (name) => this.baselineInformer.get(undefined, name)?.metadata.finalizers?.includes(FINALIZER) === true,
    });
    this.queue = new WorkQueue((key) => this.process(key), {
      ...defaultQueueOptions, workers: deps.config.workers, clock,
      onDequeue: (ms) => { deps.metrics?.queueWaitSeconds.observe(ms / 1000); },
    });
    deps.metrics?.sample({ queueDepth: () => this.queue.size, leader: () => this.leading() });

    this.namespaces.on((e) => {
      const name = e.object.metadata.name;
      if (e.type === 'delete') {
        this.unrecorded.delete(name);
        this.uncertain.delete(name);
      }
      if (e.type !== 'delete' && this.started) this.trackNewlySelected(e.object);
      this.queue.add(name);
    });
    for (const inf of [...this.owned.values(), this.defaultServiceAccounts]) {
      inf.on((e) => {
        const ns = e.object.metadata.namespace;
        if (ns === undefined) return;
        this.queue.add(ns);
      });
    }
    this.baselineInformer.on((e) => { this.onBaselineEvent(e); });
  }

  /** True once every cache has synced, while none is failing to list or watch: what /readyz reports. */
  get ready(): boolean {
    return this.notReadyBecause === undefined;
  }

  /** Why /readyz says no: caches not synced yet, or a watch failing since when and with what. */
  get notReadyBecause(): string | undefined {
    if (!this.started || !this.allInformers().every((i) => i.synced)) return 'caches not synced';
    for (const i of this.allInformers()) {
      const f = i.failing;
      if (f !== undefined) {
        const secs = Math.round((this.deps.clock.now() - f.since) / 1000);
        return `watch of ${i.kind} failing for ${String(secs)}s: ${f.message}`;
      }
    }
    return undefined;
  }

  /** Starts the caches, then reconciles every namespace, then keeps watching. */
  async start(): Promise<void> {
    await Promise.all([...this.allInformers().map((i) => i.start()), this.posture.startGuard()]);
    this.started = true;
    this.beginWarming();
    for (const b of this.baselineInformer.list()) this.queue.add(`${BASELINE_KEY}${b.metadata.name}`);
    this.enqueueAll();
    this.scheduleResync();
    this.deps.log.info('Started controller', { namespaces: this.namespaces.size, baselines: this.baselineInformer.size });
  }

  /** Stops watching, finishes in-flight work and writes pending status. */
  async stop(): Promise<void> {
    for (const i of this.allInformers()) i.stop();
    this.posture.stop();
    this.cancelResync?.();
    await this.queue.shutdown();
    this.cancelFlush?.();
    await this.flushStatus();
    this.deps.log.info('Stopped controller');
  }

  /** Re-checks every namespace from cache now, as the periodic resync does. */
  resync(): void {
    this.enqueueAll();
  }

  private observe(result: NamespaceResult | undefined, began: number): void {
    const m = this.deps.metrics;
    if (m === undefined) return;
    m.reconcileSeconds.observe((this.deps.clock.now() - began) / 1000);
    const outcome = result === undefined ? 'skipped' : result.error !== undefined ? 'retry' : result.waitingForFinalizer === true ? 'requeue' : 'done';
    m.reconciles.inc({ result: outcome });
    for (const d of result?.drift ?? []) m.driftFound.inc({ kind: d.kind, reason: d.reason });
    for (const d of result?.repaired ?? []) {
      m.driftFound.inc({ kind: d.kind, reason: d.reason });
      m.driftRepaired.inc({ kind: d.kind });
    }
  }

  /** True while this process may write. */
  private leading(): boolean {
    return this.deps.leadership?.isLeader ?? true;
  }

  /** Called when this process becomes the leader: everything is looked at again. */
  startedLeading(): void {
    if (!this.started) return;
    // Every baseline is marked for a status write there, once its namespaces are looked at.
    this.beginWarming();
    for (const b of this.baselineInformer.list()) this.queue.add(`${BASELINE_KEY}${b.metadata.name}`);
    this.enqueueAll();
  }

  /** Every baseline's status waits until the namespaces it governs or selects have each been reconciled. */
  private beginWarming(): void {
    this.warming.clear();
    for (const b of this.baselineInformer.list()) {
      const set = new Set([...this.affectedBy(b.metadata.name, b)].filter((ns) => this.namespaces.get(undefined, ns) !== undefined));
      if (set.size > 0) this.warming.set(b.metadata.name, set);
      this.markDirty(b.metadata.name);
    }
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  async idle(): Promise<void> {
    await this.queue.whenIdle();
  }

  /** Resolves once the queue is idle and any status write waiting for its interval is done. */
  async settle(): Promise<void> {
    await this.queue.whenIdle();
    if (this.cancelFlush !== undefined) {
      this.cancelFlush();
      this.cancelFlush = undefined;
      await this.flushStatus();
    }
  }

  namespace(name: string): NamespaceObject | undefined {
    return this.namespaces.get(undefined, name);
  }

  snapshot(namespace: string): NamespaceSnapshot | undefined {
    const ns = this.namespaces.get(undefined, namespace);
    if (ns === undefined) return undefined;
    const owned: CachedOwned[] = [];
    for (const [kind, inf] of this.owned) for (const object of inf.list(namespace)) owned.push({ kind, object });
    return { namespace: ns, owned, defaultServiceAccount: this.defaultServiceAccounts.get(namespace, 'default') };
  }

  private unrecordedCreates(): UnrecordedCreates {
    return {
      get: (namespace) => this.unrecorded.get(namespace) ?? [],
      set: (namespace, entries) => {
        if (entries.length === 0) this.unrecorded.delete(namespace);
        else this.unrecorded.set(namespace, entries);
      },
      uncertain: (namespace) => this.uncertain.get(namespace) ?? [],
      setUncertain: (namespace, creates) => {
        if (creates.length === 0) this.uncertain.delete(namespace);
        else this.uncertain.set(namespace, creates);
      },
    };
  }

  /**
   * What the record of a cached Namespace holds for `baseline` (ownership.ts). Parsed only where
   * the record names it: not kept, since 10,000 parsed records would hold some 20 MB.
   */
  private recordedFor(ns: NamespaceObject, baseline: string): OwnedEntry[] {
    if (!mayRecord(ns, baseline)) return [];
    return readRecord(ns).entries.filter((e) => e.baseline === baseline);
  }

  baselines(): Baselines {
    const valid: SecurityBaseline[] = [];
    const stalled = new Set<string>();
    for (const obj of this.baselineInformer.list()) {
      const r = this.parse(obj);
      if (r.ok) valid.push(r.baseline);
      // A stalled baseline freezes its namespaces, unless it is being deleted.
      else if (obj.metadata.deletionTimestamp === undefined) stalled.add(obj.metadata.name);
    }
    return { valid, stalled };
  }

  /** Routes the reconciler's own writes into the cache that watches that object. */
  private writeThrough(): WriteThrough {
    const cacheOf = (kind: ResourceKind, name: string, labelled: boolean): Informer<WireObject> | undefined => {
      if (kind === 'Namespace') return this.namespaces;
      if (kind === 'ServiceAccount' && name === 'default') return this.defaultServiceAccounts;
      return labelled ? this.owned.get(kind as OwnedKind) : undefined;
    };
    return {
      written: (kind, obj) => {
        const labelled = obj.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
        cacheOf(kind, obj.metadata.name, labelled)?.upsert(obj);
      },
      removed: (kind, namespace, name) => {
        this.owned.get(kind as OwnedKind)?.evict(namespace, name);
      },
    };
  }

  private allInformers(): Informer<WireObject>[] {
    return [this.namespaces, this.baselineInformer, ...this.owned.values(), this.defaultServiceAccounts, ...this.posture.informers];
  }

  private parse(obj: BaselineObject): ParseResult {
    const memo = this.parsed.get(obj.metadata.name);
    if (memo !== undefined && memo.rv === obj.metadata.resourceVersion) return memo.result;
    const result = parseSecurityBaseline(obj);
    this.parsed.set(obj.metadata.name, { rv: obj.metadata.resourceVersion, result });
    return result;
  }

  private enqueueAll(): void {
    for (const ns of this.namespaces.list()) this.queue.add(ns.metadata.name);
  }

  private scheduleResync(): void {
    this.cancelResync = this.deps.clock.setTimer(() => {
      this.deps.log.debug('Resyncing every namespace');
      this.enqueueAll();
      this.scheduleResync();
    }, this.deps.config.resyncPeriodMs);
  }

  /**
   * A namespace that a baseline now wins but has not been reconciled under it
   * counts as pending for that baseline, so its Ready waits for it.
   */
  private trackNewlySelected(ns: NamespaceObject): void {
    const { winner } = resolve(this.baselines().valid, namespaceInfo(ns), this.deps.config.operatorNamespace);
    if (winner === undefined || this.results.get(ns.metadata.name)?.baseline?.name === winner.metadata.name) return;
    const set = this.pending.get(winner.metadata.name) ?? new Set<string>();
    set.add(ns.metadata.name);
    this.pending.set(winner.metadata.name, set);
    this.markDirty(winner.metadata.name);
  }

  /** Namespaces a baseline governed, superseded or left objects in, and those it selects now. */
  private affectedBy(name: string, obj: BaselineObject | undefined): Set<string> {
    const out = new Set<string>();
    for (const r of this.results.values()) {
      if (r.baseline?.name === name || r.superseded.includes(name)) out.add(r.namespace);
    }
    for (const ns of this.namespaces.list()) {
      if (this.recordedFor(ns, name).length > 0) out.add(ns.metadata.name);
    }
    // Labels route events only (anyone may write them); upgraded objects not yet recorded carry them.
    for (const inf of this.owned.values()) {
      for (const o of inf.list()) if (o.metadata.labels?.[LABEL_BASELINE] === name && o.metadata.namespace !== undefined) out.add(o.metadata.namespace);
    }
    const parsed = obj === undefined ? undefined : this.parse(obj);
    if (parsed?.ok === true) {
      for (const ns of this.namespaces.list()) {
        if (selects(parsed.baseline, namespaceInfo(ns), this.deps.config.operatorNamespace) === 'selected') out.add(ns.metadata.name);
      }
    }
    return out;
  }

  private onBaselineEvent(e: InformerEvent<BaselineObject>): void {
    const name = e.object.metadata.name;
    this.markDirty(name);
    if (!this.started) return;
    this.queue.add(`${BASELINE_KEY}${name}`);
    const guarded = (o: BaselineObject): boolean => o.metadata.finalizers?.includes(FINALIZER) === true;
    if (e.type === 'update') {
      const before = e.old.metadata;
      const after = e.object.metadata;
      // Our own status writes change neither generation nor deletion: nothing to reconcile,
      // unless the finalizer just arrived, which lets the baseline's namespaces be written.
      const gotFinalizer = !guarded(e.old) && guarded(e.object);
      if (!gotFinalizer && before.generation === after.generation && before.deletionTimestamp === after.deletionTimestamp) return;
    }
    const affected = this.affectedBy(name, e.type === 'delete' ? undefined : e.object);
    if (e.type === 'delete') {
      this.parsed.delete(name);
      this.ledger.forget(name);
    }
    this.pending.set(name, new Set(affected));
    this.deps.log.debug('Observed baseline change', { baseline: name, event: e.type, generation: e.object.metadata.generation, namespaces: affected.size });
    // A live baseline without the finalizer may write nothing yet: its namespaces are queued
    // when the finalizer arrives, not now (each would only be put back to wait).
    if (e.type !== 'delete' && e.object.metadata.deletionTimestamp === undefined && !guarded(e.object)) return;
    for (const ns of affected) this.queue.add(ns);
  }

  private async process(key: string): Promise<Outcome> {
    // Followers keep their caches warm and act on nothing; the new leader looks at everything again.
    if (!this.leading()) return { kind: 'done' };
    // Nothing is acted on before every cache has synced: with namespaces listed but not yet
    // the baselines (or kubeposture's objects), a namespace would look unselected (its objects
    // deleted) or empty (created again). start() queues every key once they have.
    if (!this.started) return { kind: 'done' };
    if (key.startsWith(BASELINE_KEY)) {
      const name = key.slice(BASELINE_KEY.length);
      try {
        return await this.processBaseline(name);
      } catch (err: unknown) {
        this.deps.log.warn('Failed to update baseline finalizer', { baseline: name, error: errorMessage(err) });
        return { kind: 'retry', error: err };
      }
    }
    const before = this.results.get(key);
    const began = this.deps.clock.now();
    const result = await this.reconciler.reconcile(key, before);
    for (const [b, set] of this.warming) {
      if (set.delete(key) && set.size === 0) {
        this.warming.delete(b);
        this.markDirty(b);
      }
    }
    this.observe(result, began);
    this.deps.log.debug('Reconciled namespace', { namespace: key, baseline: result?.baseline?.name, generation: result?.baseline?.generation, drift: result?.drift.length, repaired: result?.repaired.length, error: result?.error });
    if (result === undefined) this.results.delete(key);
    else this.results.set(key, result);
    const repairs = this.recordRepairs(before, result);
    this.announce(before, result, repairs);
    // A namespace that failed stays pending: status keeps saying what it waits for.
    if (result?.error === undefined && result?.waitingForFinalizer !== true) {
      for (const [b, set] of this.pending) {
        if (set.delete(key)) this.markDirty(b);
      }
    }
    for (const r of [before, result]) {
      if (r === undefined) continue;
      if (r.baseline !== undefined) this.markDirty(r.baseline.name);
      for (const s of r.superseded) this.markDirty(s);
    }
    if (result?.waitingForFinalizer === true) return { kind: 'requeueAfter', delayMs: 100 };
    // A conflicting object is not in the caches (it lacks kubeposture's label), so its
    // removal sends no event: look again after a while.
    if (result?.error === undefined && result?.drift.some((d) => d.reason === 'Conflict') === true) {
      return { kind: 'requeueAfter', delayMs: this.deps.config.conflictRecheckMs };
    }
    return result?.error === undefined ? { kind: 'done' } : { kind: 'retry', error: result.error };
  }

  /** Adds the finalizer to a live baseline; removes it from a deleted one once its cleanup is done. */
  private async processBaseline(name: string): Promise<Outcome> {
    const obj = this.baselineInformer.get(undefined, name);
    if (obj === undefined) return { kind: 'done' };
    const finalizers = obj.metadata.finalizers ?? [];
    const has = finalizers.includes(FINALIZER);
    const { rest, log } = this.deps;
    if (obj.metadata.deletionTimestamp === undefined) {
      if (!has) {
        await rest.jsonPatch('SecurityBaseline', undefined, name, finalizers.length === 0
          ? [{ op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion }, { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }]
          : [{ op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion }, { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER }]);
        log.info('Added finalizer', { baseline: name });
      }
      return { kind: 'done' };
    }
    if (!has) return { kind: 'done' };
    // An invalid spec has no deletionPolicy to honour: the garbage collector removes
    // its objects through their ownerReferences once the finalizer is gone.
    const valid = this.parse(obj).ok;
    const waiting = this.pending.get(name)?.size ?? 0;
    const left = this.objectsOf(name);
    if (valid && (waiting > 0 || left.length > 0)) {
      this.markDirty(name);
      log.debug('Waiting for cleanup before removing finalizer', { baseline: name, namespaces: waiting, objects: left.length });
      return { kind: 'requeueAfter', delayMs: 500 };
    }
    const index = finalizers.indexOf(FINALIZER);
    await rest.jsonPatch('SecurityBaseline', undefined, name, [
      { op: 'test', path: `/metadata/finalizers/${String(index)}`, value: FINALIZER },
      { op: 'remove', path: `/metadata/finalizers/${String(index)}` },
    ]);
    this.pending.delete(name);
    log.info('Removed finalizer after cleanup', { baseline: name });
    if (obj.metadata.uid !== undefined) {
      this.events.record({ apiVersion: API_VERSION, kind: KIND, name, uid: obj.metadata.uid }, 'Normal', 'CleanupDone', `Cleanup finished (deletionPolicy ${valid ? 'honoured' : 'left to the garbage collector: the spec was invalid'}); finalizer removed`);
    }
    return { kind: 'done' };
  }

  /**
   * Drift put right in a namespace that already held this generation of its
   * baseline is a repair; bringing a namespace to a baseline or a new
   * generation for the first time is not (nor finishing a rollout that had
   * been waiting for the finalizer or had failed part-way).
   */
  private recordRepairs(before: NamespaceResult | undefined, result: NamespaceResult | undefined): number {
    const b = result?.baseline;
    if (result === undefined || b === undefined || result.repaired.length === 0) return 0;
    // "Held": reconciled under this generation, and left with nothing but conflicts to fix.
    const held = before?.baseline?.name === b.name && before.baseline.generation === b.generation
      && before.error === undefined && before.waitingForFinalizer !== true && before.drift.every((d) => d.reason === 'Conflict');
    if (!held) return 0;
    const repairedAt = rfc3339(this.deps.clock.now());
    this.ledger.seed(b.name, this.baselineInformer.get(undefined, b.name)?.status);
    this.ledger.repaired(b.name, result.repaired.map((d) => ({
      namespace: result.namespace, kind: d.kind, name: d.name, reason: d.reason,
      ...(d.fields === undefined || d.fields.length === 0 ? {} : { fields: d.fields.slice(0, 32) }),
      repairedAt,
    })));
    return result.repaired.length;
  }

  /** Events for repairs made and conflicts newly found, on the baseline and on the namespace. */
  private announce(before: NamespaceResult | undefined, result: NamespaceResult | undefined, repairs: number): void {
    const b = result?.baseline;
    if (result === undefined || b === undefined) return;
    const sb = this.baselineInformer.get(undefined, b.name);
    const ns = this.namespaces.get(undefined, result.namespace);
    const targets: EventTarget[] = [];
    if (sb?.metadata.uid !== undefined) targets.push({ apiVersion: API_VERSION, kind: KIND, name: b.name, uid: sb.metadata.uid });
    if (ns?.metadata.uid !== undefined) targets.push({ apiVersion: 'v1', kind: 'Namespace', name: result.namespace, uid: ns.metadata.uid });
    const describe = (d: { kind: string; name: string; reason: string }): string => `${d.kind} ${d.name} (${d.reason})`;
    if (repairs > 0) {
      const note = `Repaired drift in namespace ${result.namespace}: ${someOf(result.repaired.map(describe), 5)}`;
      for (const t of targets) this.events.record(t, 'Normal', 'DriftRepaired', note);
    }
    const known = new Set((before?.drift ?? []).filter((d) => d.reason === 'Conflict').map((d) => `${d.kind}/${d.name}`));
    const fresh = result.drift.filter((d) => d.reason === 'Conflict' && !known.has(`${d.kind}/${d.name}`));
    if (fresh.length > 0) {
      const note = `Left untouched in namespace ${result.namespace}, not created by kubeposture: ${someOf(fresh.map((d) => `${d.kind} ${d.name}`), 5)}`;
      for (const t of targets) this.events.record(t, 'Warning', 'ConflictFound', note);
    }
  }

  /** A valid baseline's status; the ledger supplies drift times and repairs, the posture watch findings. */
  private liveStatus(baseline: SecurityBaseline, pending: number, previous: SecurityBaselineStatus | undefined, now: string): SecurityBaselineStatus {
    const { name, generation } = baseline.metadata;
    this.ledger.seed(name, previous);
    const selected = [...this.results.values()].filter((r) => r.baseline?.name === name);
    const since = (key: string): string => this.ledger.since(name, key, now);
    this.ledger.keepOnly(name, driftEntries(selected, since).keys);
    const findings = this.posture.findings(baseline.spec.namespaceSelector, (ns) => this.results.get(ns)?.baseline?.name === name);
    return computeStatus({ name, generation, pending, results: this.results.values(), previous, now, since, repairs: this.ledger.repairs(name), findings });
  }

  /**
   * The objects kubeposture made for `baseline` and has not yet deleted or given away, by the
   * Namespaces' records, as "namespace/Kind/name". Not by labels: anyone may label an object,
   * and kubeposture neither deletes nor waits for what it did not make.
   */
  private objectsOf(baseline: string): string[] {
    return this.namespaces.list().flatMap((ns) => this.recordedFor(ns, baseline).map((e) => `${ns.metadata.name}/${e.kind}/${e.name}`));
  }

  /**
   * Status is written soon after a change (a short pause gathers the burst one
   * event causes) and at most once per interval under churn.
   */
  private markDirty(baseline: string): void {
    this.dirty.add(baseline);
    if (this.cancelFlush !== undefined) return;
    const delay = Math.max(STATUS_BATCH_MS, this.lastFlushAt + this.deps.config.statusIntervalMs - this.deps.clock.now());
    this.cancelFlush = this.deps.clock.setTimer(() => {
      this.cancelFlush = undefined;
      void this.flushStatus();
    }, delay);
  }

  /** Writes the status of every baseline marked dirty, skipping those whose status would not change. */
  private async flushStatus(): Promise<void> {
    if (!this.leading() || !this.started) return;
    // Those still warming stay dirty: the last namespace they wait for marks them again.
    const names = [...this.dirty].filter((n) => !this.warming.has(n));
    for (const n of names) this.dirty.delete(n);
    this.lastFlushAt = this.deps.clock.now();
    const now = rfc3339(this.lastFlushAt);
    for (const name of names) {
      const obj = this.baselineInformer.get(undefined, name);
      if (obj === undefined) continue;
      const generation = obj.metadata.generation ?? 0;
      const parsed = this.parse(obj);
      const waiting = [...(this.pending.get(name) ?? [])];
      const status = obj.metadata.deletionTimestamp !== undefined
        ? deletingStatus({
            generation,
            waiting,
            failures: waiting.flatMap((ns) => { const e = this.results.get(ns)?.error; return e === undefined ? [] : [`${ns} (${e})`]; }),
            objectsLeft: this.objectsOf(name),
            previous: obj.status,
            now,
          })
        : parsed.ok
          ? this.liveStatus(parsed.baseline, waiting.length, obj.status, now)
          : stalledStatus(generation, parsed.errors.map((e) => formatErrors([e])), obj.status, now);
      if (sameStatus(obj.status, status)) continue;
      try {
        await this.deps.rest.mergePatch('SecurityBaseline', undefined, name, { status: { ...nulls(obj.status), ...status, lastReconcileTime: now } }, 'status');
        this.deps.log.debug('Wrote status', { baseline: name, generation });
      } catch (err: unknown) {
        // Gone meanwhile (its finalizer was just removed): nothing to report on.
        if (err instanceof ApiError && err.status === 404) continue;
        this.deps.log.warn('Failed to write status', { baseline: name, error: errorMessage(err) });
        this.markDirty(name);
      }
    }
  }
}

/** A merge patch that clears every top-level status field the new status leaves out. */
function nulls(previous: SecurityBaselineStatus | undefined): Record<string, null> {
  return Object.fromEntries(Object.keys(previous ?? {}).map((k) => [k, null]));
}
