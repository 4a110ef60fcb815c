/**
 * The Kubernetes objects kubeposture writes, as plain data: only the fields it
 * sets, in the form server-side apply takes them. No client library types here,
 * so the builders stay pure.
 */
import type {
  LabelSelector,
  LimitRangeItem,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  PolicyRule,
  PolicyType,
  ResourceList,
} from '../api/types.ts';

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
  readonly blockOwnerDeletion: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface NetworkPolicy {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes: readonly PolicyType[];
    readonly ingress?: readonly NetworkPolicyIngressRule[];
    readonly egress?: readonly NetworkPolicyEgressRule[];
  };
}

export interface LimitRange {
  readonly apiVersion: 'v1';
  readonly kind: 'LimitRange';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly limits: readonly LimitRangeItem[] };
}

export interface ResourceQuota {
  readonly apiVersion: 'v1';
  readonly kind: 'ResourceQuota';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly hard: ResourceList };
}

export interface ServiceAccount {
  readonly apiVersion: 'v1';
  readonly kind: 'ServiceAccount';
  readonly metadata: ObjectMeta;
  readonly automountServiceAccountToken: boolean;
}

export interface Role {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'Role';
  readonly metadata: ObjectMeta;
  readonly rules: readonly PolicyRule[];
}

export interface RoleBinding {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'RoleBinding';
  readonly metadata: ObjectMeta;
  readonly roleRef: { readonly apiGroup: 'rbac.authorization.k8s.io'; readonly kind: 'Role' | 'ClusterRole'; readonly name: string };
  readonly subjects: readonly { readonly kind: 'ServiceAccount'; readonly name: string; readonly namespace: string }[];
}

/** A ServiceAccount by namespace and name: kubeposture's own, the subject of its grantor RoleBinding. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** The Pod Security labels kubeposture sets on a Namespace (nothing else of it). */
export interface Namespace {
  readonly apiVersion: 'v1';
  readonly kind: 'Namespace';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
}

/** Any object kubeposture writes, discriminated by `kind`. */
export type ManagedObject = NetworkPolicy | LimitRange | ResourceQuota | ServiceAccount | Role | RoleBinding | Namespace;
export type ManagedKind = ManagedObject['kind'];

/** Kinds kubeposture creates and owns in a namespace, in apply order (a RoleBinding after its Role). */
export const OWNED_KINDS = [
  'NetworkPolicy',
  'LimitRange',
  'ResourceQuota',
  'ServiceAccount',
  'Role',
  'RoleBinding',
] as const satisfies readonly ManagedKind[];

/**
 * `owned`: kubeposture created the object; it carries the managed-by label and an
 * ownerReference, and kubeposture may delete it. `shared`: someone else's object
 * (the `default` ServiceAccount, the Namespace) of which kubeposture applies
 * only the fields it sets, and gives them back when it lets go.
 */
export type Ownership = 'owned' | 'shared';

/** One object a namespace must hold, and how kubeposture holds it. */
export interface Desired {
  readonly ownership: Ownership;
  readonly object: ManagedObject;
}
