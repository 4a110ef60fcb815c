/**
 * Desired state: (baseline, namespace) → the objects that namespace must hold.
 * Pure and deterministic: no I/O, no clock, the same input gives the same list
 * in the same order.
 */
import {
  API_VERSION,
  DEFAULT_SERVICE_ACCOUNT,
  DNS_NAMESPACE,
  DNS_NAMESPACE_LABEL,
  DNS_POD_LABEL,
  DNS_POD_VALUE,
  GRANTS_CLUSTER_ROLE,
  KIND,
  LABEL_BASELINE,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  NAME_ALLOW_DNS,
  NAME_ALLOW_SAME_NAMESPACE,
  NAME_DEFAULT_DENY,
  NAME_GRANTOR,
  NAME_LIMITS,
  NAME_QUOTA,
  PSA_PREFIX,
  additionalPolicyName,
  workloadRbacName,
} from '../api/constants.ts';
import { deepFreeze } from '../lib/json.ts';
import { remembered } from '../lib/memo.ts';
import type {
  AdditionalPolicy,
  DnsSpec,
  ExemptPart,
  LimitRangeItem,
  NetworkPolicyPort,
  NetworkPolicySpec,
  PodSecuritySpec,
  PolicyType,
  ResourceList,
  SecurityBaseline,
  WorkloadServiceAccount,
} from '../api/types.ts';
import type { Desired, ManagedObject, NetworkPolicy, ObjectMeta, ServiceAccountRef } from './objects.ts';

/*
 * The parts of the objects that are the same in every namespace are built once and frozen,
 * and shared by every namespace's objects: the drift engine compares a frozen part with the
 * frozen value the caches share once, not once per namespace (drift/compare.ts). The memos are
 * keyed by the parsed baseline's own parts, which live as long as that parse (one per
 * resourceVersion).
 */

/** A frozen copy of `v`, made once per `v` (the baseline's parts are left as they are). */
function frozenCopy<T extends object>(memo: WeakMap<T, T>, v: T): T {
  // Through JSON, not structuredClone: a copy in this realm's Object (js-yaml's dump checks the prototype).
  return remembered(memo, v, () => deepFreeze(JSON.parse(JSON.stringify(v)) as T));
}

const labelsByBaseline = new Map<string, Readonly<Record<string, string>>>();

/** Labels every owned object carries: they select kubeposture's objects and name the baseline. Frozen and shared. */
export function managedLabels(baselineName: string): Readonly<Record<string, string>> {
  let labels = labelsByBaseline.get(baselineName);
  if (labels === undefined) {
    // Bounded: baselines come and go; past the limit, start again.
    if (labelsByBaseline.size >= 1000) labelsByBaseline.clear();
    labels = Object.freeze({ [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_BASELINE]: baselineName });
    labelsByBaseline.set(baselineName, labels);
  }
  return labels;
}

const ownerRefs = new WeakMap<SecurityBaseline, NonNullable<ObjectMeta['ownerReferences']>>();

