import type { FieldError } from './field-reader.ts';
import { parseSecurityBaseline } from './validate.ts';

const parse = (networkPolicy: unknown): ReturnType<typeof parseSecurityBaseline> =>
  parseSecurityBaseline({
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaseline',
    metadata: { name: 'b' },
    spec: { networkPolicy },
  });
const errorsOf = (networkPolicy: unknown): readonly FieldError[] => {
  const r = parse(networkPolicy);
  return r.ok ? [] : r.errors;
};
const additional = (policy: Record<string, unknown>): unknown => ({ additional: [{ name: 'p', ...policy }] });

describe('spec.networkPolicy.additional', () => {
  it('reads a full NetworkPolicySpec and drops what Kubernetes omits (empty lists and maps)', () => {
    const r = parse(
      additional({
        podSelector: { matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'Exists', values: [] }] },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8080 }] },
          {},
          { from: [], ports: [] },
        ],
        egress: [],
      }),
    );
    expect(r.ok && r.baseline.spec.networkPolicy.additional).toEqual([
      {
        name: 'p',
        podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8080 }] },
          {},
          {},
        ],
      },
    ]);
  });

  it('defaults podSelector to every pod, as the CRD does', () => {
    const r = parse(additional({}));
    expect(r.ok && r.baseline.spec.networkPolicy.additional).toEqual([{ name: 'p', podSelector: {} }]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a reserved name', { additional: [{ name: 'allow-dns' }] }, 'spec.networkPolicy.additional[0].name', /kubeposture's own/],
    [
      'a duplicate name',
      { additional: [{ name: 'a' }, { name: 'a' }] },
      'spec.networkPolicy.additional[1].name',
      /duplicates additional\[0\]/,
    ],
    ['a name that is not a DNS label', { additional: [{ name: 'A_b' }] }, 'spec.networkPolicy.additional[0].name', /DNS label/],
    [
      'a name too long for kubeposture-<name>',
      { additional: [{ name: 'a'.repeat(52) }] },
      'spec.networkPolicy.additional[0].name',
      /at most 51/,
    ],
    ['no name', { additional: [{}] }, 'spec.networkPolicy.additional[0].name', /string/],
    [
      'an unknown policy type',
      additional({ policyTypes: ['Sideways'] }),
      'spec.networkPolicy.additional[0].policyTypes[0]',
      /Ingress, Egress/,
    ],
    ['a policy type twice', additional({ policyTypes: ['Egress', 'Egress'] }), 'spec.networkPolicy.additional[0].policyTypes[1]', /twice/],
    [
      'an unknown protocol',
      additional({ ingress: [{ ports: [{ protocol: 'ICMP' }] }] }),
      'spec.networkPolicy.additional[0].ingress[0].ports[0].protocol',
      /TCP, UDP, SCTP/,
    ],
    [
      'port 0',
      additional({ ingress: [{ ports: [{ port: 0 }] }] }),
      'spec.networkPolicy.additional[0].ingress[0].ports[0].port',
      /between 1 and 65535/,
    ],
    [
      'port 65536',
      additional({ egress: [{ ports: [{ port: 65536 }] }] }),
      'spec.networkPolicy.additional[0].egress[0].ports[0].port',
      /between 1 and 65535/,
    ],
    [
      'a numeric string port',
      additional({ egress: [{ ports: [{ port: '80' }] }] }),
      'spec.networkPolicy.additional[0].egress[0].ports[0].port',
      /not a port name/,
    ],
    [
      'a port name too long',
      additional({ egress: [{ ports: [{ port: 'abcdefghijklmnop' }] }] }),
      'spec.networkPolicy.additional[0].egress[0].ports[0].port',
      /port name/,
    ],
    [
      'endPort below port',
      additional({ egress: [{ ports: [{ port: 90, endPort: 80 }] }] }),
      'spec.networkPolicy.additional[0].egress[0].ports[0].endPort',
      /at least port/,
    ],
    [
      'endPort with a named port',
      additional({ egress: [{ ports: [{ port: 'http', endPort: 80 }] }] }),
      'spec.networkPolicy.additional[0].egress[0].ports[0].endPort',
      /name/,
    ],
    [
      'endPort without port',
      additional({ egress: [{ ports: [{ endPort: 80 }] }] }),
      'spec.networkPolicy.additional[0].egress[0].ports[0].endPort',
      /without port/,
    ],
    [
      'an empty peer',
      additional({ ingress: [{ from: [{}] }] }),
      'spec.networkPolicy.additional[0].ingress[0].from[0]',
      /must specify a peer/,
    ],
    [
      'ipBlock with a selector',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0]',
      /both ipBlock/,
    ],
    [
      'a bad CIDR',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0].ipBlock.cidr',
      /not a CIDR/,
    ],
    [
      'an empty CIDR',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '' } }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0].ipBlock.cidr',
      /empty/,
    ],
    [
      'an octet with a leading zero',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '010.0.0.0/8' } }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0].ipBlock.cidr',
      /leading zero/,
    ],
    [
      'an except outside the cidr',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0].ipBlock.except[0]',
      /strict subset/,
    ],
    [
      'an except equal to the cidr',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0].ipBlock.except[0]',
      /strict subset/,
    ],
    [
      'an except of the other family',
      additional({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['::/1'] } }] }] }),
      'spec.networkPolicy.additional[0].egress[0].to[0].ipBlock.except[0]',
      /strict subset/,
    ],
    [
      'a selector with a bad operator',
      additional({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Maybe' }] } }),
      'spec.networkPolicy.additional[0].podSelector.matchExpressions[0].operator',
      /In, NotIn/,
    ],
    [
      'a selector with a bad label value',
      additional({ ingress: [{ from: [{ podSelector: { matchLabels: { a: '-x' } } }] }] }),
      'spec.networkPolicy.additional[0].ingress[0].from[0].podSelector.matchLabels[a]',
      /label value/,
    ],
    [
      'too many policies',
      { additional: Array.from({ length: 21 }, (_, i) => ({ name: `p${String(i)}` })) },
      'spec.networkPolicy.additional',
      /at most 20/,
    ],
  ])('refuses %s, naming the field', (_name, np, field, message) => {
    const errors = errorsOf(np);
    expect(errors).toContainEqual({ field, message: expect.stringMatching(message) as unknown });
  });
});

describe('spec.networkPolicy.dns', () => {
  it('reads peers and ports', () => {
    const dns = { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ protocol: 'UDP', port: 53 }] };
    const r = parse({ dns });
    expect(r.ok && r.baseline.spec.networkPolicy.dns).toEqual(dns);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an empty to (egress to everywhere)', { dns: { to: [] } }, 'spec.networkPolicy.dns.to', /at least one peer/],
    ['an empty ports (every port)', { dns: { ports: [] } }, 'spec.networkPolicy.dns.ports', /at least one port/],
    ['a bad port', { dns: { ports: [{ port: -1 }] } }, 'spec.networkPolicy.dns.ports[0].port', /between 1 and 65535/],
    ['a bad peer', { dns: { to: [{ ipBlock: { cidr: 'x' } }] } }, 'spec.networkPolicy.dns.to[0].ipBlock.cidr', /not a CIDR/],
    ['dns not an object', { dns: [] }, 'spec.networkPolicy.dns', /object/],
  ])('refuses %s, naming the field', (_name, np, field, message) => {
    expect(errorsOf(np)).toContainEqual({ field, message: expect.stringMatching(message) as unknown });
  });
});
