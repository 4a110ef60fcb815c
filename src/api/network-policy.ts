/**
 * Validation of the networking.k8s.io/v1 parts of a baseline (spec.networkPolicy.additional[] and
 * spec.networkPolicy.dns), as Kubernetes' ValidateNetworkPolicySpec checks them: the CRD's schema
 * (generated from Kubernetes' OpenAPI) only knows their types, so a CIDR, a protocol or a port
 * range that the apiserver would refuse on the NetworkPolicy is refused here, naming the field,
 * before any namespace is touched. Stricter than Kubernetes in three places, each a spelling that
 * means something other than it seems: duplicate policyTypes, IPv4 octets with leading zeros, and an
 * `except` of another address family. Pure.
 */
import { RESERVED_POLICY_NAMES } from './constants.ts';
import type { Reader } from './field-reader.ts';
import { DNS_LABEL, labelSelector, shown } from './field-reader.ts';
import { limitsAt } from './limits.ts';
import { parseCidr } from '../lib/cidr.ts';
import type {
  AdditionalPolicy,
  DnsSpec,
  IPBlock,
  LabelSelector,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  PolicyType,
  Protocol,
} from './types.ts';

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES: readonly PolicyType[] = ['Ingress', 'Egress'];
const MAX_PORT = 65535;
/** IANA service names, as Kubernetes' IsValidPortName: at most 15, lowercase letters, digits and single '-' inside, one letter at least. */
const PORT_NAME = /^[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;

function cidr(r: Reader, v: unknown, field: string): ReturnType<typeof parseCidr> {
  const s = r.string(v, field, { maxLength: 64 });
  if (s === undefined) return undefined;
  if (s === '') {
    r.fail(field, 'must be a CIDR such as 10.0.0.0/8 or 2001:db8::/64 (it is empty)');
    return undefined;
  }
  const parsed = parseCidr(s);
  if (parsed === undefined) {
    r.fail(field, `${shown(s)} is not a CIDR (an address and a prefix length, such as 10.0.0.0/8 or 2001:db8::/64)`);
    return undefined;
  }
  if (parsed.family === 'IPv4' && /(^|\.)0\d/.test(s)) {
    r.fail(field, `${shown(s)} has an octet with a leading zero, which some read as octal: write it without`);
    return undefined;
  }
  return parsed;
}

function ipBlock(r: Reader, v: unknown, field: string): IPBlock | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  if (rec.cidr === undefined) {
    r.fail(`${field}.cidr`, 'is required');
    return undefined;
  }
  const outer = cidr(r, rec.cidr, `${field}.cidr`);
  const except =
    rec.except === undefined
      ? undefined
      : r.strings(rec.except, `${field}.except`, { list: { maxItems: 50 } }, (s, f) => {
          const inner = cidr(r, s, f);
          if (inner === undefined || outer === undefined) return;
          const strict = inner.family === outer.family && inner.prefix > outer.prefix;
          if (!strict || inner.span[0] < outer.span[0] || inner.span[1] > outer.span[1]) {
            r.fail(f, `${shown(s)} must be a strict subset of cidr ${shown(rec.cidr)}`);
          }
        });
  if (typeof rec.cidr !== 'string') return undefined;
  return { cidr: rec.cidr, ...(except === undefined ? {} : { except }) };
}

/** One NetworkPolicyPeer: pod and/or namespace selectors, or an ipBlock alone. */
export function peer(r: Reader, v: unknown, field: string): NetworkPolicyPeer | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const out: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: IPBlock } = {};
  for (const key of ['podSelector', 'namespaceSelector'] as const) {
    if (rec[key] === undefined || rec[key] === null) continue;
    const s = labelSelector(r, rec[key], `${field}.${key}`);
    if (s !== undefined) out[key] = s;
  }
  const hasSelector = (rec.podSelector ?? rec.namespaceSelector ?? null) !== null;
  if (rec.ipBlock !== undefined && rec.ipBlock !== null) {
    if (hasSelector) r.fail(field, 'may not specify both ipBlock and another peer (podSelector or namespaceSelector)');
    const b = ipBlock(r, rec.ipBlock, `${field}.ipBlock`);
    if (b !== undefined) out.ipBlock = b;
  } else if (!hasSelector) {
    r.fail(field, 'must specify a peer: podSelector, namespaceSelector or ipBlock (an empty peer is refused by Kubernetes)');
  }
  return out;
}

