/**
 * Posture findings: what weakens a baseline without being drift of the objects
 * kubeposture manages. Pure. NetworkPolicies are additive, so a tenant's own
 * policy that admits everyone (judged by what it allows: reach.ts) undoes the
 * default-deny; a selector built on
 * labels that whoever may update a namespace can change lets them move it out.
 * Input is read defensively: these are other people's objects.
 */
import { LABEL_NAMESPACE_NAME, SELECTOR_GUARD } from '../api/constants.ts';
import { FindingType, type Finding, type LabelSelector } from '../api/types.ts';
import { PROTOCOLS, REACH_BUDGET, UNIVERSES, openness, type Openness, type Protocol, type Universe } from './reach.ts';
import { asList, asPlainObject } from '../lib/json.ts';

type Json = Readonly<Record<string, unknown>>;

/** An absent or empty label selector: it selects everything. */
function selectsAll(v: unknown): boolean {
  const s = asPlainObject(v);
  return s === undefined || (Object.keys(asPlainObject(s.matchLabels) ?? {}).length === 0 && asList(s.matchExpressions).length === 0);
}

const WHO: Readonly<Record<Universe, string>> = {
  IPv4: 'every address (0.0.0.0/0)',
  IPv6: 'every address (::/0)',
  pods: 'every pod in every namespace',
};

/** "every port", or the protocols whose every port is open: "every TCP and UDP port". */
function portWords(protocols: readonly Protocol[]): string {
  if (PROTOCOLS.every((p) => protocols.includes(p))) return 'every port';
  return `every ${protocols.join(' and ')} port`;
}

/** To whom, on which ports, a direction is open, in words ("everyone on every port"); undefined when it is not. */
function describeOpen(o: Openness, preposition: 'from' | 'to'): string | undefined {
  if (o.open.size === 0) return undefined;
  const note = o.undecided ? ' (too many rules to rule it out within the work budget, so reported)' : '';
  const [first] = o.open.values();
  if (first !== undefined && UNIVERSES.every((u) => o.open.get(u)?.join() === first.join()))
    return `${preposition} everyone on ${portWords(first)}${note}`;
  // Universes open on the same protocols share a phrase.
  const byPorts = new Map<string, string[]>();
  for (const u of UNIVERSES) {
    const ps = o.open.get(u);
    if (ps !== undefined) byPorts.set(portWords(ps), [...(byPorts.get(portWords(ps)) ?? []), WHO[u]]);
  }
  return [...byPorts].map(([ports, who]) => `${preposition} ${who.join(' and ')} on ${ports}`).join(' and ') + note;
}

/** "all pods", or up to three of the podSelector's labels. */
function whichPods(spec: Json): string {
  if (selectsAll(spec.podSelector)) return 'all pods';
  const labels = Object.entries(asPlainObject(asPlainObject(spec.podSelector)?.matchLabels) ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  if (labels.length === 0) return 'the pods its podSelector matches';
  return `pods with ${labels.slice(0, 3).join(',')}${labels.length > 3 ? ` and ${String(labels.length - 3)} more labels` : ''}`;
}

/**
 * Findings for one NetworkPolicy, whoever made it: a direction whose rules
 * together admit everyone (every IPv4 address, every IPv6 address, or every
 * pod in every namespace) on every port of a protocol; see reach.ts for what
 * counts. A direction counts only when the policy's policyTypes cover it (as
 * Kubernetes defaults them: Ingress always, Egress when egress rules exist).
 * Who made the policy does not matter: kubeposture's fixed policies never admit
 * everyone, an additional policy of the platform's that does is reported like any
 * other, and a mark of authorship is something a tenant can copy.
 */
export function networkPolicyFindings(
  np: { readonly metadata: { readonly name: string; readonly namespace?: string }; readonly spec?: unknown },
  budget = REACH_BUDGET,
): Finding[] {
  const spec = asPlainObject(np.spec);
  if (spec === undefined) return [];
  const types = asList(spec.policyTypes);
  const covers = (t: 'Ingress' | 'Egress'): boolean =>
    types.length > 0 ? types.includes(t) : t === 'Ingress' || asList(spec.egress).length > 0;
  const namespace = np.metadata.namespace ?? '';
  const where = { namespace, kind: 'NetworkPolicy', name: np.metadata.name };
  const out: Finding[] = [];
  const ingress = covers('Ingress') ? describeOpen(openness(spec.ingress, 'from', namespace, budget), 'from') : undefined;
  if (ingress !== undefined) {
    out.push({
      type: FindingType.AllowAllIngress,
      ...where,
      message: `admits ingress ${ingress} to ${whichPods(spec)}, past the default-deny`,
    });
  }
  const egress = covers('Egress') ? describeOpen(openness(spec.egress, 'to', namespace, budget), 'to') : undefined;
  if (egress !== undefined) {
    out.push({
      type: FindingType.AllowAllEgress,
      ...where,
      message: `allows egress ${egress} from ${whichPods(spec)}, past the default-deny`,
    });
  }
  return out;
}

/** The label keys a namespaceSelector relies on that can be changed (all but kubernetes.io/metadata.name), sorted. */
export function mutableSelectorLabels(selector: LabelSelector | undefined): string[] {
  const keys = new Set([...Object.keys(selector?.matchLabels ?? {}), ...(selector?.matchExpressions ?? []).map((e) => e.key)]);
  keys.delete(LABEL_NAMESPACE_NAME);
  return [...keys].sort();
}

/** Whether the admission policy that protects selector labels is in place. */
export type GuardState =
  | { readonly state: 'installed' }
  | { readonly state: 'absent'; readonly missing: string }
  | { readonly state: 'unknown'; readonly error: string };

/** Whether the shipped policy and a binding of it that denies are both there, from the two objects as read. */
export function selectorGuardState(
  policy: unknown,
  binding: { readonly spec?: { readonly policyName?: unknown; readonly validationActions?: unknown } } | undefined,
): GuardState {
  if (policy === undefined) return { state: 'absent', missing: `ValidatingAdmissionPolicy ${SELECTOR_GUARD}` };
  if (binding?.spec?.policyName !== SELECTOR_GUARD || !asList(binding.spec.validationActions).includes('Deny')) {
    return {
      state: 'absent',
      missing: `ValidatingAdmissionPolicyBinding ${SELECTOR_GUARD} (binding the policy with validationActions [Deny])`,
    };
  }
  return { state: 'installed' };
}

/** A finding for a selector on labels that anyone who may update a namespace can change, unless the policy guards them. */
export function selectorFindings(selector: LabelSelector | undefined, guard: GuardState): Finding[] {
  const keys = mutableSelectorLabels(selector);
  if (keys.length === 0 || guard.state === 'installed') return [];
  const why =
    guard.state === 'absent' ? `${guard.missing} is not installed` : `whether it is installed could not be checked: ${guard.error}`;
  return [
    {
      type: FindingType.MutableSelectorLabel,
      message:
        `namespaceSelector relies on label${keys.length > 1 ? 's' : ''} ${keys.join(', ')}, which anyone allowed to update a namespace can change to move it out of this baseline; ` +
        `select by ${LABEL_NAMESPACE_NAME}, or install the ValidatingAdmissionPolicy ${SELECTOR_GUARD} (config/policy): ${why}`,
    },
  ];
}

const findingOrder = (a: Finding, b: Finding): number =>
  a.type.localeCompare(b.type) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || (a.name ?? '').localeCompare(b.name ?? '');

/** Findings sorted by type, namespace and name. */
export function sortFindings(findings: Iterable<Finding>): Finding[] {
  return [...findings].sort(findingOrder);
}
