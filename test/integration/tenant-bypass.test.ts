/**
 * A namespace admin (the built-in `admin` ClusterRole, bound in their namespace;
 * impersonated) trying to switch kubeposture off, with the operator running under
 * its own ServiceAccount. Each case is a bypass issue 13 found in an earlier
 * release: ownership that could be flushed or forged, a finalizer pinned by a
 * label, a namespace frozen by a label, and a RoleBinding bound to the tenant's Role.
 */
import { LABEL_BASELINE, LABEL_MANAGED_BY, MANAGED_BY_VALUE, NAME_DEFAULT_DENY } from '../../src/api/constants.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { uniqueName } from '../support/cluster.ts';
import { withoutGrantRules } from '../support/crd.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import type { TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  condition,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  managedIn,
  readBaseline,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

type Policy = WireObject & { spec: { ingress?: unknown[]; podSelector?: unknown } };

let op: TestOperator;
const start = async (): Promise<TestOperator> => startAsOperator({ conflictRecheckMs: 500 });
beforeAll(async () => {
  await installDefaultConfig();
  op = await start();
});
afterAll(async () => {
  await op.stop();
});

/** A governed namespace and a namespace admin of it. */
async function governed(
  prefix: string,
  spec: Record<string, unknown> = RESTRICTED_SPEC,
): Promise<{ ns: string; baseline: string; tenant: RestClient }> {
  const group = uniqueName('g');
  const [ns = ''] = await createNamespaces(prefix, 1, { 'kp-test': group });
  const tenant = (await namespaceAdmin(ns)).client;
  const baseline = await createBaseline(baselineManifest(group, spec));
  await waitReady(baseline, 30_000);
  return { ns, baseline, tenant };
}

/** Creates an object as `as`: a tenant writes whatever metadata they like. */
const post = async (
  as: RestClient,
  kind: ResourceKind,
  obj: { readonly metadata: WireObject['metadata'] } & Record<string, unknown>,
): Promise<WireObject> => as.create(kind, obj, 'tenant');

const defaultDeny = async (ns: string): Promise<Policy> => (await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy;

/** Opens the default-deny to everyone and strips it of everything that said it is kubeposture's. */
async function openAndStrip(tenant: RestClient, ns: string): Promise<string> {
  const live = await defaultDeny(ns);
  await tenant.jsonPatch('NetworkPolicy', ns, NAME_DEFAULT_DENY, [
    { op: 'replace', path: '/metadata/labels', value: { mine: 'now' } },
    { op: 'replace', path: '/metadata/ownerReferences', value: [] },
    { op: 'add', path: '/spec/ingress', value: [{}] },
  ]);
  return live.metadata.uid ?? '';
}

async function expectRepaired(ns: string, uid: string): Promise<void> {
  await timed(async () => {
    const np = await defaultDeny(ns);
    expect(np.metadata.uid).toBe(uid);
    expect(np.spec.ingress ?? []).toEqual([]);
    expect(np.metadata.labels?.[LABEL_MANAGED_BY]).toBe(MANAGED_BY_VALUE);
  }, 15_000);
}

describe('ownership a tenant cannot flush or forge', () => {
  it("repairs its stripped default-deny after the tenant created hundreds of objects claiming to be kubeposture's", async () => {
    const { ns, baseline, tenant } = await governed('flush');
    const claim = (await defaultDeny(ns)).metadata;
    // Decoys with kubeposture's labels and a copy of its controller ownerReference.
    for (let i = 0; i < 150; i++) {
      await post(tenant, 'NetworkPolicy', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `decoy-${String(i)}`, namespace: ns, labels: claim.labels ?? {}, ownerReferences: claim.ownerReferences ?? [] },
        spec: { podSelector: { matchLabels: { none: 'x' } }, policyTypes: ['Ingress'] },
      });
    }
    await op.controller.settle();
    const uid = await openAndStrip(tenant, ns);
    await expectRepaired(ns, uid);
    // The decoys are not kubeposture's: not deleted, not counted.
    const list = (await user.request('GET', resourcePath('NetworkPolicy', ns))) as { items: WireObject[] };
    expect(list.items.filter((p) => p.metadata.name.startsWith('decoy-'))).toHaveLength(150);
    await deleteBaseline(baseline);
  });

  it('still knows its objects after a restart: what proves ownership is recorded on the Namespace', async () => {
    const { ns, baseline, tenant } = await governed('restart');
    await op.controller.settle();
    await op.stop();
    const uid = await openAndStrip(tenant, ns);
    op = await start();
    await expectRepaired(ns, uid);
    await deleteBaseline(baseline);
  });

  it("does not take over a tenant's object at its name that claims to be kubeposture's, once the namespace is recorded", async () => {
    const { ns, baseline, tenant } = await governed('forged');
    const live = await defaultDeny(ns);
    // While no operator runs, so that it does not re-create its own in between.
    await op.controller.settle();
    await op.stop();
    await tenant.delete('NetworkPolicy', ns, NAME_DEFAULT_DENY, live.metadata.uid ?? '');
    const forged = await post(tenant, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: NAME_DEFAULT_DENY,
        namespace: ns,
        labels: live.metadata.labels ?? {},
        ownerReferences: live.metadata.ownerReferences ?? [],
      },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
    });
    op = await start();
    await timed(async () => {
      const b = await readBaseline(baseline);
      expect((b?.status?.drift ?? []).filter((d) => d.namespace === ns).map((d) => `${d.kind}/${d.name} ${d.reason}`)).toEqual([
        `NetworkPolicy/${NAME_DEFAULT_DENY} Conflict`,
      ]);
    }, 15_000);
    expect((await defaultDeny(ns)).metadata.uid).toBe(forged.metadata.uid);
    await deleteBaseline(baseline);
    // Reported, never touched: not deleted with the baseline either.
    expect((await defaultDeny(ns)).metadata.uid).toBe(forged.metadata.uid);
  });
});

