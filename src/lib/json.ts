/** Plain JSON values: recognising objects, and printing values so that equal ones print the same. */
import { remembered } from './memo.ts';

/** True for a JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * JSON with object keys sorted, so equal values print the same whatever their key order;
 * `undefined` prints as `undefined` (a missing value differs from null). Keys for which
 * `skip` is true are left out, at every depth.
 */
export function canonicalJson(v: unknown, skip?: (key: string) => boolean): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x, skip)).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => !(skip?.(k) ?? false))
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k], skip)}`).join(',')}}`;
  }
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

const canonicalOfFrozen = new WeakMap<object, string>();

/**
 * {@link canonicalJson} of `v`, remembered for frozen values: equal values the informer caches
 * share (kube/compact.ts) and the builders' shared parts are frozen, so comparing the same
 * policy in thousands of namespaces prints each side once, not once per namespace.
 */
export function canonicalJsonOf(v: unknown): string {
  if (typeof v !== 'object' || v === null || !Object.isFrozen(v)) return canonicalJson(v);
  return remembered(canonicalOfFrozen, v, () => canonicalJson(v));
}

/** `v` and everything in it, frozen (a value that is shared, and so must never change). */
export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/** `v` when it is a JSON object, else undefined: for reading other people's objects defensively. */
export function asPlainObject(v: unknown): Readonly<Record<string, unknown>> | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** `v` when it is an array, else an empty one. */
export function asList(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}
