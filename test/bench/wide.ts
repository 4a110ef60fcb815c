/**
 * A wide baseline (`make bench-wide`, issue 20): the bench baseline with 10 workload
 * ServiceAccounts, each with rules, instead of one, over `n` namespaces; its cold convergence
 * against the floor creating the same objects with the same concurrency, the operator's peak
 * RSS, and how its memory grows per cached object.
 *
 * The issue counts 33 objects per namespace; what desiredObjects makes for this shape is 39:
 * 37 owned (four NetworkPolicies, the LimitRange, the ResourceQuota, the grantor RoleBinding,
 * and a ServiceAccount, Role and RoleBinding per workload) and two shared (the default
 * ServiceAccount's token mount, the namespace's Pod Security labels). The 10 ServiceAccounts are
 * what the figure names, so they are kept, and the rest is the standard baseline's; 33 would
 * be 8 workloads.
 *
 * Memory per cached object: the same namespaces are first brought to the standard baseline
 * (BENCH_SPEC, 12 objects: 10 owned, 2 shared) by an operator process of their own, then that
 * baseline is deleted (deletionPolicy Delete, waited for until its objects are gone) and the
 * floor's copies removed, and a fresh operator brings them to the wide one. Both processes
 * cache the same namespaces and differ only in the managed objects (27 more per namespace), so
 * (RSS wide − RSS standard) / (objects wide − objects standard) is what each cached object
 * costs. Taken from the peak RSS over cold convergence, that includes what the 3.25 times as
 * many writes leave behind (V8 sizes its heap by the garbage it has seen); so after each
 * convergence the operator is also restarted (Bench.restart: SIGTERM, a new process, its first
 * pass over the compliant cluster, no writes), and its RSS and heap in use once idle give the
 * steady state's cost per object. The standard step runs first and warms the apiserver for the
 * wide step's floor.
 *
 * No SecurityBaselineExceptions unless asked (`opts.exceptions`, `--exceptions N`; the figure
 * is of the baseline's width alone): then each step makes that many to its own baseline, as
 * `make bench` does at each size (Bench.converge: the checker expects what they leave, the
 * floor skips the same parts), and the standard step's are deleted once its baseline is gone;
 * the objects per-object memory is taken over are those not lifted.
 */
import type { SecurityBaseline } from '../../src/api/types.ts';
import { BENCH_SPEC, Bench, SET_LABEL, type BenchEnv, type BenchOptions, type RestartResult, type SizeResult } from './bench.ts';
import { ComplianceChecker } from './checker.ts';
import type { ExemptFor } from './exceptions.ts';
import { floorCopy } from './floor.ts';
import { removeBaselines, removeFloor } from './many.ts';
import { operatorMemory, type OperatorMemory } from './operator-process.ts';
import { formatRows, formatTable, type Row } from './report.ts';

