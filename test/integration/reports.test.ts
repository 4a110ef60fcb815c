/**
 * OpenReports Reports on the real control plane (issue 16), with the CRDs as the pinned
 * github.com/openreports/reports-api module ships them (test/support/upstream.ts) and the
 * operator under its own ServiceAccount with config/default's RBAC: a Report per governed
 * namespace that the apiserver accepts, which follows drift, findings, exceptions and scope,
 * is not written again when nothing changed, and which a namespace admin reads in their own
 * namespace only. Without the API nothing is written and --reports=on refuses to start.
 * Where only the legacy wgpolicyk8s.io API is installed (its CRDs as Kyverno's module ships
 * them), the same reports are PolicyReports, and installing OpenReports moves them over.
 */
import { NAME_QUOTA } from '../../src/api/constants.ts';
import { Controller } from '../../src/controller/controller.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/log.ts';
import type { ReportBody } from '../../src/report/build.ts';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, OPERATOR_NAMESPACE, serviceAccountKubeConfig, startAsOperator } from '../support/identity.ts';
import { kubectl } from '../support/kubectl.ts';
import { SlowRest, startOperator, type TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import { installLegacyPolicyReports, installOpenReports, removeLegacyPolicyReports, removeOpenReports } from '../support/upstream.ts';
import { baselineManifest, createBaseline, createNamespaces, labelNamespace, user, waitCompliant } from '../support/world.ts';

type Report = WireObject & ReportBody;

let op: TestOperator;
beforeAll(async () => {
  await installDefaultConfig();
  await installOpenReports();
  op = await startAsOperator({ clusterReportIntervalMs: 500, reports: 'auto' });
}, 120_000);
afterAll(async () => {
  await op.stop();
  await removeOpenReports();
}, 120_000);

const SPEC = {
  resourceQuota: { hard: { pods: '10' } },
  podSecurity: { enforce: 'baseline' },
};
const readReport = async (ns: string): Promise<Report | undefined> => (await user.get('Report', ns, 'kubeposture')) as Report | undefined;
const readClusterReport = async (baseline: string): Promise<Report | undefined> =>
  (await user.get('ClusterReport', undefined, `kubeposture-${baseline}`)) as Report | undefined;
const results = (r: Report | undefined): string[] => (r?.results ?? []).map((x) => `${x.rule} ${x.result}`);
const reportWrites = (): number => op.requests.filter((r) => r.method !== 'GET' && r.path.includes('/reports')).length;

describe('a Report in every governed namespace', () => {
  it('holds a result per check, is accepted by the schema, and follows drift, findings, exceptions and scope', async () => {
    const group = uniqueName('g');
    const [a = '', b = ''] = await createNamespaces('rep', 2, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 2);

    const first = await eventually(async () => {
      const r = await readReport(a);
      expect(r?.summary).toEqual({ pass: 4, fail: 0, warn: 0, error: 0, skip: 0 });
      return r;
    }, 10_000);
    expect(results(first)).toEqual([
      'networkPolicy.defaultDeny pass',
      'networkPolicy.allowDNS pass',
      'resourceQuota pass',
      'podSecurity pass',
    ]);
    expect(first?.scope).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: a });
    expect(first?.source).toBe('kubeposture');
    expect(first?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': baseline });
    expect(first?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'SecurityBaseline', name: baseline });
    // kubectl's own columns from the upstream CRD: PASS FAIL WARN ERROR SKIP.
    expect(await kubectl('get', 'reports', '-n', a)).toMatch(/kubeposture\s+4\s+0\s+0\s+0\s+0/);

    // Edited by someone who may (a cluster admin here; tenants may not): put back.
    await user.request('PATCH', resourcePath('Report', a, 'kubeposture'), {
      body: { summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }, results: [] },
      contentType: 'application/merge-patch+json',
    });
    await eventually(async () => {
      expect(results(await readReport(a))).toEqual(results(first));
    }, 10_000);

    // A finding: an allow-all ingress policy a tenant writes appears as a warning, and goes with it.
    await user.request('POST', resourcePath('NetworkPolicy', a), {
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'open-all', namespace: a },
        spec: { podSelector: {}, ingress: [{}] },
      },
    });
    await eventually(async () => {
      const r = await readReport(a);
      expect(r?.results.find((x) => x.result === 'warn')).toMatchObject({
        rule: 'AllowAllIngress',
        resources: [{ kind: 'NetworkPolicy', name: 'open-all', namespace: a }],
      });
    }, 10_000);
    await user.request('DELETE', resourcePath('NetworkPolicy', a, 'open-all'));
    await eventually(async () => {
      expect((await readReport(a))?.summary.warn).toBe(0);
    }, 10_000);

    // An exception: the quota is skipped, with the reason.
    const exc = uniqueName('exc');
    await user.request('POST', resourcePath('SecurityBaselineException'), {
      body: {
        apiVersion: 'kubeposture.io/v1alpha1',
        kind: 'SecurityBaselineException',
        metadata: { name: exc },
        spec: {
          baseline,
          namespaces: [a],
          exempt: ['resourceQuota'],
          reason: 'batch jobs (SEC-77)',
          expires: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      },
    });
    await eventually(async () => {
      const r = await readReport(a);
      expect(r?.summary).toMatchObject({ pass: 3, skip: 1 });
      const skip = r?.results.find((x) => x.result === 'skip');
      expect(skip).toMatchObject({ rule: 'resourceQuota', properties: { exception: exc } });
      expect(skip?.message).toContain('SEC-77');
    }, 10_000);
    await user.request('DELETE', resourcePath('SecurityBaselineException', undefined, exc));
    await eventually(async () => {
      expect((await readReport(a))?.summary).toEqual({ pass: 4, fail: 0, warn: 0, error: 0, skip: 0 });
    }, 10_000);

    // Out of scope: the Report goes; the other namespace keeps its own.
    await labelNamespace(a, { 'kp-test': null });
    await eventually(async () => {
      expect(await readReport(a)).toBeUndefined();
    }, 10_000);
    expect((await readReport(b))?.summary.pass).toBe(4);
  }, 90_000);

  it('moves with its namespace to another baseline: one owner, the new one, without a refused write', async () => {
    const [silver, gold] = [uniqueName('g'), uniqueName('g')];
    const [ns = ''] = await createNamespaces('repm', 1, { 'kp-test': silver });
    const from = await createBaseline(baselineManifest(silver, SPEC));
    const to = await createBaseline(baselineManifest(gold, { ...SPEC, resourceQuota: { hard: { pods: '20' } } }));
    await waitCompliant(from, 1);
    await eventually(async () => {
      expect((await readReport(ns))?.metadata.labels?.['kubeposture.io/baseline']).toBe(from);
    }, 10_000);
    const writesBefore = op.requests.length;
    await labelNamespace(ns, { 'kp-test': gold });
    await eventually(async () => {
      const r = await readReport(ns);
      expect(r?.metadata.labels?.['kubeposture.io/baseline']).toBe(to);
      expect(r?.metadata.ownerReferences?.map((o) => o.name)).toEqual([to]);
      // Its body is gold's too: every result names the new baseline.
      expect(new Set(r?.results.map((x) => x.policy))).toEqual(new Set([to]));
    }, 10_000);
    const refused = op.requests.filter((r) => r.path.includes(`/namespaces/${ns}/reports`) && r.status >= 400);
    expect(refused.map((r) => `${r.method} ${String(r.status)}`)).toEqual([]);
    // Moved and rewritten in one write (a JSON patch), not a move and then an apply.
    const moves = op.requests.slice(writesBefore).filter((r) => r.path.includes(`/namespaces/${ns}/reports`) && r.method === 'PATCH');
    expect(moves).toHaveLength(1);
  }, 60_000);

  it('fails what drifts in Audit mode, with the reason, and passes it again once it is right', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('repa', 1, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, { ...SPEC, mode: 'Audit' }));
    await eventually(async () => {
      const r = await readReport(ns);
      expect(r?.summary).toMatchObject({ pass: 0, fail: 4 });
      expect(r?.results.find((x) => x.rule === 'resourceQuota')).toMatchObject({
        result: 'fail',
        properties: { reason: 'Missing' },
        message: `ResourceQuota ${NAME_QUOTA} is missing`,
      });
    }, 15_000);
    // The baseline's ClusterReport: a line per namespace.
    await eventually(async () => {
      const c = await readClusterReport(baseline);
      expect(c?.scope).toEqual({ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: baseline });
      expect(c?.results.map((x) => `${x.resources?.[0]?.name ?? ''} ${x.result} ${x.message}`)).toEqual([`${ns} fail 4 checks failed`]);
    }, 15_000);
    // Enforce mode makes it right; both reports follow.
    await user.request('PATCH', resourcePath('SecurityBaseline', undefined, baseline), {
      body: { spec: { mode: 'Enforce' } },
      contentType: 'application/merge-patch+json',
    });
    await eventually(async () => {
      expect((await readReport(ns))?.summary).toMatchObject({ pass: 4, fail: 0 });
      expect((await readClusterReport(baseline))?.summary).toEqual({ pass: 1, fail: 0, warn: 0, error: 0, skip: 0 });
    }, 15_000);
  }, 60_000);

  it('gives a baseline that selects no namespace its ClusterReport, with no results, without waiting for a restart', async () => {
    const baseline = await createBaseline(baselineManifest(uniqueName('g'), SPEC));
    await eventually(async () => {
      const r = await readClusterReport(baseline);
      expect(r?.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
    }, 10_000);
  }, 30_000);

  it('is not written again when nothing changed: a resync writes no Report or ClusterReport', async () => {
    const group = uniqueName('g');
    await createNamespaces('repq', 3, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 3);
    await op.controller.settle();
    await op.controller.idle();
    await new Promise((r) => setTimeout(r, 500));
    const before = reportWrites();
    expect(before).toBeGreaterThanOrEqual(3);
    op.controller.resync();
    await op.controller.settle();
    await new Promise((r) => setTimeout(r, 500));
    expect(reportWrites()).toBe(before);
  }, 60_000);

  it('is read by a namespace admin in their own namespace, not in another, and not written by them', async () => {
    const group = uniqueName('g');
    const [mine = '', theirs = ''] = await createNamespaces('rept', 2, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 2);
    await eventually(async () => {
      expect(await readReport(theirs)).toBeDefined();
      expect(await readReport(mine)).toBeDefined();
    }, 10_000);
    const tenant = await namespaceAdmin(mine);
    await eventually(async () => {
      expect(((await tenant.client.get('Report', mine, 'kubeposture')) as Report | undefined)?.summary.pass).toBe(4);
    }, 10_000);
    const list = (await tenant.client.request('GET', resourcePath('Report', mine))) as { items: Report[] };
    expect(list.items.map((r) => r.metadata.name)).toEqual(['kubeposture']);
    expect((await refusal(() => tenant.client.get('Report', theirs, 'kubeposture'))).status).toBe(403);
    const write = await refusal(() =>
      tenant.client.request('PATCH', resourcePath('Report', mine, 'kubeposture'), {
        body: { summary: { pass: 99 } },
        contentType: 'application/merge-patch+json',
      }),
    );
    expect(write.status).toBe(403);
  }, 60_000);

  it('leaves alone a Report named kubeposture that someone else made', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('repf', 1, {});
    await user.request('POST', resourcePath('Report', ns), {
      body: {
        apiVersion: 'openreports.io/v1alpha1',
        kind: 'Report',
        metadata: { name: 'kubeposture', namespace: ns },
        source: 'someone',
        results: [],
      },
    });
    await labelNamespace(ns, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 1);
    await op.controller.settle();
    const r = await readReport(ns);
    expect(r?.source).toBe('someone');
    expect(r?.metadata.labels).toBeUndefined();
  }, 60_000);

  it('was accepted by the apiserver every time it was written (schema validation on)', () => {
    const writes = op.requests.filter((r) => r.method !== 'GET' && /\/(cluster)?reports(\/|$|\?)/.test(r.path));
    expect(writes.length).toBeGreaterThan(10);
    // 409: creates that found the foreign Report's name taken (each look at that namespace tries
    // again, which is how it notices the name freed), nothing else.
    expect(writes.filter((r) => r.status >= 400 && r.status !== 409).map((r) => `${r.method} ${r.path} ${String(r.status)}`)).toEqual([]);
    const conflicts = writes.filter((r) => r.status === 409);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(new Set(conflicts.map((r) => `${r.method} ${r.path.replace(/\/namespaces\/repf-[^/]+\//, '/namespaces/repf-*/')}`))).toEqual(
      new Set(['POST /apis/openreports.io/v1alpha1/namespaces/repf-*/reports']),
    );
  });

  it('is not written again by a restart, though a namespace it repairs holds up the first pass while the report caches sync', async () => {
    const group = uniqueName('g');
    const count = 20;
    const namespaces = await createNamespaces('repr', count, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, count);
    await eventually(async () => {
      expect((await readClusterReport(baseline))?.summary.pass).toBe(count);
    }, 30_000);
    await op.controller.settle();
    await new Promise((r) => setTimeout(r, 1000));
    await op.stop();
    // Drift while no operator runs; the new one's repair of it answers 3 s late, so that its
    // first pass is not done when the report caches have synced.
    const [slow = ''] = namespaces;
    await user.mergePatch('ResourceQuota', slow, NAME_QUOTA, { spec: { hard: { pods: '99' } } });
    op = await startOperator(
      { operatorNamespace: OPERATOR_NAMESPACE, statusIntervalMs: 100, clusterReportIntervalMs: 500, reports: 'auto' },
      await serviceAccountKubeConfig(),
      (kc, opts) =>
        new SlowRest(
          kc,
          opts,
          (method, path, init) =>
            method === 'PATCH' && init.contentType === 'application/apply-patch+yaml' && path.includes(`/namespaces/${slow}/`),
          3000,
        ),
    );
    await op.controller.settle();
    await new Promise((r) => setTimeout(r, 1500));
    await op.controller.settle();
    expect(
      ((await user.get('ResourceQuota', slow, NAME_QUOTA)) as unknown as { spec: { hard: Record<string, string> } }).spec.hard.pods,
    ).toBe('10');
    // This test's reports (an earlier test leaves a namespace where each look tries a create again).
    const ours = (path: string): boolean =>
      namespaces.some((ns) => path.includes(`/namespaces/${ns}/`)) || path.includes(`/kubeposture-${baseline}`);
    const writes = op.requests.filter((r) => r.method !== 'GET' && r.path.includes('reports') && ours(r.path));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect((await readClusterReport(baseline))?.summary.pass).toBe(count);
  }, 120_000);
});

