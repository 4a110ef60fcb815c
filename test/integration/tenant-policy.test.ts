/**
 * config/policy on the real apiserver: the ValidatingAdmissionPolicy
 * kubeposture-selector-labels stops a tenant who may update their own Namespace
 * from adding, changing or removing the labels a SecurityBaseline selects on,
 * and leaves every other label, and the exempt admins, alone.
 *
 * The tenant is a user the test impersonates (the test kubeconfig is in
 * system:masters), granted get/update/patch on their own Namespace, and on its
 * status subresource (which can change labels too), by a Role in it.
 */
import { spawn } from 'node:child_process';
import { loadAll } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP, VERSION } from '../../src/api/constants.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { createTestNamespace, deleteNamespace, eventually, refusal, statusOf, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { kubectl } from '../support/kubectl.ts';
import { impersonating } from '../support/tenant.ts';
import { core, createBaseline, deleteBaseline, kc, readNamespace, user } from '../support/world.ts';
import { errorMessage } from '../../src/lib/errors.ts';

const POLICY = 'kubeposture-selector-labels';
const RECORDS = 'kubeposture-namespace-records';
const GUARD_PROBE = 'kubeposture-guard-probe';
const TAMPER_PROBE = 'kubeposture-tamper-probe';
const POLICIES = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const BINDINGS = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
const OPERATOR_SA = 'system:serviceaccount:kubeposture-system:kubeposture';
const LABELERS = 'kubeposture:namespace-labelers';

const tenantName = uniqueName('tenant');
const tenant = impersonating(tenantName);
const labeler = impersonating(uniqueName('platform-admin'), [LABELERS]);
const operator = impersonating(OPERATOR_SA);
const team = uniqueName('payments');
let ns = '';
let bare = '';
let baseline = '';
/** A baseline with no selector (it selects every namespace, on no label): the policy must let all through for it. */
let everywhere = '';

type Labels = Record<string, string | null>;

async function setLabels(as: RestClient, namespace: string, labels: Labels, subresource?: 'status'): Promise<void> {
  await as.mergePatch('Namespace', undefined, namespace, { metadata: { labels } }, subresource);
}

/** The same change with dryRun=All: admission runs, nothing is stored. */
async function tryLabels(as: RestClient, namespace: string, labels: Labels): Promise<void> {
  await as.request('PATCH', resourcePath('Namespace', undefined, namespace), {
    body: { metadata: { labels } },
    contentType: 'application/merge-patch+json',
    query: { dryRun: 'All' },
  });
}

async function labelsOf(namespace: string): Promise<Record<string, string>> {
  return (await readNamespace(namespace)).metadata.labels ?? {};
}

/** The policy's own message for a denied change of `keys` (as the messageExpression builds it). */
function denialOf(keys: readonly string[]): string {
  const quoted = keys.map((k) => `"${k}"`).join(', ');
  const [subject, pronoun] = keys.length === 1 ? [`label ${quoted} selects`, 'it'] : [`labels ${quoted} select`, 'them'];
  return `${subject} namespaces for SecurityBaseline "${baseline}"; only cluster admins may add, change or remove ${pronoun}`;
}

async function expectDenied(change: () => Promise<unknown>, keys: readonly string[]): Promise<void> {
  const r = await refusal(change);
  expect(r).toEqual({
    status: 403,
    message: expect.stringContaining(
      `ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: ${denialOf(keys)}`,
    ) as unknown,
  });
}

