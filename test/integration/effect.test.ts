/**
 * The baseline has its real effect in a namespace: the apiserver's admission
 * (LimitRanger, ResourceQuota, PodSecurity) and RBAC act on what kubeposture made.
 */
import { kubectlRun } from '../support/kubectl.ts';
import type { V1Pod } from '@kubernetes/client-node';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import { baselineManifest, core, createBaseline, createNamespaces, deleteBaseline, kc, user, waitReady } from '../support/world.ts';

let op: TestOperator;
let ns: string;
let other: string;
let name: string;

/** A pod the restricted Pod Security Standard admits, with no resources set. */
function pod(podName: string, privileged = false): V1Pod {
  return {
    metadata: { name: podName },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1',
          securityContext: privileged ? { privileged: true } : { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

beforeAll(async () => {
  await installCrd(kc);
  op = await startOperator();
  const group = uniqueName('g');
  [ns = '', other = ''] = await createNamespaces('effect', 2, { 'kp-test': group });
  name = await createBaseline(
    baselineManifest(group, {
      excludeNamespaces: [other],
      limitRange: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m', memory: '512Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi' },
            max: { cpu: '2', memory: '2Gi' },
          },
        ],
      },
      resourceQuota: { hard: { pods: '2' } },
      serviceAccounts: {
        workloads: [
          {
            name: 'app',
            rules: [
              { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
              { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get'] },
            ],
          },
        ],
      },
      podSecurity: { enforce: 'restricted' },
    }),
  );
  await waitReady(name);
  await eventually(async () => {
    const q = await core.readNamespacedResourceQuota({ name: 'kubeposture-quota', namespace: ns });
    if (q.status?.hard?.pods !== '2') throw new Error('quota status not filled yet');
  });
});
afterAll(async () => {
  await deleteBaseline(name);
  await op.stop();
  user.close();
});

describe('a namespace under a baseline', () => {
  it('gives a pod without resources the LimitRange defaults', async () => {
    const created = await core.createNamespacedPod({ namespace: ns, body: pod('first') });
    const r = created.spec?.containers[0]?.resources;
    expect(r?.limits).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(r?.requests).toEqual({ cpu: '100m', memory: '128Mi' });
  });

  it('refuses pods past the quota', async () => {
    await core.createNamespacedPod({ namespace: ns, body: pod('second') });
    const third = await refusal(() => core.createNamespacedPod({ namespace: ns, body: pod('third') }));
    expect(third.status).toBe(403);
    expect(third.message).toMatch(/exceeded quota: kubeposture-quota, requested: pods=1, used: pods=2, limited: pods=2/);
  });

  it('refuses a privileged pod through Pod Security admission', async () => {
    const refused = await refusal(() => core.createNamespacedPod({ namespace: ns, body: pod('root', true) }));
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/violates PodSecurity "restricted:latest": privileged/);
  });

  it.each<[string, string, boolean]>([
    ['get', 'configmaps', true],
    ['list', 'configmaps', true],
    ['watch', 'configmaps', true],
    ['create', 'configmaps', false],
    ['delete', 'configmaps', false],
    ['get', 'secrets', false],
    ['list', 'pods', false],
    ['get', 'deployments.apps/web', true],
    ['get', 'deployments.apps/api', false],
    ['list', 'deployments.apps', false],
  ])('lets the workload ServiceAccount %s %s: %s', async (verb, resource, allowed) => {
    expect(await canI(verb, resource, ns, `system:serviceaccount:${ns}:app`)).toBe(allowed);
  });

  it('grants the ServiceAccount nothing in another namespace, and leaves an excluded namespace alone', async () => {
    expect(await canI('get', 'configmaps', other, `system:serviceaccount:${ns}:app`)).toBe(false);
    expect(await canI('get', 'configmaps', other, `system:serviceaccount:${other}:app`)).toBe(false);
  });
});

/** `kubectl auth can-i`: exit 0 means yes, 1 means no. */
async function canI(verb: string, resource: string, namespace: string, as: string): Promise<boolean> {
  const r = await kubectlRun('auth', 'can-i', verb, resource, '-n', namespace, `--as=${as}`);
  if (r.code > 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.code === 0;
}
