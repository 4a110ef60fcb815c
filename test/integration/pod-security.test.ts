/**
 * Pod Security verdicts on the real apiserver, with the operator under its own
 * ServiceAccount: when kubeposture moves a namespace's enforce level, Pod Security
 * admission judges the pods already there and says so in `Warning` headers; those
 * become PodSecurityViolations findings in the baseline's status. Pods stay Pending
 * (no kubelet), which is enough: admission judges pod specs.
 */
import type { Finding } from '../../src/api/types.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import type { TestOperator } from '../support/operator.ts';
import { compliantPod as compliant, PLAIN_POD_FAILS, plainPod as plain, privilegedPod as privileged } from '../support/pods.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  patchBaselineSpec,
  readBaseline,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

let op: TestOperator;
/** An Audit preview is asked again at most this often when a namespace's pods change. */
const PREVIEW_INTERVAL_MS = 1000;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator({ podSecurityPreviewIntervalMs: PREVIEW_INTERVAL_MS });
});
afterAll(async () => {
  await op.stop();
});

async function createPod(namespace: string, pod: Record<string, unknown>): Promise<void> {
  // The ServiceAccount admission plugin refuses pods until the controller manager has made `default`.
  await eventually(
    async () => {
      try {
        await user.request('POST', `/api/v1/namespaces/${namespace}/pods`, { body: pod });
      } catch (err: unknown) {
        if (err instanceof ApiError && err.status === 409) return;
        throw err;
      }
    },
    15_000,
    100,
  );
}

const findingsOfType = async (name: string, type: Finding['type']): Promise<readonly Finding[]> =>
  ((await readBaseline(name))?.status?.findings ?? []).filter((f) => f.type === type);
const podFindings = async (name: string): Promise<readonly Finding[]> => findingsOfType(name, 'PodSecurityViolations');
const labelsOf = async (namespace: string): Promise<Readonly<Record<string, string>>> =>
  (await user.get('Namespace', undefined, namespace))?.metadata.labels ?? {};
const ENFORCE = 'pod-security.kubernetes.io/enforce';

/** Two namespaces of a new group: one running `offender` (a privileged pod by default) and a compliant one, the other a compliant one only. */
async function dirtyAndClean(prefix: string, offender = privileged('debug')): Promise<{ group: string; dirty: string; clean: string }> {
  const group = uniqueName('g');
  const [dirty = '', clean = ''] = await createNamespaces(prefix, 2, { 'kp-test': group });
  await createPod(dirty, offender);
  await createPod(dirty, compliant('web-1'));
  await createPod(clean, compliant('web-2'));
  return { group, dirty, clean };
}