function ownedMeta(baseline: SecurityBaseline, namespace: string, name: string): ObjectMeta {
  const refs = remembered(ownerRefs, baseline, () =>
    deepFreeze([
      {
        apiVersion: API_VERSION,
        kind: KIND,
        name: baseline.metadata.name,
        uid: baseline.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]),
  );
  return { name, namespace, labels: managedLabels(baseline.metadata.name), ownerReferences: refs };
}

const owned = (object: ManagedObject): Desired => ({ ownership: 'owned', object });

const NONE: ReadonlySet<ExemptPart> = new Set();

/** Where DNS egress goes when the baseline does not say: CoreDNS / kube-dns in kube-system, 53 UDP and TCP. */
export const DEFAULT_DNS: Required<DnsSpec> = {
  to: [
    {
      namespaceSelector: { matchLabels: { [DNS_NAMESPACE_LABEL]: DNS_NAMESPACE } },
      podSelector: { matchLabels: { [DNS_POD_LABEL]: DNS_POD_VALUE } },
    },
  ],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};

/** A port as the apiserver stores it: the protocol defaults to TCP. */
const storedPort = (p: NetworkPolicyPort): NetworkPolicyPort => ({ ...p, protocol: p.protocol ?? 'TCP' });
const storedPorts = <R extends { readonly ports?: readonly NetworkPolicyPort[] }>(rule: R): R =>
  rule.ports === undefined ? rule : { ...rule, ports: rule.ports.map(storedPort) };

/**
 * An additional policy's spec as the apiserver stores it: policyTypes defaulted as Kubernetes
 * defaults them (Ingress, and Egress when there are egress rules), ports with their protocol.
 * Both rule lists are set, empty when absent: kubeposture then owns them, so a rule someone adds
 * is drift.
 */
export function additionalSpec(a: AdditionalPolicy): NetworkPolicy['spec'] {
  // One frozen spec per policy of a parsed baseline, shared by every namespace: the drift engine
  // then prints it once (lib/json.ts canonicalJsonOf), not once per namespace.
  return remembered(additionalSpecs, a, () => {
    const egress = (a.egress ?? []).map(storedPorts);
    const policyTypes: readonly PolicyType[] = a.policyTypes ?? (egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
    return deepFreeze({ podSelector: a.podSelector, policyTypes, ingress: (a.ingress ?? []).map(storedPorts), egress });
  });
}
const additionalSpecs = new WeakMap<AdditionalPolicy, NetworkPolicy['spec']>();

/** kubeposture-allow-dns's spec, frozen and shared like {@link additionalSpec}'s. */
function dnsSpec(spec: NetworkPolicySpec): NetworkPolicy['spec'] {
  return remembered(dnsSpecs, spec, () => {
    const dns = { to: spec.dns?.to ?? DEFAULT_DNS.to, ports: spec.dns?.ports ?? DEFAULT_DNS.ports };
    return deepFreeze({ podSelector: {}, policyTypes: ['Egress' as const], egress: [storedPorts(dns)] });
  });
}
const dnsSpecs = new WeakMap<NetworkPolicySpec, NetworkPolicy['spec']>();

/**
 * The default-deny and allow-same-namespace specs for each pair of denied directions (none:
 * neither policy), frozen and shared. The denied directions' rule lists are set, empty:
 * kubeposture then owns them, so a rule someone adds to the default-deny (ingress: [{}] opens
 * it to all) is drift, and repaired.
 */
const DENIAL_SPECS: Readonly<Record<string, { readonly deny: NetworkPolicy['spec']; readonly sameNamespace: NetworkPolicy['spec'] }>> =
  Object.fromEntries(
    [
      [true, false],
      [false, true],
      [true, true],
    ].map(([ingress, egress]) => {
      const policyTypes: PolicyType[] = [
        ...(ingress === true ? ['Ingress' as const] : []),
        ...(egress === true ? ['Egress' as const] : []),
      ];
      const deny = deepFreeze({
        podSelector: {},
        policyTypes,
        ...(ingress === true ? { ingress: [] } : {}),
        ...(egress === true ? { egress: [] } : {}),
      });
      const sameNamespace = deepFreeze({
        podSelector: {},
        policyTypes: [...policyTypes],
        ...(ingress === true ? { ingress: [{ from: [{ podSelector: {} }] }] } : {}),
        ...(egress === true ? { egress: [{ to: [{ podSelector: {} }] }] } : {}),
      });
      return [`${String(ingress)}/${String(egress)}`, { deny, sameNamespace }];
    }),
  );

/**
 * NetworkPolicies. Any policy that lists a direction in policyTypes isolates the
 * pods it selects in that direction, so kubeposture's own allow-policies are only
 * made for directions the baseline denies: an allow-DNS policy with egress left
 * open would itself shut egress down to DNS. Additional policies are the
 * platform's, made as written. `exempt`: the parts an active exception lifts here.
 */
export function networkPolicies(
  baseline: SecurityBaseline,
  namespace: string,
  spec: NetworkPolicySpec,
  exempt: ReadonlySet<ExemptPart> = NONE,
): NetworkPolicy[] {
  if (exempt.has('networkPolicy')) return [];
  const np = (name: string, body: NetworkPolicy['spec']): NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMeta(baseline, namespace, name),
    spec: body,
  });
  const denyIngress = spec.denyIngress && !exempt.has('networkPolicy.denyIngress');
  const denyEgress = spec.denyEgress && !exempt.has('networkPolicy.denyEgress');
  const out: NetworkPolicy[] = [];
  const specs = DENIAL_SPECS[`${String(denyIngress)}/${String(denyEgress)}`];
  if (specs !== undefined) out.push(np(NAME_DEFAULT_DENY, specs.deny));
  if (spec.allowDNS && denyEgress) out.push(np(NAME_ALLOW_DNS, dnsSpec(spec)));
  if (spec.allowSameNamespace && specs !== undefined) out.push(np(NAME_ALLOW_SAME_NAMESPACE, specs.sameNamespace));
  for (const a of spec.additional ?? []) {
    if (!exempt.has(`networkPolicy.additional.${a.name}`)) out.push(np(additionalPolicyName(a.name), additionalSpec(a)));
  }
  return out;
}

const sharedRules = new WeakMap<NonNullable<WorkloadServiceAccount['rules']>, NonNullable<WorkloadServiceAccount['rules']>>();

function workloadObjects(baseline: SecurityBaseline, namespace: string, sa: WorkloadServiceAccount): Desired[] {
  const out: Desired[] = [
    owned({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: ownedMeta(baseline, namespace, sa.name),
      automountServiceAccountToken: sa.automountServiceAccountToken,
    }),
  ];
  const rules = sa.rules ?? [];
  // No rules, no permissions: neither a Role nor a binding to one.
  if (rules.length === 0) return out;
  const rbacName = workloadRbacName(sa.name);
  out.push(
    owned({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: ownedMeta(baseline, namespace, rbacName),
      rules: frozenCopy(sharedRules, rules),
    }),
    owned({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: ownedMeta(baseline, namespace, rbacName),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rbacName },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace }],
    }),
  );
  return out;
}

