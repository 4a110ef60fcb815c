/**
 * Objects in the cluster the operator does not expect never crash it: a
 * managed-named object with kubeposture's labels but no ownerReference, one with
 * an ownerReference to a baseline that never existed and odd fields, a namespace
 * with a thousand labels, and a baseline whose selector matches nothing. The
 * operator stays ready, reports what it must not touch as a Conflict, and brings
 * the rest to the baseline.
 */
import { GROUP, LABEL_BASELINE, LABEL_MANAGED_BY, MANAGED_BY_VALUE, VERSION } from '../../src/api/constants.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  readBaseline,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

let op: TestOperator;
beforeAll(async () => {
  await installCrd(kc);
  op = await startOperator({ statusIntervalMs: 100 });
});
afterAll(async () => {
  await op.stop();
});

describe('objects the operator does not expect', () => {
  it('reports impostors with its labels as Conflicts, leaves them alone, and keeps working', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('unexpected', 1, { 'kp-test': group });
    const ours = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_BASELINE]: 'no-such-baseline' };
    // kubeposture's labels, no ownerReference.
    await user.request('POST', resourcePath('LimitRange', ns), {
      body: {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'kubeposture-limits', namespace: ns, labels: ours },
        spec: { limits: [{ type: 'Pod', max: { cpu: '64' } }] },
      },
    });
    // A controller ownerReference to a SecurityBaseline that never existed, and odd fields.
    await user.request('POST', resourcePath('ResourceQuota', ns), {
      body: {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: {
          name: 'kubeposture-quota',
          namespace: ns,
          labels: { ...ours, ['x'.repeat(63)]: 'y'.repeat(63) },
          annotations: { note: 'z'.repeat(100_000) },
          ownerReferences: [
            {
              apiVersion: `${GROUP}/${VERSION}`,
              kind: 'SecurityBaseline',
              name: 'ghost',
              uid: '00000000-0000-0000-0000-000000000000',
              controller: true,
            },
          ],
        },
        spec: {
          hard: { 'count/widgets.example.com': '3' },
          scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists' }] },
        },
      },
    });
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await timed(async () => {
      const b = await readBaseline(name);
      const kinds = (b?.status?.drift ?? [])
        .filter((d) => d.namespace === ns && d.reason === 'Conflict')
        .map((d) => d.kind)
        .sort();
      expect(kinds).toEqual(['LimitRange']);
    }, 30_000);
    // The impostor without an ownerReference is untouched.
    const lr = (await user.get('LimitRange', ns, 'kubeposture-limits')) as WireObject & { spec: unknown };
    expect(lr.spec).toEqual({ limits: [{ type: 'Pod', max: { cpu: '64' } }] });
    expect(op.controller.ready).toBe(true);
    await deleteBaseline(name);
  });

  it('repairs its own NetworkPolicy that a tenant opened, also after stripping its ownerReference, or that and its labels', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('stripped', 1, { 'kp-test': group });
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await waitReady(name, 30_000);
    const path = resourcePath('NetworkPolicy', ns, 'kubeposture-default-deny');
    interface Np {
      metadata: { uid: string; labels?: Record<string, string>; ownerReferences?: { kind: string }[] };
      spec: { ingress?: unknown };
    }
    const original = (await user.request('GET', path)) as Np;
    const held = async (): Promise<void> => {
      const np = (await user.request('GET', path)) as Np;
      expect(np.metadata.uid).toBe(original.metadata.uid);
      expect(np.metadata.ownerReferences?.map((r) => r.kind)).toEqual(['SecurityBaseline']);
      expect(np.metadata.labels?.[LABEL_MANAGED_BY]).toBe(MANAGED_BY_VALUE);
      expect(np.spec.ingress).toBeUndefined();
    };
    // A rule added to the default-deny opens it to all: drift, though the baseline sets no rule.
    await user.jsonPatch('NetworkPolicy', ns, 'kubeposture-default-deny', [{ op: 'add', path: '/spec/ingress', value: [{}] }]);
    await timed(held, 10_000);
    // One patch, as a namespace admin may send it: away with the ownerReference, open to all.
    await user.jsonPatch('NetworkPolicy', ns, 'kubeposture-default-deny', [
      { op: 'remove', path: '/metadata/ownerReferences' },
      { op: 'add', path: '/spec/ingress', value: [{}] },
    ]);
    await timed(held, 10_000);
    // Labels too: the object leaves kubeposture's watch, and its name is then found taken.
    await user.jsonPatch('NetworkPolicy', ns, 'kubeposture-default-deny', [
      { op: 'remove', path: '/metadata/ownerReferences' },
      { op: 'remove', path: '/metadata/labels' },
      { op: 'add', path: '/spec/ingress', value: [{}] },
    ]);
    await timed(held, 10_000);
    expect((await readBaseline(name))?.status?.drift ?? []).toEqual([]);
    await deleteBaseline(name);
  });

  it('copes with a namespace holding a thousand labels', async () => {
    const group = uniqueName('g');
    const labels: Record<string, string> = { 'kp-test': group };
    for (let i = 0; i < 1000; i++) labels[`label-${String(i)}.example.com/k`] = `v${String(i)}`;
    const [ns = ''] = await createNamespaces('many-labels', 1, labels);
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    const b = await waitReady(name, 30_000);
    expect(b.status?.namespaces?.compliant).toBe(1);
    const np = await user.get('NetworkPolicy', ns, 'kubeposture-default-deny');
    expect(np).toBeDefined();
    await deleteBaseline(name);
  });

  it('is Ready with nothing selected when a selector matches no namespace', async () => {
    const name = await createBaseline(baselineManifest(uniqueName('nobody'), RESTRICTED_SPEC));
    const b = await waitReady(name, 30_000);
    expect(b.status?.namespaces?.selected).toBe(0);
    expect(op.controller.ready).toBe(true);
    await deleteBaseline(name);
  });
});
