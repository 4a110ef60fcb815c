/**
 * config/guard on the real apiserver: the ValidatingAdmissionPolicy that holds pods out of a
 * namespace a SecurityBaseline selects until kubeposture has put the baseline in place there
 * and marked the Namespace (kubeposture.io/holds). Pods are created by an impersonated
 * namespace admin; the operator runs under its own ServiceAccount, and is stopped where a test
 * needs the window to stay open.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ANNOTATION_HOLDS, NAME_DEFAULT_DENY } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { selects } from '../../src/baseline/selection.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, OPERATOR_NAMESPACE, startAsOperator } from '../support/identity.ts';
import { kubectl } from '../support/kubectl.ts';
import type { TestOperator } from '../support/operator.ts';
import { compliantPod } from '../support/pods.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  patchBaselineSpec,
  readBaseline,
  readNamespace,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

let op: TestOperator | undefined;
const start = async (): Promise<void> => {
  op = await startAsOperator();
};
const stop = async (): Promise<void> => {
  await op?.stop();
  op = undefined;
};

beforeAll(async () => {
  await installDefaultConfig();
  await kubectl('apply', '-k', 'config/guard');
  await start();
});
afterAll(async () => {
  await kubectl('delete', '--ignore-not-found', '-k', 'config/guard');
  await stop();
});

const podsPath = (namespace: string): string => `/api/v1/namespaces/${namespace}/pods`;

/** A namespace admin of `namespace`, once its `default` ServiceAccount exists (pods need it, guard or not). */
async function tenantOf(namespace: string): Promise<RestClient> {
  await eventually(async () => {
    if ((await user.get('ServiceAccount', namespace, 'default')) === undefined) throw new Error('no default ServiceAccount yet');
  }, 15_000);
  return (await namespaceAdmin(namespace)).client;
}

/** Whether the guard admits a pod into `namespace` now, as its admin creates it (the pod is deleted again). */
async function admitted(client: RestClient, namespace: string): Promise<boolean> {
  const name = uniqueName('p');
  try {
    await client.request('POST', podsPath(namespace), { body: compliantPod(name) });
  } catch (err: unknown) {
    if (err instanceof Error && err.message.includes('kubeposture has not yet put its protections in place')) return false;
    throw err;
  }
  await user.request('DELETE', `${podsPath(namespace)}/${name}`, { query: { gracePeriodSeconds: '0' } });
  return true;
}

/** Waits until the policy and its binding are in force (the apiserver loads them asynchronously). */
async function guardInForce(): Promise<void> {
  const group = uniqueName('g');
  const name = await createBaseline(baselineManifest(group, { networkPolicy: { denyIngress: true } }));
  await stop();
  const [probe = ''] = await createNamespaces('guard-probe', 1, { 'kp-test': group });
  const client = await tenantOf(probe);
  await eventually(async () => {
    if (await admitted(client, probe)) throw new Error('the guard is not in force yet');
  }, 30_000);
  await start();
  await deleteBaseline(name);
}

/** A baseline in force, kubeposture then stopped, and a namespace it selects created meanwhile (so unmarked), with its admin. */
async function unprotected(prefix: string): Promise<{ name: string; ns: string; tenant: RestClient }> {
  const group = uniqueName('g');
  const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
  await waitReady(name);
  await stop();
  const [ns = ''] = await createNamespaces(prefix, 1, { 'kp-test': group });
  return { name, ns, tenant: await tenantOf(ns) };
}

