/**
 * What a baseline may grant its workload ServiceAccounts. Write access to any
 * object kubeposture enforces would let the workload undo the baseline from the
 * inside: delete its NetworkPolicy, add `scopes` to its ResourceQuota (neutered
 * without drift), race its Pod Security labels on the Namespace (a Role rule on
 * `namespaces` covers the Role's own namespace), widen its own Role, or mint
 * tokens for other ServiceAccounts. So on these, rules may only read.
 * Pure: the validator refuses such rules, naming the field. The CRD refuses the same rules
 * by CEL (crds/securitybaselines.kubeposture.io.yaml); test/integration/crd-grants.test.ts
 * runs one table through both, so a change here needs the same change there.
 */
import type { PolicyRule } from './types.ts';

/** The API groups and resources kubeposture enforces, or that control them. */
export const ENFORCED_RESOURCES: readonly { readonly group: string; readonly resources: readonly string[] }[] = [
  { group: '', resources: ['namespaces', 'resourcequotas', 'limitranges', 'serviceaccounts'] },
  { group: 'networking.k8s.io', resources: ['networkpolicies'] },
  { group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'] },
];

/** The only verbs a rule may grant on them. */
export const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

/** How a rule's resource names one: itself, any of its subresources, or a wildcard. */
function covers(pattern: string, resource: string): boolean {
  const [base = ''] = pattern.split('/');
  return base === '*' || base === resource;
}

/**
 * The enforced resources (as "group/resource", core as "resource") on which `rule` grants a
 * verb other than get, list or watch, wildcards included; empty when it grants none.
 */
export function enforcedWrites(rule: PolicyRule): string[] {
  const writes = rule.verbs.filter((v) => !READ_VERBS.has(v));
  if (writes.length === 0) return [];
  // The apiserver refuses a namespaced resource rule without apiGroups; read it as the core group.
  const groups = rule.apiGroups ?? [''];
  const out: string[] = [];
  for (const { group, resources } of ENFORCED_RESOURCES) {
    if (!groups.some((g) => g === '*' || g === group)) continue;
    for (const res of resources) {
      if (rule.resources.some((p) => covers(p, res))) out.push(group === '' ? res : `${group}/${res}`);
    }
  }
  return out;
}
