/**
 * Posture findings a tenant cannot dodge (issue 13, class 4). A namespace admin
 * (an impersonated user bound to the built-in `admin` ClusterRole in their own
 * namespace) creates NetworkPolicies that admit everyone without saying so
 * plainly: a forged controller ownerReference to the baseline, every port as a
 * range or a union of ranges, 0.0.0.0/0 and ::/0 in pieces, every namespace
 * through matchExpressions, rules that cover every address and port only
 * together. The operator, under its own ServiceAccount, reports each in
 * status.findings, and none of the near misses.
 *
 * The independent check reads every policy back as the apiserver stored it
 * (after its defaulting: protocol TCP, policyTypes) and evaluates it point by
 * point with a small evaluator written here from the NetworkPolicy API's
 * rules, with Node's BlockList for CIDRs, sharing no code with kubeposture:
 * each flagged policy admits every probe of the population it opens, on every
 * probed port, and each near miss refuses its witness.
 */
import { LABEL_NAMESPACE_NAME } from '../../src/api/constants.ts';
import type { Finding } from '../../src/api/types.ts';
import { networkPolicyFindings } from '../../src/posture/findings.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { uniqueName } from '../support/cluster.ts';
import {
  admits,
  type Direction,
  type Labels,
  type Peer,
  type Probe,
  type Protocol,
  type StoredPolicy,
} from '../support/network-policy-eval.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import type { TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  readBaseline,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

type Population = 'IPv4' | 'IPv6' | 'pods';

const PORTS = [1, 2, 53, 100, 101, 1000, 1001, 1002, 30000, 32767, 32768, 40000, 65534, 65535];
const IPV4 = [
  '0.0.0.0',
  '9.255.255.255',
  '10.0.0.1',
  '10.255.255.255',
  '11.0.0.0',
  '127.255.255.255',
  '128.0.0.0',
  '192.168.1.1',
  '255.255.255.255',
];
const IPV6 = ['::', '::1', '7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '8000::', 'fe80::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'];
function probesOf(population: Population, own: string): Probe[] {
  switch (population) {
    case 'IPv4':
      return IPV4.map((ip) => ({ ip }));
    case 'IPv6':
      return IPV6.map((ip) => ({ ip }));
    case 'pods': {
      const namespaces: Labels[] = [{}, { team: 'a' }, { team: 'b' }, { team: 'a', env: 'prod' }].flatMap((l) =>
        [own, 'other', 'kube-system'].map((n) => ({ ...l, [LABEL_NAMESPACE_NAME]: n })),
      );
      return namespaces.flatMap((ns) => [{}, { app: 'web' }, { app: 'db', tier: 'x' }].map((pod) => ({ ns, pod })));
    }
  }
}

// ---- the cases -------------------------------------------------------------------

interface Dodge {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly forged?: true;
  readonly opens: { direction: Direction; population: Population; protocol: Protocol };
}
interface NearMiss {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly witness: { direction: Direction; probe: Probe; port: number; protocol: Protocol };
}

const ns = (...exprs: { key: string; operator: string; values?: string[] }[]): Peer => ({ namespaceSelector: { matchExpressions: exprs } });
const cidr = (c: string, except?: string[]): Peer => ({ ipBlock: { cidr: c, ...(except === undefined ? {} : { except }) } });

const DODGES: readonly Dodge[] = [
  {
    name: 'forged-owner',
    forged: true,
    spec: { podSelector: {}, ingress: [{}] },
    opens: { direction: 'ingress', population: 'IPv4', protocol: 'TCP' },
  },
  {
    name: 'port-range',
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 1, endPort: 65535 }] }] },
    opens: { direction: 'ingress', population: 'IPv4', protocol: 'TCP' },
  },
  {
    name: 'port-union',
    spec: {
      podSelector: {},
      ingress: [
        {
          ports: [
            { protocol: 'UDP', port: 1, endPort: 1000 },
            { protocol: 'UDP', port: 1001, endPort: 65535 },
          ],
        },
      ],
    },
    opens: { direction: 'ingress', population: 'pods', protocol: 'UDP' },
  },
  {
    name: 'cidr-halves',
    spec: { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1'), cidr('128.0.0.0/1')] }] },
    opens: { direction: 'ingress', population: 'IPv4', protocol: 'TCP' },
  },
  {
    name: 'except-refilled',
    spec: { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/0', ['10.0.0.0/8'])] }, { from: [cidr('10.0.0.0/8')] }] },
    opens: { direction: 'ingress', population: 'IPv4', protocol: 'SCTP' },
  },
  {
    name: 'ipv6-halves',
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [cidr('::/1'), cidr('8000::/1')], ports: [{ port: 1, endPort: 65535 }] }],
    },
    opens: { direction: 'egress', population: 'IPv6', protocol: 'TCP' },
  },
  {
    name: 'ns-exists',
    spec: { podSelector: {}, ingress: [{ from: [ns({ key: LABEL_NAMESPACE_NAME, operator: 'Exists' })] }] },
    opens: { direction: 'ingress', population: 'pods', protocol: 'TCP' },
  },
  {
    name: 'ns-in-notin',
    spec: {
      podSelector: {},
      ingress: [{ from: [ns({ key: 'team', operator: 'In', values: ['a'] }), ns({ key: 'team', operator: 'NotIn', values: ['a'] })] }],
    },
    opens: { direction: 'ingress', population: 'pods', protocol: 'TCP' },
  },
  {
    name: 'rectangles',
    spec: {
      podSelector: {},
      ingress: [
        { from: [cidr('0.0.0.0/0')], ports: [{ port: 1, endPort: 100 }] },
        { from: [cidr('0.0.0.0/1')], ports: [{ port: 101, endPort: 65535 }] },
        { from: [cidr('128.0.0.0/1')], ports: [{ port: 101, endPort: 65535 }] },
      ],
    },
    opens: { direction: 'ingress', population: 'IPv4', protocol: 'TCP' },
  },
];