/** Ten workloads, each reading a few of the kinds the shipped kubeposture-grants ClusterRole lets baselines grant (config/rbac/grantable_default.yaml). */
const WORKLOADS: readonly Readonly<Record<string, unknown>>[] = [
  { name: 'app', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] },
  { name: 'web', rules: [{ apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'list', 'watch'] }] },
  { name: 'api', rules: [{ apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get'] }] },
  { name: 'worker', rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }] },
  { name: 'cron', rules: [{ apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['get', 'list'] }] },
  { name: 'deployer', rules: [{ apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list', 'watch'] }] },
  { name: 'metrics', rules: [{ apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] }] },
  { name: 'logs', rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }] },
  { name: 'storage', rules: [{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch'] }] },
  {
    name: 'ops',
    rules: [
      { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['statefulsets', 'daemonsets'], verbs: ['get', 'list'] },
    ],
  },
];

/** The bench baseline with the ten workloads above instead of its one: 39 objects per namespace. */
export const WIDE_SPEC: Readonly<Record<string, unknown>> = {
  ...BENCH_SPEC,
  serviceAccounts: { disableDefaultTokenMount: true, workloads: WORKLOADS },
};

/** The bound on the wide baseline's cold convergence, times the floor's. */
const RATIO_BOUND = 1.3;
/** The bound on the wide step's operator's peak RSS. */
const PEAK_RSS_BOUND_MB = 400;

/** One baseline's cold convergence over the namespaces, and the floor's objects found by listing. */
export interface WideStep {
  readonly size: SizeResult;
  /** The floor's objects (its copies, and the shared fields it applied) that hold what the baseline wants, by listing. */
  readonly floorObjectsByListing: number;
  /** The operator restarted on the converged namespaces: its first pass, writes and peak RSS. */
  readonly restart: RestartResult;
  /** The restarted operator once idle: its RSS and V8 heap in use, in MB. */
  readonly restartedRssMb: number;
  readonly restartedHeapUsedMb: number;
  /** Its heap right after its last full collection (its live data then). */
  readonly restartedHeapAfterGcMb: number;
}

export interface WideResult {
  readonly namespaces: number;
  /** The operator's heap and soft memory limit: the Deployment's, or `--operator-heap` and `--operator-soft-limit`. */
  readonly operatorMemory: OperatorMemory;
  readonly standard: WideStep;
  readonly wide: WideStep;
  /** The standard baseline deleted and its objects gone, the floor's removed, between the two. */
  readonly replaceMs: number;
  /** What each more cached object costs: the differences between the two steps over (objects wide − objects standard) × namespaces. */
  readonly bytesPerCachedObject: {
    readonly objects: number;
    /** From the peak RSS over cold convergence. */
    readonly peakRss: number;
    /** From the restarted operator's RSS once idle. */
    readonly restartedRss: number;
    /** From the restarted operator's V8 heap in use once idle. */
    readonly restartedHeapUsed: number;
    /** From the restarted operator's heap after its last full collection. */
    readonly restartedHeapAfterGc?: number;
  };
}

const MB = 2 ** 20;

/**
 * The floor's objects that hold what `baseline` wants in `namespaces` (labelled `set`), less what
 * `exempt` lifts, by listing (not watching: the checker is never started).
 */
async function floorObjects(
  env: BenchEnv,
  baseline: SecurityBaseline,
  namespaces: readonly string[],
  set: string,
  exempt: ExemptFor,
): Promise<number> {
  const checker = new ComplianceChecker(env.rest, baseline.metadata.name, `${SET_LABEL}=${set}`, exempt, floorCopy);
  checker.expect(baseline, namespaces);
  return (await checker.verifyByListing()).objects;
}

export async function runWideBench(env: BenchEnv, opts: BenchOptions, n: number, cleanup: boolean): Promise<WideResult> {
  const bench = new Bench(env, opts);
  try {
    env.log(`wide baseline: ${String(n)} namespaces, the standard baseline then the wide one`);
    const set = bench.name('wide');
    const opNs = await bench.createNamespaces('wide', n);
    const floorNs = await bench.createNamespaces('widefloor', n);
    await bench.settle([...opNs, ...floorNs]);
    const step = async (
      what: string,
      spec: Readonly<Record<string, unknown>>,
    ): Promise<WideStep & { baseline: SecurityBaseline; floorBaseline: SecurityBaseline }> => {
      env.log(`${what}: ${String(n)} namespaces`);
      const run = await bench.converge({
        what,
        floorWhat: `${what}-floor`,
        set,
        label: what,
        namespaces: opNs,
        floorNamespaces: floorNs,
        floorSet: bench.name('widefloor'),
        spec,
        exceptions: opts.exceptions ?? 0,
      });
      const floorObjectsByListing = await floorObjects(env, run.floorBaseline, floorNs, bench.name('widefloor'), bench.exceptions.exempt);
      env.log(
        `  ${String(run.size.objectsVerifiedByListing)} of the operator's objects and ${String(floorObjectsByListing)} of the floor's hold what the baseline wants, by listing (${String(run.size.objectsPerNamespace)} per namespace); peak RSS ${String(run.size.operatorPeakRssMb)} MB, ${String(run.size.operatorRssSettledMb)} MB idle, heap in use ${String(run.size.operatorHeapUsedMb)} MB (${String(run.size.operatorHeapAfterGcMb ?? 0)} MB after its last full collection)`,
      );
      const restart = await bench.restart();
      const restarted = await bench.operatorMemory();
      env.log(
        `  restarted: ${String(restarted.rssMb)} MB resident once idle, heap in use ${String(restarted.heapUsedMb)} MB (${String(restarted.heapAfterGcMb)} MB after its last full collection)`,
      );
      return {
        ...run,
        floorObjectsByListing,
        restart,
        restartedRssMb: restarted.rssMb,
        restartedHeapUsedMb: restarted.heapUsedMb,
        restartedHeapAfterGcMb: restarted.heapAfterGcMb,
      };
    };
    const standard = await step('wide-standard', BENCH_SPEC);
    const t0 = performance.now();
    await Promise.all([
      removeFloor(env, standard.floorBaseline, floorNs, opts.workers, bench.exceptions.exempt),
      (async () => {
        await removeBaselines(env, [standard.baseline.metadata.name]);
        await bench.exceptions.remove(env.rest, standard.baseline.metadata.name);
      })(),
    ]);
    const replaceMs = performance.now() - t0;
    env.log(`  the standard baseline and its objects gone, the floor's removed, in ${(replaceMs / 1000).toFixed(1)} s`);
    await bench.stop();
    const wide = await step('wide-wide', WIDE_SPEC);
    // The objects each step's operator holds: what the exceptions lift is not among them.
    const held = (st: WideStep): number => st.size.objectsPerNamespace * n - st.size.liftedObjects;
    const objects = held(wide) - held(standard);
    const per = (mb: (s: WideStep) => number): number => Math.round(((mb(wide) - mb(standard)) * MB) / objects);
    const result = (st: WideStep): WideStep => ({
      size: st.size,
      floorObjectsByListing: st.floorObjectsByListing,
      restart: st.restart,
      restartedRssMb: st.restartedRssMb,
      restartedHeapUsedMb: st.restartedHeapUsedMb,
      restartedHeapAfterGcMb: st.restartedHeapAfterGcMb,
    });
    return {
      namespaces: n,
      operatorMemory: operatorMemory(env.root, opts.operatorMemory, opts.operatorNodeArgs).memory,
      standard: result(standard),
      wide: result(wide),
      replaceMs: Math.round(replaceMs),
      bytesPerCachedObject: {
        objects,
        peakRss: per((s) => s.size.operatorPeakRssMb),
        restartedRss: per((s) => s.restartedRssMb),
        restartedHeapUsed: per((s) => s.restartedHeapUsedMb),
        restartedHeapAfterGc: per((s) => s.restartedHeapAfterGcMb),
      },
    };
  } finally {
    if (cleanup) await bench.cleanup();
    else await bench.stop();
  }
}

/** Each target, judged. */
export function wideRows(r: WideResult): Row[] {
  const w = r.wide.size;
  const per = r.bytesPerCachedObject;
  return [
    {
      figure: `cold convergence, wide baseline (${String(w.objectsPerNamespace)} objects per namespace), ${String(r.namespaces)} namespaces`,
      measured: `${(w.operatorMs / 1000).toFixed(1)} s vs floor ${(w.floorMs / 1000).toFixed(1)} s: ${w.ratio.toFixed(2)}×`,
      target: `≤ ${String(RATIO_BOUND)}× floor`,
      met: w.ratio <= RATIO_BOUND,
    },
    {
      figure: 'operator peak RSS, wide baseline',
      measured: `${String(w.operatorPeakRssMb)} MB over cold convergence, ${String(r.wide.restart.peakRssMb)} MB over a restart (standard baseline: ${String(r.standard.size.operatorPeakRssMb)} and ${String(r.standard.restart.peakRssMb)} MB)`,
      target: `≤ ${String(PEAK_RSS_BOUND_MB)} MB`,
      met: Math.max(w.operatorPeakRssMb, r.wide.restart.peakRssMb) <= PEAK_RSS_BOUND_MB,
    },
    {
      figure: 'memory per cached object',
      measured: `${String(per.restartedRss)} B by RSS after a restart (heap in use: ${String(per.restartedHeapUsed)} B; after a full collection: ${String(per.restartedHeapAfterGc ?? 0)} B), ${String(per.peakRss)} B by peak RSS over convergence (over ${String(per.objects)} more objects)`,
      target: 'report',
      met: undefined,
    },
  ];
}

/** The figures of both steps, then each target judged. */
export function renderWide(r: WideResult): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  const row = (name: string, st: WideStep): string[] => [
    name,
    String(st.size.objectsPerNamespace),
    String(st.size.objectsVerifiedByListing),
    String(st.floorObjectsByListing),
    s(st.size.operatorMs),
    s(st.size.floorMs),
    st.size.ratio.toFixed(2),
    st.size.operatorCpuSeconds.toFixed(1),
    st.size.requestsPerNamespace.toFixed(2),
    String(st.size.operatorPeakRssMb),
    String(st.size.operatorRssSettledMb),
    String(st.size.operatorHeapUsedMb),
    String(st.size.operatorHeapAfterGcMb ?? '-'),
    s(st.restart.firstPassMs),
    String(st.restart.writes),
    String(st.restartedRssMb),
    String(st.restartedHeapUsedMb),
    String(st.restartedHeapAfterGcMb),
  ];
  const figures = formatTable(
    [
      'baseline',
      'objects per ns',
      'objects listed',
      'floor objects listed',
      'cold conv s',
      'floor s',
      'ratio',
      'CPU s',
      'requests per ns',
      'peak RSS MB',
      'idle RSS MB',
      'heap used MB',
      'heap after gc MB',
      'restart: first pass s',
      'writes',
      'RSS MB',
      'heap used MB',
      'heap after gc MB',
    ],
    [row('standard', r.standard), row('wide', r.wide)],
  );
  const m = r.operatorMemory;
  return `wide baseline over ${String(r.namespaces)} namespaces; the operator's heap ${String(m.heapMiB)} MiB, its soft memory limit ${String(m.softLimitMiB)} MiB\n${figures}\n\n${formatRows(wideRows(r))}`;
}
