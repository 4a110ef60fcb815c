/**
 * What a NetworkPolicy's rules admit, judged by meaning rather than spelling. Pure.
 *
 * "Everyone" is a whole universe of peers: every IPv4 address, every IPv6
 * address, or every pod in every namespace. A direction is open to a universe
 * on a protocol when the union of its rules admits every peer of that
 * universe on every port 1-65535 of that protocol: ports may be spelled as
 * ranges or split over entries and rules, CIDRs split into pieces (minus their
 * `except` blocks) over peers and rules, selectors combined over peers.
 * Protocols are judged one by one (TCP, UDP, SCTP): a rule open to everyone
 * on every TCP port admits everyone, whatever it says about UDP.
 *
 * Selectors are judged against every label set a namespace or pod could
 * carry, knowing only that every namespace carries kubernetes.io/metadata.name
 * (set by the apiserver to its name). So `Exists` on that key matches every
 * namespace, while `DoesNotExist` or `NotIn` on any other key does not: some
 * namespace or pod may carry the label. Whether several selectors together
 * match everything is a satisfiability question, so the search has a work
 * budget; a policy that spends it is reported as open (`undecided`) rather
 * than let through.
 *
 * Longer than most files on purpose: one decision procedure (ports, CIDRs, selectors and the
 * budget they share), whose parts are only correct together.
 *
 * Input is read defensively (other people's objects); what the apiserver
 * would refuse (an unknown operator, a peer with nothing in it) admits no one.
 */
import { LABEL_NAMESPACE_NAME } from '../api/constants.ts';
import { parseCidr, V4_BITS, V6_BITS, type Span } from '../lib/cidr.ts';
import { asList, asPlainObject } from '../lib/json.ts';

type Json = Readonly<Record<string, unknown>>;

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const UNIVERSES = ['IPv4', 'IPv6', 'pods'] as const;
/** A whole population of peers: every IPv4 address, every IPv6 address, every pod in every namespace. */
export type Universe = (typeof UNIVERSES)[number];

/** How much work judging one policy may take (about one unit per rule looked at, range merged or search step). */
export const REACH_BUDGET = 50_000;

const MAX_PORT = 65535;
/** An inclusive range of ports or addresses. */

/** A set of label states for one key: absent or not, and the values in (or, complemented, not in) a set. */
interface Domain {
  readonly absent: boolean;
  readonly values: ReadonlySet<string>;
  readonly complement: boolean;
}
/** A condition on one label key of the namespace ("ns <key>") or the pod ("pod <key>"). */
interface Atom {
  readonly key: string;
  readonly allowed: Domain;
}
/** A peer's selectors: it matches a pod when every atom holds (no atoms: every pod in every namespace). */
type Conjunction = readonly Atom[];

/** One rule, reduced to what it admits. */
interface RuleReach {
  /** Per protocol, the ports it admits: merged, sorted, within 1-65535. */
  readonly ports: Readonly<Record<Protocol, readonly Span<number>[]>>;
  /** No peers: it admits every source or destination. */
  readonly everyone: boolean;
  /** Addresses admitted per IP family: merged and sorted. */
  readonly ipv4: readonly Span<bigint>[];
  readonly ipv6: readonly Span<bigint>[];
  /** Its selector peers. */
  readonly peers: readonly Conjunction[];
}

/** How open a direction is: per universe, the protocols on which it admits all of it. */
export interface Openness {
  readonly open: ReadonlyMap<Universe, readonly Protocol[]>;
  /** Some answer came from running out of budget: reported as open, not proven. */
  readonly undecided: boolean;
}

class Budget {
  private left: number;
  constructor(units: number) {
    this.left = units;
  }
  spend(units: number): boolean {
    this.left -= units;
    return this.left >= 0;
  }
}

// ---- ports -----------------------------------------------------------------

