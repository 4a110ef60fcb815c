/**
 * NetworkPolicy semantics, written here from the NetworkPolicy API's rules and sharing no code
 * with kubeposture (Node's BlockList for CIDRs): whether one stored policy admits a peer, and
 * whether a namespace's policies together let a connection through (a pod selected by no policy
 * of a direction is open in it; one selected by any is open only to what some selecting policy
 * admits). Tests evaluate what the apiserver stored with it, not what kubeposture meant to write.
 */
import { BlockList, isIPv6 } from 'node:net';
import { LABEL_NAMESPACE_NAME } from '../../src/api/constants.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type Direction = 'ingress' | 'egress';
export type Labels = Readonly<Record<string, string>>;
/** A source or destination: an address, or a pod (its labels) in a namespace (its labels). */
export type Probe = { readonly ip: string } | { readonly ns: Labels; readonly pod: Labels };

export interface Selector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}
export interface Peer {
  readonly ipBlock?: { cidr: string; except?: readonly string[] };
  readonly namespaceSelector?: Selector;
  readonly podSelector?: Selector;
}
export interface Port {
  readonly protocol?: string;
  readonly port?: number | string;
  readonly endPort?: number;
}
export interface Rule {
  readonly from?: readonly Peer[];
  readonly to?: readonly Peer[];
  readonly ports?: readonly Port[];
}
export interface StoredPolicy {
  readonly metadata: { name: string; namespace: string };
  readonly spec: { policyTypes?: readonly string[]; ingress?: readonly Rule[]; egress?: readonly Rule[] };
}

export function selects(sel: Selector, labels: Labels): boolean {
  return (
    Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (sel.matchExpressions ?? []).every((e) => {
      const value = labels[e.key];
      switch (e.operator) {
        case 'In':
          return value !== undefined && (e.values ?? []).includes(value);
        case 'NotIn':
          return value === undefined || !(e.values ?? []).includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    })
  );
}

export function inBlock(block: NonNullable<Peer['ipBlock']>, ip: string): boolean {
  const family = isIPv6(ip) ? 'ipv6' : 'ipv4';
  const list = (cidrs: readonly string[]): BlockList => {
    const b = new BlockList();
    for (const c of cidrs) {
      const [net = '', prefix = ''] = c.split('/');
      if (isIPv6(net) === (family === 'ipv6')) b.addSubnet(net, Number(prefix), family);
    }
    return b;
  };
  return list([block.cidr]).check(ip, family) && !list(block.except ?? []).check(ip, family);
}

export function peerAdmits(peer: Peer, own: string, probe: Probe): boolean {
  if (peer.ipBlock !== undefined) return 'ip' in probe && inBlock(peer.ipBlock, probe.ip);
  if ('ip' in probe) return false;
  const namespaceOk =
    peer.namespaceSelector === undefined ? probe.ns[LABEL_NAMESPACE_NAME] === own : selects(peer.namespaceSelector, probe.ns);
  return namespaceOk && (peer.podSelector === undefined || selects(peer.podSelector, probe.pod));
}

/** Whether `ports` admit `port`/`protocol`; a named port matches nothing (no pod to name it). */
export function portAdmits(ports: readonly Port[] | undefined, port: number, protocol: Protocol): boolean {
  return portMatches(ports, port, protocol, {});
}

/** Whether the stored policy lets `probe` in (ingress) or out to it (egress) on `port`/`protocol`. */
export function admits(np: StoredPolicy, direction: Direction, probe: Probe, port: number, protocol: Protocol): boolean {
  if (!(np.spec.policyTypes ?? []).includes(direction === 'ingress' ? 'Ingress' : 'Egress')) return false;
  return (np.spec[direction] ?? []).some((r) => {
    const peers = (direction === 'ingress' ? r.from : r.to) ?? [];
    return portAdmits(r.ports, port, protocol) && (peers.length === 0 || peers.some((p) => peerAdmits(p, np.metadata.namespace, probe)));
  });
}

/** A pod: its namespace's labels, its own labels, and its named container ports. */
export interface Pod {
  readonly ns: Labels;
  readonly pod: Labels;
  readonly namedPorts?: Readonly<Record<string, number>>;
}

/** A policy with its pod selector, as the apiserver stores it. */
export interface FullPolicy extends StoredPolicy {
  readonly spec: StoredPolicy['spec'] & { readonly podSelector?: Selector };
}

function portMatches(
  ports: readonly Port[] | undefined,
  port: number,
  protocol: Protocol,
  named: Readonly<Record<string, number>>,
): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const n = typeof p.port === 'number' ? p.port : named[p.port];
    return n !== undefined && n <= port && port <= (p.endPort ?? n);
  });
}

/**
 * Whether a connection gets through the policies of `namespace`: ingress to `pod` there from
 * `peer`, or egress from `pod` there to `peer`, on `port`/`protocol`. Named ports are the
 * receiving pod's (the target for ingress, the peer for egress).
 */
export function allowed(
  policies: readonly FullPolicy[],
  namespace: string,
  pod: Pod,
  direction: Direction,
  peer: Probe & { readonly namedPorts?: Readonly<Record<string, number>> },
  port: number,
  protocol: Protocol,
): boolean {
  const type = direction === 'ingress' ? 'Ingress' : 'Egress';
  const selecting = policies.filter(
    (np) =>
      np.metadata.namespace === namespace && selects(np.spec.podSelector ?? {}, pod.pod) && (np.spec.policyTypes ?? []).includes(type),
  );
  if (selecting.length === 0) return true;
  const named = (direction === 'ingress' ? pod.namedPorts : peer.namedPorts) ?? {};
  return selecting.some((np) =>
    (np.spec[direction] ?? []).some((r) => {
      const peers = (direction === 'ingress' ? r.from : r.to) ?? [];
      return portMatches(r.ports, port, protocol, named) && (peers.length === 0 || peers.some((p) => peerAdmits(p, namespace, peer)));
    }),
  );
}