describe('Pod Security verdicts', () => {
  it('reports the pods a new enforce level refuses, as the apiserver judged them, and only those', async () => {
    const { group, dirty } = await dirtyAndClean('psa');
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await waitReady(name);
    await timed(async () => {
      expect((await podFindings(name)).map((f) => `${f.namespace ?? ''}/${f.kind ?? ''}/${f.name ?? ''}`)).toEqual([`${dirty}/Pod/debug`]);
    }, 15_000);
    const [finding] = await podFindings(name);
    // The apiserver's own words, one line for all the checks the pod fails.
    expect(finding?.message).toBe(
      'pod debug would be refused by restricted:latest when next created: ' +
        'privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    );
    // The level is enforced all the same (rollout Immediate), and the finding does not make drift.
    const ns = await user.get('Namespace', undefined, dirty);
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const status = (await readBaseline(name))?.status;
    expect(status?.conditions?.find((c) => c.type === 'Compliant')?.status).toBe('True');

    // Later reconciles (a repair here) keep the verdict while the level it was given for stands.
    await user.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${dirty}/networkpolicies/kubeposture-default-deny`);
    await timed(async () => {
      expect((await readBaseline(name))?.status?.repairs?.total ?? 0).toBeGreaterThan(0);
    }, 15_000);
    expect((await podFindings(name)).map((f) => f.message)).toEqual([finding?.message]);

    // A loosening is not judged (the apiserver looks at no pod): the verdict about restricted goes.
    await patchBaselineSpec(name, { podSecurity: { enforce: 'baseline', audit: 'restricted', warn: 'restricted' } });
    await timed(async () => {
      expect(await podFindings(name)).toEqual([]);
    }, 15_000);
    // Tightening again is: the privileged pod fails baseline:v1.30 too, for fewer reasons.
    await patchBaselineSpec(name, { podSecurity: { enforce: 'baseline', enforceVersion: 'v1.30' } });
    await timed(async () => {
      expect((await podFindings(name)).map((f) => f.message)).toEqual([
        'pod debug would be refused by baseline:v1.30 when next created: privileged',
      ]);
    }, 15_000);
    // privileged admits every pod: nothing to report.
    await patchBaselineSpec(name, { podSecurity: { enforce: 'privileged' } });
    await timed(async () => {
      expect(await podFindings(name)).toEqual([]);
    }, 15_000);
    await deleteBaseline(name);
  });

  it('WhenClean holds enforce back while a pod would be refused, moving warn and audit at once, and moves it within a second of the pod going', async () => {
    const { group, dirty: held, clean: free } = await dirtyAndClean('psa-wc');
    const spec = {
      ...RESTRICTED_SPEC,
      podSecurity: { enforce: 'restricted', audit: 'restricted', warn: 'restricted', rollout: 'WhenClean' },
    };
    const name = await createBaseline(baselineManifest(group, spec));
    await timed(async () => {
      expect((await labelsOf(free))[ENFORCE]).toBe('restricted');
      const labels = await labelsOf(held);
      expect([labels[ENFORCE], labels['pod-security.kubernetes.io/warn'], labels['pod-security.kubernetes.io/audit']]).toEqual([
        undefined,
        'restricted',
        'restricted',
      ]);
      expect((await findingsOfType(name, 'PodSecurityPending')).map((f) => `${f.namespace ?? ''}/${f.name ?? ''}: ${f.message}`)).toEqual([
        `${held}/debug: pod debug holds enforce back from restricted:latest (rollout WhenClean): ` +
          'privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
      ]);
    }, 15_000);
    // Held back, the namespace does not comply: its enforce label is not what the baseline says.
    const b = await readBaseline(name);
    expect(b?.status?.conditions?.find((c) => c.type === 'Compliant')?.status).toBe('False');
    expect(b?.status?.drift?.map((d) => `${d.namespace}/${d.kind}/${d.reason}`)).toEqual([`${held}/Namespace/Modified`]);
    expect(await podFindings(name)).toEqual([]);

    // The pod goes: enforce moves within a second, nothing is pending, the namespace complies.
    await user.request('DELETE', `/api/v1/namespaces/${held}/pods/debug`, { query: { gracePeriodSeconds: '0' } });
    const ms = await timed(async () => {
      expect((await labelsOf(held))[ENFORCE]).toBe('restricted');
    }, 15_000);
    expect(ms).toBeLessThan(1500);
    await timed(async () => {
      expect(await findingsOfType(name, 'PodSecurityPending')).toEqual([]);
      expect((await readBaseline(name))?.status?.conditions?.find((c) => c.type === 'Compliant')?.status).toBe('True');
    }, 15_000);
    expect(await podFindings(name)).toEqual([]);
    await deleteBaseline(name);
  });

  it('takes a partial check (over 3,000 pods) as not clean: WhenClean holds enforce back and says how many were judged', async () => {
    const group = uniqueName('g');
    const [crowded = ''] = await createNamespaces('psa-many', 1, { 'kp-test': group });
    // Compliant pods, one more than the apiserver judges when a namespace's level changes.
    await createPod(crowded, compliant('p-0'));
    const names = Array.from({ length: 3000 }, (_, i) => `p-${String(i + 1)}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => createPod(crowded, compliant(n))));
    }
    const spec = { podSecurity: { enforce: 'restricted', rollout: 'WhenClean' } };
    const name = await createBaseline(baselineManifest(group, spec));
    await timed(async () => {
      const [f, ...rest] = await findingsOfType(name, 'PodSecurityPending');
      expect(rest).toEqual([]);
      expect(f).toMatchObject({ namespace: crowded, kind: 'Namespace', name: crowded });
      expect(f?.message).toMatch(
        /^the apiserver checked only \d+ of 3001 pods against restricted:latest: the others are not known to pass$/,
      );
    }, 30_000);
    expect((await labelsOf(crowded))[ENFORCE]).toBeUndefined();
    await deleteBaseline(name);
    await user.request('DELETE', `/api/v1/namespaces/${crowded}`);
  }, 120_000);
});