describe("a deleted baseline's ClusterReport", () => {
  it('goes once the baseline is gone, without waiting for the interval its last build set', async () => {
    const group = uniqueName('g');
    const [, out = ''] = await createNamespaces('repd', 2, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 2);
    await eventually(async () => {
      expect((await readClusterReport(baseline))?.summary.pass).toBe(2);
    }, 30_000);
    // An operator whose interval is far longer than this test (what waits for it shows), and
    // whose first pass builds every ClusterReport once (the same: nothing written).
    await op.stop();
    op = await startAsOperator({ clusterReportIntervalMs: 120_000, reports: 'auto' });
    // A namespace leaves: the ClusterReport is due again, held back by the interval of that build.
    await labelNamespace(out, { 'kp-test': null });
    await eventually(async () => {
      expect(await readReport(out)).toBeUndefined();
    }, 10_000);
    await op.controller.settle();
    expect(op.controller.clusterReportPending(baseline)).toBe(true);
    expect((await readClusterReport(baseline))?.summary.pass).toBe(2);

    const deleted = Date.now();
    await user.request('DELETE', resourcePath('SecurityBaseline', undefined, baseline));
    await eventually(async () => {
      expect(await user.get('SecurityBaseline', undefined, baseline)).toBeUndefined();
      expect(await readClusterReport(baseline)).toBeUndefined();
      expect(op.controller.clusterReportPending(baseline)).toBe(false);
    }, 20_000);
    expect(Date.now() - deleted).toBeLessThan(60_000);
  }, 120_000);
});