describe('decisions that rest on nothing a tenant can write', () => {
  it('deletes a baseline although the tenant labelled an object of theirs as its, and leaves that object alone', async () => {
    const { ns, baseline, tenant } = await governed('pin');
    await post(tenant, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'pinned', namespace: ns, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_BASELINE]: baseline } },
    });
    await deleteBaseline(baseline);
    await timed(async () => {
      expect(await readBaseline(baseline)).toBeUndefined();
    }, 20_000);
    expect(await user.get('ServiceAccount', ns, 'pinned')).toBeDefined();
  });

  it("is not frozen by a label naming a Stalled baseline: the tenant's opened default-deny is repaired", async () => {
    const { ns, baseline, tenant } = await governed('freeze');
    const stalled = await createBaseline(
      baselineManifest(uniqueName('nobody'), { limitRange: { limits: [{ type: 'Container', default: { cpu: '3' }, max: { cpu: '2' } }] } }),
    );
    await post(tenant, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'freezer', namespace: ns, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_BASELINE]: stalled } },
    });
    await op.controller.settle();
    const uid = (await defaultDeny(ns)).metadata.uid ?? '';
    await tenant.jsonPatch('NetworkPolicy', ns, NAME_DEFAULT_DENY, [{ op: 'add', path: '/spec/ingress', value: [{}] }]);
    await expectRepaired(ns, uid);
    await deleteBaseline(stalled);
    await deleteBaseline(baseline);
  });
});

describe("RoleBindings bind only what is kubeposture's", () => {
  it('does not bind its Role to a ServiceAccount the tenant created first, and reports the binding Blocked', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('squat', 1, { 'kp-test': group });
    const tenant = (await namespaceAdmin(ns)).client;
    await post(tenant, 'ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } });
    const baseline = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await timed(async () => {
      const b = await readBaseline(baseline);
      const mine = (b?.status?.drift ?? [])
        .filter((d) => d.namespace === ns)
        .map((d) => `${d.kind}/${d.name} ${d.reason}`)
        .sort();
      expect(mine).toEqual(['RoleBinding/kubeposture-app Blocked', 'ServiceAccount/app Conflict']);
    }, 20_000);
    expect(await user.get('RoleBinding', ns, 'kubeposture-app')).toBeUndefined();
    await deleteBaseline(baseline);
  });

  it('removes its RoleBinding when the tenant replaces its Role with their own', async () => {
    const { ns, baseline, tenant } = await governed('swap');
    const role = await user.get('Role', ns, 'kubeposture-app');
    if (role === undefined) throw new Error('kubeposture made no Role kubeposture-app');
    await op.controller.settle();
    await op.stop();
    await tenant.delete('Role', ns, 'kubeposture-app', role.metadata.uid ?? '');
    await post(tenant, 'Role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kubeposture-app', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    });
    op = await start();
    await timed(async () => {
      expect(await user.get('RoleBinding', ns, 'kubeposture-app')).toBeUndefined();
      const b = await readBaseline(baseline);
      const mine = (b?.status?.drift ?? [])
        .filter((d) => d.namespace === ns)
        .map((d) => `${d.kind}/${d.name} ${d.reason}`)
        .sort();
      expect(mine).toEqual(['Role/kubeposture-app Conflict', 'RoleBinding/kubeposture-app Blocked']);
    }, 20_000);
    await deleteBaseline(baseline);
  });
});

describe('a baseline cannot undermine itself', () => {
  // The CRD refuses such a baseline at admission (test/integration/crd-grants.test.ts); one
  // stored before the CRD did (an earlier release) stays, and only the validator catches it.
  it('is Stalled, naming the field, when its workload rules would grant write on what it enforces; nothing is written', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('self', 1, { 'kp-test': group });
    const baseline = await withoutGrantRules(kc, async () =>
      createBaseline(
        baselineManifest(group, {
          serviceAccounts: {
            workloads: [
              { name: 'app', rules: [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'patch'] }] },
            ],
          },
        }),
      ),
    );
    await timed(async () => {
      const stalled = condition(await readBaseline(baseline), 'Stalled');
      expect(stalled?.status).toBe('True');
      expect(stalled?.message).toContain(
        'spec.serviceAccounts.workloads[0].rules[0].verbs: grants "patch" on networking.k8s.io/networkpolicies',
      );
    }, 15_000);
    await op.controller.settle();
    expect(await managedIn(ns)).toEqual([]);
    await deleteBaseline(baseline);
  });
});
