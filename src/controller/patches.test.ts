import type { JsonPatchOp } from '../kube/rest.ts';
import type { ManagedFieldsEntry, WireObject } from '../kube/wire.ts';
import type { ManagedObject, OwnerReference } from '../baseline/objects.ts';
import { escapePointer, movePatch, orphanPatch, reownPatch, takeOverPatch, unionFields } from './patches.ts';

type Metadata = WireObject['metadata'];
const object = (metadata: Omit<Metadata, 'name' | 'resourceVersion'>): WireObject => ({
  metadata: { name: 'x', resourceVersion: '7', ...metadata },
});
const TEST: JsonPatchOp = { op: 'test', path: '/metadata/resourceVersion', value: '7' };

const update = (fields: unknown, manager = 'kubeposture'): ManagedFieldsEntry => ({ manager, operation: 'Update', fieldsV1: fields });
const applied = (fields: unknown, manager = 'kubeposture'): ManagedFieldsEntry => ({ manager, operation: 'Apply', fieldsV1: fields });
const SPEC_A = { 'f:spec': { 'f:a': {} } };
const SPEC_B = { 'f:spec': { 'f:b': {} } };
const SPEC_AB = { 'f:spec': { 'f:a': {}, 'f:b': {} } };

describe('takeOverPatch', () => {
  it.each<[string, readonly ManagedFieldsEntry[], readonly ManagedFieldsEntry[] | undefined]>([
    ['makes a lone Update entry an Apply entry', [update(SPEC_A)], [applied(SPEC_A)]],
    ['merges several Update entries into one', [update(SPEC_A), update(SPEC_B)], [applied(SPEC_AB)]],
    ['merges Update entries into the existing Apply entry', [applied(SPEC_A), update(SPEC_B)], [applied(SPEC_AB)]],
    [
      "keeps other managers' entries, before its own",
      [update(SPEC_A, 'kubectl'), update(SPEC_B), applied(SPEC_A, 'helm')],
      [update(SPEC_A, 'kubectl'), applied(SPEC_A, 'helm'), applied(SPEC_B)],
    ],
    ['has nothing to do without an Update entry of its own', [applied(SPEC_A), update(SPEC_B, 'kubectl')], undefined],
    ['has nothing to do with no entries at all', [], undefined],
  ])('%s', (_name, entries, expected) => {
    const patch = takeOverPatch(object({ managedFields: entries }));
    expect(patch).toEqual(expected === undefined ? undefined : [TEST, { op: 'replace', path: '/metadata/managedFields', value: expected }]);
  });

  it('keeps the rest of the Apply entry it merges into (its time, its API version)', () => {
    const own = { ...applied(SPEC_A), apiVersion: 'v1', time: '2026-01-01T00:00:00Z' };
    expect(takeOverPatch(object({ managedFields: [own, update(SPEC_B)] }))?.[1]).toEqual({
      op: 'replace',
      path: '/metadata/managedFields',
      value: [{ ...own, fieldsV1: SPEC_AB }],
    });
  });
});

describe('orphanPatch', () => {
  const claim = { apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'b', uid: 'u', controller: true };
  const other = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'v' };

  it.each<[string, Omit<Metadata, 'name' | 'resourceVersion'>, readonly JsonPatchOp[]]>([
    [
      'removes its labels, its ownerReference and its field ownership',
      {
        labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'b', team: 'a' },
        ownerReferences: [claim],
        managedFields: [applied(SPEC_A), update(SPEC_B, 'kubectl')],
      },
      [
        { op: 'remove', path: '/metadata/labels/app.kubernetes.io~1managed-by' },
        { op: 'remove', path: '/metadata/labels/kubeposture.io~1baseline' },
        { op: 'replace', path: '/metadata/ownerReferences', value: [] },
        { op: 'replace', path: '/metadata/managedFields', value: [update(SPEC_B, 'kubectl')] },
      ],
    ],
    [
      "leaves absent labels alone, and others' ownerReferences in place",
      {
        labels: { team: 'a' },
        ownerReferences: [other, claim],
      },
      [{ op: 'replace', path: '/metadata/ownerReferences', value: [other] }],
    ],
    [
      'clears field ownership with one empty entry when every entry is its own',
      {
        managedFields: [applied(SPEC_A), update(SPEC_B)],
      },
      [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }],
    ],
    [
      "only tests the version when nothing is kubeposture's",
      {
        ownerReferences: [other],
        managedFields: [update(SPEC_B, 'kubectl')],
      },
      [],
    ],
  ])('%s', (_name, metadata, ops) => {
    expect(orphanPatch(object(metadata))).toEqual([TEST, ...ops]);
  });
});

