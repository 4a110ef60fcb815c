import { compactNamespace, compactObject, sameButVersion, ValuePool } from './compact.ts';
import type { WireObject } from './wire.ts';

const policy = (ns: string, uid: string): WireObject & { spec: unknown; status?: unknown } => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {
    name: 'kubeposture-default-deny',
    namespace: ns,
    uid,
    resourceVersion: '42',
    labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'b' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"json"}', note: 'kept' },
    ownerReferences: [{ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'b', uid: 'b-uid', controller: true }],
    managedFields: [
      { manager: 'kubeposture', operation: 'Update', fieldsV1: { 'f:spec': {} } },
      { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:metadata': {} } },
    ],
    creationTimestamp: '2026-11-27T00:00:00Z',
  } as WireObject['metadata'],
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  status: { anything: true },
});

describe('compactObject', () => {
  it('keeps what the reconciler reads and drops the rest', () => {
    const c = compactObject<WireObject>(new ValuePool(), 'kubeposture', { withFields: false })(policy('a', 'u1')) as WireObject & {
      spec?: unknown;
      status?: unknown;
    };
    expect(c).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'kubeposture-default-deny',
        namespace: 'a',
        uid: 'u1',
        resourceVersion: '42',
        labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'b' },
        annotations: { note: 'kept' },
        ownerReferences: [{ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'b', uid: 'b-uid', controller: true }],
        managedFields: [{ manager: 'kubeposture', operation: 'Update' }],
      },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  });

  it("keeps kubeposture's field sets when asked, without timestamps", () => {
    const c = compactObject<WireObject>(new ValuePool(), 'kubeposture', { withFields: true })(policy('a', 'u1'));
    expect(c.metadata.managedFields).toEqual([{ manager: 'kubeposture', operation: 'Update', fieldsV1: { 'f:spec': {} } }]);
  });

  it('shares equal values between objects, frozen', () => {
    const compact = compactObject<WireObject & { spec?: unknown }>(new ValuePool(), 'kubeposture', { withFields: false });
    const a = compact(policy('a', 'u1'));
    const b = compact(policy('b', 'u2'));
    expect(a.spec).toBe(b.spec);
    expect(a.metadata.labels).toBe(b.metadata.labels);
    expect(a.metadata.ownerReferences).toBe(b.metadata.ownerReferences);
    expect(Object.isFrozen(a.spec)).toBe(true);
    expect(a.metadata.uid).not.toBe(b.metadata.uid);
  });

  it('drops the annotations asked, so that a value unique per object does not unshare the rest', () => {
    const compact = compactObject<WireObject>(new ValuePool(), 'kubeposture', {
      withFields: false,
      dropAnnotations: ['kubeposture.io/create-id'],
    });
    const withId = (ns: string, id: string): WireObject => {
      const p = policy(ns, `u-${ns}`);
      return { ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, 'kubeposture.io/create-id': id } } };
    };
    const a = compact(withId('a', 'id-1'));
    const b = compact(withId('b', 'id-2'));
    expect(a.metadata.annotations).toEqual({ note: 'kept' });
    expect(a.metadata.annotations).toBe(b.metadata.annotations);
  });
});

describe('sameButVersion', () => {
  type Policy = ReturnType<typeof policy>;
  const compact = compactObject<Policy>(new ValuePool(), 'kubeposture', { withFields: false });
  const changed = (edit: (p: Policy) => Policy): Policy =>
    edit({ ...policy('a', 'u1'), metadata: { ...policy('a', 'u1').metadata, resourceVersion: '43' } });

  it('holds when only what the cache drops changed: status, timestamps, other managers, kubectl annotation', () => {
    const a = compact(policy('a', 'u1'));
    const b = compact(
      changed((p) => ({
        ...p,
        status: { anything: false },
        metadata: {
          ...p.metadata,
          creationTimestamp: '2026-12-01T00:00:00Z',
          managedFields: [
            ...(p.metadata.managedFields ?? []),
            { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
          ],
          annotations: { ...p.metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        } as WireObject['metadata'],
      })),
    );
    expect(b.metadata.resourceVersion).toBe('43');
    expect(sameButVersion(a, b)).toBe(true);
  });

  it('fails for a change of anything kept: spec, labels, an annotation, ownerReferences, its own entry, deletion', () => {
    const a = compact(policy('a', 'u1'));
    const edits: ((p: Policy) => Policy)[] = [
      (p) => ({ ...p, spec: { podSelector: {}, policyTypes: ['Ingress'] } }),
      (p) => ({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, extra: 'x' } } }),
      (p) => ({ ...p, metadata: { ...p.metadata, annotations: { note: 'changed' } } }),
      (p) => ({ ...p, metadata: { ...p.metadata, ownerReferences: [] } }),
      (p) => ({ ...p, metadata: { ...p.metadata, managedFields: [{ manager: 'kubeposture', operation: 'Apply' }] } }),
      (p) => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-12-05T00:00:00Z' } }),
      (p) => ({ ...p, extra: true }) as Policy,
    ];
    expect(edits.map((e) => sameButVersion(a, compact(changed(e))))).toEqual(edits.map(() => false));
  });

  it('fails when equal values are not one pooled value (the pool let go of them): a reconcile too many, none missed', () => {
    const a = compactObject<Policy>(new ValuePool(), 'kubeposture', { withFields: false })(policy('a', 'u1'));
    const b = compactObject<Policy>(new ValuePool(), 'kubeposture', { withFields: false })(changed((p) => p));
    expect(sameButVersion(a, b)).toBe(false);
  });
});