describe('without the OpenReports API', () => {
  it('writes nothing, and --reports=on refuses to start, saying why', async () => {
    await op.stop();
    await removeOpenReports();
    const kc = await serviceAccountKubeConfig();
    const rest = new RestClient(kc, { userAgent: 'kubeposture-under-test' });
    const controller = new Controller({
      rest,
      log: silentLogger,
      clock: systemClock,
      config: {
        operatorNamespace: OPERATOR_NAMESPACE,
        workers: 2,
        resyncPeriodMs: 600_000,
        statusIntervalMs: 100,
        conflictRecheckMs: 500,
        podSecurityRecheckMs: 500,
        reports: 'on',
      },
    });
    await expect(controller.start()).rejects.toThrow(
      '--reports=on, but the OpenReports API is not installed: no established CustomResourceDefinition reports.openreports.io',
    );
    await controller.stop();
    rest.close();
    // auto: starts, writes none.
    op = await startOperator({ operatorNamespace: OPERATOR_NAMESPACE, statusIntervalMs: 100, reports: 'auto' }, kc);
    const group = uniqueName('g');
    await createNamespaces('repn', 1, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 1);
    await op.controller.settle();
    expect(op.requests.filter((r) => r.path.includes('/reports'))).toEqual([]);
  }, 120_000);
});