/** One NetworkPolicyPort: a protocol, a port number or name, and a range end only after a number. */
export function port(r: Reader, v: unknown, field: string): NetworkPolicyPort | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const out: { protocol?: Protocol; port?: number | string; endPort?: number } = {};
  if (rec.protocol !== undefined) {
    const p = r.oneOf(rec.protocol, `${field}.protocol`, PROTOCOLS);
    if (p !== undefined) out.protocol = p;
  }
  const portNumber = (x: unknown, f: string): number | undefined => {
    if (typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= MAX_PORT) return x;
    r.fail(f, `must be a port number between 1 and ${String(MAX_PORT)}, not ${shown(x)}`);
    return undefined;
  };
  if (typeof rec.port === 'string') {
    if (rec.port.length > 15 || !PORT_NAME.test(rec.port) || !/[a-z]/.test(rec.port)) {
      r.fail(
        `${field}.port`,
        `${shown(rec.port)} is not a port name (at most 15 lowercase letters, digits and single '-', with a letter) nor a number`,
      );
    } else out.port = rec.port;
    if (rec.endPort !== undefined) r.fail(`${field}.endPort`, 'may not be set when port is a name');
  } else if (rec.port !== undefined) {
    const n = portNumber(rec.port, `${field}.port`);
    if (n !== undefined) out.port = n;
    if (rec.endPort !== undefined) {
      const end = portNumber(rec.endPort, `${field}.endPort`);
      if (end !== undefined && n !== undefined && end < n)
        r.fail(`${field}.endPort`, `must be at least port (${String(n)}), is ${String(end)}`);
      if (end !== undefined) out.endPort = end;
    }
  } else if (rec.endPort !== undefined) {
    r.fail(`${field}.endPort`, 'may not be set without port');
  }
  return out;
}

function rules<T>(
  r: Reader,
  v: unknown,
  field: string,
  peers: 'from' | 'to',
  limits: { list: { maxItems: number }; peers: { maxItems: number }; ports: { maxItems: number } },
  make: (peerList: NetworkPolicyPeer[] | undefined, portList: NetworkPolicyPort[] | undefined) => T,
): T[] | undefined {
  const list = r.array(v, field, limits.list);
  if (list === undefined) return undefined;
  return list.flatMap((item, i) => {
    const f = `${field}[${String(i)}]`;
    // A null rule is what Kubernetes reads as an empty one: every peer, every port.
    const rec = item === null ? {} : r.record(item, f);
    if (rec === undefined) return [];
    const peerList =
      rec[peers] === undefined || rec[peers] === null
        ? undefined
        : r.array(rec[peers], `${f}.${peers}`, limits.peers)?.flatMap((p, j) => peer(r, p, `${f}.${peers}[${String(j)}]`) ?? []);
    const portList =
      rec.ports === undefined || rec.ports === null
        ? undefined
        : r.array(rec.ports, `${f}.ports`, limits.ports)?.flatMap((p, j) => port(r, p, `${f}.ports[${String(j)}]`) ?? []);
    return [make(peerList, portList)];
  });
}

const nonEmpty = <K extends string, V>(key: K, list: readonly V[] | undefined): Partial<Record<K, readonly V[]>> =>
  list === undefined || list.length === 0 ? {} : ({ [key]: list } as Partial<Record<K, readonly V[]>>);

