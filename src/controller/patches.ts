/**
 * The JSON patches kubeposture sends to change an object's metadata in ways
 * server-side apply cannot: taking over the field ownership its create recorded,
 * and letting go of an object it leaves in place. Pure, as fluxcd/pkg's
 * ssa/patch.go keeps them: each builder takes the object as read and returns the
 * patch; the reconciler reads, builds and sends. Every patch starts with a test of
 * the resourceVersion read, so it applies only to the object as it was read.
 */
import { API_VERSION, FIELD_MANAGER, FINALIZER, KIND, LABEL_BASELINE, LABEL_MANAGED_BY } from '../api/constants.ts';
import type { ManagedObject } from '../baseline/objects.ts';
import type { JsonPatchOp } from '../kube/rest.ts';
import type { WireObject } from '../kube/wire.ts';
import { canonicalJsonOf, isPlainObject } from '../lib/json.ts';

/** `s` escaped as one JSON Pointer (RFC 6901) reference token: `~` as `~0`, `/` as `~1`. */
export function escapePointer(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The union of two managedFields field sets (fieldsV1 trees). */
export function unionFields(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null) return b ?? a;
  if (typeof b !== 'object' || b === null) return a;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = unionFields(out[k], v);
  return out;
}

const testVersion = (live: WireObject): JsonPatchOp => ({
  op: 'test',
  path: '/metadata/resourceVersion',
  value: live.metadata.resourceVersion,
});

/**
 * The patch that makes kubeposture's Update entries on `live` (a create records its fields
 * under one) a single Apply entry, merged into its Apply entry if it has one, as client-go's
 * csaupgrade does: server-side apply can only remove fields its own Apply entry holds. Other
 * managers' entries are kept as they are. Undefined when there is no Update entry of its own.
 */
