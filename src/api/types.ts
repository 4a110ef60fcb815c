/**
 * The SecurityBaseline API (kubeposture.io/v1alpha1) as TypeScript types. The
 * CRD in crds/ is the source of truth; src/api/shape.ts mirrors these types at
 * run time and a test checks it against the CRD's schema, so neither drifts.
 */

/** Enforce writes to namespaces; Audit only reports and never writes to a namespace. */
export const Mode = { Enforce: 'Enforce', Audit: 'Audit' } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** What happens to managed objects when a namespace leaves the baseline or the baseline goes. */
export const DeletionPolicy = { Delete: 'Delete', Orphan: 'Orphan' } as const;
export type DeletionPolicy = (typeof DeletionPolicy)[keyof typeof DeletionPolicy];

/** Pod Security Standard levels. */
export const PodSecurityLevel = { Privileged: 'privileged', Baseline: 'baseline', Restricted: 'restricted' } as const;
export type PodSecurityLevel = (typeof PodSecurityLevel)[keyof typeof PodSecurityLevel];

/** metav1.LabelSelector operators. */
export const SelectorOperator = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' } as const;
export type SelectorOperator = (typeof SelectorOperator)[keyof typeof SelectorOperator];

/** A resource quantity as Kubernetes accepts it: "500m", "2Gi", or a number. */
export type Quantity = string | number;
export type ResourceList = Readonly<Record<string, Quantity>>;

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** core/v1 LimitRangeItem. */
export interface LimitRangeItem {
  readonly type: 'Container' | 'Pod' | 'PersistentVolumeClaim';
  readonly default?: ResourceList;
  readonly defaultRequest?: ResourceList;
  readonly max?: ResourceList;
  readonly min?: ResourceList;
  readonly maxLimitRequestRatio?: ResourceList;
}

/** rbac/v1 PolicyRule, as a namespaced Role may hold it (no nonResourceURLs). */
export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** networking.k8s.io/v1 IPBlock. */
export interface IPBlock {
  readonly cidr: string;
  readonly except?: readonly string[];
}

/** networking.k8s.io/v1 NetworkPolicyPeer: selectors, or an ipBlock. */
export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: IPBlock;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** networking.k8s.io/v1 NetworkPolicyPort: a number or a named port, and an optional range end. */
export interface NetworkPolicyPort {
  readonly protocol?: Protocol;
  readonly port?: number | string;
  readonly endPort?: number;
}

