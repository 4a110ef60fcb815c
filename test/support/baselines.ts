/** SecurityBaselines for tests, built through the real parser so defaults apply. */
import { parseSecurityBaseline, formatErrors } from '../../src/api/validate.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { desiredObjects } from '../../src/baseline/build.ts';
import type { CachedOwned, OwnedKind } from '../../src/controller/plan.ts';

/** The full example of DESIGN.md, as a plain manifest. */
export function restrictedManifest(name = 'restricted'): Record<string, unknown> {
  return {
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaseline',
    metadata: { name },
    spec: {
      mode: 'Enforce',
      priority: 0,
      namespaceSelector: { matchLabels: { team: 'payments' } },
      excludeNamespaces: ['sandbox-*'],
      deletionPolicy: 'Delete',
      networkPolicy: { denyIngress: true, denyEgress: true, allowDNS: true, allowSameNamespace: false },
      limitRange: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m', memory: '512Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi' },
            max: { cpu: '2', memory: '2Gi' },
          },
        ],
      },
      resourceQuota: { hard: { pods: '50', 'requests.cpu': '10', 'requests.memory': '20Gi', 'limits.cpu': '20' } },
      serviceAccounts: {
        disableDefaultTokenMount: true,
        workloads: [
          {
            name: 'app',
            automountServiceAccountToken: false,
            rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
          },
        ],
      },
      podSecurity: { enforce: 'restricted', enforceVersion: 'latest', audit: 'restricted', warn: 'restricted' },
    },
  };
}

/** Parses a manifest that must be valid; throws with the field errors otherwise. */
export function baselineOf(manifest: unknown, uid = '00000000-0000-4000-8000-000000000001'): SecurityBaseline {
  const parsed = parseSecurityBaseline(manifest);
  if (!parsed.ok) throw new Error(`test baseline is invalid: ${formatErrors(parsed.errors)}`);
  return { ...parsed.baseline, metadata: { ...parsed.baseline.metadata, uid } };
}

/** A baseline with `spec` merged over a minimal valid manifest. */
export function baselineWith(name: string, spec: Record<string, unknown>): SecurityBaseline {
  return baselineOf({ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', metadata: { name }, spec });
}

/** What a namespace holds once `b` was applied there: its owned objects, as the cache keeps them. */
export function appliedObjects(b: SecurityBaseline, namespace: string): CachedOwned[] {
  return desiredObjects(b, namespace)
    .filter((d) => d.ownership === 'owned')
    .map((d) => ({
      kind: d.object.kind as OwnedKind,
      object: {
        ...structuredClone(d.object),
        metadata: { ...structuredClone(d.object.metadata), uid: `uid-${d.object.metadata.name}`, resourceVersion: '1' },
      },
    }));
}
