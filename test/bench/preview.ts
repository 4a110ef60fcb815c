/**
 * What Audit mode's Pod Security preview costs at scale (`make bench-preview`, issue 17):
 * `n` namespaces each running `pods` pods (one namespace in ten also runs a pod that
 * `restricted` refuses and `baseline` admits), governed at enforce `baseline`; then the
 * baseline goes to Audit mode wanting `restricted`, and kubeposture dry-runs each namespace's
 * labels once (preview-pace.ts: at most 20 a second). Measured, from the apiserver's counters
 * and the operator's own: the time until every namespace was dry-run, the requests that took,
 * the operator's CPU; as a reference in the same run, a floor client making the same dry runs
 * with the operator's identity as fast as the apiserver answers (what they cost the apiserver).
 * Checked by listing: the Reports of exactly the namespaces with an offending pod warn of it.
 * Then a resync: no write, and no dry run (every preview is younger than its maximum age).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Bench, BENCH_SPEC, SET_LABEL, type BenchEnv, type BenchOptions, type ResyncResult } from './bench.ts';
import { ComplianceChecker } from './checker.ts';
import { listAll } from './fixtures.ts';
import { pool } from './floor.ts';
import { OPERATOR_FLOW_SCHEMA } from './identity.ts';
import { ApiserverRequests, cpuSeconds, memoryMb, namespaceDryRun, REPORT_RESOURCES } from './measure.ts';
import { metricSum } from './operator-process.ts';
import { compliantPod, plainPod } from '../support/pods.ts';

export interface PreviewResult {
  readonly namespaces: number;
  readonly podsPerNamespace: number;
  /** Namespaces running a pod `restricted` refuses. */
  readonly offending: number;
  readonly podsCreatedMs: number;
  /** Cold convergence at enforce baseline, with the pods there (every namespace's first enforce label judges its pods). */
  readonly convergedMs: number;
  /** The floor: the same dry runs, with the operator's identity and concurrency, as fast as the apiserver answers. */
  readonly floorMs: number;
  /** From the switch to Audit until the apiserver had counted a dry run of every namespace. */
  readonly previewMs: number;
  readonly dryRuns: number;
  /** Every request of the operator's in that time (its flow schema), and of those, to Reports. */
  readonly operatorRequests: number;
  readonly reportRequests: number;
  readonly operatorCpuSeconds: number;
  /** From the switch until listing the Reports showed the warning in exactly the offending namespaces. */
  readonly reportedMs: number;
  readonly resync: ResyncResult;
  readonly peakRssMb: number;
  readonly rssByPhaseMb: Readonly<Record<string, number>>;
}

const WANTS = { enforce: 'restricted', warn: 'restricted', audit: 'restricted' };
const PREVIEWED = 'if it were enforced';

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/**
 * The longest the operator defers a write or a dry run on its own clock: a baseline's ClusterReport
 * is written at most every 10 s (CLUSTER_REPORT_INTERVAL_MS), and a namespace previewed again no
 * sooner than 10 s after the last (its quota moved meanwhile). Quiet for longer than that, nothing
 * the previews set in motion is still to come.
 */
const DEFERRED_MS = 12_000;

/** The operator's requests other than GETs (writes and dry runs), from its own metrics. */
const sent = (metrics: string): number =>
  metricSum(metrics, 'kubeposture_api_requests_total') - metricSum(metrics, 'kubeposture_api_requests_total', 'verb="GET"');

