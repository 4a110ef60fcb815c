/**
 * config/default on the real apiserver: accepted, the manager's Pod admitted
 * under the restricted Pod Security Standard, and the operator doing its work
 * with nothing but its own ServiceAccount's permissions (the proof that the
 * ClusterRole is enough), while unable to read Secrets.
 */
import { loadAll } from 'js-yaml';
import { FINALIZER } from '../../src/api/constants.ts';
import { LeaderElector } from '../../src/controller/leader.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { kubectl, kubectlRun } from '../support/kubectl.ts';
import { OPERATOR_NAMESPACE as NS, installDefaultConfig, serviceAccountKubeConfig } from '../support/identity.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import {
  RESTRICTED_OBJECTS_AS_OPERATOR,
  RESTRICTED_SPEC,
  baselineManifest,
  condition,
  createBaseline,
  createNamespaces,
  defaultAutomount,
  deleteBaseline,
  labelNamespace,
  managedIn,
  readBaseline,
  readNamespace,
  timed,
  user,
  waitCompliant,
} from '../support/world.ts';

const SA = `system:serviceaccount:${NS}:kubeposture`;
let rendered: { kind: string; metadata: { name: string; namespace?: string } }[];
let op: TestOperator;

beforeAll(async () => {
  rendered = loadAll(await installDefaultConfig()) as typeof rendered;
  op = await startOperator({ operatorNamespace: NS }, await serviceAccountKubeConfig());
});
afterAll(async () => {
  await op.stop();
  user.close();
});

describe('config/default', () => {
  it('renders the expected objects, in kubeposture-system where namespaced (events aside)', () => {
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubeposture-grantable',
      'ClusterRole/kubeposture-grantable-default',
      'ClusterRole/kubeposture-grants',
      'ClusterRole/kubeposture-manager',
      'ClusterRole/kubeposture-metrics-auth',
      'ClusterRole/kubeposture-metrics-reader',
      'ClusterRole/kubeposture-reports-view',
      'ClusterRoleBinding/kubeposture-grantable',
      'ClusterRoleBinding/kubeposture-manager',
      'ClusterRoleBinding/kubeposture-metrics-auth',
      'CustomResourceDefinition/securitybaselineexceptions.kubeposture.io',
      'CustomResourceDefinition/securitybaselines.kubeposture.io',
      'Deployment/kubeposture',
      'Namespace/kubeposture-system',
      'NetworkPolicy/kubeposture',
      'Role/kubeposture-events',
      'Role/kubeposture-leader-election',
      'RoleBinding/kubeposture-events',
      'RoleBinding/kubeposture-leader-election',
      'Service/kubeposture-metrics',
      'ServiceAccount/kubeposture',
      'ValidatingAdmissionPolicy/kubeposture-exception-writers',
      'ValidatingAdmissionPolicyBinding/kubeposture-exception-writers',
    ]);
    for (const o of rendered) {
      if (['Deployment', 'NetworkPolicy', 'Service', 'ServiceAccount'].includes(o.kind)) expect(o.metadata.namespace).toBe(NS);
      // Events about cluster-scoped objects can only be written in "default"; the Lease lives at home.
      if (['Role', 'RoleBinding'].includes(o.kind)) expect(o.metadata.namespace).toBe(o.metadata.name.endsWith('-events') ? 'default' : NS);
    }
  });

  it('is accepted by the apiserver, and the manager Pod passes the restricted Pod Security Standard', async () => {
    expect((await readNamespace(NS)).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const deployment = rendered.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { metadata: unknown; spec: unknown } };
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: uniqueName('manager') }, spec: deployment.spec.template.spec };
    // A server-side dry run goes through admission, PodSecurity included, and stores nothing.
    const admitted = await user.request('POST', `/api/v1/namespaces/${NS}/pods`, { body: pod, query: { dryRun: 'All' } });
    expect((admitted as { metadata: { namespace: string } }).metadata.namespace).toBe(NS);
    const root = { ...pod, spec: { ...(pod.spec as object), securityContext: {}, containers: [{ name: 'x', image: 'x' }] } };
    await expect(user.request('POST', `/api/v1/namespaces/${NS}/pods`, { body: root, query: { dryRun: 'All' } })).rejects.toMatchObject({
      status: 403,
    });
  });
});

