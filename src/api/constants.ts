/**
 * Names that are part of kubeposture's API: changing one breaks objects that
 * already exist in clusters (labels select them, the field manager owns their fields).
 */

/** The API group of SecurityBaseline. */
export const GROUP = 'kubeposture.io';
/** The served and stored version. */
export const VERSION = 'v1alpha1';
/** `group/version`, as in apiVersion. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The kind and its plural resource name. */
export const KIND = 'SecurityBaseline';
export const PLURAL = 'securitybaselines';

/** Server-side apply field manager for everything kubeposture writes. */
export const FIELD_MANAGER = 'kubeposture';

/** Labels on every object kubeposture creates. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'kubeposture';
export const LABEL_BASELINE = `${GROUP}/baseline`;

/**
 * The annotation on each Namespace that records which objects kubeposture created there:
 * JSON `{"<baseline>": {"<Kind>/<name>": "<uid>"}}`, written by server-side apply with the
 * Pod Security labels. A namespace admin cannot edit their Namespace, so this, not labels or
 * ownerReferences (which anyone who may write the object can forge), proves ownership.
 */
export const ANNOTATION_OWNED = `${GROUP}/owned`;
/**
 * Set on a Namespace, to the name of its baseline, once kubeposture has put every protection of
 * that baseline in place there (a WhenClean hold of the enforce level aside), in the same apply
 * as the record above; kept while a baseline governs it (drift repaired later does not clear it),
 * given back when none does. The guard (config/guard) admits pods into a selected namespace only
 * once it is set. Like the record, a namespace admin cannot write it.
 */
export const ANNOTATION_HOLDS = `${GROUP}/holds`;
/**
 * A random id kubeposture puts on each object it creates, so that after a create whose answer
 * was lost it can tell its own object from one someone else made at the name (ownership.ts).
 */
export const ANNOTATION_CREATE_ID = `${GROUP}/create-id`;

/** Finalizer that holds a SecurityBaseline until its managed objects are cleaned up. */
export const FINALIZER = `${GROUP}/cleanup`;

/** Fixed names of the objects kubeposture manages in each namespace. */
export const NAME_DEFAULT_DENY = 'kubeposture-default-deny';
export const NAME_ALLOW_DNS = 'kubeposture-allow-dns';
export const NAME_ALLOW_SAME_NAMESPACE = 'kubeposture-allow-same-namespace';
/** The prefix of every NetworkPolicy kubeposture makes; an additional policy is `kubeposture-<name>`. */
export const POLICY_PREFIX = 'kubeposture-';
/** Names an additional policy may not take: kubeposture's own policies are `kubeposture-<one of these>`. */
export const RESERVED_POLICY_NAMES = ['default-deny', 'allow-dns', 'allow-same-namespace'] as const;
/** The NetworkPolicy of the additional policy `name` (spec.networkPolicy.additional[].name). */
export const additionalPolicyName = (name: string): string => `${POLICY_PREFIX}${name}`;
export const NAME_LIMITS = 'kubeposture-limits';
export const NAME_QUOTA = 'kubeposture-quota';
/** The ServiceAccount whose token auto-mount kubeposture turns off. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';
/** Role and RoleBinding of a workload ServiceAccount: `kubeposture-<serviceaccount>`. */
export const workloadRbacName = (serviceAccount: string): string => `kubeposture-${serviceAccount}`;
/**
 * The RoleBinding that gives kubeposture's own ServiceAccount, in one namespace, the
 * permissions baselines may grant there (ClusterRole {@link GRANTS_CLUSTER_ROLE}): Kubernetes
 * lets it write a Role only with permissions it holds in that namespace. The colon keeps it
 * apart from every workload name (`kubeposture-<DNS label>`).
 */
export const NAME_GRANTOR = 'kubeposture:grantor';
/** The ServiceAccount config/default runs kubeposture as (what `render` shows the grantor binding). */
export const DEFAULT_OPERATOR_SERVICE_ACCOUNT = { namespace: 'kubeposture-system', name: 'kubeposture' } as const;
/** The aggregated ClusterRole of what baselines may grant (config/rbac); kubeposture may bind it, not hold it. */
export const GRANTS_CLUSTER_ROLE = 'kubeposture-grants';

/** Pod Security Admission label keys on a Namespace. */
export const PSA_PREFIX = 'pod-security.kubernetes.io/';

/** The shipped ValidatingAdmissionPolicy that guards selector labels, and its binding (config/policy). */
export const SELECTOR_GUARD = 'kubeposture-selector-labels';

/** The label the apiserver sets on every Namespace to its name; nobody can change it. */
export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/** Namespaces that DNS egress is allowed to: CoreDNS / kube-dns in kube-system. */
export const DNS_NAMESPACE_LABEL = LABEL_NAMESPACE_NAME;
export const DNS_NAMESPACE = 'kube-system';
export const DNS_POD_LABEL = 'k8s-app';
export const DNS_POD_VALUE = 'kube-dns';