/** Spans sorted and merged, adjacent ones too ([1,10] and [11,20] are [1,20]); `next` is the successor of a value. */
function merge<T extends number | bigint>(spans: Span<T>[], next: (x: T) => T): Span<T>[] {
  spans.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [T, T][] = [];
  for (const [lo, hi] of spans) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= next(last[1])) {
      if (hi > last[1]) last[1] = hi;
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

const mergePorts = (spans: Span<number>[]): Span<number>[] => merge(spans, (x) => x + 1);
const mergeAddresses = (spans: Span<bigint>[]): Span<bigint>[] => merge(spans, (x) => x + 1n);

const ALL_PORTS: readonly Span<number>[] = [[1, MAX_PORT]];

/** The ports a rule's `ports` list admits, per protocol (absent or empty: all of them). */
export function portsOf(ports: unknown): Record<Protocol, readonly Span<number>[]> {
  const entries = asList(ports);
  if (entries.length === 0) return { TCP: ALL_PORTS, UDP: ALL_PORTS, SCTP: ALL_PORTS };
  const spans: Record<Protocol, Span<number>[]> = { TCP: [], UDP: [], SCTP: [] };
  for (const e of entries) {
    const p = asPlainObject(e);
    if (p === undefined) continue;
    // The apiserver defaults protocol to TCP.
    const protocol = p.protocol ?? 'TCP';
    if (!(PROTOCOLS as readonly unknown[]).includes(protocol)) continue;
    const into = spans[protocol as Protocol];
    if (p.port === undefined) {
      into.push([1, MAX_PORT]);
      continue;
    }
    // A named port is whichever number a container gives it: never provably every port.
    if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > MAX_PORT) continue;
    const end =
      typeof p.endPort === 'number' && Number.isInteger(p.endPort) && p.endPort >= p.port ? Math.min(p.endPort, MAX_PORT) : p.port;
    into.push([p.port, end]);
  }
  return { TCP: mergePorts(spans.TCP), UDP: mergePorts(spans.UDP), SCTP: mergePorts(spans.SCTP) };
}

// ---- addresses ---------------------------------------------------------------

function subtract(spans: readonly Span<bigint>[], cut: Span<bigint>): Span<bigint>[] {
  return spans.flatMap(([lo, hi]): Span<bigint>[] => {
    if (cut[1] < lo || cut[0] > hi) return [[lo, hi]];
    const out: Span<bigint>[] = [];
    if (cut[0] > lo) out.push([lo, cut[0] - 1n]);
    if (cut[1] < hi) out.push([cut[1] + 1n, hi]);
    return out;
  });
}

/** The addresses one ipBlock admits: its CIDR minus its `except` blocks. */
function ipBlockReach(block: Json, budget: Budget): { family: 'IPv4' | 'IPv6'; spans: Span<bigint>[] } | undefined {
  const cidr = parseCidr(block.cidr);
  if (cidr === undefined) return undefined;
  let spans: Span<bigint>[] = [cidr.span];
  for (const e of asList(block.except)) {
    budget.spend(1);
    const cut = parseCidr(e);
    if (cut?.family === cidr.family) spans = subtract(spans, cut.span);
  }
  return { family: cidr.family, spans };
}

// ---- selectors ---------------------------------------------------------------

const NONE: ReadonlySet<string> = new Set();
const EXISTS: Domain = { absent: false, values: NONE, complement: true };

function intersect(a: Domain, b: Domain): Domain {
  const absent = a.absent && b.absent;
  if (!a.complement && !b.complement) return { absent, values: new Set([...a.values].filter((x) => b.values.has(x))), complement: false };
  if (a.complement && b.complement) return { absent, values: new Set([...a.values, ...b.values]), complement: true };
  const [pos, neg] = a.complement ? [b, a] : [a, b];
  return { absent, values: new Set([...pos.values].filter((x) => !neg.values.has(x))), complement: false };
}

const negate = (d: Domain): Domain => ({ absent: !d.absent, values: d.values, complement: !d.complement });
/** Label values are drawn from an unbounded set, so only a finite list with no absence is empty when it has no values. */
const isEmpty = (d: Domain): boolean => !d.absent && !d.complement && d.values.size === 0;

