/**
 * The informers' store: objects by namespace, then by name. Most namespaces hold a
 * handful of objects of a kind (one NetworkPolicy of each name kubeposture makes, one
 * LimitRange), and at 10,000 namespaces a Map per namespace and kind was 80,000 Maps,
 * about 20 MB of a 98 MB heap (heap snapshot, docs/performance.md). So a namespace's
 * objects are a plain array, searched by name, until there are more than
 * {@link SMALL} of them (a tenant may make thousands of NetworkPolicies in one
 * namespace), and a Map from then on.
 */
import type { WireObject } from './wire.ts';

/** The name of an object as the apiserver sends it: what most stores are keyed by. */
export const wireName = (o: WireObject): string => o.metadata.name;

/** Up to this many objects of a namespace are kept in an array. */
export const SMALL = 16;

/**
 * A namespace's objects: the object itself while it is the only one (most namespaces hold one
 * object of a kind: an array around it was 56 bytes more, 2 MB at 10,000 namespaces), an array
 * up to SMALL, a Map from then on.
 */
type Bucket<T> = T | T[] | Map<string, T>;

function values<T>(b: Bucket<T>): T[] {
  if (b instanceof Map) return [...b.values()];
  return Array.isArray(b) ? [...b] : [b];
}

/** Keyed by namespace and by `nameOf` each value: what it holds may be packed (packed.ts). */
export class Buckets<T extends object> {
  private readonly byNamespace = new Map<string, Bucket<T>>();
  private readonly nameOf: (o: T) => string;

  constructor(nameOf: (o: T) => string) {
    this.nameOf = nameOf;
  }

  get(namespace: string, name: string): T | undefined {
    const b = this.byNamespace.get(namespace);
    if (b === undefined) return undefined;
    if (b instanceof Map) return b.get(name);
    if (!Array.isArray(b)) return this.nameOf(b) === name ? b : undefined;
    for (const o of b) if (this.nameOf(o) === name) return o;
    return undefined;
  }

  /** Stores `obj` under its namespace and name; returns what it replaced. */
  set(namespace: string, obj: T): T | undefined {
    const name = this.nameOf(obj);
    const b = this.byNamespace.get(namespace);
    if (b === undefined) {
      this.byNamespace.set(namespace, obj);
      return undefined;
    }
    if (b instanceof Map) {
      const old = b.get(name);
      b.set(name, obj);
      return old;
    }
    if (!Array.isArray(b)) {
      if (this.nameOf(b) === name) {
        this.byNamespace.set(namespace, obj);
        return b;
      }
      this.byNamespace.set(namespace, [b, obj]);
      return undefined;
    }
    const i = b.findIndex((o) => this.nameOf(o) === name);
    if (i >= 0) {
      const old = b[i];
      b[i] = obj;
      return old;
    }
    if (b.length < SMALL) b.push(obj);
    else this.byNamespace.set(namespace, new Map([...b, obj].map((o) => [this.nameOf(o), o])));
    return undefined;
  }

  /** Removes the object at `namespace`/`name`; returns it. */
  delete(namespace: string, name: string): T | undefined {
    const b = this.byNamespace.get(namespace);
    if (b === undefined) return undefined;
    let old: T | undefined;
    let left: number;
    if (b instanceof Map) {
      old = b.get(name);
      b.delete(name);
      left = b.size;
    } else if (!Array.isArray(b)) {
      if (this.nameOf(b) !== name) return undefined;
      old = b;
      left = 0;
    } else {
      const i = b.findIndex((o) => this.nameOf(o) === name);
      if (i >= 0) old = b.splice(i, 1)[0];
      left = b.length;
      if (left === 1 && b[0] !== undefined) this.byNamespace.set(namespace, b[0]);
    }
    if (left === 0) this.byNamespace.delete(namespace);
    return old;
  }

  /** The objects of one namespace. */
  list(namespace: string): T[] {
    const b = this.byNamespace.get(namespace);
    return b === undefined ? [] : values(b);
  }

  /** Every object. */
  all(): T[] {
    const out: T[] = [];
    for (const b of this.byNamespace.values()) {
      if (b instanceof Map || Array.isArray(b)) for (const o of b.values()) out.push(o);
      else out.push(b);
    }
    return out;
  }

  get size(): number {
    let n = 0;
    for (const b of this.byNamespace.values()) n += b instanceof Map ? b.size : Array.isArray(b) ? b.length : 1;
    return n;
  }
}
