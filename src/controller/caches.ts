/**
 * The operator's view of the cluster: one informer per kind it reads, each keeping only what
 * the reconciler reads (kube/compact.ts); the reads a reconcile makes (StateReader); the
 * reconciler's own writes routed into the cache that watches them (WriteThrough); and which
 * namespaces a baseline affects. The watches, indexes and routing of a controller, apart from
 * what it decides (Flux keeps these in its `*_manager.go`).
 */
import {
  ANNOTATION_CREATE_ID,
  ANNOTATION_HOLDS,
  ANNOTATION_OWNED,
  FIELD_MANAGER,
  FINALIZER,
  LABEL_BASELINE,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
} from '../api/constants.ts';
import type { SecurityBaselineExceptionStatus } from '../api/exception.ts';
import type { SecurityBaseline, SecurityBaselineStatus } from '../api/types.ts';
import { parseSecurityBaseline, type ParseResult } from '../api/validate.ts';
import { OWNED_KINDS } from '../baseline/objects.ts';
import { selects } from '../baseline/selection.ts';
import { compactNamespace, compactObject, sameButVersion, ValuePool } from '../kube/compact.ts';
import {
  Informer,
  keepOwnManagedFields,
  PackingInformer,
  type InformerEvent,
  type InformerOptions,
  type Watching,
} from '../kube/informer.ts';
import { packing, unpackObject, type PackedObject } from '../kube/packed.ts';
import type { WireObject } from '../kube/wire.ts';
import type { ResourceKind } from '../kube/resources.ts';
import type { RestClient } from '../kube/rest.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import { canonicalJson } from '../lib/json.ts';
import { VersionMemo } from '../lib/memo.ts';
import type { Logger } from '../lib/log.ts';
import type { Metrics } from '../observability/metrics.ts';
import { mayRecord, packRecord, readRecord, type OwnedEntry } from './ownership.ts';
import { namespaceInfo, type Baselines, type CachedOwned, type NamespaceSnapshot, type OwnedKind } from './plan.ts';
import { PostureWatch } from './posture-watch.ts';
import type { NamespaceResult, StateReader, WriteThrough } from './reconciler.ts';
import type { PlanInputs } from './inputs.ts';

/** A SecurityBaseline as cached: kubeposture's own managedFields only. */
export type BaselineObject = WireObject & { readonly spec?: unknown; readonly status?: SecurityBaselineStatus };
/** A SecurityBaselineException as cached: kubeposture's own managedFields only. */
export type ExceptionObject = WireObject & { readonly spec?: unknown; readonly status?: SecurityBaselineExceptionStatus };
/** A Namespace as cached: name, labels, kubeposture's record and field ownership. */
export type NamespaceObject = NamespaceSnapshot['namespace'];

/** True when a baseline carries kubeposture's finalizer. */
export function hasFinalizer(obj: BaselineObject): boolean {
  return obj.metadata.finalizers?.includes(FINALIZER) === true;
}

const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

export interface CachesDeps {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
  /** The operator's own namespace: never selected. */
  readonly operatorNamespace: string | undefined;
  /** A namespace's posture findings changed. */
  readonly onFindings: (namespace: string) => void;
  /** The selector guard changed: every baseline's selector finding may have. */
  readonly onGuard: () => void;
}

/**
 * What a plan reads of a baseline, printed: everything but its status (which kubeposture
 * writes up to once a second while namespaces converge) and the bookkeeping metadata.
 */
export function planned(obj: BaselineObject): string {
  const { uid, generation, deletionTimestamp, finalizers, labels, annotations } = obj.metadata;
  return canonicalJson([uid, generation, deletionTimestamp, finalizers, labels, annotations, obj.spec]);
}

export class Caches implements StateReader {
  private readonly deps: CachesDeps;
  private readonly namespaces: Informer<NamespaceObject>;
  private readonly baselineObjects: Informer<BaselineObject>;
  private readonly exceptionObjects: Informer<ExceptionObject>;
  /** Packed (packed.ts): they are nearly all the operator holds at scale. */
  private readonly owned: ReadonlyMap<OwnedKind, PackingInformer<WireObject, PackedObject>>;
  private readonly defaultServiceAccounts: Informer<WireObject>;
  /** Tenants' NetworkPolicies with findings, and the selector guard (posture-watch.ts). */
  readonly posture: PostureWatch;
  /** Each baseline parsed once per resourceVersion. */
  private readonly parsed = new VersionMemo<ParseResult>();
  /** Changes when a baseline changes in what a plan reads of it (its status alone does not count). */
  private baselinesVersion = 0;
  /**
   * baselines() as of the last change of any baseline: one list (and so one selection index,
   * selection.ts) shared by every plan until a baseline changes, not one per namespace event.
   */
  private parsedBaselines: Baselines | undefined;
  /** The version of each cached object a plan reads (version()), and the last one given. */
  private readonly versions = new WeakMap<object, number>();
  private lastVersion = 0;