export function takeOverPatch(live: WireObject): JsonPatchOp[] | undefined {
  const entries = live.metadata.managedFields ?? [];
  const created = entries.filter((e) => e.manager === FIELD_MANAGER && e.operation === 'Update');
  if (created.length === 0) return undefined;
  const applied = entries.find((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply');
  const merged = {
    ...(applied ?? created[0]),
    operation: 'Apply',
    fieldsV1: [applied, ...created].reduce<unknown>((acc, e) => unionFields(acc, e?.fieldsV1), {}),
  };
  const kept = entries.filter((e) => e.manager !== FIELD_MANAGER);
  return [testVersion(live), { op: 'replace', path: '/metadata/managedFields', value: [...kept, merged] }];
}

/**
 * The patch that leaves `live` in place without kubeposture's labels, its ownerReference to a
 * SecurityBaseline or its field ownership (`manager`'s entries: kubeposture's, or the
 * benchmark floor's, which releases its copies the same way); others' references and entries stay.
 */
export function orphanPatch(live: WireObject, manager: string = FIELD_MANAGER): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [testVersion(live)];
  for (const key of [LABEL_MANAGED_BY, LABEL_BASELINE]) {
    if (live.metadata.labels?.[key] !== undefined) ops.push({ op: 'remove', path: `/metadata/labels/${escapePointer(key)}` });
  }
  const refs = live.metadata.ownerReferences ?? [];
  const keptRefs = refs.filter((r) => !(r.kind === KIND && r.apiVersion === API_VERSION));
  if (keptRefs.length !== refs.length) ops.push({ op: 'replace', path: '/metadata/ownerReferences', value: keptRefs });
  const fields = live.metadata.managedFields ?? [];
  const keptFields = fields.filter((f) => f.manager !== manager);
  // An empty list would be ignored; one empty entry clears field ownership altogether.
  if (keptFields.length !== fields.length)
    ops.push({ op: 'replace', path: '/metadata/managedFields', value: keptFields.length > 0 ? keptFields : [{}] });
  return ops;
}

/** The patch that adds kubeposture's finalizer to `live`, which lacks it. */
export function addFinalizerPatch(live: WireObject): JsonPatchOp[] {
  return (live.metadata.finalizers ?? []).length === 0
    ? [testVersion(live), { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }]
    : [testVersion(live), { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER }];
}

/**
 * The patch that removes kubeposture's finalizer from `live`, which holds it: a test of the
 * entry at its index, not of the resourceVersion, so that others' changes do not hold it up.
 */
export function removeFinalizerPatch(live: WireObject): JsonPatchOp[] {
  const index = String((live.metadata.finalizers ?? []).indexOf(FINALIZER));
  return [
    { op: 'test', path: `/metadata/finalizers/${index}`, value: FINALIZER },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
}

/**
 * The patch that moves `live` (a report kubeposture created for another baseline) to the
 * baseline `baseline`, in one write: its ownerReferences and baseline label replaced whole, and
 * each top-level field of `body` (the report as the new baseline has it) set. A report is
 * created with a POST, whose Update entry holds the old reference; an apply alone would add
 * the new one beside it, and two controller references are refused. Until 2026-12-06 the body
 * followed in an apply of its own: two writes per moved report.
 */
export function reownPatch(
  live: WireObject,
  refs: readonly unknown[],
  baseline: string,
  body: Readonly<Record<string, unknown>> = {},
): JsonPatchOp[] {
  return [
    testVersion(live),
    { op: 'replace', path: '/metadata/ownerReferences', value: refs },
    {
      op: live.metadata.labels?.[LABEL_BASELINE] === undefined ? 'add' : 'replace',
      path: `/metadata/labels/${escapePointer(LABEL_BASELINE)}`,
      value: baseline,
    },
    // `add` on an object's member replaces what is there.
    ...Object.entries(body).map(([k, value]): JsonPatchOp => ({ op: 'add', path: `/${escapePointer(k)}`, value })),
  ];
}

/** `add` operations (which replace what is there) for each value `want` sets that `have` lacks or holds otherwise; maps key by key. */
function setOps(want: Readonly<Record<string, unknown>>, have: unknown, path: string): JsonPatchOp[] {
  const held = isPlainObject(have) ? have : undefined;
  return Object.entries(want).flatMap(([k, v]): JsonPatchOp[] => {
    const at = `${path}/${escapePointer(k)}`;
    const h = held?.[k];
    if (isPlainObject(v) && isPlainObject(h)) return setOps(v, h, at);
    return canonicalJsonOf(v) === canonicalJsonOf(h) ? [] : [{ op: 'add', path: at, value: v }];
  });
}

/**
 * The patch that makes `live`, an object kubeposture created for another baseline (its
 * namespace moved, say from a `silver` baseline to `gold`), the object `desired` describes, in
 * one write: the other baseline's ownerReference replaced by this one's (others' references
 * kept), and kubeposture's labels and every value `desired` sets written as it has them. For
 * objects whose fields are still under the create's Update entry and that hold nothing beyond
 * `desired` but that reference (plan.ts): an apply would keep the reference (the entry holds
 * it) and the apiserver refuses two controllers; a take-over first costs a read and a write.
 * Sent with kubeposture's field manager, so the fields stay under its Update entry. It applies
 * only while the ownerReferences are as the cache holds them.
 */
export function movePatch(live: WireObject, desired: ManagedObject): JsonPatchOp[] {
  const refs = live.metadata.ownerReferences ?? [];
  const kept = refs.filter((r) => !(r.kind === KIND && r.apiVersion === API_VERSION));
  const wantRefs = 'ownerReferences' in desired.metadata ? (desired.metadata.ownerReferences ?? []) : [];
  const labels = desired.metadata.labels ?? {};
  const { apiVersion: _v, kind: _k, metadata: _m, ...body } = desired;
  return [
    { op: 'test', path: '/metadata/ownerReferences', value: refs },
    { op: 'replace', path: '/metadata/ownerReferences', value: [...kept, ...wantRefs] },
    ...(live.metadata.labels === undefined
      ? [{ op: 'add' as const, path: '/metadata/labels', value: labels }]
      : setOps(labels, live.metadata.labels, '/metadata/labels')),
    ...setOps(body, live, ''),
  ];
}
