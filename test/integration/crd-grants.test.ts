/**
 * What a baseline may grant (issue 13, class 7), decided twice: by the validator
 * (src/api/grants.ts through parseSecurityBaseline, which the operator and
 * `kubeposture render` run) and by the CRD's CEL rules on the real apiserver. One
 * table of workload rules goes through both, and they must agree case by case:
 * whether the rule is refused, which enforced API groups it is refused for, and
 * the field named. Creates are dry runs: admission (CEL included) runs in full,
 * nothing is stored.
 */
import type { PolicyRule } from '../../src/api/types.ts';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../src/api/constants.ts';
import { ENFORCED_RESOURCES, READ_VERBS, enforcedWrites } from '../../src/api/grants.ts';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { messageOf, refusal, statusOf, uniqueName } from '../support/cluster.ts';
import { installCrd, withoutGrantRules } from '../support/crd.ts';
import { createBaseline, custom, deleteBaseline, kc, readBaseline, user } from '../support/world.ts';

const FIELD = 'spec.serviceAccounts.workloads[0].rules[0].verbs';

/** What each enforced group's CEL rule says when it refuses (crds/securitybaselines.kubeposture.io.yaml). */
const CEL_MESSAGE: Readonly<Record<string, RegExp>> = {
  '': /may only get, list and watch namespaces, resourcequotas, limitranges and serviceaccounts in the core group/,
  'networking.k8s.io': /may only get, list and watch networkpolicies in networking\.k8s\.io/,
  'rbac.authorization.k8s.io': /may only get, list and watch roles and rolebindings in rbac\.authorization\.k8s\.io/,
};