/** True for kubeposture's grantor RoleBinding ({@link NAME_GRANTOR}). */
export function isGrantor(kind: string, name: string): boolean {
  return kind === 'RoleBinding' && name === NAME_GRANTOR;
}

/**
 * The grantor: a RoleBinding of ClusterRole kubeposture-grants to kubeposture's own
 * ServiceAccount, so that it holds, in this namespace only, the permissions it writes into
 * workload Roles (it may bind that ClusterRole without holding it: `bind` by resourceName).
 */
function grantor(baseline: SecurityBaseline, namespace: string, operator: ServiceAccountRef): Desired {
  return owned({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: ownedMeta(baseline, namespace, NAME_GRANTOR),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: GRANTS_CLUSTER_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: operator.name, namespace: operator.namespace }],
  });
}

/** The Pod Security Admission labels a namespace must carry (empty when no level is set); `exempt` may lift enforce. */
export function podSecurityLabels(spec: PodSecuritySpec | undefined, exempt: ReadonlySet<ExemptPart> = NONE): Record<string, string> {
  const labels: Record<string, string> = {};
  if (spec === undefined) return labels;
  const modes = [
    ['enforce', exempt.has('podSecurity.enforce') ? undefined : spec.enforce, spec.enforceVersion],
    ['audit', spec.audit, spec.auditVersion],
    ['warn', spec.warn, spec.warnVersion],
  ] as const;
  for (const [mode, level, version] of modes) {
    if (level === undefined) continue;
    labels[`${PSA_PREFIX}${mode}`] = level;
    labels[`${PSA_PREFIX}${mode}-version`] = version;
  }
  return labels;
}

const limitSets = new WeakMap<readonly LimitRangeItem[], readonly LimitRangeItem[]>();
const quotaHards = new WeakMap<ResourceList, ResourceList>();

/**
 * Every object `namespace` must hold under `baseline`, owned ones first in
 * apply order, then the shared fields of the `default` ServiceAccount and the
 * Namespace. `operator`: kubeposture's own ServiceAccount, which gets the grantor
 * RoleBinding where workload Roles have rules (undefined when kubeposture runs
 * under another identity, which must then hold those permissions itself). `exempt`: the parts
 * active exceptions lift in this namespace; their objects are not wanted here.
 */
export function desiredObjects(
  baseline: SecurityBaseline,
  namespace: string,
  operator?: ServiceAccountRef,
  exempt: ReadonlySet<ExemptPart> = NONE,
): Desired[] {
  const spec = baseline.spec;
  const out: Desired[] = networkPolicies(baseline, namespace, spec.networkPolicy, exempt).map(owned);
  if (spec.limitRange !== undefined && spec.limitRange.limits.length > 0 && !exempt.has('limitRange')) {
    out.push(
      owned({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: ownedMeta(baseline, namespace, NAME_LIMITS),
        spec: { limits: frozenCopy(limitSets, spec.limitRange.limits) },
      }),
    );
  }
  if (spec.resourceQuota !== undefined && !exempt.has('resourceQuota')) {
    out.push(
      owned({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: ownedMeta(baseline, namespace, NAME_QUOTA),
        spec: { hard: frozenCopy(quotaHards, spec.resourceQuota.hard) },
      }),
    );
  }
  const workloads = (spec.serviceAccounts?.workloads ?? []).filter((w) => !exempt.has(`serviceAccounts.workloads.${w.name}`));
  const perWorkload = workloads.map((sa) => workloadObjects(baseline, namespace, sa));
  const grants = operator !== undefined && workloads.some((sa) => (sa.rules ?? []).length > 0);
  // ServiceAccounts, then Roles, then RoleBindings: a binding never precedes its Role. The
  // grantor comes before the Roles it lets kubeposture write.
  for (const kind of ['ServiceAccount', 'Role', 'RoleBinding'] as const) {
    if (kind === 'Role' && grants) out.push(grantor(baseline, namespace, operator));
    for (const list of perWorkload) out.push(...list.filter((d) => d.object.kind === kind));
  }
  if (spec.serviceAccounts?.disableDefaultTokenMount === true && !exempt.has('serviceAccounts.disableDefaultTokenMount')) {
    out.push({
      ownership: 'shared',
      object: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace },
        automountServiceAccountToken: false,
      },
    });
  }
  const labels = podSecurityLabels(spec.podSecurity, exempt);
  if (Object.keys(labels).length > 0) {
    out.push({ ownership: 'shared', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } } });
  }
  return out;
}