/** A label selector as atoms on keys under `scope`; undefined when it matches nothing (malformed). */
function selectorAtoms(v: unknown, scope: 'ns' | 'pod'): Atom[] | undefined {
  const s = asPlainObject(v);
  if (s === undefined) return undefined;
  const atoms: Atom[] = [];
  const labels = s.matchLabels === undefined ? {} : asPlainObject(s.matchLabels);
  if (labels === undefined) return undefined;
  for (const [k, val] of Object.entries(labels)) {
    if (typeof val !== 'string') return undefined;
    atoms.push({ key: `${scope} ${k}`, allowed: { absent: false, values: new Set([val]), complement: false } });
  }
  for (const e of asList(s.matchExpressions)) {
    const x = asPlainObject(e);
    if (x === undefined || typeof x.key !== 'string') return undefined;
    const values = asList(x.values);
    if (!values.every((y) => typeof y === 'string')) return undefined;
    const set = new Set(values as string[]);
    let allowed: Domain;
    switch (x.operator) {
      case 'In':
      case 'NotIn':
        if (set.size === 0) return undefined;
        allowed = x.operator === 'In' ? { absent: false, values: set, complement: false } : { absent: true, values: set, complement: true };
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (set.size > 0) return undefined;
        allowed = x.operator === 'Exists' ? EXISTS : { absent: true, values: NONE, complement: false };
        break;
      default:
        return undefined;
    }
    atoms.push({ key: `${scope} ${x.key}`, allowed });
  }
  return atoms;
}

/**
 * A peer's selectors as one conjunction over namespace and pod labels; undefined
 * for an ipBlock peer or a malformed one. A podSelector alone means pods of the
 * policy's own namespace: the namespace whose kubernetes.io/metadata.name is its name.
 */
function peerConjunction(peer: Json, ownNamespace: string): Conjunction | undefined {
  if (peer.ipBlock !== undefined) return undefined;
  if (peer.namespaceSelector === undefined && peer.podSelector === undefined) return undefined;
  const ns =
    peer.namespaceSelector === undefined
      ? [{ key: `ns ${LABEL_NAMESPACE_NAME}`, allowed: { absent: false, values: new Set([ownNamespace]), complement: false } }]
      : selectorAtoms(peer.namespaceSelector, 'ns');
  const pods = peer.podSelector === undefined ? [] : selectorAtoms(peer.podSelector, 'pod');
  return ns === undefined || pods === undefined ? undefined : [...ns, ...pods];
}

/**
 * Whether some pod in some namespace escapes every conjunction: true, false,
 * or undefined when the budget ran out. A backtracking search: for each
 * conjunction, one of its atoms must fail, so narrow that atom's key to the
 * atom's negation and go on; a key narrowed to nothing is a dead end.
 */
function someoneEscapes(conjunctions: readonly Conjunction[], budget: Budget): boolean | undefined {
  if (conjunctions.some((c) => c.length === 0)) return false;
  const ordered = [...conjunctions].sort((a, b) => a.length - b.length);
  // Every namespace carries kubernetes.io/metadata.name.
  const start = new Map<string, Domain>([[`ns ${LABEL_NAMESPACE_NAME}`, EXISTS]]);
  // Depth-first without recursion (a policy may hold many peers): `next` is the
  // atom to try next, -1 before the conjunction has been looked at.
  const stack: { i: number; domains: ReadonlyMap<string, Domain>; next: number }[] = [{ i: 0, domains: start, next: -1 }];
  const unset: Domain = { absent: true, values: NONE, complement: true };
  for (let f = stack[0]; f !== undefined; f = stack[stack.length - 1]) {
    const c = ordered[f.i];
    if (c === undefined) return true;
    const { domains } = f;
    const domainOf = (key: string): Domain => domains.get(key) ?? unset;
    if (f.next === -1) {
      if (!budget.spend(c.reduce((n, a) => n + 1 + a.allowed.values.size, domains.size))) return undefined;
      // Already failing for every state its keys may still take: nothing to choose.
      if (c.some((a) => isEmpty(intersect(domainOf(a.key), a.allowed)))) {
        f.i++;
        continue;
      }
      f.next = 0;
    }
    let pushed = false;
    while (!pushed && f.next < c.length) {
      const a = c[f.next++];
      if (a === undefined) break;
      const narrowed = intersect(domainOf(a.key), negate(a.allowed));
      if (isEmpty(narrowed)) continue;
      stack.push({ i: f.i + 1, domains: new Map(domains).set(a.key, narrowed), next: -1 });
      pushed = true;
    }
    if (!pushed) stack.pop();
  }
  return false;
}

// ---- rules and coverage ------------------------------------------------------