const NEAR_MISSES: readonly NearMiss[] = [
  {
    name: 'ports-to-65534',
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 1, endPort: 65534 }] }] },
    witness: { direction: 'ingress', probe: { ip: '10.0.0.1' }, port: 65535, protocol: 'TCP' },
  },
  {
    name: 'tcp-udp-halves',
    spec: {
      podSelector: {},
      ingress: [
        {
          ports: [
            { protocol: 'TCP', port: 1, endPort: 32767 },
            { protocol: 'UDP', port: 32768, endPort: 65535 },
          ],
        },
      ],
    },
    witness: { direction: 'ingress', probe: { ip: '10.0.0.1' }, port: 40000, protocol: 'TCP' },
  },
  {
    name: 'cidr-half',
    spec: { podSelector: {}, ingress: [{ from: [cidr('0.0.0.0/1')] }] },
    witness: { direction: 'ingress', probe: { ip: '128.0.0.0' }, port: 443, protocol: 'TCP' },
  },
  {
    name: 'halves-other-ports',
    spec: {
      podSelector: {},
      ingress: [{ from: [cidr('0.0.0.0/1')] }, { from: [cidr('128.0.0.0/1')], ports: [{ port: 1, endPort: 100 }] }],
    },
    witness: { direction: 'ingress', probe: { ip: '192.168.1.1' }, port: 101, protocol: 'TCP' },
  },
  {
    name: 'ns-doesnotexist',
    spec: { podSelector: {}, ingress: [{ from: [ns({ key: 'team', operator: 'DoesNotExist' })] }] },
    witness: { direction: 'ingress', probe: { ns: { [LABEL_NAMESPACE_NAME]: 'other', team: 'x' }, pod: {} }, port: 443, protocol: 'TCP' },
  },
];

// ---- the test --------------------------------------------------------------------

let op: TestOperator;
let tenant: RestClient;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
});
afterAll(async () => {
  tenant.close();
  await op.stop();
});

const policyFindings = async (name: string): Promise<string[]> =>
  ((await readBaseline(name))?.status?.findings ?? [])
    .filter((f: Finding) => f.type !== 'MutableSelectorLabel')
    .map((f) => `${f.type} ${f.name ?? ''}`)
    .sort();
const typeOf = (d: Direction): string => (d === 'ingress' ? 'AllowAllIngress' : 'AllowAllEgress');

describe('posture findings a namespace admin cannot dodge', () => {
  it('reports every policy that admits everyone, however spelled, and none of the near misses', async () => {
    const group = uniqueName('g');
    const [namespace = ''] = await createNamespaces('dodge', 1, { 'kp-test': group });
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await waitReady(name);
    const uid = (await readBaseline(name))?.metadata.uid ?? '';
    ({ client: tenant } = await namespaceAdmin(namespace));

    for (const c of [...DODGES, ...NEAR_MISSES]) {
      // The forged reference: what kubeposture's own objects carry, written by the tenant.
      const ownerReferences =
        'forged' in c ? [{ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name, uid, controller: true }] : undefined;
      await tenant.request('POST', resourcePath('NetworkPolicy', namespace), {
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: c.name, namespace, ...(ownerReferences === undefined ? {} : { ownerReferences }) },
          spec: c.spec,
        },
      });
    }
    const expected = DODGES.map((d) => `${typeOf(d.opens.direction)} ${d.name}`).sort();
    await timed(async () => {
      expect(await policyFindings(name)).toEqual(expected);
    }, 30_000);
    // Reported, never touched.
    expect(op.namespaceWrites().filter((r) => r.path.includes('/networkpolicies/') && !r.path.includes('kubeposture-'))).toEqual([]);

    // As stored, after the apiserver's defaulting.
    const stored = new Map<string, StoredPolicy>();
    for (const c of [...DODGES, ...NEAR_MISSES]) stored.set(c.name, (await user.get('NetworkPolicy', namespace, c.name)) as StoredPolicy);
    expect(stored.get('port-range')?.spec.ingress?.[0]?.ports).toEqual([{ protocol: 'TCP', port: 1, endPort: 65535 }]);
    expect(stored.get('cidr-halves')?.spec.policyTypes).toEqual(['Ingress']);
    const flagged = [...stored.values()].flatMap((np) => networkPolicyFindings(np).map((f) => `${f.type} ${f.name ?? ''}`)).sort();
    expect(flagged).toEqual(expected);
    for (const d of DODGES) {
      const np = stored.get(d.name);
      if (np === undefined) throw new Error(`${d.name} not stored`);
      const refused = probesOf(d.opens.population, namespace).flatMap((probe) =>
        PORTS.filter((port) => !admits(np, d.opens.direction, probe, port, d.opens.protocol)).map(
          (port) => `${JSON.stringify(probe)}:${String(port)}`,
        ),
      );
      expect({ policy: d.name, refused }).toEqual({ policy: d.name, refused: [] });
    }
    for (const m of NEAR_MISSES) {
      const np = stored.get(m.name);
      if (np === undefined) throw new Error(`${m.name} not stored`);
      const { direction, probe, port, protocol } = m.witness;
      expect({ policy: m.name, admitsWitness: admits(np, direction, probe, port, protocol) }).toEqual({
        policy: m.name,
        admitsWitness: false,
      });
    }

    // Gone when they go.
    for (const d of DODGES) await tenant.request('DELETE', resourcePath('NetworkPolicy', namespace, d.name));
    await timed(async () => {
      expect(await policyFindings(name)).toEqual([]);
    }, 30_000);
    await deleteBaseline(name);
  });
});
