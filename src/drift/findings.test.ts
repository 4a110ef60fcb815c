import type { Finding } from '../api/types.ts';
import { mutableSelectorLabels, networkPolicyFindings, selectorFindings, selectorGuardState, sortFindings } from './findings.ts';

const np = (spec: unknown, name = 'p'): { metadata: { name: string; namespace: string }; spec: unknown } => ({ metadata: { name, namespace: 'team-a' }, spec });
const types = (spec: unknown): string[] => networkPolicyFindings(np(spec)).map((f) => f.type);

describe('networkPolicyFindings', () => {
  it.each([
    ['an ingress rule with no from and no ports', { podSelector: {}, ingress: [{}] }, ['AllowAllIngress']],
    ['an empty from list', { podSelector: {}, ingress: [{ from: [] }] }, ['AllowAllIngress']],
    ['from 0.0.0.0/0', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }, ['AllowAllIngress']],
    ['from ::/0', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { a: 'b' } } }, { ipBlock: { cidr: '::/0' } }] }] }, ['AllowAllIngress']],
    ['from every namespace', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }, ['AllowAllIngress']],
    ['egress to everyone', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }, ['AllowAllEgress']],
    ['egress rules imply Egress when policyTypes is absent', { podSelector: {}, egress: [{ to: [] }] }, ['AllowAllEgress']],
    ['both directions', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] }, ['AllowAllIngress', 'AllowAllEgress']],
  ])('reports %s', (_what, spec, expected) => {
    expect(types(spec)).toEqual(expected);
  });

  it.each([
    ['a deny-all policy', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }],
    ['a rule limited to ports', { podSelector: {}, ingress: [{ ports: [{ port: 443 }] }] }],
    ['a rule limited to pods', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] }],
    ['0.0.0.0/0 with exceptions', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] }],
    ['a narrower CIDR', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] }],
    ['namespaces narrowed by label', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] }],
    ['every namespace but only some pods', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }] }] }],
    ['ingress rules when policyTypes is Egress only', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }],
    ['egress rules when policyTypes is Ingress only', { podSelector: {}, policyTypes: ['Ingress'], egress: [{}] }],
    ['no spec', undefined],
    ['a malformed spec', { podSelector: 'x', ingress: 'y', egress: [null, 3] }],
  ])('does not report %s', (_what, spec) => {
    expect(types(spec)).toEqual([]);
  });

  it('names the policy, its namespace and the pods it opens', () => {
    const [f] = networkPolicyFindings(np({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }, 'open-web'));
    expect(f).toEqual({
      type: 'AllowAllIngress', namespace: 'team-a', kind: 'NetworkPolicy', name: 'open-web',
      message: 'admits ingress from every address (0.0.0.0/0) on every port to pods with app=web, past the default-deny',
    });
  });
});

describe('selector findings', () => {
  it('lists the label keys a selector relies on, leaving out the one the apiserver sets', () => {
    expect(mutableSelectorLabels({ matchLabels: { team: 'a', 'kubernetes.io/metadata.name': 'x' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'team', operator: 'Exists' }] })).toEqual(['env', 'team']);
    expect(mutableSelectorLabels(undefined)).toEqual([]);
    expect(mutableSelectorLabels({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a'] }] })).toEqual([]);
  });

  it('reports them unless the admission policy guards them', () => {
    const sel = { matchLabels: { team: 'a' } };
    const [absent] = selectorFindings(sel, { state: 'absent', missing: 'ValidatingAdmissionPolicy kubeposture-selector-labels' });
    expect(absent?.type).toBe('MutableSelectorLabel');
    expect(absent?.message).toMatch(/^namespaceSelector relies on label team, which anyone allowed to update a namespace can change/);
    expect(absent?.message).toMatch(/ValidatingAdmissionPolicy kubeposture-selector-labels is not installed$/);
    expect(selectorFindings(sel, { state: 'unknown', error: 'forbidden' })[0]?.message).toMatch(/could not be checked: forbidden$/);
    expect(selectorFindings(sel, { state: 'installed' })).toEqual([]);
    expect(selectorFindings({ matchLabels: { 'kubernetes.io/metadata.name': 'a' } }, { state: 'absent', missing: 'x' })).toEqual([]);
  });
});

it('counts the policy as guarding only with a binding of it that denies', () => {
  const policy = { metadata: { name: 'kubeposture-selector-labels' } };
  const binding = (policyName: string, validationActions: string[]): { spec: { policyName: string; validationActions: string[] } } => ({ spec: { policyName, validationActions } });
  expect(selectorGuardState(policy, binding('kubeposture-selector-labels', ['Deny', 'Audit']))).toEqual({ state: 'installed' });
  expect(selectorGuardState(undefined, binding('kubeposture-selector-labels', ['Deny'])).state).toBe('absent');
  expect(selectorGuardState(policy, undefined).state).toBe('absent');
  expect(selectorGuardState(policy, binding('kubeposture-selector-labels', ['Warn']))).toMatchObject({ state: 'absent', missing: expect.stringContaining('validationActions [Deny]') as unknown });
  expect(selectorGuardState(policy, binding('other', ['Deny'])).state).toBe('absent');
});

it('sorts findings by type, namespace and name', () => {
  const f = (type: Finding['type'], namespace?: string, name = ''): Finding => ({ type, ...(namespace === undefined ? {} : { namespace, name }), message: '' });
  expect(sortFindings([f('MutableSelectorLabel'), f('AllowAllIngress', 'b', 'x'), f('AllowAllEgress', 'a', 'y'), f('AllowAllIngress', 'a', 'z')]).map((x) => `${x.type}/${x.namespace ?? ''}`))
    .toEqual(['AllowAllEgress/a', 'AllowAllIngress/a', 'AllowAllIngress/b', 'MutableSelectorLabel/']);
});