describe('the guard (config/guard)', () => {
  beforeAll(guardInForce, 60_000);

  it('refuses a pod in a new namespace until kubeposture has put the baseline in place, then admits it', async () => {
    const { name, ns, tenant } = await unprotected('guard');
    const { status, message } = await refusal(() => tenant.request('POST', podsPath(ns), { body: compliantPod('early') }));
    expect(status).toBe(403);
    expect(message).toContain(
      `SecurityBaseline "${name}" selects namespace "${ns}" and kubeposture has not yet put its protections in place there ` +
        '(default-deny NetworkPolicies, quota, limits); pods are admitted as soon as it has, usually within a second, and controllers retry on their own',
    );
    // kubeposture comes: it marks the namespace in the apply that sets its Pod Security labels, and the pod is admitted.
    await start();
    await timed(async () => {
      expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_HOLDS]).toBe(name);
    }, 15_000);
    const marked = await readNamespace(ns);
    expect(marked.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(await admitted(tenant, ns)).toBe(true);
    // By then every object was there.
    expect(await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)).toBeDefined();
    expect(await user.get('ResourceQuota', ns, 'kubeposture-quota')).toBeDefined();
    await deleteBaseline(name);
  });

  it("holds a ReplicaSet's pods while kubeposture is away, and lets them in once the namespace is protected, every pod after the default-deny", async () => {
    const { name, ns } = await unprotected('guard-rs');
    const pod = compliantPod('x');
    await user.request('POST', `/apis/apps/v1/namespaces/${ns}/replicasets`, {
      body: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: pod.spec },
        },
      },
    });
    const listPods = async (): Promise<{ metadata: { resourceVersion: string } }[]> =>
      ((await user.request('GET', podsPath(ns))) as { items: { metadata: { resourceVersion: string } }[] }).items;
    // The ReplicaSet controller tries, and is refused (without the guard its pods would be there by now).
    await eventually(async () => {
      const rs = (await user.request('GET', `/apis/apps/v1/namespaces/${ns}/replicasets/web`)) as {
        status?: { conditions?: { type: string; message?: string }[] };
      };
      const failure = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      if (failure === undefined) throw new Error('no ReplicaFailure yet');
      expect(failure.message).toContain('kubeposture has not yet put its protections in place');
    }, 15_000);
    expect(await listPods()).toEqual([]);
    await start();
    const pods = await eventually(async () => {
      const items = await listPods();
      if (items.length < 3) throw new Error(`${String(items.length)} pods`);
      return items;
    }, 30_000);
    const deny = await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY);
    // One etcd: resourceVersions order every write. No pod was stored before the default-deny.
    for (const p of pods) expect(Number(p.metadata.resourceVersion)).toBeGreaterThan(Number(deny?.metadata.resourceVersion));
    await deleteBaseline(name);
  });

  it('holds only what a baseline in Enforce mode selects, among namespaces newer than it', async () => {
    const group = uniqueName('g');
    // Existing before any baseline: never held.
    const [older = ''] = await createNamespaces('guard-old', 1, { 'kp-test': group, tier: 'gold' });
    // Creation timestamps are in whole seconds: the baselines come a second later.
    await sleep(1100);
    const specs: Record<string, Record<string, unknown>> = {
      gold: {
        namespaceSelector: { matchLabels: { 'kp-test': group }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] },
        excludeNamespaces: ['guard-skip-*'],
        networkPolicy: { denyIngress: true },
      },
      silver: {
        namespaceSelector: {
          matchLabels: { 'kp-test': group },
          matchExpressions: [
            { key: 'tier', operator: 'NotIn', values: ['gold'] },
            { key: 'legacy', operator: 'DoesNotExist' },
          ],
        },
        networkPolicy: { denyIngress: true },
      },
      audit: {
        mode: 'Audit',
        namespaceSelector: { matchLabels: { 'kp-test': group }, matchExpressions: [{ key: 'legacy', operator: 'Exists' }] },
        networkPolicy: { denyIngress: true },
      },
    };
    const baselines: SecurityBaseline[] = [];
    for (const spec of Object.values(specs)) {
      const name = await createBaseline({ ...baselineManifest(group), spec });
      const parsed = parseSecurityBaseline(await readBaseline(name));
      if (!parsed.ok) throw new Error(`invalid: ${name}`);
      baselines.push(parsed.baseline);
    }
    await stop();
    // A second later: the namespaces below are newer than every baseline (timestamps are in seconds).
    await sleep(1100);
    const shapes: { prefix: string; labels: Record<string, string> }[] = [
      { prefix: 'guard-gold', labels: { tier: 'gold' } },
      { prefix: 'guard-skip-gold', labels: { tier: 'gold' } },
      { prefix: 'guard-plain', labels: {} },
      { prefix: 'guard-silver', labels: { tier: 'silver' } },
      { prefix: 'guard-legacy', labels: { legacy: 'yes' } },
      { prefix: 'guard-gold-legacy', labels: { tier: 'gold', legacy: 'yes' } },
    ];
    const fresh: { name: string; labels: Record<string, string> }[] = [];
    for (const s of shapes) {
      const labels = { 'kp-test': group, ...s.labels };
      const [name = ''] = await createNamespaces(s.prefix, 1, labels);
      fresh.push({ name, labels });
    }
    const elsewhere = await createNamespaces('guard-none', 1, { 'kp-test': uniqueName('other') });
    const expected = (ns: { name: string; labels: Record<string, string> }): boolean =>
      !baselines.some(
        (b) =>
          b.spec.mode === 'Enforce' &&
          selects(b, { name: ns.name, labels: ns.labels, terminating: false }, OPERATOR_NAMESPACE) === 'selected',
      );
    const got: Record<string, boolean> = {};
    const want: Record<string, boolean> = {};
    for (const ns of fresh) {
      got[ns.name] = await admitted(await tenantOf(ns.name), ns.name);
      want[ns.name] = expected(ns);
    }
    // The guard decides as kubeposture's own selection does; both hold some and admit some.
    expect(got).toEqual(want);
    expect(Object.values(want)).toEqual([false, true, false, false, true, false]);
    for (const ns of [older, ...elsewhere]) expect(await admitted(await tenantOf(ns), ns)).toBe(true);
    await start();
    for (const b of baselines) await deleteBaseline(b.metadata.name);
  });

  it('does not hold a marked namespace again for a new generation of its baseline', async () => {
    const group = uniqueName('g');
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    const [ns = ''] = await createNamespaces('guard-gen', 1, { 'kp-test': group });
    await timed(async () => {
      expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_HOLDS]).toBe(name);
    }, 15_000);
    const tenant = await tenantOf(ns);
    // A rollout of generation 2 that kubeposture has not reached yet (it is stopped): pods are still admitted.
    await stop();
    await patchBaselineSpec(name, { resourceQuota: { hard: { pods: '20' } } });
    expect(await admitted(tenant, ns)).toBe(true);
    await start();
    await timed(async () => {
      const quota = (await user.get('ResourceQuota', ns, 'kubeposture-quota')) as { spec?: unknown } | undefined;
      expect(quota?.spec).toMatchObject({ hard: { pods: '20' } });
    }, 15_000);
    expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_HOLDS]).toBe(name);
    expect(await admitted(tenant, ns)).toBe(true);
    // Out of scope, the mark goes with the rest of kubeposture's fields.
    await user.mergePatch('Namespace', undefined, ns, { metadata: { labels: { 'kp-test': null } } });
    await timed(async () => {
      expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_HOLDS]).toBeUndefined();
    }, 15_000);
    await deleteBaseline(name);
  });

  it('does not mark a namespace where a protection is missing (its default-deny name held by another object), so its pods stay held', async () => {
    const { name, ns, tenant } = await unprotected('guard-conflict');
    // Someone took the default-deny's name first, with a policy that admits everyone (an admin: the tamper policy exempts them).
    await user.request('POST', resourcePath('NetworkPolicy', ns), {
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: NAME_DEFAULT_DENY },
        spec: { podSelector: {}, ingress: [{}] },
      },
    });
    await start();
    // kubeposture reports the Conflict and puts the rest in place, but does not mark the namespace.
    await timed(async () => {
      const drift = (await readBaseline(name))?.status?.drift ?? [];
      expect(drift.map((d) => `${d.namespace}/${d.kind}/${d.name}/${d.reason}`)).toContain(
        `${ns}/NetworkPolicy/${NAME_DEFAULT_DENY}/Conflict`,
      );
      expect(await user.get('ResourceQuota', ns, 'kubeposture-quota')).toBeDefined();
    }, 15_000);
    expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_HOLDS]).toBeUndefined();
    expect(await admitted(tenant, ns)).toBe(false);
    // The impostor goes: kubeposture makes its own default-deny, marks the namespace, and pods get in.
    await user.request('DELETE', resourcePath('NetworkPolicy', ns, NAME_DEFAULT_DENY));
    await timed(async () => {
      expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_HOLDS]).toBe(name);
    }, 15_000);
    expect(await admitted(tenant, ns)).toBe(true);
    await deleteBaseline(name);
  });

  it('cannot be satisfied by a tenant: a namespace admin may not set the mark', async () => {
    const { name, ns, tenant } = await unprotected('guard-forge');
    const forged = await refusal(() =>
      tenant.mergePatch('Namespace', undefined, ns, { metadata: { annotations: { [ANNOTATION_HOLDS]: name } } }),
    );
    expect(forged.status).toBe(403);
    expect(await admitted(tenant, ns)).toBe(false);
    await start();
    await deleteBaseline(name);
  });
});