/** Polls `done` every `everyMs` until it holds; rejects after `timeoutMs`. */
async function until(what: string, done: () => Promise<boolean>, timeoutMs: number, everyMs = 1000): Promise<void> {
  const t0 = performance.now();
  while (!(await done())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function runPreviewBench(env: BenchEnv, opts: BenchOptions, pods: number, cleanup: boolean): Promise<PreviewResult> {
  const n = opts.sizes[opts.sizes.length - 1];
  if (n === undefined) throw new Error('no size given');
  if (opts.reports !== true) throw new Error('the preview benchmark checks Reports: run it with reports on');
  const bench = new Bench(env, opts);
  try {
    env.log(`preview: ${String(n)} namespaces, ${String(pods)} pods each`);
    const names = await bench.createNamespaces('pv', n);
    await bench.settle(names);
    const offending = new Set(names.filter((_, i) => i % 10 === 0));
    const podsStart = performance.now();
    const work = names.flatMap((ns) => [
      ...Array.from({ length: pods }, (_, j) => ({ ns, pod: compliantPod(`web-${String(j)}`) })),
      ...(offending.has(ns) ? [{ ns, pod: plainPod('legacy') }] : []),
    ]);
    await pool(work, opts.workers, async ({ ns, pod }) => {
      await env.rest.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: pod });
    });
    const podsCreatedMs = performance.now() - podsStart;
    env.log(`  ${String(work.length)} pods created in ${(podsCreatedMs / 1000).toFixed(1)} s`);

    // The reference: the same dry runs, as fast as the apiserver answers them.
    const floorStart = performance.now();
    await pool(names, opts.workers, async (ns) => {
      const body = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      };
      await env.operatorRest.apply('Namespace', body, { fieldManager: 'kubeposture-bench-floor', force: true, dryRun: true });
    });
    const floorMs = performance.now() - floorStart;
    env.log(`  floor: ${String(n)} dry runs in ${(floorMs / 1000).toFixed(1)} s`);

    const op = await bench.startOperator(`preview-${String(n)}`);
    bench.enterPhase('convergence at enforce baseline');
    const set = bench.name('pv');
    const checker = new ComplianceChecker(env.rest, bench.name('preview'), `${SET_LABEL}=${set}`);
    await checker.start();
    const t0 = performance.now();
    const baseline = await bench.createBaseline(
      'preview',
      { [SET_LABEL]: set },
      { ...BENCH_SPEC, podSecurity: { ...WANTS, enforce: 'baseline' } },
    );
    checker.expect(baseline, names);
    await checker.until(`${String(n)} namespaces compliant`, () => checker.complete === n, 1_800_000);
    const convergedMs = performance.now() - t0;
    checker.stop();
    await op.idle();
    env.log(`  converged at enforce baseline in ${(convergedMs / 1000).toFixed(1)} s`);

    bench.enterPhase('preview');
    const before = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
    const cpuBefore = cpuSeconds(op.pid);
    const t1 = performance.now();
    await env.rest.mergePatch('SecurityBaseline', undefined, baseline.metadata.name, { spec: { mode: 'Audit', podSecurity: WANTS } });
    let dryRuns = 0;
    await until(
      `a dry run of each of ${String(n)} namespaces`,
      async () => {
        dryRuns = (await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA)).since(before, namespaceDryRun);
        return dryRuns >= n;
      },
      3_600_000,
    );
    const previewMs = performance.now() - t1;
    env.log(`  previewed: ${String(dryRuns)} dry runs in ${(previewMs / 1000).toFixed(1)} s`);
    const reportPath = '/apis/openreports.io/v1alpha1/reports';
    let warned = new Set<string>();
    await until(
      'the Reports of exactly the offending namespaces warning of their pod',
      async () => {
        const reports = await listAll(env.rest, reportPath, {}, 2000);
        warned = new Set(
          reports
            .filter((r) =>
              ((r as { results?: { rule?: string; message?: string }[] }).results ?? []).some(
                (x) => x.rule === 'PodSecurityViolations' && (x.message ?? '').includes(PREVIEWED),
              ),
            )
            .map((r) => r.metadata.namespace ?? ''),
        );
        return warned.size === offending.size && [...offending].every((ns) => warned.has(ns));
      },
      600_000,
      n < 1000 ? 1000 : 5000,
    );
    const reportedMs = performance.now() - t1;
    await op.idle();
    const after = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
    const cpu = cpuSeconds(op.pid) - cpuBefore;
    const reportRequests = after.since(before, (s) => REPORT_RESOURCES.has(s.resource));
    env.log(`  Reports warn in the ${String(warned.size)} offending namespaces, ${(reportedMs / 1000).toFixed(1)} s after the switch`);

    // A ClusterReport write or a second preview deferred by the previews lands up to 10 s later;
    // the resync is measured once none can (it would count one otherwise, as CI saw under load).
    let last = sent(await op.metrics());
    let tail = 0;
    await until(
      `the operator quiet for ${String(DEFERRED_MS / 1000)} s`,
      async () => {
        await sleep(DEFERRED_MS);
        const now = sent(await op.metrics());
        const quiet = now === last;
        tail += now - last;
        last = now;
        return quiet;
      },
      600_000,
      0,
    );
    env.log(`  settled: ${String(tail)} deferred writes or dry runs after the Reports warned`);

    bench.enterPhase('resync');
    const resync = await bench.resync();
    const heap = metricSum(await op.metrics(), 'kubeposture_nodejs_heap_size_used_bytes');
    env.log(`  heap in use at the end: ${String(Math.round(heap / 2 ** 20))} MB`);
    return {
      namespaces: n,
      podsPerNamespace: pods,
      offending: offending.size,
      podsCreatedMs: round(podsCreatedMs, 0),
      convergedMs: round(convergedMs, 0),
      floorMs: round(floorMs, 0),
      previewMs: round(previewMs, 0),
      dryRuns: round(dryRuns, 0),
      operatorRequests: round(after.operator - before.operator, 0),
      reportRequests: round(reportRequests, 0),
      operatorCpuSeconds: round(cpu),
      reportedMs: round(reportedMs, 0),
      resync,
      peakRssMb: round(memoryMb(op.pid).peak, 0),
      rssByPhaseMb: bench.memoryByPhase(),
    };
  } finally {
    if (cleanup) await bench.cleanup();
    else await bench.stop();
  }
}

/** The figures as a few lines for people. */
export function renderPreview(r: PreviewResult): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  return [
    `| figure | measured |`,
    `|---|---|`,
    `| namespaces, pods | ${String(r.namespaces)} namespaces, ${String(r.podsPerNamespace)} pods each, ${String(r.offending)} with a pod restricted refuses |`,
    `| convergence at enforce baseline, pods judged | ${s(r.convergedMs)} |`,
    `| preview: every namespace dry-run | ${s(r.previewMs)} (${(r.namespaces / (r.previewMs / 1000)).toFixed(1)} a second); floor, as fast as the apiserver answers: ${s(r.floorMs)} |`,
    `| preview: requests | ${String(r.dryRuns)} dry runs; ${String(r.operatorRequests)} operator requests in all, ${String(r.reportRequests)} of them to Reports |`,
    `| preview: operator CPU | ${r.operatorCpuSeconds.toFixed(1)} s |`,
    `| Reports warn in exactly the offending namespaces | ${s(r.reportedMs)} after the switch |`,
    `| resync afterwards | ${String(r.resync.writes)} writes, ${String(r.resync.dryRuns)} dry runs, ${r.resync.cpuSeconds.toFixed(2)} s CPU |`,
    `| peak RSS | ${String(r.peakRssMb)} MB (${Object.entries(r.rssByPhaseMb)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}) |`,
  ].join('\n');
}