const rule = (apiGroups: string[] | undefined, resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule => ({
  ...(apiGroups === undefined ? {} : { apiGroups }),
  resources,
  verbs,
  ...(resourceNames === undefined ? {} : { resourceNames }),
});

/** Every enforced resource, written to and only read, so that a resource added to grants.ts is covered here too. */
const perResource: [string, PolicyRule][] = ENFORCED_RESOURCES.flatMap(({ group, resources }) =>
  resources.flatMap((res): [string, PolicyRule][] => [
    [`patch ${res} in "${group}"`, rule([group], [res], ['patch'])],
    [`update ${res}/status in "${group}"`, rule([group], [`${res}/status`], ['update'])],
    [`get, list and watch ${res} in "${group}"`, rule([group], [res], [...READ_VERBS])],
  ]),
);

const CASES: [string, PolicyRule][] = [
  ...perResource,
  // Refused: write verbs, wildcards, and the shapes that hide them.
  ['delete roles and rolebindings', rule(['rbac.authorization.k8s.io'], ['roles', 'rolebindings'], ['delete'])],
  ['update namespaces/finalize', rule([''], ['namespaces/finalize'], ['update'])],
  ['create serviceaccounts/token', rule([''], ['serviceaccounts/token'], ['create'])],
  ['a deep subresource path', rule(['networking.k8s.io'], ['networkpolicies/a/b'], ['patch'])],
  ['every verb', rule([''], ['limitranges'], ['*'])],
  ['a verb of its own', rule([''], ['limitranges'], ['escalate'])],
  ['a read verb in capitals (not a read verb)', rule(['networking.k8s.io'], ['networkpolicies'], ['GET'])],
  ['a write verb among read verbs', rule(['networking.k8s.io'], ['networkpolicies'], ['get', 'list', 'watch', 'deletecollection'])],
  ['every resource of the core group', rule([''], ['*'], ['create'])],
  ['every status subresource', rule([''], ['*/status'], ['update'])],
  ['every resource of networking.k8s.io', rule(['networking.k8s.io'], ['*'], ['delete'])],
  ['every group', rule(['*'], ['networkpolicies', 'roles'], ['patch'])],
  ['every group, resource and verb', rule(['*'], ['*'], ['*'])],
  ['no apiGroups (read as the core group)', rule(undefined, ['serviceaccounts'], ['delete'])],
  ['the enforced one among other groups and resources', rule(['apps', 'networking.k8s.io'], ['deployments', 'networkpolicies'], ['patch'])],
  ['core and rbac at once', rule(['', 'rbac.authorization.k8s.io'], ['resourcequotas', 'roles'], ['patch'])],
  ['restricted to some names', rule(['networking.k8s.io'], ['networkpolicies'], ['delete'], ['kubeposture-default-deny'])],
  // Admitted: reads, other resources, other groups, and names that only look alike.
  ['reads on every group and resource', rule(['*'], ['*'], ['get', 'list', 'watch'])],
  ['write on what kubeposture does not enforce', rule([''], ['configmaps', 'pods'], ['create', 'delete', 'patch'])],
  ['write on every apps resource', rule(['apps'], ['*'], ['*'])],
  ['networkpolicies in another group', rule(['example.com'], ['networkpolicies'], ['patch'])],
  ['networkpolicies in the core group', rule([''], ['networkpolicies'], ['patch'])],
  ['no apiGroups: networkpolicies read as core', rule(undefined, ['networkpolicies'], ['patch'])],
  ['roles in networking.k8s.io', rule(['networking.k8s.io'], ['roles'], ['patch'])],
  ['namespaces in rbac.authorization.k8s.io', rule(['rbac.authorization.k8s.io'], ['namespaces'], ['delete'])],
  ['an empty apiGroups (no group at all)', rule([], ['networkpolicies'], ['patch'])],
  ['a name that only starts like one', rule([''], ['namespaces-archive', 'serviceaccountsx'], ['patch'])],
  ['a subresource-looking name of another resource', rule([''], ['pods/namespaces'], ['update'])],
  ['a wildcard that is not one', rule(['*'], ['**', '*x', 'networkpolicies*'], ['patch'])],
  ['an empty base before a slash', rule(['networking.k8s.io'], ['/networkpolicies'], ['patch'])],
];

/** The enforced API groups on which the validator finds write granted. */
function validatorGroups(r: PolicyRule): string[] {
  const groups = new Set(enforcedWrites(r).map((w) => (w.includes('/') ? w.slice(0, w.lastIndexOf('/')) : '')));
  return [...groups].sort();
}

function spec(r: PolicyRule): Record<string, unknown> {
  return { namespaceSelector: { matchLabels: { 'kp-test': 'crd-grants' } }, serviceAccounts: { workloads: [{ name: 'app', rules: [r] }] } };
}

const manifest = (r: PolicyRule, name = uniqueName('grants')): Record<string, unknown> => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: KIND,
  metadata: { name },
  spec: spec(r),
});

/** The validator's verdict: the fields of its errors (only the rules' field is expected). */
function validatorFields(r: PolicyRule): string[] {
  const parsed = parseSecurityBaseline({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'b', uid: 'u', generation: 1 },
    spec: spec(r),
  });
  return parsed.ok ? [] : parsed.errors.map((e) => e.field);
}

/** The apiserver's verdict on creating a baseline with the rule (a dry run): undefined if admitted, else status and message. */
async function apiserverRefusal(r: PolicyRule): Promise<{ status: number | undefined; message: string } | undefined> {
  try {
    await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, dryRun: 'All', body: manifest(r) });
    return undefined;
  } catch (err: unknown) {
    return { status: statusOf(err), message: messageOf(err) };
  }
}

beforeAll(async () => {
  await installCrd(kc);
});
afterAll(() => {
  user.close();
});