  constructor(deps: CachesDeps) {
    this.deps = deps;
    const { rest, clock, log, metrics } = deps;
    const watchOpts = (kind: string): Pick<InformerOptions<WireObject>, 'onError' | 'onRelist'> => ({
      onError: (err: unknown): void => {
        metrics?.informerRestarts.inc({ kind });
        log.warn('Restarting watch after an error', { kind, error: errorMessage(err) });
      },
      onRelist: (reason): void => {
        metrics?.informerRelists.inc({ kind, reason });
        if (reason === 'expired') log.info('Listed again after the watch expired (410 Gone)', { kind });
      },
    });
    // The caches keep only what the reconciler reads, with equal values shared (compact.ts).
    const pool = new ValuePool();
    const compactNs = compactNamespace<NamespaceObject>(pool, FIELD_MANAGER, [ANNOTATION_OWNED, ANNOTATION_HOLDS]);
    this.namespaces = new Informer<NamespaceObject>(rest, {
      kind: 'Namespace',
      clock,
      // The record packed: its text was an eighth of the heap at 10,000 namespaces of a wide baseline.
      transform: (obj) => packRecord(compactNs(obj), pool),
      ...watchOpts('Namespace'),
    });
    this.baselineObjects = new Informer<BaselineObject>(rest, {
      kind: 'SecurityBaseline',
      clock,
      transform: keepOwnManagedFields<BaselineObject>(FIELD_MANAGER),
      ...watchOpts('SecurityBaseline'),
    });
    this.baselineObjects.on((e) => {
      this.parsedBaselines = undefined;
      if (e.type !== 'update' || planned(e.old) !== planned(e.object)) this.baselinesVersion += 1;
    });
    this.exceptionObjects = new Informer<ExceptionObject>(rest, {
      kind: 'SecurityBaselineException',
      clock,
      transform: keepOwnManagedFields<ExceptionObject>(FIELD_MANAGER),
      ...watchOpts('SecurityBaselineException'),
    });
    const packed = packing(pool, () => this.nextVersion());
    this.owned = new Map(
      OWNED_KINDS.map((kind) => [
        kind,
        new PackingInformer<WireObject, PackedObject>(
          rest,
          {
            kind,
            clock,
            labelSelector: MANAGED_SELECTOR,
            transform: compactObject<WireObject>(pool, FIELD_MANAGER, { withFields: false, dropAnnotations: [ANNOTATION_CREATE_ID] }),
            ...watchOpts(kind),
          },
          packed,
        ),
      ]),
    );
    this.defaultServiceAccounts = new Informer<WireObject>(rest, {
      kind: 'ServiceAccount',
      clock,
      fieldSelector: 'metadata.name=default',
      transform: compactObject<WireObject>(pool, FIELD_MANAGER, { withFields: true }),
      ...watchOpts('ServiceAccount/default'),
    });
    this.posture = new PostureWatch({ rest, clock, log, pool, onNamespace: deps.onFindings, onGuard: deps.onGuard });
    // Before any other handler: a version for every object a plan reads, as it arrives (the
    // packed ones carry theirs, given as they are packed).
    for (const inf of [this.namespaces, this.defaultServiceAccounts]) {
      inf.on((e) => {
        if (e.type === 'delete') return;
        const same = e.type === 'update' && sameButVersion(e.old, e.object) ? this.versions.get(e.old) : undefined;
        this.versions.set(e.object, same ?? this.nextVersion());
      });
    }
  }

  private nextVersion(): number {
    this.lastVersion += 1;
    return this.lastVersion;
  }

  /**
   * The number a plan's inputs count for a cached object (inputs.ts): new whenever what the
   * cache keeps of it changes, above every number given before; kept when only its
   * resourceVersion moved (the quota controller's status writes, which the caches drop).
   */
  version(o: WireObject): number {
    const known = this.versions.get(o);
    if (known !== undefined) return known;
    const v = this.nextVersion();
    this.versions.set(o, v);
    return v;
  }

  /** kubeposture's cached object of `kind` at `namespace`/`name`. */
  ownedObject(kind: OwnedKind, namespace: string, name: string): WireObject | undefined {
    const held = this.owned.get(kind)?.held(namespace, name);
    return held === undefined ? undefined : this.unpacked(held);
  }

  /** A packed object given out, its version known to version() for as long as it is held. */
  private unpacked(held: PackedObject): WireObject {
    const o = unpackObject(held);
    this.versions.set(o, held.version);
    return o;
  }

