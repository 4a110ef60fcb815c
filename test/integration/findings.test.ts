/**
 * Posture findings in status, on the real apiserver, with the operator holding
 * only its own ServiceAccount's permissions: a tenant's NetworkPolicy that
 * admits everyone shows up (and goes when it goes), and a selector on a label
 * anyone may change is reported until the admission policy in config/policy
 * and its binding are both installed.
 */
import type { Finding } from '../../src/api/types.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import { kubectl } from '../support/kubectl.ts';
import type { TestOperator } from '../support/operator.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  readBaseline,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

let op: TestOperator;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
});
afterAll(async () => {
  await kubectl('delete', '--ignore-not-found', '-k', 'config/policy');
  await op.stop();
});

const findingsOf = async (name: string): Promise<readonly Finding[]> => (await readBaseline(name))?.status?.findings ?? [];
const summary = (fs: readonly Finding[]): string[] => fs.map((f) => `${f.type} ${f.namespace ?? ''}/${f.name ?? ''}`);

async function createPolicy(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await user.request('POST', resourcePath('NetworkPolicy', namespace), {
    body: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec },
  });
}

describe('posture findings', () => {
  it('reports tenant NetworkPolicies that admit everyone, in governed namespaces only, and forgets them when they go', async () => {
    const group = uniqueName('g');
    const [a = '', b = ''] = await createNamespaces('findings', 2, { 'kp-test': group });
    const [outside = ''] = await createNamespaces('findings-out', 1, { 'kp-test': `${group}-not` });
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await waitReady(name);
    // Managed policies (default-deny, allow-dns) are not findings; the selector's label is.
    expect(summary(await findingsOf(name))).toEqual(['MutableSelectorLabel /']);

    await createPolicy(a, 'open-ingress', { podSelector: {}, ingress: [{}] });
    await createPolicy(b, 'open-egress', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }],
    });
    await createPolicy(b, 'narrow', { podSelector: {}, ingress: [{ ports: [{ port: 443 }] }] });
    await createPolicy(outside, 'open-elsewhere', { podSelector: {}, ingress: [{}] });
    await timed(async () => {
      expect(summary(await findingsOf(name))).toEqual([
        `AllowAllEgress ${b}/open-egress`,
        `AllowAllIngress ${a}/open-ingress`,
        'MutableSelectorLabel /',
      ]);
    }, 15_000);
    const egress = (await findingsOf(name)).find((f) => f.type === 'AllowAllEgress');
    expect(egress).toEqual({
      type: 'AllowAllEgress',
      namespace: b,
      kind: 'NetworkPolicy',
      name: 'open-egress',
      message: 'allows egress to every address (0.0.0.0/0) on every port from pods with app=web, past the default-deny',
    });
    // Reported, never touched; and a finding does not make the baseline non-compliant.
    const b1 = await readBaseline(name);
    expect(b1?.status?.conditions?.find((c) => c.type === 'Compliant')?.status).toBe('True');
    expect(op.namespaceWrites().filter((r) => r.path.includes('open-'))).toEqual([]);

    await user.request('DELETE', resourcePath('NetworkPolicy', a, 'open-ingress'));
    await timed(async () => {
      expect(summary(await findingsOf(name))).toEqual([`AllowAllEgress ${b}/open-egress`, 'MutableSelectorLabel /']);
    }, 15_000);
    await deleteBaseline(name);
  });

  it('reports a selector on labels anyone may change until the admission policy guards them', async () => {
    const group = uniqueName('g');
    await createNamespaces('guard', 1, { 'kp-test': group });
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await waitReady(name);
    const [before] = await findingsOf(name);
    expect(before?.type).toBe('MutableSelectorLabel');
    expect(before?.message).toMatch(/^namespaceSelector relies on label kp-test, which anyone allowed to update a namespace can change/);
    expect(before?.message).toMatch(/ValidatingAdmissionPolicy kubeposture-selector-labels is not installed$/);

    await kubectl('apply', '-k', 'config/policy');
    await timed(async () => {
      expect(await findingsOf(name)).toEqual([]);
    }, 15_000);
    // A baseline selecting by name needs no guard.
    const byName = await createBaseline({
      ...baselineManifest(group, RESTRICTED_SPEC),
      spec: { ...RESTRICTED_SPEC, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nothing-here' } } },
    });
    await waitReady(byName);

    await kubectl('delete', 'validatingadmissionpolicybinding', 'kubeposture-selector-labels');
    await timed(async () => {
      const [again] = await findingsOf(name);
      expect(again?.message).toMatch(/ValidatingAdmissionPolicyBinding kubeposture-selector-labels .* is not installed$/);
    }, 15_000);
    expect(await findingsOf(byName)).toEqual([]);
    await deleteBaseline(byName);
    await deleteBaseline(name);
  });
});
