import type { Finding } from '../api/types.ts';
import { mutableSelectorLabels, networkPolicyFindings, selectorFindings, selectorGuardState, sortFindings } from './findings.ts';

const np = (spec: unknown, name = 'p'): { metadata: { name: string; namespace: string }; spec: unknown } => ({
  metadata: { name, namespace: 'team-a' },
  spec,
});
const types = (spec: unknown): string[] => networkPolicyFindings(np(spec)).map((f) => f.type);

describe('networkPolicyFindings', () => {
  it.each([
    ['an ingress rule with no from and no ports', { podSelector: {}, ingress: [{}] }, ['AllowAllIngress']],
    ['an empty from list', { podSelector: {}, ingress: [{ from: [] }] }, ['AllowAllIngress']],
    ['from 0.0.0.0/0', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }, ['AllowAllIngress']],
    [
      'from ::/0',
      { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { a: 'b' } } }, { ipBlock: { cidr: '::/0' } }] }] },
      ['AllowAllIngress'],
    ],
    ['from every namespace', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }, ['AllowAllIngress']],
    ['egress to everyone', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }, ['AllowAllEgress']],
    ['egress rules imply Egress when policyTypes is absent', { podSelector: {}, egress: [{ to: [] }] }, ['AllowAllEgress']],
    [
      'both directions',
      { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] },
      ['AllowAllIngress', 'AllowAllEgress'],
    ],
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
    [
      'every namespace but only some pods',
      { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }] }] },
    ],
    ['ingress rules when policyTypes is Egress only', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }],
    ['egress rules when policyTypes is Ingress only', { podSelector: {}, policyTypes: ['Ingress'], egress: [{}] }],
    ['no spec', undefined],
    ['a malformed spec', { podSelector: 'x', ingress: 'y', egress: [null, 3] }],
  ])('does not report %s', (_what, spec) => {
    expect(types(spec)).toEqual([]);
  });

  it('names the policy, its namespace and the pods it opens', () => {
    const [f] = networkPolicyFindings(
      np({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }, 'open-web'),
    );
    expect(f).toEqual({
      type: 'AllowAllIngress',
      namespace: 'team-a',
      kind: 'NetworkPolicy',
      name: 'open-web',
      message: 'admits ingress from every address (0.0.0.0/0) on every port to pods with app=web, past the default-deny',
    });
  });
});

const ns = (
  ...exprs: { key: string; operator: string; values?: string[] }[]
): { namespaceSelector: { matchExpressions: typeof exprs } } => ({ namespaceSelector: { matchExpressions: exprs } });
const cidr = (c: string, except?: string[]): { ipBlock: { cidr: string; except?: string[] } } => ({
  ipBlock: { cidr: c, ...(except === undefined ? {} : { except }) },
});
const range = (port: number | string, endPort?: number, protocol?: string): Record<string, unknown> => ({
  port,
  ...(endPort === undefined ? {} : { endPort }),
  ...(protocol === undefined ? {} : { protocol }),
});
const NAME = 'kubernetes.io/metadata.name';

