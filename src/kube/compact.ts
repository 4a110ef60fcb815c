/**
 * What the caches keep of each object, and how little memory it takes. The
 * informers dominate the operator's memory at scale (10,000 namespaces, 90,000
 * managed objects), and those objects are nearly all alike: every namespace's
 * NetworkPolicy has the same spec, labels and ownerReference. So the caches keep
 * only the fields the reconciler reads, and a {@link ValuePool} makes equal
 * values one shared, frozen value: per object there remain its name, namespace,
 * uid and resourceVersion (and packed.ts takes away the objects that hold them).
 */
import type { ManagedFieldsEntry, WireObject } from './wire.ts';

/** Shares equal strings and equal JSON subtrees; bounded, so hostile variety cannot grow it without end. */
export class ValuePool {
  private readonly strings = new Map<string, string>();
  private readonly trees = new Map<string, unknown>();
  private readonly keyed = new Map<string, unknown>();
  private readonly limit: number;

  constructor(limit = 20_000) {
    this.limit = limit;
  }

  get size(): number {
    return this.strings.size + this.trees.size + this.keyed.size;
  }

  /**
   * One value for each `key`, made by `make` the first time it is asked for: for values whose
   * caller can say what makes them equal more cheaply than JSON.stringify can print them. The
   * value is kept as made (not frozen): the caller shares it, so must not change it.
   */
  byKey<T>(key: string, make: () => T): T {
    const hit = this.keyed.get(key);
    if (hit !== undefined) return hit as T;
    if (this.keyed.size >= this.limit) this.keyed.clear();
    const v = make();
    this.keyed.set(key, v);
    return v;
  }

  str(s: string): string;
  str(s: string | undefined): string | undefined;
  str(s: string | undefined): string | undefined {
    if (s === undefined) return undefined;
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    // Past the limit, start again: values already shared stay shared, memory stays bounded.
    if (this.strings.size >= this.limit) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }

  /** One frozen copy of each distinct JSON value (objects, arrays; primitives pass through). */
  tree<T>(v: T): T {
    if (typeof v !== 'object' || v === null) return v;
    const key = JSON.stringify(v);
    const hit = this.trees.get(key);
    if (hit !== undefined) return hit as T;
    if (this.trees.size >= this.limit) this.trees.clear();
    this.freezeShared(v);
    this.trees.set(key, v);
    return v;
  }

