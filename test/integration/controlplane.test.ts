/**
 * Proves the local control plane is the real thing: admission plugins act,
 * controllers run, and the version is the one we built.
 */
import { CoreV1Api, CustomObjectsApi, VersionApi, type V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestNamespace, deleteNamespace, deleteNamespaceAndWait, eventually, refusal, testKubeConfig } from '../support/cluster.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

function pod(name: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }], ...extra },
  };
}

describe('the local control plane', () => {
  it('reports the Kubernetes version pinned in test/controlplane/go.mod', async () => {
    const goMod = readFileSync(join(import.meta.dirname, '..', 'controlplane', 'go.mod'), 'utf8');
    const pinned = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
    expect(pinned).toMatch(/^v1\.\d+\.\d+$/);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(pinned);
  });

  it('applies LimitRange defaults to a pod created without resources (LimitRanger admission)', async () => {
    const ns = await createTestNamespace(core, 'cp-limits');
    await core.createNamespacedLimitRange({
      namespace: ns,
      body: {
        metadata: { name: 'defaults' },
        spec: {
          limits: [{ type: 'Container', _default: { cpu: '300m', memory: '256Mi' }, defaultRequest: { cpu: '50m', memory: '64Mi' } }],
        },
      },
    });
    const created = await core.createNamespacedPod({ namespace: ns, body: pod('plain') });
    const resources = created.spec?.containers[0]?.resources;
    expect(resources?.limits).toEqual({ cpu: '300m', memory: '256Mi' });
    expect(resources?.requests).toEqual({ cpu: '50m', memory: '64Mi' });
    await deleteNamespace(core, ns);
  });

  it('refuses the pod that exceeds a ResourceQuota once the quota controller filled its status', async () => {
    const ns = await createTestNamespace(core, 'cp-quota');
    await core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'pods' }, spec: { hard: { pods: '1' } } } });
    await eventually(async () => {
      const q = await core.readNamespacedResourceQuota({ name: 'pods', namespace: ns });
      if (q.status?.hard?.pods !== '1') throw new Error('quota status not filled yet');
    });
    await core.createNamespacedPod({ namespace: ns, body: pod('first') });
    const second = await refusal(() => core.createNamespacedPod({ namespace: ns, body: pod('second') }));
    expect(second.status).toBe(403);
    expect(second.message).toMatch(/exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1/);
    await deleteNamespace(core, ns);
  });

  it('refuses a privileged pod in a namespace that enforces the restricted Pod Security Standard', async () => {
    const ns = await createTestNamespace(core, 'cp-psa', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const privileged = pod('privileged', {});
    const container = privileged.spec?.containers[0];
    if (container !== undefined) container.securityContext = { privileged: true };
    const refused = await refusal(() => core.createNamespacedPod({ namespace: ns, body: privileged }));
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/violates PodSecurity "restricted:latest": privileged/);
    // The same pod is admitted where nothing is enforced, so the label is what refused it.
    const open = await createTestNamespace(core, 'cp-psa-open');
    await core.createNamespacedPod({ namespace: open, body: privileged });
    await Promise.all([deleteNamespace(core, ns), deleteNamespace(core, open)]);
  });

  it('finishes deleting a namespace that holds objects (namespace controller)', async () => {
    const ns = await createTestNamespace(core, 'cp-delete');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'data' }, data: { k: 'v' } } });
    await core.createNamespacedPod({ namespace: ns, body: pod('waiting') });
    await deleteNamespaceAndWait(core, ns);
    expect((await refusal(() => core.readNamespace({ name: ns }))).status).toBe(404);
  });

  it('deletes dependents when their owner goes (garbage collector)', async () => {
    const ns = await createTestNamespace(core, 'cp-gc');
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' } } });
    const uid = owner.metadata?.uid ?? '';
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] } },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
    await eventually(async () => {
      const left = await core.listNamespacedConfigMap({ namespace: ns });
      if (left.items.some((c) => c.metadata?.name === 'dependent')) throw new Error('dependent still there');
    });
    await deleteNamespace(core, ns);
  });

  it('serves custom resources through the apiextensions apiserver', async () => {
    // A cluster-scoped read of a built-in group via the generic client: the same path the CRD tests use.
    const custom = kc.makeApiClient(CustomObjectsApi);
    const list: unknown = await custom.listClusterCustomObject({ group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices' });
    expect(JSON.stringify(list)).toContain('v1.apiextensions.k8s.io');
  });
});
