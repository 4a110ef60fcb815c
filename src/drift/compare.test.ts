import { baselineOf, baselineWith, restrictedManifest } from '../../test/support/baselines.ts';
import { desiredObjects } from '../baseline/build.ts';
import type { ManagedObject } from '../baseline/objects.ts';
import { childPath, compareObject, differingFields, fieldsBeyond } from './compare.ts';
import { canonicalQuantity, isSetList } from './normalize.ts';

/** A deep copy, as a live object read from the apiserver would be. */
const live = (o: ManagedObject): Record<string, unknown> => structuredClone(o) as unknown as Record<string, unknown>;

describe('canonicalQuantity', () => {
  it('gives equal values one form', () => {
    expect(canonicalQuantity('1000m')).toBe(canonicalQuantity('1'));
    expect(canonicalQuantity('1Gi')).toBe(canonicalQuantity('1024Mi'));
    expect(canonicalQuantity('1G')).not.toBe(canonicalQuantity('1Gi'));
  });
});

describe('isSetList', () => {
  it.each([
    ['spec.policyTypes', true],
    ['rules[0].verbs', true],
    ['rules[3].apiGroups', true],
    ['spec.egress[0].ports', false],
    ['subjects', false],
  ] as const)('%s → %s', (path, want) => {
    expect(isSetList(path)).toBe(want);
  });
});

describe('childPath', () => {
  it('uses brackets for keys that are not identifiers', () => {
    expect(childPath('', 'spec')).toBe('spec');
    expect(childPath('spec', 'hard')).toBe('spec.hard');
    expect(childPath('metadata.labels', 'app.kubernetes.io/managed-by')).toBe('metadata.labels[app.kubernetes.io/managed-by]');
  });
});

describe('differingFields', () => {
  it.each<[string, unknown, unknown, string[]]>([
    ['equal scalars', 1, 1, []],
    ['different scalars', 'a', 'b', ['']],
    ['extra live keys are not drift', { a: 1 }, { a: 1, b: 2 }, []],
    ['a missing key', { a: 1, b: 2 }, { a: 1 }, ['b']],
    ['nested difference', { spec: { x: { y: true } } }, { spec: { x: { y: false } } }, ['spec.x.y']],
    ['list length', { l: [1, 2] }, { l: [1] }, ['l']],
    ['list element', { l: [{ a: 1 }, { a: 2 }] }, { l: [{ a: 1 }, { a: 3 }] }, ['l[1].a']],
    ['ordered list order matters', { l: [1, 2] }, { l: [2, 1] }, ['l[0]', 'l[1]']],
    ['a rule added to a deny-all NetworkPolicy', { spec: { ingress: [] } }, { spec: { ingress: [{}] } }, ['spec.ingress']],
    ['no rules, omitted by the apiserver', { spec: { ingress: [], egress: [], podSelector: {} } }, { spec: {} }, []],
    [
      'a key added inside a NetworkPolicy rule',
      { spec: { egress: [{ to: [{ podSelector: {} }] }] } },
      { spec: { egress: [{ to: [{ podSelector: {}, namespaceSelector: {} }] }] } },
      ['spec.egress'],
    ],
    [
      'a narrowed podSelector',
      { spec: { podSelector: {} } },
      { spec: { podSelector: { matchLabels: { app: 'none' } } } },
      ['spec.podSelector'],
    ],
    [
      'whole values in another key order',
      { spec: { egress: [{ to: [{ podSelector: {} }], ports: [{ protocol: 'UDP', port: 53 }] }] } },
      { spec: { egress: [{ ports: [{ port: 53, protocol: 'UDP' }], to: [{ podSelector: {} }] }] } },
      [],
    ],
    ['set list order does not', { spec: { policyTypes: ['Ingress', 'Egress'] } }, { spec: { policyTypes: ['Egress', 'Ingress'] } }, []],
    [
      'set list content does',
      { spec: { policyTypes: ['Ingress', 'Egress'] } },
      { spec: { policyTypes: ['Ingress'] } },
      ['spec.policyTypes'],
    ],
    ['quantities by value', { spec: { hard: { cpu: '1000m', memory: '1Gi' } } }, { spec: { hard: { cpu: '1', memory: '1024Mi' } } }, []],
    ['a changed quantity', { spec: { hard: { cpu: '1', pods: '10' } } }, { spec: { hard: { cpu: '2', pods: '10' } } }, ['spec.hard.cpu']],
    ['a quantity removed', { spec: { hard: { 'requests.cpu': '1' } } }, { spec: { hard: {} } }, ['spec.hard[requests.cpu]']],
    ['an object replaced by a scalar', { a: { b: 1 } }, { a: 'x' }, ['a']],
  ])('%s', (_name, desired, liveValue, want) => {
    expect(differingFields(desired, liveValue)).toEqual(want);
  });
});

