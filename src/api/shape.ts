/**
 * A run-time mirror of the API types in types.ts. The compiler checks that each
 * object shape names exactly the fields of its TypeScript type, and whether each
 * is optional; a unit test checks the same shapes against the CRD's OpenAPI
 * schema. Together they keep the types and the schema from drifting apart.
 */
import type {
  AdditionalPolicy,
  Condition,
  DnsSpec,
  IPBlock,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  DriftEntry,
  ExceptionEntry,
  Finding,
  LabelSelector,
  LabelSelectorRequirement,
  LimitRangeItem,
  LimitRangeSpec,
  NamespaceCounts,
  NetworkPolicySpec,
  PodSecuritySpec,
  PolicyRule,
  RepairEntry,
  Repairs,
  ResourceQuotaSpec,
  SecurityBaselineSpec,
  SecurityBaselineStatus,
  ServiceAccountsSpec,
  WorkloadServiceAccount,
} from './types.ts';
import { FindingType } from './types.ts';
import type { ExceptionCondition, SecurityBaselineExceptionSpec, SecurityBaselineExceptionStatus } from './exception.ts';

/** One field's schema as the API types see it. */
export type Shape =
  | { readonly type: 'string'; readonly enum?: readonly string[] }
  | { readonly type: 'integer' }
  | { readonly type: 'boolean' }
  | { readonly type: 'quantity' }
  | { readonly type: 'intOrString' }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, Field>> }
  | { readonly type: 'array'; readonly items: Shape }
  | { readonly type: 'map'; readonly values: Shape };

/** A property: its shape, and whether it may be absent after defaulting. */
export interface Field {
  readonly optional: boolean;
  readonly shape: Shape;
}

type IsOptional<T, K extends keyof T> = object extends Pick<T, K> ? true : false;
/** Exactly the keys of T, each marked optional exactly when T marks it so. */
type PropertiesOf<T> = { readonly [K in keyof T]-?: { readonly optional: IsOptional<T, K>; readonly shape: Shape } };

const object = <T>(properties: PropertiesOf<T>): Shape => ({ type: 'object', properties });
const req = (shape: Shape): { readonly optional: false; readonly shape: Shape } => ({ optional: false, shape });
const opt = (shape: Shape): { readonly optional: true; readonly shape: Shape } => ({ optional: true, shape });

const str: Shape = { type: 'string' };
const int: Shape = { type: 'integer' };
const bool: Shape = { type: 'boolean' };
const strings: Shape = { type: 'array', items: str };
const enumOf = (values: readonly string[]): Shape => ({ type: 'string', enum: values });
const resourceList: Shape = { type: 'map', values: { type: 'quantity' } };
const arrayOf = (items: Shape): Shape => ({ type: 'array', items });

const labelSelector = object<LabelSelector>({
  matchLabels: opt({ type: 'map', values: str }),
  matchExpressions: opt(
    arrayOf(
      object<LabelSelectorRequirement>({
        key: req(str),
        operator: req(enumOf(['In', 'NotIn', 'Exists', 'DoesNotExist'])),
        values: opt(strings),
      }),
    ),
  ),
});

/** A LabelSelector as Kubernetes' own OpenAPI has it (no enum for operator): in the generated NetworkPolicy schemas. */
const k8sSelector = object<LabelSelector>({
  matchLabels: opt({ type: 'map', values: str }),
  matchExpressions: opt(arrayOf(object<LabelSelectorRequirement>({ key: req(str), operator: req(str), values: opt(strings) }))),
});
const peer = object<NetworkPolicyPeer>({
  podSelector: opt(k8sSelector),
  namespaceSelector: opt(k8sSelector),
  ipBlock: opt(object<IPBlock>({ cidr: req(str), except: opt(strings) })),
});
// The OpenAPI of Kubernetes has no enum for protocol: kubeposture's validator checks it.
const port = object<NetworkPolicyPort>({ protocol: opt(str), port: opt({ type: 'intOrString' }), endPort: opt(int) });

const policyRule = object<PolicyRule>({
  apiGroups: opt(strings),
  resources: req(strings),
  resourceNames: opt(strings),
  verbs: req(strings),
});

const level = enumOf(['privileged', 'baseline', 'restricted']);

