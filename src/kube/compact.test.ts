import { compactNamespace, compactObject, ValuePool } from './compact.ts';
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

describe('ValuePool', () => {
  it('stays within its limit, starting again when full', () => {
    const pool = new ValuePool(10);
    for (let i = 0; i < 100; i++) pool.tree({ i });
    for (let i = 0; i < 100; i++) pool.str(`s${String(i)}`);
    expect(pool.size).toBeLessThanOrEqual(20);
    const x = pool.tree({ same: 1 });
    expect(pool.tree({ same: 1 })).toBe(x);
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