describe('what a baseline may grant: the validator and the CRD agree', () => {
  it('on a table that refuses and admits both', () => {
    const refused = CASES.filter(([, r]) => validatorGroups(r).length > 0).length;
    expect(refused).toBeGreaterThanOrEqual(20);
    expect(CASES.length - refused).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES)('%s', async (_name, r) => {
    const groups = validatorGroups(r);
    expect(validatorFields(r)).toEqual(groups.length > 0 ? [FIELD] : []);
    const refusal = await apiserverRefusal(r);
    if (groups.length === 0) {
      expect(refusal).toBeUndefined();
      return;
    }
    expect(refusal?.status).toBe(422);
    const message = refusal?.message ?? '';
    expect(message).toContain(`${FIELD}: Invalid value`);
    const celGroups = Object.entries(CEL_MESSAGE)
      .filter(([, m]) => m.test(message))
      .map(([g]) => g)
      .sort();
    expect(celGroups).toEqual(groups);
  });
});

describe('the largest baseline the schema allows', () => {
  it("is judged within the apiserver's runtime CEL budget, by both alike", async () => {
    // Every loop of every CEL rule runs to its end: a write verb last, '*' the last group, and
    // 64 resources none of which is enforced; 50 workloads of 50 such rules (1.8 MB of JSON).
    const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i)}`);
    const r = rule([...names('g', 31), '*'], names('x', 64), [...Array.from({ length: 15 }, () => 'get'), 'patch']);
    const workloads = names('w', 50).map((name) => ({ name, rules: Array.from({ length: 50 }, () => r) }));
    const body = { ...manifest(r), spec: { serviceAccounts: { workloads } } };
    expect(parseSecurityBaseline({ ...body, metadata: { name: 'b', uid: 'u', generation: 1 } }).ok).toBe(true);
    await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, dryRun: 'All', body });
    const last = { ...r, resources: [...r.resources.slice(0, 63), 'networkpolicies'] };
    const worse = {
      ...body,
      spec: {
        serviceAccounts: { workloads: [...workloads.slice(0, 49), { name: 'w49', rules: [...Array.from({ length: 49 }, () => r), last] }] },
      },
    };
    const parsed = parseSecurityBaseline({ ...worse, metadata: { name: 'b', uid: 'u', generation: 1 } });
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual(['spec.serviceAccounts.workloads[49].rules[49].verbs']);
    const refused = await refusal(async () =>
      custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, dryRun: 'All', body: worse }),
    );
    expect(refused.message).toContain('spec.serviceAccounts.workloads[49].rules[49].verbs: Invalid value');
    expect(refused.message).toMatch(CEL_MESSAGE['networking.k8s.io'] ?? /./);
  });
});

/**
 * What only the validator catches. CEL runs when a baseline is written, and the apiserver
 * ratchets: a value that does not change is not re-judged. So a baseline stored before the CRD
 * refused such grants (an earlier release) stays, and updates that leave its rules as they are
 * (the operator's status, another field) are admitted; only the validator refuses it (the
 * operator marks it Stalled: test/integration/tenant-bypass.test.ts). `kubeposture render`
 * runs no apiserver at all. Every rule shape of the table above, though, CEL refuses too.
 */
describe('what only the validator catches', () => {
  const bad = rule(['networking.k8s.io'], ['networkpolicies'], ['get', 'patch']);

  it('a baseline stored before the CRD refused its grants: kept, updatable, and its rules only as they were', async () => {
    const name = await withoutGrantRules(kc, async () => createBaseline(manifest(bad)));
    try {
      expect(validatorFields(bad)).toEqual([FIELD]);
      await user.mergePatch('SecurityBaseline', undefined, name, { spec: { mode: 'Audit' } });
      expect((await readBaseline(name))?.spec.mode).toBe('Audit');
      const edit = await refusal(async () =>
        user.mergePatch('SecurityBaseline', undefined, name, {
          spec: { serviceAccounts: { workloads: [{ name: 'app', rules: [bad, rule([''], ['pods'], ['get'])] }] } },
        }),
      );
      expect(edit.status).toBe(422);
      expect(edit.message).toMatch(CEL_MESSAGE['networking.k8s.io'] ?? /./);
    } finally {
      await deleteBaseline(name);
    }
  });
});