  /** Lists and starts watching every kind; resolves once each has listed. */
  async start(): Promise<void> {
    await Promise.all([...this.all().map((i) => i.start()), this.posture.startGuard()]);
  }

  stop(): void {
    for (const i of this.all()) i.stop();
    this.posture.stop();
  }

  /** Why the caches cannot be trusted yet: not synced, or a watch failing since when and with what. */
  notReadyBecause(): string | undefined {
    if (!this.all().every((i) => i.synced)) return 'caches not synced';
    for (const i of this.all()) {
      const f = i.failing;
      if (f !== undefined) {
        const secs = Math.round((this.deps.clock.now() - f.since) / 1000);
        return `watch of ${i.kind} failing for ${String(secs)}s: ${f.message}`;
      }
    }
    return undefined;
  }

  /**
   * How many objects each cache holds (kubeposture_cache_objects), by kind; the two caches of a
   * kind that has another are named apart: `ServiceAccount/default` beside the managed
   * ServiceAccounts, and the posture watch's (posture-watch.ts).
   */
  sizes(): Record<string, number> {
    return {
      Namespace: this.namespaces.size,
      SecurityBaseline: this.baselineObjects.size,
      SecurityBaselineException: this.exceptionObjects.size,
      ...Object.fromEntries([...this.owned].map(([kind, inf]) => [kind, inf.size])),
      'ServiceAccount/default': this.defaultServiceAccounts.size,
      ...this.posture.sizes(),
    };
  }

  /** Every change of a Namespace. */
  onNamespace(fn: (e: InformerEvent<NamespaceObject>) => void): void {
    this.namespaces.on(fn);
  }

  /**
   * The namespace of every change of an object kubeposture manages there, and whether the
   * change left all the cache keeps as it was (`unchanged`): the quota controller writes a
   * ResourceQuota's status whenever pods come and go (1.46 times per namespace in a spec change
   * at 10,000), which only a namespace whose pods matter needs to hear of (preview-pace.ts).
   */
  onManagedObject(fn: (namespace: string, unchanged: boolean) => void): void {
    for (const inf of this.owned.values()) {
      inf.onHeld((e) => {
        // Packing kept the version of an object that changed in nothing but its resourceVersion.
        if (e.object.namespace !== undefined) fn(e.object.namespace, e.type === 'update' && e.old.version === e.object.version);
      });
    }
    this.defaultServiceAccounts.on((e) => {
      const ns = e.object.metadata.namespace;
      // The versions' handler, registered first, has already compared the two (sameButVersion).
      if (ns !== undefined) fn(ns, e.type === 'update' && this.versions.get(e.old) === this.versions.get(e.object));
    });
  }

  /** Every change of a SecurityBaseline. */
  onBaseline(fn: (e: InformerEvent<BaselineObject>) => void): void {
    this.baselineObjects.on(fn);
  }

  /** Every change of a SecurityBaselineException. */
  onException(fn: (e: InformerEvent<ExceptionObject>) => void): void {
    this.exceptionObjects.on(fn);
  }

  exceptionObjectList(): ExceptionObject[] {
    return this.exceptionObjects.list();
  }

  get namespaceCount(): number {
    return this.namespaces.size;
  }

  namespaceNames(): string[] {
    return this.namespaces.list().map((ns) => ns.metadata.name);
  }

  namespace(name: string): NamespaceObject | undefined {
    return this.namespaces.get(undefined, name);
  }

  snapshot(namespace: string): NamespaceSnapshot | undefined {
    const ns = this.namespaces.get(undefined, namespace);
    if (ns === undefined) return undefined;
    const owned: CachedOwned[] = [];
    for (const [kind, inf] of this.owned) for (const held of inf.listHeld(namespace)) owned.push({ kind, object: this.unpacked(held) });
    return { namespace: ns, owned, defaultServiceAccount: this.defaultServiceAccounts.get(namespace, 'default') };
  }

  inputs(namespace: string): Omit<PlanInputs, 'exemptions'> | undefined {
    const ns = this.namespaces.get(undefined, namespace);
    if (ns === undefined) return undefined;
    let objects = 0;
    let sum = 0;
    const add = (o: WireObject | undefined): void => {
      if (o === undefined) return;
      objects += 1;
      sum += this.version(o);
    };
    add(ns);
    add(this.defaultServiceAccounts.get(namespace, 'default'));
    for (const inf of this.owned.values()) {
      for (const held of inf.listHeld(namespace)) {
        objects += 1;
        sum += held.version;
      }
    }
    return { objects, sum, baselines: this.baselinesVersion };
  }