describe('where only the legacy wgpolicyk8s.io API is installed', () => {
  type Legacy = WireObject & Partial<ReportBody>;
  const rules = (r: Legacy | undefined): string[] => (r?.results ?? []).map((x) => `${x.rule} ${x.result} ${x.source}`);

  it('writes PolicyReports a namespace admin reads, and moves them to OpenReports once that is installed', async () => {
    // The operator of the test above runs with --reports=auto and no OpenReports API.
    await installLegacyPolicyReports();
    try {
      const group = uniqueName('g');
      const [ns = '', other = ''] = await createNamespaces('repl', 2, { 'kp-test': group });
      const baseline = await createBaseline(baselineManifest(group, { ...SPEC, mode: 'Audit' }));
      const legacy = await eventually(async () => {
        const r = (await user.get('PolicyReport', ns, 'kubeposture')) as Legacy | undefined;
        expect(r?.summary).toEqual({ pass: 0, fail: 4, warn: 0, error: 0, skip: 0 });
        return r;
      }, 15_000);
      expect(legacy?.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
      expect(legacy?.scope).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      expect(legacy?.source).toBeUndefined();
      expect(rules(legacy)).toEqual([
        'networkPolicy.defaultDeny fail kubeposture',
        'networkPolicy.allowDNS fail kubeposture',
        'resourceQuota fail kubeposture',
        'podSecurity fail kubeposture',
      ]);
      expect(legacy?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'SecurityBaseline', name: baseline });
      expect(await kubectl('get', 'policyreports', '-n', ns)).toMatch(
        new RegExp(`kubeposture\\s+Namespace\\s+${ns}\\s+0\\s+4\\s+0\\s+0\\s+0`),
      );
      const cluster = await eventually(async () => {
        const c = (await user.get('ClusterPolicyReport', undefined, `kubeposture-${baseline}`)) as Legacy | undefined;
        expect(c?.results?.map((x) => `${x.resources?.[0]?.name ?? ''} ${x.result}`)).toEqual([`${ns} fail`, `${other} fail`].sort());
        return c;
      }, 15_000);
      expect(cluster?.scope).toMatchObject({ kind: 'SecurityBaseline', name: baseline });

      // The view role covers the legacy API: the namespace admin reads theirs, not another's.
      const tenant = await namespaceAdmin(ns);
      expect(((await tenant.client.get('PolicyReport', ns, 'kubeposture')) as Legacy | undefined)?.summary?.fail).toBe(4);
      expect((await refusal(() => tenant.client.get('PolicyReport', other, 'kubeposture'))).status).toBe(403);

      // Every write accepted: what was sent is what the schema kept (nothing pruned).
      const writes = op.requests.filter((r) => r.method !== 'GET' && r.path.includes('policyreports'));
      expect(writes.length).toBeGreaterThan(2);
      expect(writes.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${String(r.status)}`)).toEqual([]);

      // OpenReports installed next to it: Reports with the same results, the PolicyReports go.
      await installOpenReports();
      const moved = await eventually(async () => {
        const r = await readReport(ns);
        expect(r).toBeDefined();
        expect(await user.get('PolicyReport', ns, 'kubeposture')).toBeUndefined();
        expect(await user.get('ClusterPolicyReport', undefined, `kubeposture-${baseline}`)).toBeUndefined();
        expect(await readClusterReport(baseline)).toBeDefined();
        return r;
      }, 20_000);
      expect(moved?.source).toBe('kubeposture');
      expect(moved?.results).toEqual(legacy?.results);
    } finally {
      await removeLegacyPolicyReports();
    }
  }, 120_000);
});
