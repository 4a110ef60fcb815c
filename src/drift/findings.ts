/**
 * Posture findings: what weakens a baseline without being drift of the objects
 * kubeposture manages. Pure. NetworkPolicies are additive, so a tenant's own
 * policy that admits everyone undoes the default-deny; a selector built on
 * labels that whoever may update a namespace can change lets them move it out.
 * Input is read defensively: these are other people's objects.
 */
import { LABEL_NAMESPACE_NAME, SELECTOR_GUARD } from '../api/constants.ts';
import { FindingType, type Finding, type LabelSelector } from '../api/types.ts';

type Json = Readonly<Record<string, unknown>>;

const record = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** An absent or empty label selector: it selects everything. */
function selectsAll(v: unknown): boolean {
  const s = record(v);
  return s === undefined || (Object.keys(record(s.matchLabels) ?? {}).length === 0 && list(s.matchExpressions).length === 0);
}

/** Who a peer list lets in (or out to) when that is everyone, in words; undefined otherwise. */
function everyone(peers: unknown): string | undefined {
  const ps = list(peers);
  if (ps.length === 0) return 'everyone';
  for (const p of ps) {
    const peer = record(p);
    if (peer === undefined) continue;
    const block = record(peer.ipBlock);
    if (block !== undefined && (block.cidr === '0.0.0.0/0' || block.cidr === '::/0') && list(block.except).length === 0) return `every address (${block.cidr})`;
    // A namespaceSelector that selects all, with no podSelector narrowing it: every pod in the cluster.
    if (block === undefined && peer.namespaceSelector !== undefined && selectsAll(peer.namespaceSelector) && selectsAll(peer.podSelector)) return 'every pod in every namespace';
  }
  return undefined;
}

/** The first rule that admits everyone on every port, described; undefined when none does. */
function openRule(rules: unknown, peerField: 'from' | 'to'): string | undefined {
  for (const r of list(rules)) {
    const rule = record(r);
    if (rule === undefined || list(rule.ports).length > 0) continue;
    const who = everyone(rule[peerField]);
    if (who !== undefined) return who;
  }
  return undefined;
}

/** "all pods", or the podSelector's labels. */
function whichPods(spec: Json): string {
  if (selectsAll(spec.podSelector)) return 'all pods';
  const labels = Object.entries(record(record(spec.podSelector)?.matchLabels) ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  return labels.length > 0 ? `pods with ${labels.join(',')}` : 'the pods its podSelector matches';
}

/**
 * Findings for one NetworkPolicy that kubeposture did not make: a rule that
 * admits every source (ingress) or every destination (egress) on every port.
 * A rule counts only for a direction the policy's policyTypes cover (as
 * Kubernetes defaults them: Ingress always, Egress when egress rules exist).
 */
export function networkPolicyFindings(np: { readonly metadata: { readonly name: string; readonly namespace?: string } ; readonly spec?: unknown }): Finding[] {
  const spec = record(np.spec);
  if (spec === undefined) return [];
  const types = list(spec.policyTypes);
  const covers = (t: 'Ingress' | 'Egress'): boolean => (types.length > 0 ? types.includes(t) : t === 'Ingress' || list(spec.egress).length > 0);
  const where = { namespace: np.metadata.namespace ?? '', kind: 'NetworkPolicy', name: np.metadata.name };
  const out: Finding[] = [];
  const ingress = covers('Ingress') ? openRule(spec.ingress, 'from') : undefined;
  if (ingress !== undefined) {
    out.push({ type: FindingType.AllowAllIngress, ...where, message: `admits ingress from ${ingress} on every port to ${whichPods(spec)}, past the default-deny` });
  }
  const egress = covers('Egress') ? openRule(spec.egress, 'to') : undefined;
  if (egress !== undefined) {
    out.push({ type: FindingType.AllowAllEgress, ...where, message: `allows egress to ${egress} on every port from ${whichPods(spec)}, past the default-deny` });
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
export function selectorGuardState(policy: unknown, binding: { readonly spec?: { readonly policyName?: unknown; readonly validationActions?: unknown } } | undefined): GuardState {
  if (policy === undefined) return { state: 'absent', missing: `ValidatingAdmissionPolicy ${SELECTOR_GUARD}` };
  if (binding?.spec?.policyName !== SELECTOR_GUARD || !list(binding.spec.validationActions).includes('Deny')) {
    return { state: 'absent', missing: `ValidatingAdmissionPolicyBinding ${SELECTOR_GUARD} (binding the policy with validationActions [Deny])` };
  }
  return { state: 'installed' };
}

/** A finding for a selector on labels that anyone who may update a namespace can change, unless the policy guards them. */
export function selectorFindings(selector: LabelSelector | undefined, guard: GuardState): Finding[] {
  const keys = mutableSelectorLabels(selector);
  if (keys.length === 0 || guard.state === 'installed') return [];
  const why = guard.state === 'absent' ? `${guard.missing} is not installed` : `whether it is installed could not be checked: ${guard.error}`;
  return [{
    type: FindingType.MutableSelectorLabel,
    message: `namespaceSelector relies on label${keys.length > 1 ? 's' : ''} ${keys.join(', ')}, which anyone allowed to update a namespace can change to move it out of this baseline; `
      + `select by ${LABEL_NAMESPACE_NAME}, or install the ValidatingAdmissionPolicy ${SELECTOR_GUARD} (config/policy): ${why}`,
  }];
}

const findingOrder = (a: Finding, b: Finding): number =>
  a.type.localeCompare(b.type) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || (a.name ?? '').localeCompare(b.name ?? '');

/** Findings sorted by type, namespace and name. */
export function sortFindings(findings: Iterable<Finding>): Finding[] {
  return [...findings].sort(findingOrder);
}