describe('Pod Security preview in Audit mode', () => {
  const previewOf = (pod: string): string =>
    `pod ${pod} would be refused by restricted:latest if it were enforced (the baseline is in Audit mode): ${PLAIN_POD_FAILS}`;
  const dryRunsOn = (namespace: string): number =>
    op.requests.filter((r) => r.method === 'PATCH' && r.path === `/api/v1/namespaces/${namespace}` && r.dryRun === true).length;

  /** A namespace governed at enforce baseline (so kubeposture's ResourceQuota is there), whose tenant runs a pod restricted refuses; and a clean one. */
  async function auditScene(prefix: string): Promise<{ name: string; dirty: string; clean: string }> {
    const { group, dirty, clean } = await dirtyAndClean(prefix, plain('root'));
    // A quota that counts pods only, and many: the churn below outruns the quota controller's recount.
    const spec = { ...RESTRICTED_SPEC, resourceQuota: { hard: { pods: '1000' } }, podSecurity: { enforce: 'baseline' } };
    const name = await createBaseline(baselineManifest(group, spec));
    await waitReady(name);
    expect(await podFindings(name)).toEqual([]);
    return { name, dirty, clean };
  }

  it('dry-runs the level an Audit baseline wants, reports what it would refuse and writes nothing to the namespace; asks again when the pods change', async () => {
    const { name, dirty, clean } = await auditScene('psa-pv');
    const tenant = await namespaceAdmin(dirty);
    const before = await user.get('Namespace', undefined, dirty);
    op.resetRequests();
    await patchBaselineSpec(name, { mode: 'Audit', podSecurity: { enforce: 'restricted' } });
    await timed(async () => {
      expect((await podFindings(name)).map((f) => `${f.namespace ?? ''}/${f.kind ?? ''}/${f.name ?? ''}: ${f.message}`)).toEqual([
        `${dirty}/Pod/root: ${previewOf('root')}`,
      ]);
    }, 15_000);
    // Nothing was written to the namespace: same resourceVersion, enforce as it was; only dry runs reached it.
    const after = await user.get('Namespace', undefined, dirty);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(after?.metadata.labels?.[ENFORCE]).toBe('baseline');
    const touching = op.requests.filter((r) => r.method !== 'GET' && r.path === `/api/v1/namespaces/${dirty}`);
    expect(touching.length).toBeGreaterThan(0);
    expect(touching.filter((r) => r.dryRun !== true)).toEqual([]);
    expect(
      op
        .namespaceWrites()
        .filter((r) => r.path.startsWith(`/api/v1/namespaces/${clean}`) || r.path.startsWith(`/api/v1/namespaces/${dirty}`)),
    ).toEqual([]);
    // Drift stays reported: Audit does not hold the level it wants.
    expect((await readBaseline(name))?.status?.drift?.map((d) => `${d.namespace}/${d.kind}/${d.reason}`)).toEqual(
      expect.arrayContaining([`${dirty}/Namespace/Modified`, `${clean}/Namespace/Modified`]),
    );

    // The tenant deletes the pod: the preview is asked again (kubeposture's ResourceQuota moved) and comes back clean.
    await tenant.client.request('DELETE', `/api/v1/namespaces/${dirty}/pods/root`, { query: { gracePeriodSeconds: '0' } });
    await timed(async () => {
      expect(await podFindings(name)).toEqual([]);
    }, 15_000);
    // A new offending pod is found the same way.
    await tenant.client.request('POST', `/api/v1/namespaces/${dirty}/pods`, {
      body: plain('root-2'),
    });
    await timed(async () => {
      expect((await podFindings(name)).map((f) => f.message)).toEqual([previewOf('root-2')]);
    }, 15_000);
    expect((await user.get('Namespace', undefined, dirty))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);

    // Enforce: the level moves, and what was previewed is what the write is told.
    await patchBaselineSpec(name, { mode: 'Enforce' });
    await timed(async () => {
      expect((await labelsOf(dirty))[ENFORCE]).toBe('restricted');
      expect((await podFindings(name)).map((f) => f.message)).toEqual([
        `pod root-2 would be refused by restricted:latest when next created: ${PLAIN_POD_FAILS}`,
      ]);
    }, 15_000);
    await deleteBaseline(name);
  });

  it("bounds the dry runs a tenant's pod churn causes to one per interval", async () => {
    const { name, dirty } = await auditScene('psa-churn');
    const tenant = await namespaceAdmin(dirty);
    await patchBaselineSpec(name, { mode: 'Audit', podSecurity: { enforce: 'restricted' } });
    await timed(async () => {
      expect((await podFindings(name)).map((f) => f.message)).toEqual([previewOf('root')]);
    }, 15_000);
    // Pods come and go as fast as the tenant can make them, for a while.
    const start = dryRunsOn(dirty);
    const began = Date.now();
    let made = 0;
    while (Date.now() - began < 5_000) {
      const pod = `churn-${String(made)}`;
      await tenant.client.request('POST', `/api/v1/namespaces/${dirty}/pods`, {
        body: compliant(pod),
      });
      await tenant.client.request('DELETE', `/api/v1/namespaces/${dirty}/pods/${pod}`, { query: { gracePeriodSeconds: '0' } });
      made += 1;
    }
    const window = Date.now() - began;
    // One at the first change, then at most one per interval (and one owed when the churn stopped).
    const asked = dryRunsOn(dirty) - start;
    expect(made).toBeGreaterThan(20);
    expect(asked).toBeLessThanOrEqual(Math.ceil(window / PREVIEW_INTERVAL_MS) + 2);
    // The preview still says what holds once the churn is over.
    await tenant.client.request('DELETE', `/api/v1/namespaces/${dirty}/pods/root`, { query: { gracePeriodSeconds: '0' } });
    await timed(async () => {
      expect(await podFindings(name)).toEqual([]);
    }, 15_000);
    // Deleted while in Audit mode, the baseline goes all the same, its objects as its deletionPolicy (Delete) says.
    expect(await user.get('ResourceQuota', dirty, 'kubeposture-quota')).toBeDefined();
    await deleteBaseline(name);
    await timed(async () => {
      expect(await readBaseline(name)).toBeUndefined();
      expect(await user.get('ResourceQuota', dirty, 'kubeposture-quota')).toBeUndefined();
    }, 15_000);
  });
});