function additional(r: Reader, v: unknown, field: string, seen: Map<string, number>, index: number): AdditionalPolicy | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const name = r.string(rec.name, `${field}.name`, limitsAt('spec.networkPolicy.additional[].name'));
  if (name !== undefined) {
    if (!DNS_LABEL.test(name)) r.fail(`${field}.name`, `${shown(name)} is not a DNS label (lowercase letters, digits and '-')`);
    if ((RESERVED_POLICY_NAMES as readonly string[]).includes(name)) {
      r.fail(`${field}.name`, `${shown(name)} is kubeposture's own (kubeposture-${name}); choose another name`);
    }
    const prev = seen.get(name);
    if (prev !== undefined) r.fail(`${field}.name`, `duplicates additional[${String(prev)}].name ${shown(name)}`);
    seen.set(name, index);
  }
  const podSelector =
    rec.podSelector === undefined || rec.podSelector === null ? {} : labelSelector(r, rec.podSelector, `${field}.podSelector`);
  let policyTypes: PolicyType[] | undefined;
  if (rec.policyTypes !== undefined && rec.policyTypes !== null) {
    const list = r.array(rec.policyTypes, `${field}.policyTypes`, { maxItems: 2 });
    policyTypes = [];
    for (const [i, t] of (list ?? []).entries()) {
      const pt = r.oneOf(t, `${field}.policyTypes[${String(i)}]`, POLICY_TYPES);
      if (pt === undefined) continue;
      if (policyTypes.includes(pt)) r.fail(`${field}.policyTypes[${String(i)}]`, `lists ${pt} twice`);
      else policyTypes.push(pt);
    }
  }
  const base = 'spec.networkPolicy.additional[]';
  const ingress = rules(
    r,
    rec.ingress ?? [],
    `${field}.ingress`,
    'from',
    { list: limitsAt(`${base}.ingress`), peers: limitsAt(`${base}.ingress[].from`), ports: limitsAt(`${base}.ingress[].ports`) },
    (from, ports): NetworkPolicyIngressRule => ({ ...nonEmpty('from', from), ...nonEmpty('ports', ports) }),
  );
  const egress = rules(
    r,
    rec.egress ?? [],
    `${field}.egress`,
    'to',
    { list: limitsAt(`${base}.egress`), peers: limitsAt(`${base}.egress[].to`), ports: limitsAt(`${base}.egress[].ports`) },
    (to, ports): NetworkPolicyEgressRule => ({ ...nonEmpty('to', to), ...nonEmpty('ports', ports) }),
  );
  if (name === undefined || podSelector === undefined) return undefined;
  return {
    name,
    podSelector,
    ...(policyTypes === undefined || policyTypes.length === 0 ? {} : { policyTypes }),
    ...nonEmpty('ingress', ingress),
    ...nonEmpty('egress', egress),
  };
}

/** spec.networkPolicy.additional: unique names, none of kubeposture's own, each a valid NetworkPolicySpec. */
export function additionalPolicies(r: Reader, v: unknown, field: string): AdditionalPolicy[] | undefined {
  const list = r.array(v, field, limitsAt('spec.networkPolicy.additional'));
  if (list === undefined) return undefined;
  const seen = new Map<string, number>();
  return list.flatMap((item, i) => additional(r, item, `${field}[${String(i)}]`, seen, i) ?? []);
}

/** spec.networkPolicy.dns: where DNS egress may go; each list, when given, lists at least one entry. */
export function dnsSpec(r: Reader, v: unknown, field: string): DnsSpec | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const to =
    rec.to === undefined
      ? undefined
      : r
          .array(rec.to, `${field}.to`, limitsAt('spec.networkPolicy.dns.to'), 'peer')
          ?.flatMap((p, i) => peer(r, p, `${field}.to[${String(i)}]`) ?? []);
  const ports =
    rec.ports === undefined
      ? undefined
      : r
          .array(rec.ports, `${field}.ports`, limitsAt('spec.networkPolicy.dns.ports'), 'port')
          ?.flatMap((p, i) => port(r, p, `${field}.ports[${String(i)}]`) ?? []);
  return { ...(to === undefined ? {} : { to }), ...(ports === undefined ? {} : { ports }) };
}
