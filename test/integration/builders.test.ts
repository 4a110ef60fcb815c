/**
 * Every object the builders produce is accepted by the real apiserver
 * (server-side dry-run, then server-side apply with kubeposture's field
 * manager), and reading it back and comparing it with the builder's output,
 * through the normalisation rules, finds no difference.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FIELD_MANAGER, GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { desiredObjects } from '../../src/baseline/build.ts';
import type { Desired, ManagedObject } from '../../src/baseline/objects.ts';
import { compareObject } from '../../src/drift/compare.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { baselineOf, restrictedManifest } from '../support/baselines.ts';
import { createTestNamespace, deleteNamespace, testKubeConfig, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rest = new RestClient(kc, { userAgent: 'kubeposture-tests' });
const custom = kc.makeApiClient(CustomObjectsApi);

/** Creates the baseline in the cluster and returns it parsed, with its real uid. */
async function createBaseline(manifest: Record<string, unknown>): Promise<SecurityBaseline> {
  const created = (await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body: manifest })) as {
    metadata: { uid: string };
  };
  return baselineOf(manifest, created.metadata.uid);
}

async function applyAll(desired: readonly Desired[], dryRun: boolean): Promise<void> {
  for (const d of desired) {
    await rest.apply(d.object.kind, d.object, { fieldManager: FIELD_MANAGER, force: true, dryRun });
  }
}

async function readBack(o: ManagedObject): Promise<unknown> {
  return rest.get(o.kind, 'namespace' in o.metadata ? o.metadata.namespace : undefined, o.metadata.name);
}

const variants: readonly [string, (name: string) => Record<string, unknown>][] = [
  ['the DESIGN.md example', (name) => restrictedManifest(name)],
  [
    'same-namespace traffic, ingress only, several workloads and limit types',
    (name) => ({
      ...restrictedManifest(name),
      spec: {
        networkPolicy: { denyEgress: false, allowSameNamespace: true },
        limitRange: {
          limits: [
            { type: 'Container', max: { cpu: '2000m', memory: '1Gi' }, min: { cpu: '10m' } },
            { type: 'Pod', max: { cpu: '4' } },
            { type: 'PersistentVolumeClaim', max: { storage: '10Gi' }, min: { storage: '1Gi' } },
          ],
        },
        resourceQuota: { hard: { 'requests.cpu': '1000m', 'limits.memory': '1024Mi', 'count/deployments.apps': 3 } },
        serviceAccounts: {
          disableDefaultTokenMount: true,
          workloads: [
            { name: 'reader', rules: [{ apiGroups: ['', 'apps'], resources: ['pods', 'deployments'], verbs: ['get', 'list'] }] },
            {
              name: 'writer',
              automountServiceAccountToken: true,
              rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['update'] }],
            },
            { name: 'idle' },
          ],
        },
        podSecurity: { enforce: 'baseline', enforceVersion: 'v1.34', warn: 'restricted' },
      },
    }),
  ],
];

describe('desired objects on the real apiserver', () => {
  beforeAll(async () => {
    await installCrd(kc);
  });
  afterAll(() => {
    rest.close();
  });

  it.each(variants)('accepts and stores %s exactly as built (after its defaulting)', async (_name, manifest) => {
    const baseline = await createBaseline(manifest(uniqueName('builders')));
    const ns = await createTestNamespace(core, 'builders');
    const desired = desiredObjects(baseline, ns);
    expect(desired.length).toBeGreaterThan(5);

    await applyAll(desired, true);
    // A dry run persists nothing.
    const np = desired[0]?.object;
    if (np === undefined) throw new Error('nothing built');
    expect(await readBack(np)).toBeUndefined();

    await applyAll(desired, false);
    for (const d of desired) {
      const live = await readBack(d.object);
      expect({ object: `${d.object.kind}/${d.object.metadata.name}`, diff: compareObject(d.object, live) }).toEqual({
        object: `${d.object.kind}/${d.object.metadata.name}`,
        diff: [],
      });
    }
    await deleteNamespace(core, ns);
    await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: baseline.metadata.name });
  });

  it('finds the difference when the stored object is changed behind its back', async () => {
    const baseline = await createBaseline(restrictedManifest(uniqueName('builders')));
    const ns = await createTestNamespace(core, 'builders-drift');
    const desired = desiredObjects(baseline, ns);
    await applyAll(desired, false);
    const quota = desired.find((d) => d.object.kind === 'ResourceQuota')?.object;
    if (quota === undefined) throw new Error('no quota built');
    await core.patchNamespacedResourceQuota({
      name: quota.metadata.name,
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/hard/pods', value: '500' }],
    });
    expect(compareObject(quota, await readBack(quota))).toEqual(['spec.hard.pods']);
    await deleteNamespace(core, ns);
    await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: baseline.metadata.name });
  });
});
