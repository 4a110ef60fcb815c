/**
 * Field-by-field comparison of a desired object with the live one, on the
 * fields kubeposture sets only, through the normalisation rules in
 * normalize.ts. A live object that merely gained fields kubeposture does not
 * set does not differ.
 */
import type { ManagedObject, OwnerReference } from '../baseline/objects.ts';
import { canonicalQuantity, pathKind, withApiserverDefaults } from './normalize.ts';
import type { Quantity } from '../api/types.ts';
import { canonicalJsonOf, isPlainObject } from '../lib/json.ts';
import { remembered } from '../lib/memo.ts';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `parent.key`, or `parent[key]` for keys such as label names that are not identifiers. */
export function childPath(parent: string, key: string): string {
  if (!IDENT.test(key)) return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function asQuantity(v: unknown): Quantity | undefined {
  return typeof v === 'string' || typeof v === 'number' ? v : undefined;
}

/** The last comparison of a pair of frozen values, with the path it was made at. */
interface Compared {
  readonly path: string;
  readonly out: readonly string[];
}

/** The last comparison of each pair of frozen values. */
const frozenPairs = new WeakMap<object, WeakMap<object, Compared>>();

const frozenObject = (v: unknown): v is object => typeof v === 'object' && v !== null && Object.isFrozen(v);

/**
 * Paths at which `live` differs from `desired`, looking only at what `desired`
 * sets: maps are compared key by key (extra live keys are ignored), lists
 * element by element (set-like lists without regard to order), resource
 * quantities by value; and the values normalize.ts names whole, exactly.
 *
 * Two frozen values are compared once per path: the builders' parts shared by every namespace
 * (build.ts) against the values the caches share (kube/compact.ts), so that a baseline's quota,
 * rules and labels are compared once, not once in each of 10,000 namespaces. The list given
 * back may be shared: read it, do not change it.
 */
export function differingFields(desired: unknown, live: unknown, path = ''): readonly string[] {
  if (!frozenObject(desired) || !frozenObject(live)) return differing(desired, live, path);
  const seen = remembered(frozenPairs, desired, () => new WeakMap<object, Compared>());
  const hit = seen.get(live);
  if (hit?.path === path) return hit.out;
  const out = Object.freeze(differing(desired, live, path));
  seen.set(live, { path, out });
  return out;
}

function differing(desired: unknown, live: unknown, path: string): readonly string[] {
  const kind = pathKind(path);
  if (kind === 'resourceList' && isPlainObject(desired)) {
    const liveList = isPlainObject(live) ? live : {};
    return Object.entries(desired).flatMap(([k, v]) => {
      const want = asQuantity(v);
      const got = asQuantity(liveList[k]);
      const same = want !== undefined && got !== undefined && canonicalQuantity(want) === canonicalQuantity(got);
      return same ? [] : [childPath(path, k)];
    });
  }
  if (kind === 'whole') {
    const empty = Array.isArray(desired) ? [] : {};
    return canonicalJsonOf(desired) === canonicalJsonOf(live ?? empty) ? [] : [path];
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return [path];
    if (kind === 'set') {
      const a = desired.map((x) => canonicalJsonOf(x)).sort();
      const b = live.map((x) => canonicalJsonOf(x)).sort();
      return a.every((x, i) => x === b[i]) ? [] : [path];
    }
    return desired.flatMap((d: unknown, i) => differingFields(d, live[i], `${path}[${String(i)}]`));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return [path];
    return Object.entries(desired).flatMap(([k, v]) => differingFields(v, live[k], childPath(path, k)));
  }
  return desired === live ? [] : [path];
}

interface Sides {
  readonly want: ManagedObject;
  readonly liveObj: Readonly<Record<string, unknown>>;
  readonly liveMeta: Readonly<Record<string, unknown>>;
  readonly wantRefs: readonly OwnerReference[];
  readonly liveRefs: readonly unknown[];
}

/** Both sides of a comparison: the desired object as the apiserver defaults it; the live object, its metadata and ownerReferences, as read. */
function sides(desired: ManagedObject, live: unknown): Sides {
  const want = withApiserverDefaults(desired);
  const liveObj = isPlainObject(live) ? live : {};
  const liveMeta = isPlainObject(liveObj.metadata) ? liveObj.metadata : {};
  const wantRefs = 'ownerReferences' in want.metadata ? (want.metadata.ownerReferences ?? []) : [];
  const liveRefs = Array.isArray(liveMeta.ownerReferences) ? (liveMeta.ownerReferences as unknown[]) : [];
  return { want, liveObj, liveMeta, wantRefs, liveRefs };
}

/**
 * Paths at which a live object differs from the desired one: the labels and
 * ownerReference kubeposture sets, and every other field it sets, after the
 * apiserver's defaulting. An empty list means the live object complies.
 */
export function compareObject(desired: ManagedObject, live: unknown): string[] {
  const { want, liveObj, liveMeta, wantRefs, liveRefs } = sides(desired, live);
  const out = [...differingFields(want.metadata.labels ?? {}, liveMeta.labels ?? {}, 'metadata.labels')];
  for (const ref of wantRefs) {
    const match = liveRefs.find((r) => isPlainObject(r) && r.uid === ref.uid);
    if (match === undefined || differingFields(ref, match).length > 0) out.push('metadata.ownerReferences');
  }
  const { apiVersion: _v, kind: _k, metadata: _m, ...body } = want;
  out.push(...differingFields(body, liveObj));
  return out;
}

/** Keys of `live`'s maps under `path` that `desired`'s do not have; lists and values are whole. */
function keysBeyond(desired: unknown, live: unknown, path: string): string[] {
  if (!isPlainObject(desired) || !isPlainObject(live)) return [];
  return Object.entries(live).flatMap(([k, v]) => (k in desired ? keysBeyond(desired[k], v, childPath(path, k)) : [childPath(path, k)]));
}

/**
 * Paths the live object holds and the desired one does not set: map keys (labels, a quota's
 * resources, a spec's fields) and ownerReferences, after the apiserver's defaulting. An apply of
 * `desired` removes these if kubeposture alone owns them; where the fields kubeposture's create
 * recorded are still under that create's Update entry it owns none of them as an applier, and
 * the entry must be taken over first (plan.ts). Empty: the apply removes nothing, and needs no
 * take-over. The lists kubeposture writes (rules, subjects, NetworkPolicy peers, LimitRange
 * items) are atomic in their schemas, owned whole, so only their presence counts. Annotations
 * are left out: kubeposture sets none, and the create id its create carried may stay.
 */
export function fieldsBeyond(desired: ManagedObject, live: unknown): string[] {
  const { want, liveObj, liveMeta, wantRefs, liveRefs } = sides(desired, live);
  const out = keysBeyond(want.metadata.labels ?? {}, liveMeta.labels ?? {}, 'metadata.labels');
  if (liveRefs.some((r) => !isPlainObject(r) || !wantRefs.some((w) => w.uid === r.uid))) out.push('metadata.ownerReferences');
  const { apiVersion: _v, kind: _k, metadata: _m, ...body } = want;
  const { apiVersion: _lv, kind: _lk, metadata: _lm, status: _ls, ...liveBody } = liveObj;
  out.push(...keysBeyond(body, liveBody, ''));
  return out;
}
