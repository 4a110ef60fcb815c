/**
 * A cached object packed: what is its own (name, namespace, uid, resourceVersion) in one small
 * object, and all the rest (its spec or rules, labels, ownerReferences, kubeposture's field
 * ownership) one frozen value, its "shape", shared through the {@link ValuePool} by every
 * object alike. compact.ts already shares each part; packing takes away the two objects and the
 * resourceVersion string every cached object still held: at 10,000 namespaces of a baseline of
 * 39 objects, some 390,000 of each (docs/performance.md).
 *
 * A RoleBinding names its own namespace in its subjects, so no two namespaces' would share a
 * shape: a string of the body equal to the object's namespace is kept as {@link OWN_NAMESPACE}
 * and given back on unpacking. A body that holds that marker itself is kept as it is.
 */
import type { ValuePool } from './compact.ts';
import type { Codec } from './informer.ts';
import type { WireObject } from './wire.ts';

/** Stands for the object's own namespace in a shape's body: no namespace is named by it. */
export const OWN_NAMESPACE = '\u0000namespace';

/** Everything of a packed object but what is its own; frozen and shared. */
export interface Shape {
  /** The object without name, namespace, uid and resourceVersion. */
  readonly body: WireObject;
  /** Whether the body's strings equal to OWN_NAMESPACE stand for the object's namespace. */
  readonly relative: boolean;
}

export class PackedObject {
  readonly shape: Shape;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly uid: string | undefined;
  /** A number when the resourceVersion is one printed plainly (as the apiserver's always are): no string to hold. */
  private readonly rv: number | string | undefined;
  /** Its holder's count of what changed (caches.ts `version`): kept when only the resourceVersion moved. */
  readonly version: number;

  constructor(shape: Shape, meta: WireObject['metadata'], version: number) {
    this.shape = shape;
    this.name = meta.name;
    this.namespace = meta.namespace;
    this.uid = meta.uid;
    this.rv = compactVersion(meta.resourceVersion);
    this.version = version;
  }

  get resourceVersion(): string | undefined {
    return typeof this.rv === 'number' ? String(this.rv) : this.rv;
  }

  get labels(): WireObject['metadata']['labels'] {
    return this.shape.body.metadata.labels;
  }
}

function compactVersion(rv: string | undefined): number | string | undefined {
  if (rv === undefined) return undefined;
  const n = Number(rv);
  return Number.isSafeInteger(n) && n >= 0 && String(n) === rv ? n : rv;
}

/**
 * Packs `obj` (as compact.ts's compactObject left it). `version`: the version to give it, told
 * whether it holds the same as the object it replaces (`previous`), which then keeps its own.
 */
export function packObject(pool: ValuePool, obj: WireObject, previous: PackedObject | undefined, nextVersion: () => number): PackedObject {
  const { name: _name, namespace, uid: _uid, resourceVersion: _rv, ...meta } = obj.metadata;
  const rest: Record<string, unknown> = {};
  let relative = false;
  let marked = false;
  for (const [k, v] of Object.entries(obj as unknown as Readonly<Record<string, unknown>>)) {
    if (k === 'metadata') {
      rest[k] = meta;
      continue;
    }
    if (mentions(v, OWN_NAMESPACE)) marked = true;
    const rel = namespace === undefined ? v : replaceString(v, namespace, OWN_NAMESPACE);
    if (rel !== v) relative = true;
    rest[k] = rel;
  }
  // A body that holds the marker is kept whole and unshared (its own fields too): only a tenant's
  // object could hold it, and it is then that object's alone.
  const shape: Shape = marked ? { body: obj, relative: false } : pool.tree({ body: rest as unknown as WireObject, relative });
  const same =
    previous?.shape === shape &&
    previous.name === obj.metadata.name &&
    previous.namespace === namespace &&
    previous.uid === obj.metadata.uid;
  return new PackedObject(shape, obj.metadata, same ? previous.version : nextVersion());
}

/** The object as compactObject made it: a new object each time (its parts shared and frozen). */
export function unpackObject(p: PackedObject): WireObject {
  const { body, relative } = p.shape;
  const whole = relative && p.namespace !== undefined ? (replaceString(body, OWN_NAMESPACE, p.namespace) as WireObject) : body;
  // Of a marked body (kept whole) these name its own fields again, with the same values.
  const rest: Readonly<Record<string, unknown>> = whole.metadata;
  const metadata = { name: p.name, namespace: p.namespace, uid: p.uid, resourceVersion: p.resourceVersion, ...rest };
  // As compactObject's: an absent namespace or uid is a key with no value.
  return { ...whole, metadata: metadata as unknown as WireObject['metadata'] };
}

/** True when `s` is a string somewhere in the JSON value `v`. */
function mentions(v: unknown, s: string): boolean {
  if (typeof v === 'string') return v === s;
  if (typeof v !== 'object' || v === null) return false;
  return Object.values(v).some((c) => mentions(c, s));
}

/** `v` with every string equal to `from` made `to`; `v` itself when there is none, and each unchanged part as it was. */
function replaceString(v: unknown, from: string, to: string): unknown {
  if (typeof v === 'string') return v === from ? to : v;
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = v.map((c: unknown) => replaceString(c, from, to));
    return out.some((c, i) => c !== v[i]) ? out : v;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, c] of Object.entries(v)) {
    const r = replaceString(c, from, to);
    if (r !== c) changed = true;
    out[k] = r;
  }
  return changed ? out : v;
}

/** An informer's codec (informer.ts) that holds objects packed, shapes shared through `pool`. */
export function packing(pool: ValuePool, nextVersion: () => number): Codec<WireObject, PackedObject> {
  return {
    pack: (obj, previous) => packObject(pool, obj, previous, nextVersion),
    unpack: unpackObject,
    name: (held) => held.name,
    namespace: (held) => held.namespace,
    resourceVersion: (held) => held.resourceVersion,
  };
}
