/**
 * Pods for Pod Security tests, as admission judges them: one each level admits. Pods stay
 * Pending on the test control planes (no kubelet), which is enough: admission judges specs.
 */

const IMAGE = 'registry.k8s.io/pause:3.10';

/** A pod the restricted level admits. */
export function compliantPod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  };
}

/** A pod the baseline level admits and restricted does not: no securityContext at all. */
export function plainPod(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: IMAGE }] } };
}

/** A pod only the privileged level admits. */
export function privilegedPod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: IMAGE, securityContext: { privileged: true } }] },
  };
}

/** What the apiserver says a plain pod fails under restricted. */
export const PLAIN_POD_FAILS = 'allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile';
