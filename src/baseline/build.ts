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
  workloadRbacName,
} from '../api/constants.ts';
import type { NetworkPolicySpec, PodSecuritySpec, SecurityBaseline, WorkloadServiceAccount } from '../api/types.ts';
import type { Desired, ManagedObject, NetworkPolicy, ObjectMeta, ServiceAccountRef } from './objects.ts';

/** Labels every owned object carries: they select kubeposture's objects and name the baseline. */
export function managedLabels(baselineName: string): Readonly<Record<string, string>> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_BASELINE]: baselineName };
}

function ownedMeta(baseline: SecurityBaseline, namespace: string, name: string): ObjectMeta {
  return {
    name,
    namespace,
    labels: managedLabels(baseline.metadata.name),
    ownerReferences: [
      {
        apiVersion: API_VERSION,
        kind: KIND,
        name: baseline.metadata.name,
        uid: baseline.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
}

const owned = (object: ManagedObject): Desired => ({ ownership: 'owned', object });

type Direction = 'Ingress' | 'Egress';

/**
 * NetworkPolicies. Any policy that lists a direction in policyTypes isolates the
 * pods it selects in that direction, so allow-policies are only made for
 * directions the baseline denies: an allow-DNS policy with egress left open
 * would itself shut egress down to DNS.
 */
export function networkPolicies(baseline: SecurityBaseline, namespace: string, spec: NetworkPolicySpec): NetworkPolicy[] {
  const denied: Direction[] = [];
  if (spec.denyIngress) denied.push('Ingress');
  if (spec.denyEgress) denied.push('Egress');
  if (denied.length === 0) return [];
  const np = (name: string, body: Omit<NetworkPolicy['spec'], 'podSelector'>): NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMeta(baseline, namespace, name),
    spec: { podSelector: {}, ...body },
  });
  // The denied directions' rule lists are set, empty: kubeposture then owns them, so a rule
  // someone adds to the default-deny (ingress: [{}] opens it to all) is drift, and repaired.
  const out = [
    np(NAME_DEFAULT_DENY, {
      policyTypes: denied,
      ...(spec.denyIngress ? { ingress: [] } : {}),
      ...(spec.denyEgress ? { egress: [] } : {}),
    }),
  ];
  if (spec.allowDNS && spec.denyEgress) {
    out.push(
      np(NAME_ALLOW_DNS, {
        policyTypes: ['Egress'],
        egress: [
          {
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
          },
        ],
      }),
    );
  }
  if (spec.allowSameNamespace) {
    out.push(
      np(NAME_ALLOW_SAME_NAMESPACE, {
        policyTypes: denied,
        ...(spec.denyIngress ? { ingress: [{ from: [{ podSelector: {} }] }] } : {}),
        ...(spec.denyEgress ? { egress: [{ to: [{ podSelector: {} }] }] } : {}),
      }),
    );
  }
  return out;
}

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
    owned({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: ownedMeta(baseline, namespace, rbacName), rules }),
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

/** The Pod Security Admission labels a namespace must carry (empty when no level is set). */
export function podSecurityLabels(spec: PodSecuritySpec | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (spec === undefined) return labels;
  const modes = [
    ['enforce', spec.enforce, spec.enforceVersion],
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

/**
 * Every object `namespace` must hold under `baseline`, owned ones first in
 * apply order, then the shared fields of the `default` ServiceAccount and the
 * Namespace. `operator`: kubeposture's own ServiceAccount, which gets the grantor
 * RoleBinding where workload Roles have rules (undefined when kubeposture runs
 * under another identity, which must then hold those permissions itself).
 */
export function desiredObjects(baseline: SecurityBaseline, namespace: string, operator?: ServiceAccountRef): Desired[] {
  const spec = baseline.spec;
  const out: Desired[] = networkPolicies(baseline, namespace, spec.networkPolicy).map(owned);
  if (spec.limitRange !== undefined && spec.limitRange.limits.length > 0) {
    out.push(
      owned({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: ownedMeta(baseline, namespace, NAME_LIMITS),
        spec: { limits: spec.limitRange.limits },
      }),
    );
  }
  if (spec.resourceQuota !== undefined) {
    out.push(
      owned({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: ownedMeta(baseline, namespace, NAME_QUOTA),
        spec: { hard: spec.resourceQuota.hard },
      }),
    );
  }
  const workloads = spec.serviceAccounts?.workloads ?? [];
  const perWorkload = workloads.map((sa) => workloadObjects(baseline, namespace, sa));
  const grants = operator !== undefined && workloads.some((sa) => (sa.rules ?? []).length > 0);
  // ServiceAccounts, then Roles, then RoleBindings: a binding never precedes its Role. The
  // grantor comes before the Roles it lets kubeposture write.
  for (const kind of ['ServiceAccount', 'Role', 'RoleBinding'] as const) {
    if (kind === 'Role' && grants) out.push(grantor(baseline, namespace, operator));
    for (const list of perWorkload) out.push(...list.filter((d) => d.object.kind === kind));
  }
  if (spec.serviceAccounts?.disableDefaultTokenMount === true) {
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
  const labels = podSecurityLabels(spec.podSecurity);
  if (Object.keys(labels).length > 0) {
    out.push({ ownership: 'shared', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } } });
  }
  return out;
}
