/**
 * The table of what kubeposture reads and writes in the REST API: each kind's
 * group/version, plural and scope, the wire type its answers come as, and the
 * paths built from them. Every path to a resource is built here (resourcePath),
 * so a kind is spelt in one place; the transport (transport.ts) knows nothing of
 * kinds, and the verbs (rest.ts) take a kind and find its path here.
 */
import type { WireLease, WireObject, WireSecret, WireWebhookConfiguration } from './wire.ts';

/** Where a kind lives in the REST API. */
export interface ResourceInfo {
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The kinds kubeposture reads or writes. */
export const RESOURCES = {
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true },
  LimitRange: { apiVersion: 'v1', plural: 'limitranges', namespaced: true },
  ResourceQuota: { apiVersion: 'v1', plural: 'resourcequotas', namespaced: true },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  SecurityBaseline: { apiVersion: 'kubeposture.io/v1alpha1', plural: 'securitybaselines', namespaced: false },
  SecurityBaselineException: { apiVersion: 'kubeposture.io/v1alpha1', plural: 'securitybaselineexceptions', namespaced: false },
  Report: { apiVersion: 'openreports.io/v1alpha1', plural: 'reports', namespaced: true },
  ClusterReport: { apiVersion: 'openreports.io/v1alpha1', plural: 'clusterreports', namespaced: false },
  PolicyReport: { apiVersion: 'wgpolicyk8s.io/v1alpha2', plural: 'policyreports', namespaced: true },
  ClusterPolicyReport: { apiVersion: 'wgpolicyk8s.io/v1alpha2', plural: 'clusterpolicyreports', namespaced: false },
  CustomResourceDefinition: { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', namespaced: false },
  Lease: { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  Event: { apiVersion: 'events.k8s.io/v1', plural: 'events', namespaced: true },
  Secret: { apiVersion: 'v1', plural: 'secrets', namespaced: true },
  ValidatingWebhookConfiguration: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  ValidatingAdmissionPolicy: { apiVersion: 'admissionregistration.k8s.io/v1', plural: 'validatingadmissionpolicies', namespaced: false },
  ValidatingAdmissionPolicyBinding: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    plural: 'validatingadmissionpolicybindings',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceInfo>;

/** A kind in {@link RESOURCES}. */
export type ResourceKind = keyof typeof RESOURCES;

/** The kinds whose answers kubeposture reads beyond {@link WireObject}; every other kind answers as a WireObject. */
interface WireKinds {
  readonly Lease: WireLease;
  readonly Secret: WireSecret;
  readonly ValidatingWebhookConfiguration: WireWebhookConfiguration;
}

/** The wire type an answer about `K` comes as: what a verb on `K` resolves to. */
export type WireOf<K extends ResourceKind> = K extends keyof WireKinds ? WireKinds[K] : WireObject;

/** The REST path of a collection (no name) or of one object. */
export function resourcePath(kind: ResourceKind, namespace?: string, name?: string): string {
  const r: ResourceInfo = RESOURCES[kind];
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/**
 * The review APIs kubeposture posts to: create-only and never stored (no name, no
 * namespace), so they have a path each rather than a row in {@link RESOURCES}.
 */
export const REVIEW_PATHS = {
  SelfSubjectReview: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  TokenReview: '/apis/authentication.k8s.io/v1/tokenreviews',
  SubjectAccessReview: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
} as const;