  baseline(name: string): BaselineObject | undefined {
    return this.baselineObjects.get(undefined, name);
  }

  baselineObjectList(): BaselineObject[] {
    return this.baselineObjects.list();
  }

  /** True once a baseline carries kubeposture's finalizer: only then may anything be written for it. */
  guarded(name: string): boolean {
    const obj = this.baseline(name);
    return obj !== undefined && hasFinalizer(obj);
  }

  baselines(): Baselines {
    this.parsedBaselines ??= this.parseBaselines();
    return this.parsedBaselines;
  }

  private parseBaselines(): Baselines {
    const valid: SecurityBaseline[] = [];
    const stalled = new Set<string>();
    for (const obj of this.baselineObjects.list()) {
      const r = this.parse(obj);
      if (r.ok) valid.push(r.baseline);
      // A stalled baseline freezes its namespaces, unless it is being deleted.
      else if (obj.metadata.deletionTimestamp === undefined) stalled.add(obj.metadata.name);
    }
    return { valid, stalled };
  }

  /** A baseline's spec validated, once per resourceVersion. */
  parse(obj: BaselineObject): ParseResult {
    return this.parsed.get(obj.metadata.name, obj.metadata.resourceVersion, () => parseSecurityBaseline(obj));
  }

  forgetParsed(name: string): void {
    this.parsed.forget(name);
  }

  /** Routes the reconciler's own writes into the cache that watches that object. */
  writeThrough(): WriteThrough {
    const cacheOf = (kind: ResourceKind, name: string, labelled: boolean): { upsert(obj: WireObject): void } | undefined => {
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

  /**
   * objectsOf's answer per cached Namespace object, for the last baseline asked about: a
   * deleted baseline's status counts what is left once a second, and parsing 10,000 records
   * each time was a tenth of the operator's CPU through a deletion at 5,000 namespaces. An
   * object is replaced, never changed, when its Namespace changes, so an entry holds while
   * that object is the cached one and goes with it.
   */
  private readonly leftIn = new WeakMap<NamespaceObject, { readonly baseline: string; readonly keys: readonly string[] }>();

  /**
   * What the record of a cached Namespace holds for `baseline` (ownership.ts). Parsed only where
   * the record names it: not kept, since 10,000 parsed records would hold some 20 MB.
   */
  private recordedFor(ns: NamespaceObject, baseline: string): OwnedEntry[] {
    if (!mayRecord(ns, baseline)) return [];
    return readRecord(ns).entries.filter((e) => e.baseline === baseline);
  }

  /**
   * The objects kubeposture made for `baseline` and has not yet deleted or given away, by the
   * Namespaces' records, as "namespace/Kind/name". Not by labels: anyone may label an object,
   * and kubeposture neither deletes nor waits for what it did not make.
   */
  objectsOf(baseline: string): string[] {
    const out: string[] = [];
    for (const ns of this.namespaces.list()) {
      const memo = this.leftIn.get(ns);
      const keys =
        memo?.baseline === baseline ? memo.keys : this.recordedFor(ns, baseline).map((e) => `${ns.metadata.name}/${e.kind}/${e.name}`);
      if (memo?.baseline !== baseline && keys.length > 0) this.leftIn.set(ns, { baseline, keys });
      for (const k of keys) out.push(k);
    }
    return out;
  }

  /** Namespaces a baseline governed, superseded or left objects in, and those it selects now. */
  affectedBy(name: string, obj: BaselineObject | undefined, results: Iterable<NamespaceResult>): Set<string> {
    const out = new Set<string>();
    for (const r of results) {
      if (r.baseline?.name === name || r.superseded.includes(name)) out.add(r.namespace);
    }
    for (const ns of this.namespaces.list()) {
      if (this.recordedFor(ns, name).length > 0) out.add(ns.metadata.name);
    }
    // Labels route events only (anyone may write them); upgraded objects not yet recorded carry them.
    for (const inf of this.owned.values()) {
      for (const held of inf.listHeld())
        if (held.labels?.[LABEL_BASELINE] === name && held.namespace !== undefined) out.add(held.namespace);
    }
    const parsed = obj === undefined ? undefined : this.parse(obj);
    if (parsed?.ok === true) {
      for (const ns of this.namespaces.list()) {
        if (selects(parsed.baseline, namespaceInfo(ns), this.deps.operatorNamespace) === 'selected') out.add(ns.metadata.name);
      }
    }
    return out;
  }

  private all(): Watching[] {
    return [
      this.namespaces,
      this.baselineObjects,
      this.exceptionObjects,
      ...this.owned.values(),
      this.defaultServiceAccounts,
      ...this.posture.informers,
    ];
  }
}