describe('ValuePool', () => {
  it('stays within its limit, starting again when full', () => {
    const pool = new ValuePool(10);
    for (let i = 0; i < 100; i++) pool.tree({ i });
    for (let i = 0; i < 100; i++) pool.str(`s${String(i)}`);
    expect(pool.size).toBeLessThanOrEqual(20);
    const x = pool.tree({ same: 1 });
    expect(pool.tree({ same: 1 })).toBe(x);
  });

  it('gives one value per key, made once, and stays within its limit', () => {
    const pool = new ValuePool(10);
    let made = 0;
    const make = (): { n: number } => ({ n: ++made });
    const first = pool.byKey('k', make);
    expect(pool.byKey('k', make)).toBe(first);
    expect(made).toBe(1);
    for (let i = 0; i < 100; i++) pool.byKey(`k${String(i)}`, make);
    expect(pool.size).toBeLessThanOrEqual(10);
  });

  it("shares the strings of a value unlike any other: two namespaces' RoleBinding subjects hold one kind and name", () => {
    const pool = new ValuePool();
    const subjects = (ns: string): unknown => [{ kind: 'ServiceAccount', name: 'app', namespace: ns }];
    const a = pool.tree(subjects('a'));
    const b = pool.tree(subjects('b'));
    expect(a).not.toBe(b);
    expect(Object.isFrozen((a as unknown[])[0])).toBe(true);
    // Two values and four strings (ServiceAccount, app, a, b), each string once.
    expect(pool.size).toBe(6);
    for (const s of ['ServiceAccount', 'app', 'a', 'b']) pool.str(s);
    expect(pool.size).toBe(6);
  });
});

describe('compactNamespace', () => {
  it("keeps labels, deletion, kubeposture's field ownership, the annotations asked for and phase only", () => {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-a',
        uid: 'n1',
        resourceVersion: '7',
        labels: { 'kubernetes.io/metadata.name': 'team-a' },
        annotations: { 'kubeposture.io/owned': '{"b":{}}', 'someone/else': 'x'.repeat(1000) },
        managedFields: [
          {
            manager: 'kubeposture',
            operation: 'Apply',
            time: 'x',
            fieldsV1: { 'f:metadata': { 'f:labels': { 'f:pod-security.kubernetes.io/enforce': {} } } },
          },
        ],
        deletionTimestamp: '2026-11-27T00:00:00Z',
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Terminating' },
    } as unknown as WireObject & { status?: { phase?: string } };
    expect(compactNamespace(new ValuePool(), 'kubeposture', ['kubeposture.io/owned'])(ns)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-a',
        uid: 'n1',
        resourceVersion: '7',
        labels: { 'kubernetes.io/metadata.name': 'team-a' },
        annotations: { 'kubeposture.io/owned': '{"b":{}}' },
        deletionTimestamp: '2026-11-27T00:00:00Z',
        managedFields: [
          {
            manager: 'kubeposture',
            operation: 'Apply',
            fieldsV1: { 'f:metadata': { 'f:labels': { 'f:pod-security.kubernetes.io/enforce': {} } } },
          },
        ],
      },
      status: { phase: 'Terminating' },
    });
  });
});
