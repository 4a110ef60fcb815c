/**
 * The checks a baseline makes in a namespace, as reports name them: one per object
 * it wants there (and one for each set of shared fields), named after the part of the
 * spec that asks for it, in the words a SecurityBaselineException's `exempt` uses
 * where there is one (`limitRange`, `networkPolicy.additional.<name>`,
 * `serviceAccounts.workloads.<name>`). Pure.
 */
import {
  DEFAULT_SERVICE_ACCOUNT,
  NAME_ALLOW_DNS,
  NAME_ALLOW_SAME_NAMESPACE,
  NAME_DEFAULT_DENY,
  NAME_GRANTOR,
  POLICY_PREFIX,
  workloadRbacName,
} from '../api/constants.ts';
import type { ExemptPart, SecurityBaseline } from '../api/types.ts';
import { desiredObjects } from './build.ts';
import type { ServiceAccountRef } from './objects.ts';

/** Severities as OpenReports names them. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** What a check is about, for grouping (Policy Reporter groups results by category). */
export const Category = {
  Network: 'Network isolation',
  Resources: 'Resource limits',
  Identity: 'Workload identity',
  PodSecurity: 'Pod Security',
} as const;
export type Category = (typeof Category)[keyof typeof Category];

/** The rule, category and severity of one object's check. */
export interface CheckKind {
  readonly rule: string;
  readonly category: Category;
  readonly severity: Severity;
}

/** One check: the object (or the shared fields of `kind`/`name`) the baseline wants, and what it is. */
export interface Check extends CheckKind {
  readonly kind: string;
  readonly name: string;
}

/**
 * What the check of kubeposture's object `kind`/`name` is. Names decide it: kubeposture's
 * objects have fixed names (a workload's Role and RoleBinding are `kubeposture-<name>`).
 */
export function checkKind(kind: string, name: string): CheckKind {
  switch (kind) {
    case 'NetworkPolicy': {
      const severity: Severity = name === NAME_DEFAULT_DENY ? 'high' : 'medium';
      const rule =
        name === NAME_DEFAULT_DENY
          ? 'networkPolicy.defaultDeny'
          : name === NAME_ALLOW_DNS
            ? 'networkPolicy.allowDNS'
            : name === NAME_ALLOW_SAME_NAMESPACE
              ? 'networkPolicy.allowSameNamespace'
              : `networkPolicy.additional.${name.startsWith(POLICY_PREFIX) ? name.slice(POLICY_PREFIX.length) : name}`;
      return { rule, category: Category.Network, severity };
    }
    case 'LimitRange':
      return { rule: 'limitRange', category: Category.Resources, severity: 'medium' };
    case 'ResourceQuota':
      return { rule: 'resourceQuota', category: Category.Resources, severity: 'medium' };
    case 'ServiceAccount':
      return name === DEFAULT_SERVICE_ACCOUNT
        ? { rule: 'serviceAccounts.disableDefaultTokenMount', category: Category.Identity, severity: 'high' }
        : { rule: `serviceAccounts.workloads.${name}`, category: Category.Identity, severity: 'medium' };
    case 'Role':
    case 'RoleBinding': {
      if (name === NAME_GRANTOR) return { rule: 'serviceAccounts.grantor', category: Category.Identity, severity: 'low' };
      const prefix = workloadRbacName('');
      const workload = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      return { rule: `serviceAccounts.workloads.${workload}`, category: Category.Identity, severity: 'medium' };
    }
    case 'Namespace':
      return { rule: 'podSecurity', category: Category.PodSecurity, severity: 'high' };
    default:
      return { rule: kind, category: Category.Identity, severity: 'medium' };
  }
}

const NONE: ReadonlySet<ExemptPart> = new Set();

/**
 * Lists of checks by what they hold, so that equal lists are one list. A baseline edit that
 * changes no check (a quota's value, a policy's peers) gives its namespaces the list they had,
 * and a Report keyed on it is not rebuilt: at 10,000 namespaces, building and hashing every
 * Report to find it unchanged was an eighth of a spec change's CPU. Also gives a namespace with
 * an exception (not memoized below) the same list each time. Cleared when it reaches
 * {@link INTERNED_MAX} lists, far more than there are baselines and exception combinations.
 */
const byContent = new Map<string, readonly Check[]>();
const INTERNED_MAX = 1024;

function interned(checks: readonly Check[]): readonly Check[] {
  // Each check's keys are in the order they are built in: equal lists print the same.
  const key = JSON.stringify(checks);
  const hit = byContent.get(key);
  if (hit !== undefined) return hit;
  if (byContent.size >= INTERNED_MAX) byContent.clear();
  const frozen = Object.freeze([...checks]);
  byContent.set(key, frozen);
  return frozen;
}
/** Checks of baselines without exceptions, by baseline (a parsed baseline is replaced, never changed) and operator. */
const plain = new WeakMap<SecurityBaseline, Map<string, readonly Check[]>>();

/**
 * The checks `baseline` makes in every namespace it governs, less the parts `exempt` lifts:
 * the same for every namespace (names do not depend on the namespace), so without exemptions
 * one frozen list per baseline serves them all.
 */
export function baselineChecks(
  baseline: SecurityBaseline,
  operator: ServiceAccountRef | undefined,
  exempt: ReadonlySet<ExemptPart> = NONE,
): readonly Check[] {
  const key = operator === undefined ? '' : `${operator.namespace}/${operator.name}`;
  const memo = exempt.size === 0 ? plain.get(baseline) : undefined;
  const known = memo?.get(key);
  if (known !== undefined) return known;
  const checks = interned(
    desiredObjects(baseline, '', operator, exempt).map((d): Check => {
      const { kind } = d.object;
      const { name } = d.object.metadata;
      return Object.freeze({ kind, name: kind === 'Namespace' ? '' : name, ...checkKind(kind, name) });
    }),
  );
  if (exempt.size === 0) {
    const m = plain.get(baseline) ?? new Map<string, readonly Check[]>();
    m.set(key, checks);
    plain.set(baseline, m);
  }
  return checks;
}
