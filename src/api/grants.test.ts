import type { PolicyRule } from './types.ts';
import { enforcedWrites } from './grants.ts';
import { parseSecurityBaseline, type ParseResult } from './validate.ts';

const rule = (apiGroups: string[] | undefined, resources: string[], verbs: string[]): PolicyRule => ({
  ...(apiGroups === undefined ? {} : { apiGroups }),
  resources,
  verbs,
});

describe('enforcedWrites', () => {
  it.each<[string, PolicyRule, string[]]>([
    ['read-only on what kubeposture enforces', rule(['networking.k8s.io'], ['networkpolicies'], ['get', 'list', 'watch']), []],
    ['patch networkpolicies', rule(['networking.k8s.io'], ['networkpolicies'], ['get', 'patch']), ['networking.k8s.io/networkpolicies']],
    [
      'delete roles and rolebindings',
      rule(['rbac.authorization.k8s.io'], ['roles', 'rolebindings'], ['delete']),
      ['rbac.authorization.k8s.io/roles', 'rbac.authorization.k8s.io/rolebindings'],
    ],
    ['patch resourcequotas (scopes neuter a quota without drift)', rule([''], ['resourcequotas'], ['patch']), ['resourcequotas']],
    ['update the namespace itself', rule([''], ['namespaces'], ['update']), ['namespaces']],
    ['a subresource: namespaces/finalize', rule([''], ['namespaces/finalize'], ['update']), ['namespaces']],
    ['serviceaccounts/token', rule([''], ['serviceaccounts/token'], ['create']), ['serviceaccounts']],
    ['every verb', rule([''], ['limitranges'], ['*']), ['limitranges']],
    ['a verb of its own', rule([''], ['limitranges'], ['escalate']), ['limitranges']],
    ['every resource of the core group', rule([''], ['*'], ['create']), ['namespaces', 'resourcequotas', 'limitranges', 'serviceaccounts']],
    ['every status subresource', rule([''], ['*/status'], ['update']), ['namespaces', 'resourcequotas', 'limitranges', 'serviceaccounts']],
    [
      'every group',
      rule(['*'], ['networkpolicies', 'roles'], ['patch']),
      ['networking.k8s.io/networkpolicies', 'rbac.authorization.k8s.io/roles'],
    ],
    ['no apiGroups (read as the core group)', rule(undefined, ['serviceaccounts'], ['delete']), ['serviceaccounts']],
    ['write on what it does not enforce', rule([''], ['configmaps', 'pods'], ['create', 'delete']), []],
    ['the same name in another group', rule(['example.com'], ['networkpolicies'], ['patch']), []],
  ])('%s', (_name, r, want) => {
    expect(enforcedWrites(r)).toEqual(want);
  });
});

describe('the validator refuses such rules, naming the field', () => {
  const parse = (rules: unknown[]): ParseResult =>
    parseSecurityBaseline({
      apiVersion: 'kubeposture.io/v1alpha1',
      kind: 'SecurityBaseline',
      metadata: { name: 'b', uid: 'u', generation: 1 },
      spec: { serviceAccounts: { workloads: [{ name: 'app', rules }] } },
    });
  it('with what is granted on what', () => {
    const r = parse([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
      { apiGroups: ['networking.k8s.io'], resources: ['*'], verbs: ['get', 'delete'] },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      {
        field: 'spec.serviceAccounts.workloads[0].rules[1].verbs',
        message: expect.stringMatching(/^grants "delete" on networking\.k8s\.io\/networkpolicies, which kubeposture enforces/) as unknown,
      },
    ]);
  });
  it('and admits reads', () => {
    expect(parse([{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }]).ok).toBe(true);
  });
});
