/**
 * What the operator's own token may read (issue 13, class 8), judged by the apiserver:
 * `kubectl auth can-i` as its ServiceAccount. It holds what baselines may grant
 * (ClusterRole kubeposture-grants) only in namespaces whose baseline grants workload
 * rules, through the grantor RoleBinding it manages there; nowhere else, kube-system
 * included. The cluster starts with the previous release's RBAC (the grants held
 * cluster-wide), and config/default applied over it, as an upgrade does.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRANTS_CLUSTER_ROLE, NAME_GRANTOR } from '../../src/api/constants.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { kubectl, kubectlRun } from '../support/kubectl.ts';
import { installDefaultConfig, OPERATOR_NAMESPACE, startAsOperator } from '../support/identity.ts';
import type { TestOperator } from '../support/operator.ts';
import {
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  labelNamespace,
  managedIn,
  patchBaselineSpec,
  timed,
  user,
  waitCompliant,
} from '../support/world.ts';

const OPERATOR = `system:serviceaccount:${OPERATOR_NAMESPACE}:kubeposture`;

/** The previous release's config/rbac grant: every grantable permission, cluster-wide. */
const PREVIOUS_RELEASE = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kubeposture-grantable}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {kubeposture.io/aggregate-to-grantable: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kubeposture-grantable-default
  labels: {kubeposture.io/aggregate-to-grantable: "true"}
rules:
  - apiGroups: [""]
    resources: [configmaps, pods, pods/log, services, endpoints, persistentvolumeclaims, events]
    verbs: [get, list, watch]
---
apiVersion: v1
kind: Namespace
metadata: {name: ${OPERATOR_NAMESPACE}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: kubeposture, namespace: ${OPERATOR_NAMESPACE}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kubeposture-grantable}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubeposture-grantable}
subjects: [{kind: ServiceAccount, name: kubeposture, namespace: ${OPERATOR_NAMESPACE}}]
`;

/** `kubectl auth can-i` as `who`: true for yes, false for no. */
async function canI(who: string, verb: string, resource: string, namespace: string): Promise<boolean> {
  const r = await kubectlRun('auth', 'can-i', verb, resource, '-n', namespace, `--as=${who}`);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kubectl auth can-i exited ${String(r.code)}: ${r.stderr}`);
  return r.code === 0;
}

/** Waits until the apiserver's authorizer (an informer cache) answers `want`. */
async function expectCan(who: string, verb: string, resource: string, namespace: string, want: boolean): Promise<void> {
  await eventually(async () => {
    expect({ who, verb, resource, namespace, allowed: await canI(who, verb, resource, namespace) }).toEqual({
      who,
      verb,
      resource,
      namespace,
      allowed: want,
    });
  }, 10_000);
}

type Binding = WireObject & { roleRef: { kind: string; name: string }; subjects?: { kind: string; name: string; namespace?: string }[] };

async function grantorIn(namespace: string): Promise<Binding | undefined> {
  return (await user.get('RoleBinding', namespace, NAME_GRANTOR)) as Binding | undefined;
}

/** What the default networkPolicy section makes, beside the objects under test. */
const NPS = ['NetworkPolicy/kubeposture-allow-dns', 'NetworkPolicy/kubeposture-default-deny'];
const READ_PODS = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }];
const group = uniqueName('g');
let op: TestOperator;
let granting = '';
let withoutRules = '';
let plain = '';
let grants = '';
let nothing = '';

beforeAll(async () => {
  const file = join(tmpdir(), `${uniqueName('previous-rbac')}.yaml`);
  writeFileSync(file, PREVIOUS_RELEASE);
  await kubectl('apply', '--server-side', '--force-conflicts', '-f', file);
  await expectCan(OPERATOR, 'get', 'pods/log', 'kube-system', true);
  await installDefaultConfig();
  op = await startAsOperator();
  // One baseline granting workload rules; one whose workload gets none.
  [granting = ''] = await createNamespaces('grants', 1, { 'kp-test': group, 'kp-grants': 'yes' });
  [withoutRules = ''] = await createNamespaces('norules', 1, { 'kp-test': group, 'kp-grants': 'no' });
  [plain = ''] = await createNamespaces('plain', 1, {});
  const selecting = (grants: string): Record<string, unknown> => ({
    namespaceSelector: { matchLabels: { 'kp-test': group, 'kp-grants': grants } },
  });
  grants = await createBaseline(
    baselineManifest(group, { ...selecting('yes'), serviceAccounts: { workloads: [{ name: 'reader', rules: READ_PODS }] } }),
  );
  nothing = await createBaseline(baselineManifest(group, { ...selecting('no'), serviceAccounts: { workloads: [{ name: 'idle' }] } }));
  await waitCompliant(grants, 1);
  await waitCompliant(nothing, 1);
});
afterAll(async () => {
  await op.stop();
  await deleteBaseline(grants);
  await deleteBaseline(nothing);
  user.close();
});

