/**
 * What the apiserver does to the objects kubeposture writes, in one place: the
 * defaults it fills in and the canonical form it stores quantities in. The drift
 * engine compares desired and live objects through these rules, so that an
 * object the apiserver merely defaulted is recognised as compliant.
 */
import { parseQuantity } from '../api/quantity.ts';
import { defaultLimitRangeItem } from '../api/defaults.ts';
import { deepFreeze } from '../lib/json.ts';
import { remembered } from '../lib/memo.ts';
import type { LimitRangeItem, Quantity } from '../api/types.ts';

/** Canonical forms already worked out: the same few quantities recur in every namespace. */
const canonicalQuantities = new Map<Quantity, string>();
const MEMO_LIMIT = 10_000;

/** A quantity as a canonical value string (nano-units), or the input when it does not parse. */
export function canonicalQuantity(q: Quantity): string {
  const known = canonicalQuantities.get(q);
  if (known !== undefined) return known;
  const v = parseQuantity(q);
  const out = v === undefined ? String(q) : `${v.toString()}n`;
  // Bounded: past the limit, start again (live objects may hold any quantity a tenant writes).
  if (canonicalQuantities.size >= MEMO_LIMIT) canonicalQuantities.clear();
  canonicalQuantities.set(q, out);
  return out;
}

/** Field paths (dot and [index] notation) of list fields that are sets: their order carries no meaning. */
const SET_LISTS = [/^spec\.policyTypes$/, /^rules\[\d+\]\.(apiGroups|resources|resourceNames|verbs)$/];

/** True for a path whose list is a set, compared without regard to order. */
export function isSetList(path: string): boolean {
  return SET_LISTS.some((re) => re.test(path));
}

/**
 * Paths compared whole, not only on the keys kubeposture sets: a NetworkPolicy's
 * pod selector and rule lists are atomic, and anything added to them changes
 * which traffic flows (a namespaceSelector added to a peer, a rule added to the
 * default-deny). An absent live value counts as empty: the apiserver omits
 * empty lists and selectors.
 */
const WHOLE_PATHS = [/^spec\.(podSelector|ingress|egress)$/];

/** True for a path whose value must equal the desired one exactly. */
export function isWholeValue(path: string): boolean {
  return WHOLE_PATHS.some((re) => re.test(path));
}

/** Paths whose values are resource lists (compared as quantities). */
const RESOURCE_LIST_PATHS = [/^spec\.hard$/, /^spec\.limits\[\d+\]\.(default|defaultRequest|max|min|maxLimitRequestRatio)$/];

/** True for a path that holds a resource list. */
export function isResourceList(path: string): boolean {
  return RESOURCE_LIST_PATHS.some((re) => re.test(path));
}

/** What a field path is to the comparison. */
export type PathKind = 'resourceList' | 'whole' | 'set' | 'plain';

/** {@link isResourceList}, {@link isWholeValue} and {@link isSetList} in one: only paths under spec and rules can be any of them. */
export function pathKind(path: string): PathKind {
  if (!path.startsWith('spec.') && !path.startsWith('rules[')) return 'plain';
  return isResourceList(path) ? 'resourceList' : isWholeValue(path) ? 'whole' : isSetList(path) ? 'set' : 'plain';
}

/**
 * Applies the apiserver's defaulting to a desired object body (the fields
 * kubeposture sets), so it can be compared with what the apiserver stored.
 * Only LimitRange items are defaulted among the kinds kubeposture writes; every
 * other field is written fully specified (for example NetworkPolicy ports carry
 * their protocol and policies their policyTypes).
 */
export function withApiserverDefaults<T extends { readonly kind: string }>(obj: T): T {
  if (obj.kind !== 'LimitRange') return obj;
  const lr = obj as T & { readonly spec: { readonly limits: readonly LimitRangeItem[] } };
  return { ...lr, spec: { ...lr.spec, limits: defaultedLimits(lr.spec.limits) } };
}

/** Defaulted limits, made once per frozen list (a baseline's, shared by every namespace) and frozen in turn. */
const defaulted = new WeakMap<readonly LimitRangeItem[], readonly LimitRangeItem[]>();

function defaultedLimits(limits: readonly LimitRangeItem[]): readonly LimitRangeItem[] {
  if (!Object.isFrozen(limits)) return limits.map(defaultLimitRangeItem);
  return remembered(defaulted, limits, () => deepFreeze(limits.map(defaultLimitRangeItem)));
}