/** Shapes that admit everyone without saying so in the obvious way (issue 13, class 4). */
describe('networkPolicyFindings judges what a policy allows, not its spelling', () => {
  it.each([
    ['every TCP port as one range', { podSelector: {}, ingress: [{ ports: [range(1, 65535)] }] }, ['AllowAllIngress']],
    ['every UDP port as one range', { podSelector: {}, ingress: [{ ports: [range(1, 65535, 'UDP')] }] }, ['AllowAllIngress']],
    ['a protocol with no port', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP' }] }] }, ['AllowAllIngress']],
    [
      'ranges whose union is every port',
      { podSelector: {}, ingress: [{ ports: [range(1, 1000), range(1001, 65535)] }] },
      ['AllowAllIngress'],
    ],
    [
      'overlapping ranges and a single port',
      { podSelector: {}, ingress: [{ ports: [range(1), range(2, 40000), range(30000, 65535)] }] },
      ['AllowAllIngress'],
    ],
    ['a range past 65535', { podSelector: {}, ingress: [{ ports: [range(1, 70000)] }] }, ['AllowAllIngress']],
    [
      'ports split over two rules',
      { podSelector: {}, ingress: [{ ports: [range(1, 32767)] }, { ports: [range(32768, 65535)] }] },
      ['AllowAllIngress'],
    ],
    ['0.0.0.0/0 in halves', { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1'), cidr('128.0.0.0/1')] }] }, ['AllowAllIngress']],
    [
      '0.0.0.0/0 in quarters over two rules',
      {
        podSelector: {},
        ingress: [{ from: [cidr('0.0.0.0/2'), cidr('64.0.0.0/2')] }, { from: [cidr('128.0.0.0/2'), cidr('192.0.0.0/2')] }],
      },
      ['AllowAllIngress'],
    ],
    [
      'an except filled by another peer',
      { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/0', ['10.0.0.0/8']), cidr('10.0.0.0/8')] }] },
      ['AllowAllIngress'],
    ],
    ['a /0 with host bits set', { podSelector: {}, ingress: [{ from: [cidr('10.1.2.3/0')] }] }, ['AllowAllIngress']],
    ['::/0 in halves', { podSelector: {}, ingress: [{ from: [cidr('::/1'), cidr('8000::/1')] }] }, ['AllowAllIngress']],
    [
      'addresses and ports split into rectangles',
      {
        podSelector: {},
        ingress: [
          { from: [cidr('0.0.0.0/0')], ports: [range(1, 100)] },
          { from: [cidr('0.0.0.0/1')], ports: [range(101, 65535)] },
          { from: [cidr('128.0.0.0/1')], ports: [range(101, 65535)] },
        ],
      },
      ['AllowAllIngress'],
    ],
    [
      `namespaces selected by ${NAME} Exists`,
      { podSelector: {}, ingress: [{ from: [ns({ key: NAME, operator: 'Exists' })] }] },
      ['AllowAllIngress'],
    ],
    [
      'In and NotIn on one key over two peers',
      {
        podSelector: {},
        ingress: [{ from: [ns({ key: 'team', operator: 'In', values: ['a'] }), ns({ key: 'team', operator: 'NotIn', values: ['a'] })] }],
      },
      ['AllowAllIngress'],
    ],
    [
      'Exists and DoesNotExist on one key over two rules',
      {
        podSelector: {},
        ingress: [{ from: [ns({ key: 'team', operator: 'Exists' })] }, { from: [ns({ key: 'team', operator: 'DoesNotExist' })] }],
      },
      ['AllowAllIngress'],
    ],
    [
      'matchLabels and NotIn on the same value',
      {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }, ns({ key: 'team', operator: 'NotIn', values: ['a'] })] }],
      },
      ['AllowAllIngress'],
    ],
    [
      'its own namespace and every other one',
      { podSelector: {}, ingress: [{ from: [{ podSelector: {} }, ns({ key: NAME, operator: 'NotIn', values: ['team-a'] })] }] },
      ['AllowAllIngress'],
    ],
    [
      'pods with and without a label, in every namespace',
      {
        podSelector: {},
        ingress: [
          {
            from: [
              { namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } },
              { namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } },
            ],
          },
        ],
      },
      ['AllowAllIngress'],
    ],
    [
      'egress to 0.0.0.0/0 in halves on every TCP port',
      { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [cidr('0.0.0.0/1'), cidr('128.0.0.0/1')], ports: [range(1, 65535)] }] },
      ['AllowAllEgress'],
    ],
  ])('reports %s', (_what, spec, expected) => {
    expect(types(spec)).toEqual(expected);
  });

  it.each([
    ['ports 1-65534', { podSelector: {}, ingress: [{ ports: [range(1, 65534)] }] }],
    ['ports 2-65535', { podSelector: {}, ingress: [{ ports: [range(2, 65535)] }] }],
    ['ranges with one port missing', { podSelector: {}, ingress: [{ ports: [range(1, 1000), range(1002, 65535)] }] }],
    ['TCP and UDP each covering half', { podSelector: {}, ingress: [{ ports: [range(1, 32767, 'TCP'), range(32768, 65535, 'UDP')] }] }],
    ['a named port', { podSelector: {}, ingress: [{ ports: [range('http')] }] }],
    ['0.0.0.0/1 alone', { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1')] }] }],
    ['0.0.0.0/1 and 128.0.0.0/2', { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1'), cidr('128.0.0.0/2')] }] }],
    ['an except only partly filled', { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/0', ['10.0.0.0/8']), cidr('10.0.0.0/9')] }] }],
    ['::/1 alone', { podSelector: {}, ingress: [{ from: [cidr('::/1')] }] }],
    [
      'halves that cover different ports',
      { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1')] }, { from: [cidr('128.0.0.0/1')], ports: [range(1, 100)] }] },
    ],
    ['halves of different families', { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1'), cidr('8000::/1')] }] }],
    ['namespaces without a label', { podSelector: {}, ingress: [{ from: [ns({ key: 'team', operator: 'DoesNotExist' })] }] }],
    [
      'namespaces not labelled with a value',
      { podSelector: {}, ingress: [{ from: [ns({ key: 'team', operator: 'NotIn', values: ['x'] })] }] },
    ],
    ['every namespace but one', { podSelector: {}, ingress: [{ from: [ns({ key: NAME, operator: 'NotIn', values: ['kube-system'] })] }] }],
    [`no namespace (${NAME} DoesNotExist)`, { podSelector: {}, ingress: [{ from: [ns({ key: NAME, operator: 'DoesNotExist' })] }] }],
    [
      'every namespace, pods without a label',
      {
        podSelector: {},
        ingress: [
          {
            from: [
              { ...ns({ key: NAME, operator: 'Exists' }), podSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } },
            ],
          },
        ],
      },
    ],
    ['every pod of its own namespace', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }],
    [
      'In and NotIn on different values',
      {
        podSelector: {},
        ingress: [{ from: [ns({ key: 'team', operator: 'In', values: ['a'] }), ns({ key: 'team', operator: 'NotIn', values: ['b'] })] }],
      },
    ],
    [
      'In, and NotIn narrowed by another key',
      {
        podSelector: {},
        ingress: [
          {
            from: [
              ns({ key: 'team', operator: 'In', values: ['a'] }),
              ns({ key: 'team', operator: 'NotIn', values: ['a'] }, { key: 'env', operator: 'Exists' }),
            ],
          },
        ],
      },
    ],
    ['an unknown operator', { podSelector: {}, ingress: [{ from: [ns({ key: NAME, operator: 'Matches' })] }] }],
    ['every port, from half the addresses', { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1')], ports: [range(1, 65535)] }] }],
  ])('does not report %s', (_what, spec) => {
    expect(types(spec)).toEqual([]);
  });

  it('judges policies whoever appears to own them', () => {
    const forged = {
      metadata: {
        name: 'p',
        namespace: 'team-a',
        ownerReferences: [{ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'x', uid: 'u', controller: true }],
        labels: { 'app.kubernetes.io/managed-by': 'kubeposture' },
      },
      spec: { podSelector: {}, ingress: [{}] },
    };
    expect(networkPolicyFindings(forged).map((f) => f.type)).toEqual(['AllowAllIngress']);
  });

  it.each([
    [
      'every TCP port',
      { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/0')], ports: [range(1, 65535)] }] },
      'admits ingress from every address (0.0.0.0/0) on every TCP port to all pods, past the default-deny',
    ],
    [
      'TCP and UDP',
      { podSelector: {}, ingress: [{ ports: [range(1, 65535), range(1, 65535, 'UDP')] }] },
      'admits ingress from everyone on every TCP and UDP port to all pods, past the default-deny',
    ],
    [
      'both families but not pods',
      { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/0'), cidr('::/0')] }] },
      'admits ingress from every address (0.0.0.0/0) and every address (::/0) on every port to all pods, past the default-deny',
    ],
    [
      'pods on one protocol, addresses on every port',
      { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/0')] }, { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'UDP' }] }] },
      'admits ingress from every address (0.0.0.0/0) on every port and from every pod in every namespace on every UDP port to all pods, past the default-deny',
    ],
    [
      'many pod labels',
      { podSelector: { matchLabels: { a: '1', b: '2', c: '3', d: '4', e: '5' } }, ingress: [{}] },
      'admits ingress from everyone on every port to pods with a=1,b=2,c=3 and 2 more labels, past the default-deny',
    ],
  ])('says to whom and on which ports: %s', (_what, spec, message) => {
    expect(networkPolicyFindings(np(spec))[0]?.message).toBe(message);
  });

  it('reports a policy too large to judge within the work budget, and says so', () => {
    const spec = {
      podSelector: {},
      ingress: [{ from: [ns({ key: 'team', operator: 'In', values: ['a'] }), ns({ key: 'team', operator: 'NotIn', values: ['b'] })] }],
    };
    expect(networkPolicyFindings(np(spec))).toEqual([]);
    const [f] = networkPolicyFindings(np(spec), 3);
    expect(f?.type).toBe('AllowAllIngress');
    expect(f?.message).toMatch(/too many rules to rule it out within the work budget, so reported/);
  });

  it('judges an adversarial policy quickly, within its budget', () => {
    // A 3-SAT instance over 60 labels in selector form: each peer matches unless the namespace escapes it.
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const peers = Array.from({ length: 400 }, () =>
      ns(...Array.from({ length: 3 }, () => ({ key: `k${String(rand(60))}`, operator: rand(2) === 0 ? 'In' : 'NotIn', values: ['t'] }))),
    );
    const rules = Array.from({ length: 200 }, (_, i) => ({
      from: peers.slice(i, i + 200),
      ports: [range(1 + i * 328, Math.min(65535, 328 + i * 328))],
    }));
    const began = Date.now();
    const found = networkPolicyFindings(np({ podSelector: {}, ingress: rules }));
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(found.length).toBeLessThanOrEqual(1);
  });
});

describe('selector findings', () => {
  it('lists the label keys a selector relies on, leaving out the one the apiserver sets', () => {
    expect(
      mutableSelectorLabels({
        matchLabels: { team: 'a', 'kubernetes.io/metadata.name': 'x' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'team', operator: 'Exists' },
        ],
      }),
    ).toEqual(['env', 'team']);
    expect(mutableSelectorLabels(undefined)).toEqual([]);
    expect(mutableSelectorLabels({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a'] }] })).toEqual(
      [],
    );
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
  const binding = (policyName: string, validationActions: string[]): { spec: { policyName: string; validationActions: string[] } } => ({
    spec: { policyName, validationActions },
  });
  expect(selectorGuardState(policy, binding('kubeposture-selector-labels', ['Deny', 'Audit']))).toEqual({ state: 'installed' });
  expect(selectorGuardState(undefined, binding('kubeposture-selector-labels', ['Deny'])).state).toBe('absent');
  expect(selectorGuardState(policy, undefined).state).toBe('absent');
  expect(selectorGuardState(policy, binding('kubeposture-selector-labels', ['Warn']))).toMatchObject({
    state: 'absent',
    missing: expect.stringContaining('validationActions [Deny]') as unknown,
  });
  expect(selectorGuardState(policy, binding('other', ['Deny'])).state).toBe('absent');
});

it('sorts findings by type, namespace and name', () => {
  const f = (type: Finding['type'], namespace?: string, name = ''): Finding => ({
    type,
    ...(namespace === undefined ? {} : { namespace, name }),
    message: '',
  });
  expect(
    sortFindings([
      f('MutableSelectorLabel'),
      f('AllowAllIngress', 'b', 'x'),
      f('AllowAllEgress', 'a', 'y'),
      f('AllowAllIngress', 'a', 'z'),
    ]).map((x) => `${x.type}/${x.namespace ?? ''}`),
  ).toEqual(['AllowAllEgress/a', 'AllowAllIngress/a', 'AllowAllIngress/b', 'MutableSelectorLabel/']);
});