function ruleReach(rule: Json, peerField: 'from' | 'to', ownNamespace: string, budget: Budget): RuleReach {
  const peers = asList(rule[peerField]);
  const ipv4: Span<bigint>[] = [];
  const ipv6: Span<bigint>[] = [];
  const conjunctions: Conjunction[] = [];
  for (const p of peers) {
    budget.spend(1);
    const peer = asPlainObject(p);
    if (peer === undefined) continue;
    const block = asPlainObject(peer.ipBlock);
    if (block !== undefined) {
      const r = ipBlockReach(block, budget);
      if (r !== undefined) (r.family === 'IPv4' ? ipv4 : ipv6).push(...r.spans);
      continue;
    }
    const c = peerConjunction(peer, ownNamespace);
    if (c !== undefined) conjunctions.push(c);
  }
  budget.spend(ipv4.length + ipv6.length);
  return {
    ports: portsOf(rule.ports),
    everyone: peers.length === 0,
    ipv4: mergeAddresses(ipv4),
    ipv6: mergeAddresses(ipv6),
    peers: conjunctions,
  };
}

const UNIVERSE_TOP: Readonly<Record<'IPv4' | 'IPv6', bigint>> = { IPv4: (1n << V4_BITS) - 1n, IPv6: (1n << V6_BITS) - 1n };

function reachesAny(r: RuleReach, u: Universe): boolean {
  if (r.everyone) return true;
  switch (u) {
    case 'IPv4':
      return r.ipv4.length > 0;
    case 'IPv6':
      return r.ipv6.length > 0;
    case 'pods':
      return r.peers.length > 0;
  }
}

/** Whether these rules together admit all of `u` (ignoring ports). */
function coverUniverse(rules: readonly RuleReach[], u: Universe, budget: Budget): boolean | undefined {
  if (rules.some((r) => r.everyone)) return true;
  if (u === 'pods') {
    const escapes = someoneEscapes(
      rules.flatMap((r) => r.peers),
      budget,
    );
    return escapes === undefined ? undefined : !escapes;
  }
  const spans = rules.flatMap((r) => (u === 'IPv4' ? r.ipv4 : r.ipv6));
  if (!budget.spend(spans.length)) return undefined;
  const [first, ...rest] = mergeAddresses([...spans]);
  return first !== undefined && rest.length === 0 && first[0] === 0n && first[1] === UNIVERSE_TOP[u];
}

const holds = (spans: readonly Span<number>[], port: number): boolean => spans.some(([lo, hi]) => lo <= port && port <= hi);

/**
 * Whether the rules admit every peer of `u` on every port of `protocol`: every
 * stretch of ports between two rule boundaries must be covered by the rules
 * that admit it.
 */
function coverAll(rules: readonly RuleReach[], u: Universe, protocol: Protocol, budget: Budget): boolean | undefined {
  const relevant = rules.filter((r) => r.ports[protocol].length > 0 && reachesAny(r, u));
  const ports = mergePorts(relevant.flatMap((r) => [...r.ports[protocol]]));
  if (ports.length !== 1 || ports[0]?.[0] !== 1 || ports[0][1] !== MAX_PORT) return false;
  // Cheap first: all of them together must cover the universe.
  const together = coverUniverse(relevant, u, budget);
  if (together !== true) return together;
  const bounds = [...new Set(relevant.flatMap((r) => r.ports[protocol].flatMap(([lo, hi]) => [lo, hi + 1])))]
    .filter((p) => p <= MAX_PORT)
    .sort((a, b) => a - b);
  let undecided = false;
  for (const port of bounds) {
    if (!budget.spend(relevant.length)) return undefined;
    const active = relevant.filter((r) => holds(r.ports[protocol], port));
    const covered = active.length === relevant.length ? true : coverUniverse(active, u, budget);
    if (covered === false) return false;
    if (covered === undefined) undecided = true;
  }
  return undecided ? undefined : true;
}

/** How open one direction's rules are, for a policy in `ownNamespace`. */
export function openness(rules: unknown, peerField: 'from' | 'to', ownNamespace: string, units = REACH_BUDGET): Openness {
  const budget = new Budget(units);
  const reaches = asList(rules).flatMap((r) => {
    const rule = asPlainObject(r);
    return rule === undefined ? [] : [ruleReach(rule, peerField, ownNamespace, budget)];
  });
  const open = new Map<Universe, Protocol[]>();
  let undecided = false;
  for (const u of UNIVERSES) {
    for (const p of PROTOCOLS) {
      const c = coverAll(reaches, u, p, budget);
      if (c === false) continue;
      if (c === undefined) undecided = true;
      open.set(u, [...(open.get(u) ?? []), p]);
    }
  }
  return { open, undecided };
}