export interface NetworkPolicyIngressRule {
  readonly from?: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  readonly to?: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

export type PolicyType = 'Ingress' | 'Egress';

/** spec.networkPolicy.additional[]: a NetworkPolicySpec and a name (NetworkPolicy kubeposture-<name>). */
export interface AdditionalPolicy {
  readonly name: string;
  readonly podSelector: LabelSelector;
  readonly policyTypes?: readonly PolicyType[];
  readonly ingress?: readonly NetworkPolicyIngressRule[];
  readonly egress?: readonly NetworkPolicyEgressRule[];
}

/** spec.networkPolicy.dns: where DNS egress may go (absent lists: kube-dns in kube-system, 53 UDP and TCP). */
export interface DnsSpec {
  readonly to?: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

export interface NetworkPolicySpec {
  readonly denyIngress: boolean;
  readonly denyEgress: boolean;
  readonly allowDNS: boolean;
  readonly allowSameNamespace: boolean;
  readonly dns?: DnsSpec;
  readonly additional?: readonly AdditionalPolicy[];
}

export interface LimitRangeSpec {
  readonly limits: readonly LimitRangeItem[];
}

export interface ResourceQuotaSpec {
  readonly hard: ResourceList;
}

export interface WorkloadServiceAccount {
  readonly name: string;
  readonly automountServiceAccountToken: boolean;
  readonly rules?: readonly PolicyRule[];
}

export interface ServiceAccountsSpec {
  readonly disableDefaultTokenMount: boolean;
  readonly workloads?: readonly WorkloadServiceAccount[];
}

export interface PodSecuritySpec {
  readonly enforce?: PodSecurityLevel;
  readonly enforceVersion: string;
  readonly audit?: PodSecurityLevel;
  readonly auditVersion: string;
  readonly warn?: PodSecurityLevel;
  readonly warnVersion: string;
  /**
   * How a tighter enforce level reaches a namespace whose existing pods it would refuse:
   * `Immediate` (with the other labels) or `WhenClean` (warn and audit move at once; enforce
   * keeps its live value until a dry run of the change finds no pod refused and every pod judged).
   */
  readonly rollout: PodSecurityRollout;
}

export const ROLLOUTS = ['Immediate', 'WhenClean'] as const;
export type PodSecurityRollout = (typeof ROLLOUTS)[number];

/**
 * The spec after the apiserver's defaulting: fields with a schema default are
 * required here. Absent sections (limitRange, resourceQuota, serviceAccounts,
 * podSecurity) mean "kubeposture manages nothing of that kind".
 */
export interface SecurityBaselineSpec {
  readonly mode: Mode;
  readonly priority: number;
  readonly namespaceSelector?: LabelSelector;
  readonly excludeNamespaces?: readonly string[];
  readonly deletionPolicy: DeletionPolicy;
  readonly networkPolicy: NetworkPolicySpec;
  readonly limitRange?: LimitRangeSpec;
  readonly resourceQuota?: ResourceQuotaSpec;
  readonly serviceAccounts?: ServiceAccountsSpec;
  readonly podSecurity?: PodSecuritySpec;
}

/**
 * A part of a baseline an exception may lift (SecurityBaselineException spec.exempt[]): all
 * NetworkPolicies, one direction's default-deny, one additional policy, the LimitRange, the
 * ResourceQuota, the default ServiceAccount's token mount, one workload ServiceAccount (with its
 * Role and RoleBinding), or the Pod Security enforce label (audit and warn stay).
 */
export type ExemptPart =
  | 'networkPolicy'
  | 'networkPolicy.denyIngress'
  | 'networkPolicy.denyEgress'
  | `networkPolicy.additional.${string}`
  | 'limitRange'
  | 'resourceQuota'
  | 'serviceAccounts.disableDefaultTokenMount'
  | `serviceAccounts.workloads.${string}`
  | 'podSecurity.enforce';

export const ConditionType = { Ready: 'Ready', Compliant: 'Compliant', Reconciling: 'Reconciling', Stalled: 'Stalled' } as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatus = (typeof ConditionStatus)[keyof typeof ConditionStatus];

/** metav1.Condition. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}

export const DriftReason = {
  Missing: 'Missing',
  Modified: 'Modified',
  Conflict: 'Conflict',
  Unexpected: 'Unexpected',
  Blocked: 'Blocked',
} as const;
export type DriftReason = (typeof DriftReason)[keyof typeof DriftReason];

export interface NamespaceCounts {
  readonly selected: number;
  readonly compliant: number;
  readonly drifted: number;
  readonly superseded: number;
  readonly failed: number;
  /** Governed namespaces where an active SecurityBaselineException lifts some part (also counted as compliant or drifted). */
  readonly excepted?: number;
}

export interface DriftEntry {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly reason: DriftReason;
  readonly fields?: readonly string[];
  readonly since: string;
}

export interface RepairEntry {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly reason: DriftReason;
  readonly fields?: readonly string[];
  readonly repairedAt: string;
}

export interface Repairs {
  readonly total: number;
  readonly recent?: readonly RepairEntry[];
}

export const FindingType = {
  AllowAllIngress: 'AllowAllIngress',
  AllowAllEgress: 'AllowAllEgress',
  MutableSelectorLabel: 'MutableSelectorLabel',
  /** Existing pods a namespace's new enforce level refuses, as the apiserver judged them when it changed. */
  PodSecurityViolations: 'PodSecurityViolations',
  /** A WhenClean rollout holding a namespace's enforce level back because of such pods. */
  PodSecurityPending: 'PodSecurityPending',
} as const;
export type FindingType = (typeof FindingType)[keyof typeof FindingType];

/** A posture finding (src/posture/findings.ts): what weakens the baseline without being drift; namespace, kind and name when it is about an object. */
export interface Finding {
  readonly type: FindingType;
  readonly namespace?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly message: string;
}

/** An active SecurityBaselineException of this baseline, as its status lists it. */
export interface ExceptionEntry {
  readonly name: string;
  readonly exempt: readonly string[];
  readonly reason: string;
  readonly expires: string;
  /** Governed namespaces it lifts parts in. */
  readonly namespaces: number;
}

export interface SecurityBaselineStatus {
  readonly observedGeneration?: number;
  readonly conditions?: readonly Condition[];
  readonly namespaces?: NamespaceCounts;
  readonly drift?: readonly DriftEntry[];
  readonly driftTruncated?: boolean;
  readonly repairs?: Repairs;
  readonly findings?: readonly Finding[];
  readonly findingsTruncated?: boolean;
  readonly exceptions?: readonly ExceptionEntry[];
  readonly exceptionsTruncated?: boolean;
  readonly lastReconcileTime?: string;
}

/** The metadata kubeposture reads from a SecurityBaseline. */
export interface BaselineMeta {
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly deletionTimestamp?: string;
  readonly resourceVersion?: string;
}

/** A SecurityBaseline that passed {@link parseSecurityBaseline}: safe to act on. */
export interface SecurityBaseline {
  readonly apiVersion: 'kubeposture.io/v1alpha1';
  readonly kind: 'SecurityBaseline';
  readonly metadata: BaselineMeta;
  readonly spec: SecurityBaselineSpec;
  readonly status?: SecurityBaselineStatus;
}