/** A Role in `namespace` that lets its subjects get, update and patch that Namespace (and its status). */
async function grantNamespaceUpdate(namespace: string): Promise<void> {
  const rbac = 'rbac.authorization.k8s.io';
  const role = {
    apiVersion: `${rbac}/v1`,
    kind: 'Role',
    metadata: { name: 'namespace-editor', namespace },
    rules: [
      { apiGroups: [''], resources: ['namespaces', 'namespaces/status'], resourceNames: [namespace], verbs: ['get', 'update', 'patch'] },
    ],
  };
  const binding = {
    apiVersion: `${rbac}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'namespace-editor', namespace },
    roleRef: { apiGroup: rbac, kind: 'Role', name: 'namespace-editor' },
    subjects: [
      { apiGroup: rbac, kind: 'User', name: tenantName },
      { apiGroup: rbac, kind: 'Group', name: LABELERS },
      { kind: 'ServiceAccount', name: 'kubeposture', namespace: 'kubeposture-system' },
    ],
  };
  await user.create('Role', role, 'kubeposture-tests');
  await user.create('RoleBinding', binding, 'kubeposture-tests');
}

interface PolicyStatus {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: { fieldRef: string; warning: string }[] } };
}

/**
 * The controller-manager's type checker for admission policies (the test control plane
 * does not run it): started on its own against the test apiserver for `fn`, then stopped.
 */
async function withPolicyTypeChecker<T>(fn: () => Promise<T>): Promise<T> {
  const file = process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '';
  const child = spawn(
    'kube-controller-manager',
    [`--kubeconfig=${file}`, '--leader-elect=false', '--secure-port=0', '--controllers=validatingadmissionpolicy-status-controller'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (c: Buffer) => {
    log = (log + c.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  try {
    return await fn();
  } catch (err: unknown) {
    throw new Error(`${errorMessage(err)}\nkube-controller-manager (type checker) log tail:\n${log}`, { cause: err });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Waits until the type checker has looked at the current generation of `name`; returns its warnings. */
async function typeCheckWarnings(name: string): Promise<{ fieldRef: string; warning: string }[]> {
  return eventually(
    async () => {
      const p = (await user.request('GET', `${POLICIES}/${name}`)) as PolicyStatus;
      const checked = p.status?.typeChecking !== undefined && p.status.observedGeneration === p.metadata.generation;
      if (!checked) throw new Error(`${name} not type checked yet: ${JSON.stringify(p.status)}`);
      return p.status?.typeChecking?.expressionWarnings ?? [];
    },
    60_000,
    200,
  );
}

async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err: unknown) {
    if (statusOf(err) !== 404) throw err;
  }
}

beforeAll(async () => {
  await installCrd(kc);
  ns = await createTestNamespace(core, 'tenant', { team, env: 'prod' });
  bare = await createTestNamespace(core, 'tenant-bare');
  await grantNamespaceUpdate(ns);
  await grantNamespaceUpdate(bare);
  const manifest = (spec: Record<string, unknown>): Record<string, unknown> => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'SecurityBaseline',
    metadata: { name: uniqueName('sb') },
    spec: { mode: 'Audit', ...spec },
  });
  baseline = await createBaseline(
    manifest({
      namespaceSelector: { matchLabels: { team }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
    }),
  );
  everywhere = await createBaseline(manifest({}));
});

afterAll(async () => {
  await kubectl('delete', '--ignore-not-found', '-k', 'config/policy');
  for (const b of [baseline, everywhere]) if (b !== '') await ignoreNotFound(() => deleteBaseline(b));
  await ignoreNotFound(() => user.request('DELETE', `${POLICIES}/${POLICY}-probe`));
  await ignoreNotFound(() => user.request('DELETE', `${POLICIES}/${GUARD_PROBE}`));
  await ignoreNotFound(() => user.request('DELETE', `${POLICIES}/${TAMPER_PROBE}`));
  for (const n of [ns, bare]) if (n !== '') await deleteNamespace(core, n);
  for (const c of [tenant, labeler, operator]) c.close();
  user.close();
});

describe('config/policy: the selector labels of SecurityBaselines', () => {
  it('renders exactly two policies and their bindings, named kubeposture-selector-labels and kubeposture-namespace-records', async () => {
    const docs = loadAll(await kubectl('kustomize', 'config/policy')) as { kind: string; metadata: { name: string } }[];
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      `ValidatingAdmissionPolicy/${RECORDS}`,
      `ValidatingAdmissionPolicy/${POLICY}`,
      `ValidatingAdmissionPolicyBinding/${RECORDS}`,
      `ValidatingAdmissionPolicyBinding/${POLICY}`,
    ]);
  });

  it('without the policy, the tenant can change a selector label', async () => {
    await setLabels(tenant, ns, { team: 'elsewhere' });
    expect((await labelsOf(ns)).team).toBe('elsewhere');
    await setLabels(tenant, ns, { team });
    expect((await labelsOf(ns)).team).toBe(team);
  });

  it('once installed, denies the tenant any change to a selected label key, naming the label and the baseline', async () => {
    await kubectl('apply', '-k', 'config/policy');
    // The apiserver loads policies and their parameters asynchronously.
    await eventually(
      async () => {
        await expectDenied(() => tryLabels(tenant, ns, { team: null }), ['team']);
      },
      30_000,
      200,
    );

    await expectDenied(() => setLabels(tenant, ns, { team: null }), ['team']);
    await expectDenied(() => setLabels(tenant, ns, { team: 'elsewhere' }), ['team']);
    await expectDenied(() => setLabels(tenant, ns, { env: null }), ['env']);
    await expectDenied(() => setLabels(tenant, ns, { env: 'staging' }), ['env']);
    // Through the status subresource, which changes labels as well.
    await expectDenied(() => setLabels(tenant, ns, { team: 'elsewhere' }, 'status'), ['team']);
    // Moving into a baseline's scope is as guarded as moving out.
    await expectDenied(() => setLabels(tenant, bare, { team }), ['team']);
    await expectDenied(() => setLabels(tenant, bare, { team, env: 'prod' }), ['team', 'env']);
    expect(await labelsOf(ns)).toMatchObject({ team, env: 'prod' });
    expect(await labelsOf(bare)).not.toHaveProperty('team');
  });

  it('lets the tenant add and change other labels', async () => {
    await setLabels(tenant, ns, { app: 'web' });
    await setLabels(tenant, ns, { app: 'api' });
    await setLabels(tenant, bare, { app: 'web' });
    expect(await labelsOf(ns)).toMatchObject({ team, env: 'prod', app: 'api' });
    expect((await labelsOf(bare)).app).toBe('web');
  });

  it('lets cluster admins, the namespace-labelers group and kubeposture itself change selected labels', async () => {
    await setLabels(user, ns, { team: 'by-admin' });
    expect((await labelsOf(ns)).team).toBe('by-admin');
    await setLabels(labeler, ns, { team: 'by-labeler' });
    expect((await labelsOf(ns)).team).toBe('by-labeler');
    await setLabels(operator, ns, { team });
    expect((await labelsOf(ns)).team).toBe(team);
  });

  it("reports no type-checking warnings for any of kubeposture's policies, where the checker does flag a broken copy", async () => {
    const policyIn = (file: string): { kind: string; metadata: { name: string }; spec: { validations: unknown[] } } => {
      const docs = loadAll(readFileSync(file, 'utf8')) as { kind: string; metadata: { name: string }; spec: { validations: unknown[] } }[];
      const found = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy');
      if (found === undefined) throw new Error(`no ValidatingAdmissionPolicy in ${file}`);
      return found;
    };
    const policy = policyIn('config/policy/selector-labels.yaml');
    // The guard's policy, unbound (so never enforced here), under another name.
    const guard = policyIn('config/guard/pods.yaml');
    await user.request('POST', POLICIES, { body: { ...guard, metadata: { name: GUARD_PROBE } } });
    const tamper = policyIn('config/guard/tamper.yaml');
    await user.request('POST', POLICIES, { body: { ...tamper, metadata: { name: TAMPER_PROBE } } });
    // Same policy, no binding (so never enforced), plus an expression on a field the schema lacks.
    const broken = {
      ...policy,
      metadata: { name: `${POLICY}-probe` },
      spec: {
        ...policy.spec,
        validations: [...policy.spec.validations, { expression: "params.spec.namespaceSelector.matchLabelz == {'a': 'b'}" }],
      },
    };
    await user.request('POST', POLICIES, { body: broken });
    const [ours, records, guarding, tampering, theirs] = await withPolicyTypeChecker(() =>
      Promise.all([
        typeCheckWarnings(POLICY),
        typeCheckWarnings(RECORDS),
        typeCheckWarnings(GUARD_PROBE),
        typeCheckWarnings(TAMPER_PROBE),
        typeCheckWarnings(`${POLICY}-probe`),
      ]),
    );
    expect(ours).toEqual([]);
    expect(records).toEqual([]);
    expect(guarding).toEqual([]);
    expect(tampering).toEqual([]);
    expect(theirs.map((w) => w.fieldRef)).toEqual([`spec.validations[${String(policy.spec.validations.length)}].expression`]);
    expect(theirs[0]?.warning).toContain("undefined field 'matchLabelz'");
    await user.request('DELETE', `${POLICIES}/${POLICY}-probe`);
    await user.request('DELETE', `${POLICIES}/${GUARD_PROBE}`);
    await user.request('DELETE', `${POLICIES}/${TAMPER_PROBE}`);
  });

  it('allows the tenant to change the labels once no baseline selects on them, and when there is no baseline at all', async () => {
    await deleteBaseline(baseline);
    await eventually(() => tryLabels(tenant, ns, { team: null }), 30_000, 200);
    await setLabels(tenant, ns, { team: 'elsewhere', env: null });
    expect(await labelsOf(ns)).not.toHaveProperty('env');
    expect((await labelsOf(ns)).team).toBe('elsewhere');
    // No parameter at all: parameterNotFoundAction Allow.
    await deleteBaseline(everywhere);
    await eventually(async () => {
      if ((await user.get('SecurityBaseline', undefined, everywhere)) !== undefined) throw new Error(`${everywhere} still exists`);
    });
    // The apiserver's cache of parameters follows by watch: keep asking for two seconds (each would be refused under Deny).
    for (let i = 0; i < 10; i++) {
      await tryLabels(tenant, ns, { team: null });
      await sleep(200);
    }
    await setLabels(tenant, ns, { team: null });
    expect(await labelsOf(ns)).not.toHaveProperty('team');
    const binding = (await user.request('GET', `${BINDINGS}/${POLICY}`)) as { spec: { paramRef: unknown } };
    expect(binding.spec.paramRef).toEqual({ selector: {}, parameterNotFoundAction: 'Allow' });
  });
});

describe("config/policy: kubeposture's annotations on Namespaces", () => {
  const OWNED = 'kubeposture.io/owned';
  const HOLDS = 'kubeposture.io/holds';
  type Annotations = Record<string, string | null>;
  const annotate = async (as: RestClient, namespace: string, annotations: Annotations): Promise<void> => {
    await as.mergePatch('Namespace', undefined, namespace, { metadata: { annotations } });
  };
  const annotationsOf = async (namespace: string): Promise<Record<string, string>> =>
    (await readNamespace(namespace)).metadata.annotations ?? {};
  const denied = (keys: readonly string[]): string => {
    const one = keys.length === 1;
    return (
      `ValidatingAdmissionPolicy '${RECORDS}' with binding '${RECORDS}' denied request: ` +
      `annotation${one ? '' : 's'} ${keys.map((k) => `"${k}"`).join(', ')} ${one ? 'is' : 'are'} kubeposture's record of this namespace; ` +
      `only kubeposture and cluster admins may write ${one ? 'it' : 'them'}`
    );
  };

  it("denies a tenant who may update their Namespace any change to kubeposture's record or mark, and allows other annotations", async () => {
    // In force since config/policy was applied above; it has no parameter to wait for.
    await eventually(
      async () => {
        expect(await refusal(() => annotate(tenant, ns, { [HOLDS]: 'forged' }))).toEqual({
          status: 403,
          message: expect.stringContaining(denied([HOLDS])) as unknown,
        });
      },
      30_000,
      200,
    );
    expect((await refusal(() => annotate(tenant, ns, { [OWNED]: '{}' }))).message).toContain(denied([OWNED]));
    expect((await refusal(() => annotate(tenant, ns, { [OWNED]: '{}', [HOLDS]: 'x' }))).message).toContain(denied([OWNED, HOLDS]));
    // Through the status subresource too.
    const viaStatus = await refusal(() =>
      tenant.mergePatch('Namespace', undefined, ns, { metadata: { annotations: { [HOLDS]: 'forged' } } }, 'status'),
    );
    expect(viaStatus.message).toContain(denied([HOLDS]));
    await annotate(tenant, ns, { 'example.com/owner': 'team-payments' });
    expect((await annotationsOf(ns))['example.com/owner']).toBe('team-payments');
    expect(await annotationsOf(ns)).not.toHaveProperty(HOLDS);
  });

  it('lets kubeposture and cluster admins write them, and the tenant neither change nor remove what they wrote', async () => {
    await annotate(operator, ns, { [HOLDS]: 'by-kubeposture' });
    expect((await annotationsOf(ns))[HOLDS]).toBe('by-kubeposture');
    expect((await refusal(() => annotate(tenant, ns, { [HOLDS]: null }))).message).toContain(denied([HOLDS]));
    expect((await refusal(() => annotate(tenant, ns, { [HOLDS]: 'other' }))).message).toContain(denied([HOLDS]));
    await annotate(user, ns, { [HOLDS]: null });
    expect(await annotationsOf(ns)).not.toHaveProperty(HOLDS);
  });
});