describe('compareObject', () => {
  const objects = desiredObjects(baselineOf(restrictedManifest()), 'team-a').map((d) => d.object);

  it('finds every desired object compliant with an identical copy of itself', () => {
    for (const o of objects) expect(compareObject(o, live(o))).toEqual([]);
  });

  it('accepts what the apiserver adds: defaulted LimitRange fields, canonical quantities, its own metadata', () => {
    const b = baselineWith('b', { limitRange: { limits: [{ type: 'Container', max: { cpu: '2000m' } }] } });
    const lr = desiredObjects(b, 'ns').find((d) => d.object.kind === 'LimitRange')?.object;
    if (lr === undefined) throw new Error('no LimitRange built');
    const stored = live(lr);
    stored.metadata = {
      ...(stored.metadata as object),
      uid: 'x',
      resourceVersion: '1',
      labels: { ...(lr.metadata.labels ?? {}), extra: 'y' },
    };
    stored.spec = { limits: [{ type: 'Container', max: { cpu: '2' }, default: { cpu: '2' }, defaultRequest: { cpu: '2' } }] };
    expect(compareObject(lr, stored)).toEqual([]);
  });

  it('names each field that differs', () => {
    const quota = objects.find((o) => o.kind === 'ResourceQuota');
    if (quota === undefined) throw new Error('no quota built');
    const changed = live(quota);
    changed.spec = { hard: { pods: '500', 'requests.cpu': '10', 'requests.memory': '20Gi', 'limits.cpu': '20' } };
    (changed.metadata as { labels: Record<string, string> }).labels = { 'app.kubernetes.io/managed-by': 'someone' };
    expect(compareObject(quota, changed)).toEqual([
      'metadata.labels[app.kubernetes.io/managed-by]',
      'metadata.labels[kubeposture.io/baseline]',
      'spec.hard.pods',
    ]);
  });

  it('notices a lost ownerReference', () => {
    const np = objects[0];
    if (np === undefined) throw new Error('no object built');
    const orphaned = live(np);
    (orphaned.metadata as { ownerReferences: unknown[] }).ownerReferences = [];
    expect(compareObject(np, orphaned)).toEqual(['metadata.ownerReferences']);
  });

  it('treats a missing live object as differing everywhere it matters', () => {
    const sa = objects.find((o) => o.kind === 'ServiceAccount');
    if (sa === undefined) throw new Error('no ServiceAccount built');
    expect(compareObject(sa, undefined)).toContain('automountServiceAccountToken');
  });
});