describe('the operator under its own ServiceAccount', () => {
  it('cannot read Secrets', async () => {
    const r = await kubectlRun('auth', 'can-i', 'get', 'secrets', '-A', `--as=${SA}`);
    expect(r.code).toBe(1);
    const asOperator = new RestClient(await serviceAccountKubeConfig());
    await expect(asOperator.request('GET', '/api/v1/secrets')).rejects.toBeInstanceOf(ApiError);
    await expect(asOperator.request('GET', '/api/v1/secrets')).rejects.toMatchObject({ status: 403 });
    asOperator.close();
  });

  it('may hold the leader Lease in its own namespace', async () => {
    const rest = new RestClient(await serviceAccountKubeConfig());
    let led = false;
    const elector = new LeaderElector(
      rest,
      { namespace: NS, name: uniqueName('lease'), identity: 'test', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 },
      systemClock,
      silentLogger,
      () => {
        led = true;
      },
      () => undefined,
    );
    elector.start();
    try {
      await eventually(async () => {
        expect(led).toBe(true);
      });
      expect(elector.isLeader).toBe(true);
    } finally {
      await elector.stop();
      rest.close();
    }
  });

  it('brings namespaces to a full baseline, with workload RBAC inside what it may grant', async () => {
    const group = uniqueName('g');
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    const namespaces = await createNamespaces('rbac', 3, { 'kp-test': group });
    await waitCompliant(name, 3);
    for (const ns of namespaces) {
      expect(await managedIn(ns)).toEqual(RESTRICTED_OBJECTS_AS_OPERATOR);
      expect((await readNamespace(ns)).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      expect(await defaultAutomount(ns)).toBe(false);
    }
    expect((await readBaseline(name))?.metadata.finalizers).toEqual([FINALIZER]);
    // Repairs, leaving scope, and cleanup on deletion, all with the same identity.
    await user.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${namespaces[0] ?? ''}/networkpolicies/kubeposture-default-deny`);
    await timed(async () => {
      expect(await managedIn(namespaces[0] ?? '')).toEqual(RESTRICTED_OBJECTS_AS_OPERATOR);
    });
    await labelNamespace(namespaces[1] ?? '', { 'kp-test': null });
    await timed(async () => {
      expect(await managedIn(namespaces[1] ?? '')).toEqual([]);
      expect(await defaultAutomount(namespaces[1] ?? '')).toBeUndefined();
    });
    await eventually(async () => {
      expect(await kubectl('get', 'events', '-n', 'default', '--field-selector', 'reason=DriftRepaired')).toContain(namespaces[0] ?? '');
    });
    await deleteBaseline(name);
    await timed(async () => {
      expect(await readBaseline(name)).toBeUndefined();
    });
    expect(await managedIn(namespaces[2] ?? '')).toEqual([]);
    // Refused only as the apiserver's RBAC cache caught up with a grantor just written: a
    // Role or RoleBinding write, sent again with success.
    const refused = op.requests.filter((r) => r.status === 403);
    for (const r of refused) {
      expect(r.path).toMatch(/\/(roles|rolebindings)$|\/(roles|rolebindings)\//);
      expect(
        op.requests.some(
          (s) => s.method === r.method && s.path === r.path && s.status < 300 && op.requests.indexOf(s) > op.requests.indexOf(r),
        ),
      ).toBe(true);
    }
  });

  it('says in status when a baseline asks it to grant more than it may', async () => {
    const group = uniqueName('g');
    const name = await createBaseline(
      baselineManifest(group, {
        serviceAccounts: { workloads: [{ name: 'greedy', rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] }] },
      }),
    );
    const [ns = ''] = await createNamespaces('greedy', 1, { 'kp-test': group });
    await timed(async () => {
      const b = await readBaseline(name);
      expect(condition(b, 'Ready')).toMatchObject({ status: 'False', reason: 'ReconcileFailed' });
      expect(condition(b, 'Ready')?.message).toContain(`${ns} (create Role/kubeposture-greedy`);
      expect(condition(b, 'Ready')?.message).toContain('attempting to grant RBAC permissions not currently held');
    }, 20_000);
    expect(await managedIn(ns)).not.toContain('Role/kubeposture-greedy');
    await deleteBaseline(name);
  });
});
