/**
 * Reading and changing the test cluster the way a user would, for the
 * reconciler's integration tests: baselines, namespaces, and the objects
 * kubeposture manages in them.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE, NAME_GRANTOR, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { Condition, SecurityBaselineStatus } from '../../src/api/types.ts';
import { OWNED_KINDS } from '../../src/baseline/objects.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { createTestNamespace, eventually, testKubeConfig, uniqueName } from './cluster.ts';

export const kc = testKubeConfig();
export const core = kc.makeApiClient(CoreV1Api);
export const custom = kc.makeApiClient(CustomObjectsApi);
/** The tests' own client (not the operator's). */
export const user = new RestClient(kc, { userAgent: 'kubeposture-tests' });

export type Baseline = WireObject & { spec: Record<string, unknown>; status?: SecurityBaselineStatus };

/** A baseline manifest with a unique name selecting namespaces labelled `kp-test=<group>`. */
export function baselineManifest(group: string, spec: Record<string, unknown> = {}, name = uniqueName('sb')): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'SecurityBaseline',
    metadata: { name },
    spec: { namespaceSelector: { matchLabels: { 'kp-test': group } }, ...spec },
  };
}

export async function createBaseline(manifest: Record<string, unknown>): Promise<string> {
  const created = (await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body: manifest })) as Baseline;
  return created.metadata.name;
}

export async function readBaseline(name: string): Promise<Baseline | undefined> {
  return (await user.get('SecurityBaseline', undefined, name)) as Baseline | undefined;
}

/** Merge-patches a baseline's spec. */
export async function patchBaselineSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await user.mergePatch('SecurityBaseline', undefined, name, { spec });
}

export async function deleteBaseline(name: string): Promise<void> {
  await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name });
}

export function condition(b: Baseline | undefined, type: string): Condition | undefined {
  return b?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the baseline reports Ready=True for its current generation; returns it. */
export async function waitReady(name: string, timeoutMs = 30_000): Promise<Baseline> {
  return eventually(async () => {
    const b = await readBaseline(name);
    const ready = condition(b, 'Ready');
    if (b === undefined || ready?.status !== 'True' || b.status?.observedGeneration !== b.metadata.generation) {
      throw new Error(`baseline ${name} not Ready yet: ${JSON.stringify(b?.status)}`);
    }
    return b;
  }, timeoutMs);
}

/** Waits until the baseline is Ready with `count` selected namespaces, all compliant. */
export async function waitCompliant(name: string, count: number, timeoutMs = 30_000): Promise<Baseline> {
  return eventually(async () => {
    const b = await waitReady(name, timeoutMs);
    const n = b.status?.namespaces;
    if (n?.selected !== count || n.compliant !== count)
      throw new Error(`baseline ${name}: ${JSON.stringify(n)}, want ${String(count)} compliant`);
    return b;
  }, timeoutMs);
}

/** Creates `count` namespaces labelled for a test group; returns their names. */
export async function createNamespaces(prefix: string, count: number, labels: Record<string, string>): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, () => createTestNamespace(core, prefix, labels)));
}

export async function labelNamespace(name: string, labels: Record<string, string | null>): Promise<void> {
  await user.mergePatch('Namespace', undefined, name, { metadata: { labels } });
}

export async function readNamespace(name: string): Promise<WireObject> {
  const ns = await user.get('Namespace', undefined, name);
  if (ns === undefined) throw new Error(`namespace ${name} not found`);
  return ns;
}

/** Every kubeposture-labelled object in a namespace, as "Kind/name". */
export async function managedIn(namespace: string): Promise<string[]> {
  const out: string[] = [];
  for (const kind of OWNED_KINDS) {
    const list = (await user.request('GET', resourcePath(kind, namespace), {
      query: { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` },
    })) as { items: WireObject[] };
    out.push(...list.items.map((o) => `${kind}/${o.metadata.name}`));
  }
  return out.sort();
}

/** The `default` ServiceAccount's automountServiceAccountToken (undefined when unset). */
export async function defaultAutomount(namespace: string): Promise<boolean | undefined> {
  const sa = (await user.get('ServiceAccount', namespace, 'default')) as { automountServiceAccountToken?: boolean } | undefined;
  return sa?.automountServiceAccountToken;
}

/** The full list of managed objects a namespace holds under the DESIGN example. */
export const RESTRICTED_OBJECTS = [
  'LimitRange/kubeposture-limits',
  'NetworkPolicy/kubeposture-allow-dns',
  'NetworkPolicy/kubeposture-default-deny',
  'ResourceQuota/kubeposture-quota',
  'Role/kubeposture-app',
  'RoleBinding/kubeposture-app',
  'ServiceAccount/app',
];

/** The same, made by the operator under its own ServiceAccount: with the grantor RoleBinding it writes the workload Role through. */
export const RESTRICTED_OBJECTS_AS_OPERATOR = [...RESTRICTED_OBJECTS, `RoleBinding/${NAME_GRANTOR}`].sort();

/** The spec of the DESIGN example, without its selector. */
export const RESTRICTED_SPEC: Record<string, unknown> = {
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
    workloads: [{ name: 'app', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] }],
  },
  podSecurity: { enforce: 'restricted', audit: 'restricted', warn: 'restricted' },
};

/** Polls until `check` passes, measuring how long that took. */
export async function timed(check: () => Promise<void>, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  await eventually(check, timeoutMs, 50);
  return Date.now() - start;
}
