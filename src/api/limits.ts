/**
 * The size limits of the SecurityBaseline CRD's `spec` (crds/), as the
 * validator enforces them. The CRD is the source of truth: a unit test
 * (test/unit/crd-limits.test.ts) reads every `minItems`, `maxItems`,
 * `minLength`, `maxLength`, `minProperties`, `maxProperties`, `minimum` and
 * `maximum` back from the CRD and requires this table to equal them, so the
 * two cannot drift apart. Keys are schema paths: `[]` is a list's items, `{}`
 * a map's values.
 */

/** The limits one schema node may carry. */
export interface Limit {
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Every limit under `spec`, by schema path. */
export const SPEC_LIMITS = {
  'spec.priority': { minimum: 0, maximum: 1_000_000 },
  'spec.namespaceSelector.matchLabels': { maxProperties: 64 },
  'spec.namespaceSelector.matchLabels{}': { maxLength: 63 },
  'spec.namespaceSelector.matchExpressions': { maxItems: 32 },
  'spec.namespaceSelector.matchExpressions[].key': { maxLength: 317 },
  'spec.namespaceSelector.matchExpressions[].values': { maxItems: 64 },
  'spec.namespaceSelector.matchExpressions[].values[]': { maxLength: 63 },
  'spec.excludeNamespaces': { maxItems: 100 },
  'spec.networkPolicy.dns.to': { minItems: 1, maxItems: 20 },
  'spec.networkPolicy.dns.ports': { minItems: 1, maxItems: 20 },
  'spec.networkPolicy.additional': { maxItems: 20 },
  'spec.networkPolicy.additional[].name': { minLength: 1, maxLength: 51 },
  'spec.networkPolicy.additional[].ingress': { maxItems: 50 },
  'spec.networkPolicy.additional[].ingress[].from': { maxItems: 50 },
  'spec.networkPolicy.additional[].ingress[].ports': { maxItems: 50 },
  'spec.networkPolicy.additional[].egress': { maxItems: 50 },
  'spec.networkPolicy.additional[].egress[].to': { maxItems: 50 },
  'spec.networkPolicy.additional[].egress[].ports': { maxItems: 50 },
  'spec.excludeNamespaces[]': { minLength: 1, maxLength: 63 },
  'spec.limitRange.limits': { maxItems: 20 },
  'spec.limitRange.limits[].default': { maxProperties: 16 },
  'spec.limitRange.limits[].defaultRequest': { maxProperties: 16 },
  'spec.limitRange.limits[].max': { maxProperties: 16 },
  'spec.limitRange.limits[].min': { maxProperties: 16 },
  'spec.limitRange.limits[].maxLimitRequestRatio': { maxProperties: 16 },
  'spec.resourceQuota.hard': { minProperties: 1, maxProperties: 64 },
  'spec.serviceAccounts.workloads': { maxItems: 50 },
  'spec.serviceAccounts.workloads[].name': { minLength: 1, maxLength: 63 },
  'spec.serviceAccounts.workloads[].rules': { maxItems: 50 },
  'spec.serviceAccounts.workloads[].rules[].apiGroups': { maxItems: 32 },
  'spec.serviceAccounts.workloads[].rules[].apiGroups[]': { maxLength: 253 },
  'spec.serviceAccounts.workloads[].rules[].resources': { minItems: 1, maxItems: 64 },
  'spec.serviceAccounts.workloads[].rules[].resources[]': { minLength: 1, maxLength: 253 },
  'spec.serviceAccounts.workloads[].rules[].resourceNames': { maxItems: 64 },
  'spec.serviceAccounts.workloads[].rules[].resourceNames[]': { maxLength: 253 },
  'spec.serviceAccounts.workloads[].rules[].verbs': { minItems: 1, maxItems: 16 },
  'spec.serviceAccounts.workloads[].rules[].verbs[]': { minLength: 1, maxLength: 64 },
} as const satisfies Readonly<Record<string, Limit>>;

/** A schema path the table knows. */
export type LimitPath = keyof typeof SPEC_LIMITS;

/** The limits at `path` (the compiler holds every caller to a path in the table). */
export const limitsAt = <P extends LimitPath>(path: P): (typeof SPEC_LIMITS)[P] => SPEC_LIMITS[path];
