import { compactObject, ValuePool } from './compact.ts';
import { OWN_NAMESPACE, packObject, unpackObject, type PackedObject } from './packed.ts';
import type { WireObject } from './wire.ts';

type Body = Record<string, unknown>;

const meta = (ns: string | undefined, name: string, uid: string, rv: string): Record<string, unknown> => ({
  name,
  ...(ns === undefined ? {} : { namespace: ns }),
  uid,
  resourceVersion: rv,
  creationTimestamp: '2026-12-07T00:00:00Z',
  labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'b' },
  annotations: { 'kubeposture.io/create-id': uid },
  ownerReferences: [{ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'b', uid: 'b-uid', controller: true }],
  managedFields: [{ manager: 'kubeposture', operation: 'Apply', fieldsV1: { 'f:metadata': {} } }],
});

const binding = (ns: string, uid: string, rv = '100'): WireObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(ns, 'workload', uid, rv),
    subjects: [{ kind: 'ServiceAccount', name: 'workload', namespace: ns }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'workload' },
  }) as unknown as WireObject;

const role = (ns: string, uid: string): WireObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(ns, 'workload', uid, '7'),
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: [ns] }],
  }) as unknown as WireObject;

const policy = (ns: string, uid: string, pods = 1): WireObject =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { ...meta(ns, 'allow-dns', uid, '12'), generation: pods },
    spec: {
      podSelector: {},
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }] }],
    },
    status: { anything: true },
  }) as unknown as WireObject;

function setup(): { compact: (o: WireObject) => WireObject; pack: (o: WireObject, previous?: PackedObject) => PackedObject } {
  const pool = new ValuePool();
  const compact = compactObject<WireObject>(pool, 'kubeposture', { withFields: false, dropAnnotations: ['kubeposture.io/create-id'] });
  let version = 0;
  return { compact, pack: (o, previous) => packObject(pool, compact(o), previous, () => ++version) };
}

describe('packObject and unpackObject', () => {
  const objects: [string, WireObject][] = [
    ['a RoleBinding naming its own namespace', binding('team-a', '0b6c0c6e-5d7c-4f87-9b0e-2f1a4f1f6a01')],
    ['a Role', role('team-a', '0b6c0c6e-5d7c-4f87-9b0e-2f1a4f1f6a02')],
    ['a NetworkPolicy', policy('team-a', '0b6c0c6e-5d7c-4f87-9b0e-2f1a4f1f6a03')],
    [
      'a cluster-scoped object',
      { apiVersion: 'v1', kind: 'Namespace', metadata: meta(undefined, 'team-a', 'u', '3') } as unknown as WireObject,
    ],
    [
      'a namespace named as a string of its body',
      { ...(policy('egress', 'u') as unknown as Body), spec: { policyTypes: ['egress', 'Ingress'] } } as unknown as WireObject,
    ],
  ];

  it.each(objects)('gives back %s exactly as compactObject made it', (_what, raw) => {
    const { compact, pack } = setup();
    const out = unpackObject(pack(raw));
    const want = compact(raw);
    expect(out).toStrictEqual(want);
    // In the same order, as what prints it (JSON.stringify) would see.
    expect(JSON.stringify(out)).toBe(JSON.stringify(want));
    expect(Object.keys(out.metadata)).toEqual(Object.keys(want.metadata));
  });

  it.each(['0', '42', '007', '1e3', '-1', 'abc', '', '99999999999999999999', '12345678901234567'])(
    'gives back the resourceVersion %j as it came',
    (rv) => {
      const { pack } = setup();
      const p = pack(binding('a', 'u', rv));
      expect(p.resourceVersion).toBe(rv);
      expect(unpackObject(p).metadata.resourceVersion).toBe(rv);
    },
  );

  it('shares one shape among the RoleBindings of every namespace, and a new object each time it unpacks', () => {
    const { compact, pack } = setup();
    const a = pack(binding('team-a', 'ua'));
    const b = pack(binding('team-b', 'ub'));
    expect(a.shape).toBe(b.shape);
    expect(a.shape.relative).toBe(true);
    expect(Object.isFrozen(a.shape.body)).toBe(true);
    expect(unpackObject(b)).toStrictEqual(compact(binding('team-b', 'ub')));
    expect(unpackObject(a)).not.toBe(unpackObject(a));
    // What is shared stays shared: the roleRef is one value.
    const ra = unpackObject(a) as WireObject & { roleRef: unknown };
    const rb = unpackObject(b) as WireObject & { roleRef: unknown };
    expect(ra.roleRef).toBe(rb.roleRef);
  });

  it('keeps a body that holds the marker whole and its own, and gives it back exactly', () => {
    const { compact, pack } = setup();
    const raw = {
      ...(binding('team-a', 'u1') as unknown as Body),
      subjects: [
        { kind: 'ServiceAccount', name: OWN_NAMESPACE, namespace: 'team-a' },
        { kind: 'User', name: 'x', namespace: 'team-a' },
      ],
    } as unknown as WireObject;
    const p = pack(raw);
    expect(p.shape.relative).toBe(false);
    expect(unpackObject(p)).toStrictEqual(compact(raw));
    expect(pack(raw).shape).not.toBe(p.shape);
  });

  it('keeps the version of an object that changed in nothing but its resourceVersion', () => {
    const { pack } = setup();
    const first = pack(policy('a', 'u1'));
    // Status and timestamps are not kept: only the resourceVersion moved.
    const again = pack({ ...(policy('a', 'u1') as unknown as Body), status: { other: 1 } } as unknown as WireObject, first);
    expect(again.version).toBe(first.version);
    expect(pack(policy('a', 'u1', 2), first).version).toBeGreaterThan(first.version);
    expect(pack(policy('a', 'u2'), first).version).toBeGreaterThan(first.version);
    expect(pack(policy('a', 'u1'), undefined).version).toBeGreaterThan(first.version);
  });
});
