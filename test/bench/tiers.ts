/**
 * The tier switch's two baselines (issue 20): `silver` and `gold` differ as tiers do — gold
 * has a larger quota, one more additional NetworkPolicy and wider workload rules (within what
 * the shipped kubeposture-grants ClusterRole lets the operator grant). Each selects the
 * namespaces whose TIER_LABEL names it, and the main bench baseline selects none of those: the
 * tier namespaces are their own (see Bench.tierSwitch).
 */

/** The label that puts a namespace in a tier: its value is the tier baseline's name. */
export const TIER_LABEL = 'bench.kubeposture.io/tier';

/** The additional NetworkPolicies of the bench's baselines (issue 15). */
export const FROM_INGRESS: Readonly<Record<string, unknown>> = {
  name: 'from-ingress',
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }],
};
export const PROMETHEUS_SCRAPE: Readonly<Record<string, unknown>> = {
  name: 'prometheus-scrape',
  policyTypes: ['Ingress'],
  ingress: [
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 'metrics' }],
    },
  ],
};

/** The bench's LimitRange, the same in every baseline. */
export const LIMIT_RANGE: Readonly<Record<string, unknown>> = {
  limits: [
    {
      type: 'Container',
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '100m', memory: '128Mi' },
      max: { cpu: '2', memory: '2Gi' },
    },
  ],
};

/** A tier's spec: what differs between tiers is given, the rest is the bench baseline's. */
function tier(
  quota: Readonly<Record<string, string>>,
  additional: readonly Readonly<Record<string, unknown>>[],
  rules: readonly unknown[],
  deletionPolicy: 'Delete' | 'Orphan',
): Readonly<Record<string, unknown>> {
  return {
    mode: 'Enforce',
    deletionPolicy,
    networkPolicy: { denyIngress: true, denyEgress: true, allowDNS: true, additional },
    limitRange: LIMIT_RANGE,
    resourceQuota: { hard: quota },
    serviceAccounts: { disableDefaultTokenMount: true, workloads: [{ name: 'app', rules }] },
    podSecurity: { enforce: 'restricted', audit: 'restricted', warn: 'restricted' },
  };
}

/** Silver: a small quota, one additional policy, read access to ConfigMaps. Its leftovers in a switch would be deleted (Delete). */
export const SILVER_SPEC = tier(
  { pods: '20', 'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.cpu': '8' },
  [FROM_INGRESS],
  [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
  'Delete',
);

/** Gold: a larger quota, a second additional policy, read access to pods, services and Deployments too; released on deletion (Orphan). */
export const GOLD_SPEC = tier(
  { pods: '100', 'requests.cpu': '20', 'requests.memory': '40Gi', 'limits.cpu': '40' },
  [FROM_INGRESS, PROMETHEUS_SCRAPE],
  [
    { apiGroups: [''], resources: ['configmaps', 'pods', 'services'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
  ],
  'Orphan',
);