describe('fieldsBeyond', () => {
  const quota = (hard: Record<string, string>): ManagedObject => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: {
      name: 'kubeposture-quota',
      namespace: 'ns',
      labels: { 'app.kubernetes.io/managed-by': 'kubeposture' },
      ownerReferences: [
        {
          apiVersion: 'kubeposture.io/v1alpha1',
          kind: 'SecurityBaseline',
          name: 'b',
          uid: 'u1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { hard },
  });
  const withMeta = (o: ManagedObject, meta: Record<string, unknown>): Record<string, unknown> => {
    const l = live(o);
    return { ...l, metadata: { ...(l.metadata as Record<string, unknown>), ...meta } };
  };

  it('is empty where the live object holds only what the desired one sets, whatever the values, status and annotations', () => {
    const l = live(quota({ pods: '5' }));
    expect(fieldsBeyond(quota({ pods: '6' }), { ...l, status: { used: { pods: '1' } } })).toEqual([]);
    expect(
      fieldsBeyond(quota({ pods: '6' }), withMeta(quota({ pods: '5' }), { annotations: { 'kubeposture.io/create-id': 'x' } })),
    ).toEqual([]);
  });

  it('names map keys, labels and ownerReferences the desired object no longer sets', () => {
    expect(fieldsBeyond(quota({ pods: '6' }), live(quota({ pods: '5', 'requests.cpu': '2' })))).toEqual(['spec.hard[requests.cpu]']);
    const labelled = withMeta(quota({ pods: '5' }), { labels: { 'app.kubernetes.io/managed-by': 'kubeposture', team: 'a' } });
    expect(fieldsBeyond(quota({ pods: '5' }), labelled)).toEqual(['metadata.labels.team']);
    const moved = withMeta(quota({ pods: '5' }), {
      ownerReferences: [{ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'old', uid: 'u0', controller: true }],
    });
    expect(fieldsBeyond(quota({ pods: '5' }), moved)).toEqual(['metadata.ownerReferences']);
  });

  it('counts a list as one field, as the atomic lists kubeposture writes are owned', () => {
    const dns = desiredObjects(baselineOf(restrictedManifest()), 'ns').find((d) => d.object.metadata.name === 'kubeposture-allow-dns');
    if (dns === undefined) throw new Error('no allow-dns NetworkPolicy');
    const l = live(dns.object);
    const spec = l.spec as { egress: unknown[] };
    // Another egress list, longer: replaced whole by the apply, nothing to remove field by field.
    expect(fieldsBeyond(dns.object, { ...l, spec: { ...spec, egress: [...spec.egress, { to: [{ podSelector: {} }] }] } })).toEqual([]);
    // A list the desired object does not set at all.
    expect(fieldsBeyond(dns.object, { ...l, spec: { ...spec, ingress: [{ from: [{ podSelector: {} }] }] } })).toEqual(['spec.ingress']);
  });
});

describe('comparing frozen values (shared by the builders and the caches)', () => {
  const freeze = <T>(v: T): T => {
    if (typeof v === 'object' && v !== null) {
      for (const c of Object.values(v)) freeze(c);
      Object.freeze(v);
    }
    return v;
  };

  it('gives what comparing unfrozen copies gives, at each path', () => {
    const desired = freeze({ hard: { pods: '60', 'requests.cpu': '1' } });
    const live = freeze({ hard: { pods: '50', 'requests.cpu': '1000m' } });
    expect(differingFields(desired, live, 'spec')).toEqual(['spec.hard.pods']);
    expect(differingFields(desired, live, 'spec')).toEqual(differingFields(structuredClone(desired), structuredClone(live), 'spec'));
    // The same pair at a path that is no resource list: compared as strings, not reused from the first.
    expect(differingFields(desired, live, 'other')).toEqual(['other.hard.pods', 'other.hard[requests.cpu]']);
    expect(differingFields(desired, live, 'spec')).toEqual(['spec.hard.pods']);
    expect(differingFields(desired, freeze({ hard: { pods: '60', 'requests.cpu': '1' } }), 'spec')).toEqual([]);
  });

  it('hands compareObject a list it may add to without changing the next answer', () => {
    const b = baselineOf(restrictedManifest());
    const quota = desiredObjects(b, 'team-a').find((d) => d.object.kind === 'ResourceQuota')?.object;
    if (quota === undefined) throw new Error('no quota built');
    const stored = freeze({ ...structuredClone(quota), metadata: { ...structuredClone(quota.metadata), labels: { other: 'x' } } });
    const first = compareObject(quota, stored);
    expect(first).toEqual(['metadata.labels[app.kubernetes.io/managed-by]', 'metadata.labels[kubeposture.io/baseline]']);
    first.push('added by the caller');
    expect(compareObject(quota, stored)).toEqual([
      'metadata.labels[app.kubernetes.io/managed-by]',
      'metadata.labels[kubeposture.io/baseline]',
    ]);
  });
});