describe("the operator's own token, after config/default is applied over the previous release", () => {
  it.each([
    ['get', 'pods/log', 'kube-system'],
    ['get', 'pods', 'kube-system'],
    ['list', 'pods', 'kube-system'],
    ['get', 'configmaps', 'kube-system'],
    ['list', 'configmaps', 'default'],
    ['get', 'pods', OPERATOR_NAMESPACE],
  ])('may not %s %s in %s', async (verb, resource, namespace) => {
    await expectCan(OPERATOR, verb, resource, namespace, false);
  });

  it('may not read pods, logs or ConfigMaps in governed namespaces whose baseline grants nothing, nor in others', async () => {
    expect(await managedIn(withoutRules)).toEqual([...NPS, 'ServiceAccount/idle']);
    for (const ns of [withoutRules, plain]) {
      for (const resource of ['pods', 'pods/log', 'configmaps']) await expectCan(OPERATOR, 'get', resource, ns, false);
    }
  });

  it('may bind the grants ClusterRole, which nothing binds cluster-wide', async () => {
    expect(await canI(OPERATOR, 'bind', `clusterroles/${GRANTS_CLUSTER_ROLE}`, 'kube-system')).toBe(true);
    expect(await canI(OPERATOR, 'escalate', 'roles', 'kube-system')).toBe(false);
    const bindings = (await user.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings')) as { items: Binding[] };
    expect(bindings.items.filter((b) => b.roleRef.name === GRANTS_CLUSTER_ROLE)).toEqual([]);
  });
});

describe('a baseline granting `get pods` to a workload ServiceAccount', () => {
  it('works end to end, through a grantor RoleBinding in that namespace only', async () => {
    expect(await managedIn(granting)).toEqual([
      ...NPS,
      'Role/kubeposture-reader',
      'RoleBinding/kubeposture-reader',
      `RoleBinding/${NAME_GRANTOR}`,
      'ServiceAccount/reader',
    ]);
    await expectCan(`system:serviceaccount:${granting}:reader`, 'get', 'pods', granting, true);
    await expectCan(`system:serviceaccount:${granting}:reader`, 'get', 'pods', withoutRules, false);
    await expectCan(OPERATOR, 'get', 'pods', granting, true);
    const grantor = await grantorIn(granting);
    expect(grantor?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: GRANTS_CLUSTER_ROLE });
    expect(grantor?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubeposture', namespace: OPERATOR_NAMESPACE }]);
    expect(grantor?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': grants });
  });
});

describe('a namespace admin and the grantor', () => {
  const tenant = uniqueName('tenant');
  const as = `--as=${tenant}`;

  beforeAll(async () => {
    await kubectl('create', 'rolebinding', 'tenant-admin', '-n', granting, '--clusterrole=admin', `--user=${tenant}`);
    await expectCan(tenant, 'delete', 'rolebindings', granting, true);
  });

  it('deleting it, and editing the workload Role, are repaired: the grantor first, then the Role', async () => {
    const before = await grantorIn(granting);
    await kubectl(
      'patch',
      'role',
      'kubeposture-reader',
      '-n',
      granting,
      as,
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/rules/0/verbs","value":["get"]}]',
    );
    await kubectl('delete', 'rolebinding', NAME_GRANTOR, '-n', granting, as);
    await timed(async () => {
      const after = await grantorIn(granting);
      expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
      expect(after?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubeposture', namespace: OPERATOR_NAMESPACE }]);
      const role = (await user.get('Role', granting, 'kubeposture-reader')) as WireObject & { rules: unknown[] };
      expect(role.rules).toEqual(READ_PODS);
    });
  });

  it('adding themselves to it gains nothing they did not hold, and is repaired', async () => {
    // RBAC lets them write only what they hold: admin reads pods here already.
    await kubectl(
      'patch',
      'rolebinding',
      NAME_GRANTOR,
      '-n',
      granting,
      as,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/subjects/-', value: { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: tenant } }]),
    );
    await timed(async () => {
      expect((await grantorIn(granting))?.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'kubeposture', namespace: OPERATOR_NAMESPACE },
      ]);
    });
  });
});

describe('when no workload rules remain', () => {
  it('the grantor goes, after the Role, and the operator reads nothing there any more', async () => {
    await patchBaselineSpec(grants, { serviceAccounts: { workloads: [{ name: 'reader' }] } });
    await timed(async () => {
      expect(await managedIn(granting)).toEqual([...NPS, 'ServiceAccount/reader']);
    });
    await expectCan(OPERATOR, 'get', 'pods', granting, false);
  });

  it('under deletionPolicy Orphan, the released Role and RoleBinding stay and the grantor still goes', async () => {
    await patchBaselineSpec(grants, { deletionPolicy: 'Orphan', serviceAccounts: { workloads: [{ name: 'reader', rules: READ_PODS }] } });
    await timed(async () => {
      expect(await managedIn(granting)).toContain(`RoleBinding/${NAME_GRANTOR}`);
    });
    await waitCompliant(grants, 1);
    await labelNamespace(granting, { 'kp-grants': null });
    await timed(async () => {
      expect(await managedIn(granting)).toEqual([]);
    });
    // Releasing a Role is an update, checked against what the writer holds: done before the grantor went.
    expect(((await user.get('Role', granting, 'kubeposture-reader')) as WireObject & { rules: unknown[] }).rules).toEqual(READ_PODS);
    expect(await grantorIn(granting)).toBeUndefined();
    await expectCan(OPERATOR, 'get', 'pods', granting, false);
    await expectCan(`system:serviceaccount:${granting}:reader`, 'get', 'pods', granting, true);
  });
});