describe('movePatch', () => {
  const ref = (name: string, uid: string): OwnerReference => ({
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaseline',
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  });
  const theirs = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u9' };
  const quota = (baseline: string, hard: Record<string, string>): ManagedObject & { spec: { hard: Record<string, string> } } => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: {
      name: 'kubeposture-quota',
      namespace: 'ns',
      labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': baseline },
      ownerReferences: [ref(baseline, baseline === 'gold' ? 'u2' : 'u1')],
    },
    spec: { hard },
  });

  it("swaps the baseline's reference (keeping others'), and writes only the labels and values that differ, on the references read", () => {
    const silver = quota('silver', { pods: '5', 'requests.cpu': '2' });
    const live = object({ ...silver.metadata, ownerReferences: [ref('silver', 'u1'), theirs] });
    const withSpec: WireObject = { ...live, spec: silver.spec } as WireObject;
    expect(movePatch(withSpec, quota('gold', { pods: '50', 'requests.cpu': '2' }))).toEqual([
      { op: 'test', path: '/metadata/ownerReferences', value: [ref('silver', 'u1'), theirs] },
      { op: 'replace', path: '/metadata/ownerReferences', value: [theirs, ref('gold', 'u2')] },
      { op: 'add', path: '/metadata/labels/kubeposture.io~1baseline', value: 'gold' },
      { op: 'add', path: '/spec/hard/pods', value: '50' },
    ]);
  });
});

describe('reownPatch', () => {
  const ref = { apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'gold', uid: 'u2', controller: true };
  it('replaces the owner references whole and the baseline label, only on the version read', () => {
    expect(reownPatch(object({ labels: { 'kubeposture.io/baseline': 'silver' } }), [ref], 'gold')).toEqual([
      TEST,
      { op: 'replace', path: '/metadata/ownerReferences', value: [ref] },
      { op: 'replace', path: '/metadata/labels/kubeposture.io~1baseline', value: 'gold' },
    ]);
  });

  it('sets each top-level field of the body given, in the same patch', () => {
    const body = { summary: { pass: 3 }, results: [{ policy: 'gold' }] };
    expect(reownPatch(object({ labels: {} }), [ref], 'gold', body).slice(3)).toEqual([
      { op: 'add', path: '/summary', value: { pass: 3 } },
      { op: 'add', path: '/results', value: [{ policy: 'gold' }] },
    ]);
  });

  it('adds the label where it is missing', () => {
    expect(reownPatch(object({ labels: {} }), [ref], 'gold')[2]).toEqual({
      op: 'add',
      path: '/metadata/labels/kubeposture.io~1baseline',
      value: 'gold',
    });
  });
});

describe('escapePointer', () => {
  it.each([
    ['plain', 'plain'],
    ['kubeposture.io/baseline', 'kubeposture.io~1baseline'],
    ['a~b', 'a~0b'],
    // `~` first: an escaped `/` must not be escaped again.
    ['~/', '~0~1'],
    ['a/~1', 'a~1~01'],
  ])('%s as %s', (key, token) => {
    expect(escapePointer(key)).toBe(token);
  });
});

describe('unionFields', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['joins disjoint trees', SPEC_A, SPEC_B, SPEC_AB],
    [
      'joins at every depth',
      { 'f:spec': { 'f:ingress': { '.': {} } } },
      { 'f:spec': { 'f:ingress': { 'k:{"x":1}': {} }, 'f:podSelector': {} }, 'f:metadata': {} },
      { 'f:spec': { 'f:ingress': { '.': {}, 'k:{"x":1}': {} }, 'f:podSelector': {} }, 'f:metadata': {} },
    ],
    ['takes the other side when one is missing', undefined, SPEC_A, SPEC_A],
    ['keeps a tree when the other side is missing', SPEC_A, undefined, SPEC_A],
    ['is the identity on equal trees', SPEC_AB, SPEC_AB, SPEC_AB],
  ])('%s', (_name, a, b, union) => {
    expect(unionFields(a, b)).toEqual(union);
  });

  it('changes neither input', () => {
    const a = { 'f:spec': { 'f:a': {} } };
    unionFields(a, SPEC_B);
    expect(a).toEqual(SPEC_A);
  });
});