/** The shape of `spec`. */
export const specShape: Shape = object<SecurityBaselineSpec>({
  mode: req(enumOf(['Enforce', 'Audit'])),
  priority: req(int),
  namespaceSelector: opt(labelSelector),
  excludeNamespaces: opt(strings),
  deletionPolicy: req(enumOf(['Delete', 'Orphan'])),
  networkPolicy: req(
    object<NetworkPolicySpec>({
      denyIngress: req(bool),
      denyEgress: req(bool),
      allowDNS: req(bool),
      allowSameNamespace: req(bool),
      dns: opt(object<DnsSpec>({ to: opt(arrayOf(peer)), ports: opt(arrayOf(port)) })),
      additional: opt(
        arrayOf(
          object<AdditionalPolicy>({
            name: req(str),
            podSelector: req(k8sSelector),
            policyTypes: opt(strings),
            ingress: opt(arrayOf(object<NetworkPolicyIngressRule>({ from: opt(arrayOf(peer)), ports: opt(arrayOf(port)) }))),
            egress: opt(arrayOf(object<NetworkPolicyEgressRule>({ to: opt(arrayOf(peer)), ports: opt(arrayOf(port)) }))),
          }),
        ),
      ),
    }),
  ),
  limitRange: opt(
    object<LimitRangeSpec>({
      limits: req(
        arrayOf(
          object<LimitRangeItem>({
            type: req(enumOf(['Container', 'Pod', 'PersistentVolumeClaim'])),
            default: opt(resourceList),
            defaultRequest: opt(resourceList),
            max: opt(resourceList),
            min: opt(resourceList),
            maxLimitRequestRatio: opt(resourceList),
          }),
        ),
      ),
    }),
  ),
  resourceQuota: opt(object<ResourceQuotaSpec>({ hard: req(resourceList) })),
  serviceAccounts: opt(
    object<ServiceAccountsSpec>({
      disableDefaultTokenMount: req(bool),
      workloads: opt(
        arrayOf(
          object<WorkloadServiceAccount>({
            name: req(str),
            automountServiceAccountToken: req(bool),
            rules: opt(arrayOf(policyRule)),
          }),
        ),
      ),
    }),
  ),
  podSecurity: opt(
    object<PodSecuritySpec>({
      enforce: opt(level),
      enforceVersion: req(str),
      audit: opt(level),
      auditVersion: req(str),
      warn: opt(level),
      warnVersion: req(str),
      rollout: req(enumOf(['Immediate', 'WhenClean'])),
    }),
  ),
});

const driftReason = enumOf(['Missing', 'Modified', 'Conflict', 'Unexpected', 'Blocked']);

/** The shape of `status`. */
export const statusShape: Shape = object<SecurityBaselineStatus>({
  observedGeneration: opt(int),
  conditions: opt(
    arrayOf(
      object<Condition>({
        type: req(enumOf(['Ready', 'Compliant', 'Reconciling', 'Stalled'])),
        status: req(enumOf(['True', 'False', 'Unknown'])),
        reason: req(str),
        message: req(str),
        observedGeneration: opt(int),
        lastTransitionTime: req(str),
      }),
    ),
  ),
  namespaces: opt(
    object<NamespaceCounts>({
      selected: req(int),
      compliant: req(int),
      drifted: req(int),
      superseded: req(int),
      failed: req(int),
      excepted: opt(int),
    }),
  ),
  drift: opt(
    arrayOf(
      object<DriftEntry>({
        namespace: req(str),
        kind: req(str),
        name: req(str),
        reason: req(driftReason),
        fields: opt(strings),
        since: req(str),
      }),
    ),
  ),
  driftTruncated: opt(bool),
  repairs: opt(
    object<Repairs>({
      total: req(int),
      recent: opt(
        arrayOf(
          object<RepairEntry>({
            namespace: req(str),
            kind: req(str),
            name: req(str),
            reason: req(driftReason),
            fields: opt(strings),
            repairedAt: req(str),
          }),
        ),
      ),
    }),
  ),
  findings: opt(
    arrayOf(
      object<Finding>({
        type: req(enumOf(Object.values(FindingType))),
        namespace: opt(str),
        kind: opt(str),
        name: opt(str),
        message: req(str),
      }),
    ),
  ),
  findingsTruncated: opt(bool),
  exceptions: opt(
    arrayOf(object<ExceptionEntry>({ name: req(str), exempt: req(strings), reason: req(str), expires: req(str), namespaces: req(int) })),
  ),
  exceptionsTruncated: opt(bool),
  lastReconcileTime: opt(str),
});

/** The shape of a SecurityBaselineException's `spec`. */
export const exceptionSpecShape: Shape = object<SecurityBaselineExceptionSpec>({
  baseline: req(str),
  namespaces: req(strings),
  exempt: req(strings),
  reason: req(str),
  expires: req(str),
});

/** The shape of a SecurityBaselineException's `status`. */
export const exceptionStatusShape: Shape = object<SecurityBaselineExceptionStatus>({
  observedGeneration: opt(int),
  conditions: opt(
    arrayOf(
      object<ExceptionCondition>({
        type: req(enumOf(['Active'])),
        status: req(enumOf(['True', 'False', 'Unknown'])),
        reason: req(str),
        message: req(str),
        observedGeneration: opt(int),
        lastTransitionTime: req(str),
      }),
    ),
  ),
  namespaces: opt(strings),
  namespaceCount: opt(int),
  namespacesTruncated: opt(bool),
});