  /**
   * Freezes `v` in place with its strings the pool's: a value unlike any other (a RoleBinding's
   * subjects name its namespace) still holds the same "ServiceAccount" and namespace name as the
   * others, which JSON.parse gives each object a copy of (some 80 bytes per RoleBinding).
   */
  private freezeShared(v: unknown): void {
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const child = o[k];
      if (typeof child === 'string') o[k] = this.str(child);
      else this.freezeShared(child);
    }
    Object.freeze(v);
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Metadata fields kept for every cached object; the rest (creationTimestamp, selfLink, ...) go. */
const KEPT_META = ['generation', 'deletionTimestamp'] as const;

/** `manager`'s managedFields entries, without their timestamps (so equal entries can be shared). */
function ownEntries(entries: WireObject['metadata']['managedFields'], manager: string, withFields: boolean): ManagedFieldsEntry[] {
  return (entries ?? [])
    .filter((e) => e.manager === manager)
    .map((e) => ({
      manager,
      ...(e.operation === undefined ? {} : { operation: e.operation }),
      ...(withFields && e.fieldsV1 !== undefined ? { fieldsV1: e.fieldsV1 } : {}),
    }));
}

interface MetaOptions {
  /** Share the label map whole (alike across objects) or only its strings (unique per object, as a Namespace's are). */
  readonly shareLabels: boolean;
  /** Keep the fields of `manager`'s managedFields entries, or only manager and operation. */
  readonly withFields: boolean;
  /** Keep only these annotations, unshared (values unique per object); by default all but kubectl's and `dropAnnotations`, shared. */
  readonly annotations?: readonly string[];
  /** Annotations never kept (values unique per object that nothing reads from the cache). */
  readonly dropAnnotations?: readonly string[];
}

function compactMeta(pool: ValuePool, manager: string, meta: WireObject['metadata'], o: MetaOptions): WireObject['metadata'] {
  const own = ownEntries(meta.managedFields, manager, o.withFields);
  // One literal with the fields nearly every cached object has, absent ones undefined: V8 keeps
  // them inside the object. Added one by one they spilled into a separate property array, 183,000
  // of them (11 MB) at 10,000 namespaces.
  const out: Record<string, unknown> = {
    name: pool.str(meta.name),
    namespace: pool.str(meta.namespace),
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    labels:
      meta.labels === undefined
        ? undefined
        : o.shareLabels
          ? pool.tree(meta.labels)
          : Object.fromEntries(Object.entries(meta.labels).map(([k, v]) => [pool.str(k), pool.str(v)])),
    ownerReferences: meta.ownerReferences === undefined ? undefined : pool.tree(meta.ownerReferences),
    managedFields: own.length > 0 ? pool.tree(own) : undefined,
  };
  for (const k of KEPT_META) if (meta[k] !== undefined) out[k] = meta[k];
  if (meta.annotations !== undefined && o.annotations !== undefined) {
    const kept = o.annotations.flatMap((k) => {
      const v = meta.annotations?.[k];
      return v === undefined ? [] : [[pool.str(k), v] as const];
    });
    if (kept.length > 0) out.annotations = Object.fromEntries(kept);
  } else if (meta.annotations !== undefined) {
    const dropped = [LAST_APPLIED, ...(o.dropAnnotations ?? [])];
    const kept = Object.entries(meta.annotations).filter(([k]) => !dropped.includes(k));
    if (kept.length > 0) out.annotations = pool.tree(Object.fromEntries(kept));
  }
  if (meta.finalizers !== undefined) out.finalizers = pool.tree(meta.finalizers);
  return out as unknown as WireObject['metadata'];
}

/**
 * For objects of the kinds kubeposture writes: every field but status, shared
 * through the pool. `withFields`: keep the fields of kubeposture's managedFields
 * entries (shared objects, whose fields it gives back); otherwise keep only
 * whether its entries are Apply or Update (owned objects). `dropAnnotations`: annotations
 * not kept (the create id each owned object carries, unique and read only from the apiserver).
 */
export function compactObject<T extends WireObject>(
  pool: ValuePool,
  manager: string,
  o: { readonly withFields: boolean; readonly dropAnnotations?: readonly string[] },
): (obj: T) => T {
  return (obj) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'metadata' || k === 'status') continue;
      out[k] = typeof v === 'string' ? pool.str(v) : pool.tree(v);
    }
    out.metadata = compactMeta(pool, manager, obj.metadata, { shareLabels: true, ...o });
    return out as unknown as T;
  };
}

/**
 * For Namespaces: metadata (its labels, kubeposture's field ownership, the annotations named
 * in `annotations`) and status.phase, nothing else.
 */
export function compactNamespace<T extends WireObject & { readonly status?: { readonly phase?: string } }>(
  pool: ValuePool,
  manager: string,
  annotations: readonly string[] = [],
): (obj: T) => T {
  return (obj) => {
    const phase = obj.status?.phase;
    return {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: compactMeta(pool, manager, obj.metadata, { shareLabels: false, withFields: true, annotations }),
      ...(phase === undefined ? {} : { status: pool.tree({ phase }) }),
    } as unknown as T;
  };
}

/**
 * True when two objects {@link compactObject} made differ in nothing but resourceVersion: what
 * changed is something the cache drops (status, timestamps, another manager's entries), as when
 * the quota controller counts a namespace's pods into its ResourceQuota. Equal values are one
 * pooled value, so they compare by identity; a value the pool let go of compares unequal, which
 * costs only a needless reconcile.
 */
export function sameButVersion(a: WireObject, b: WireObject): boolean {
  return sameFields({ ...a, metadata: undefined }, { ...b, metadata: undefined }) && sameFields(a.metadata, b.metadata, 'resourceVersion');
}

function sameFields(a: object, b: object, skip?: string): boolean {
  const other = new Map<string, unknown>(Object.entries(b));
  const own = Object.entries(a);
  return own.length === other.size && own.every(([k, v]) => k === skip || (other.has(k) && other.get(k) === v));
}
