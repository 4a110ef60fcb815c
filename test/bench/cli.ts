/**
 * `make bench`: starts a control plane of its own (the controller manager with
 * higher client rate limits, as a 10,000-namespace cluster would run it), runs
 * the benchmark, prints the table, writes the figures as JSON and throws the
 * cluster away (its data and logs stay under .cache/bench/ when a run fails).
 *
 *   node test/bench/cli.ts [--sizes 1000,10000] [--script 100] [--samples 200] [--workers 16] [--reports on|off] [--out FILE]
 *                          [--phases script,cold,latency,resync,spec-change,restart,tier-switch,delete]  (the phases to run, in that order; default all)
 *                          [--node-args='--cpu-prof --cpu-prof-dir=DIR']  (flags for the operator's node)
 *                          [--operator image|source]  (the operator as the image runs it, compiled (default), or from the sources)
 *                          [--operator-heap MIB] [--operator-soft-limit MIB]  (its --max-old-space-size and soft memory limit, if not the Deployment's)
 *                          [--exceptions 100]  (SecurityBaselineExceptions made at each size, each lifting one part in one namespace: exceptions.ts)
 *                          [--latency-variants]  (the latency phase also times the floor with workload RoleBindings to ClusterRoles: bench.ts)
 *
 * The phases: `script` (render + kubectl apply, one namespace after another), `cold` (cold
 * convergence at each size, against the floor; it always runs, as every other phase starts
 * from it), then at the largest size: `latency` (new namespaces and drift repairs one at a
 * time, status writes under that churn), `resync` (SIGHUP: writes and CPU), `spec-change` (the
 * baseline's quota `pods` changed, rolled out to every namespace, against the floor making the
 * same change), `tier-switch` (half as many namespaces of their own moved from baseline silver to
 * gold, against the floor making the same writes), `restart` (SIGTERM and a new operator: until
 * ready and its first pass done, and its writes) and `delete` (the gold tier's baseline deleted
 * with deletionPolicy Orphan, then the main one with Delete, each against the floor releasing or
 * deleting the same objects). `--phases cold,spec-change`, say, for a quicker run of one figure.
 *   node test/bench/cli.ts --preview-pods 5 [--sizes 10000]  (Audit mode's Pod Security preview instead, preview.ts)
 *   node test/bench/cli.ts --window 300                      (the unprotected window without and with the guard instead, window.ts)
 *   node test/bench/cli.ts --baselines 1,10,100 [--sizes 10000]  (many baselines with disjoint selectors instead, many.ts)
 *   node test/bench/cli.ts --soak 30 [--sizes 10000] [--sample-every 30]  (30 minutes of churn, memory and caches watched, instead: soak.ts)
 *   node test/bench/cli.ts --wide 10000 [--exceptions 0]      (a baseline with 10 workload ServiceAccounts against the standard one instead, wide.ts; no exceptions unless asked)
 */
import { KubeConfig } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RestClient } from '../../src/kube/rest.ts';
import { prepareRun } from '../controlplane/binaries.ts';
import { startControlPlane } from '../controlplane/controlplane.ts';
import { parsePhases, runBench, type BenchOptions } from './bench.ts';
import { openReportsInstallSteps } from '../support/upstream.ts';
import { installOperator } from './identity.ts';
import { operatorMemory } from './operator-process.ts';
import { buildImageLayout } from '../support/image-layout.ts';
import { renderTable } from './report.ts';
import { renderPreview, runPreviewBench } from './preview.ts';
import { renderWindow, runWindowBench } from './window.ts';
import { parseBaselineCounts, renderMany, runManyBench } from './many.ts';
import { renderSoak, runSoak } from './soak.ts';
import { renderWide, runWideBench } from './wide.ts';

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} ${JSON.stringify(text)} must be a whole number`);
  return n;
}

/** A size in MiB for the operator's memory: a whole number from 64 to 65,536. */
function mebibytes(flag: string, text: string): number {
  const n = count(flag, text);
  if (n < 64 || n > 65_536) throw new Error(`--${flag} ${text} must be between 64 and 65536 (MiB)`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,10000' },
      script: { type: 'string', default: '100' },
      samples: { type: 'string', default: '200' },
      workers: { type: 'string', default: '16' },
      out: { type: 'string' },
      'node-args': { type: 'string', default: '' },
      // The operator as the image runs it (tsc's JavaScript, support/image-layout.ts) or from the TypeScript sources.
      operator: { type: 'string', default: 'image' },
      // The operator's V8 heap (--max-old-space-size) and soft memory limit in MiB, instead of config/manager/deployment.yaml's.
      'operator-heap': { type: 'string' },
      'operator-soft-limit': { type: 'string' },
      // The OpenReports API installed (from the pinned Go module), so that the operator writes reports.
      reports: { type: 'string', default: 'on' },
      // Pods per namespace for the Pod Security preview benchmark (preview.ts), run instead of the others.
      'preview-pods': { type: 'string', default: '0' },
      // Namespaces created with a pod at once, without and with config/guard (window.ts), run instead of the others.
      window: { type: 'string', default: '0' },
      // Baseline counts (1,10,100) over the same namespaces, disjoint selectors (many.ts), run instead of the others.
      baselines: { type: 'string', default: '' },
      // Minutes of churn at the (last) size, memory and caches sampled every --sample-every seconds (soak.ts), run instead of the others.
      soak: { type: 'string', default: '0' },
      'sample-every': { type: 'string', default: '30' },
      // Namespaces brought to the standard baseline, then to one with 10 workload ServiceAccounts (wide.ts), run instead of the others.
      wide: { type: 'string', default: '0' },
      // The phases of the scale benchmark (bench.ts's PHASES), comma-separated; empty: all.
      phases: { type: 'string', default: '' },
      // SecurityBaselineExceptions at each size, each lifting one part of its baseline in one namespace (exceptions.ts):
      // 100 unless given, none for --wide unless given.
      exceptions: { type: 'string' },
      // The latency phase also times the floor with each workload's RoleBinding to a ClusterRole, without and with bind.
      'latency-variants': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const wideNamespaces = count('wide', values.wide);
  let opts: BenchOptions = {
    sizes: values.sizes.split(',').map((s) => count('sizes', s)),
    scriptNamespaces: count('script', values.script),
    latencySamples: count('samples', values.samples),
    workers: count('workers', values.workers),
    prefix: 'b-',
    operatorNodeArgs: values['node-args'].split(' ').filter((a) => a !== ''),
    reports: values.reports === 'on',
    phases: parsePhases(values.phases),
    exceptions: values.exceptions === undefined ? (wideNamespaces > 0 ? 0 : 100) : count('exceptions', values.exceptions),
    latencyVariants: values['latency-variants'],
    operatorMemory: {
      ...(values['operator-heap'] === undefined ? {} : { heapMiB: mebibytes('operator-heap', values['operator-heap']) }),
      ...(values['operator-soft-limit'] === undefined
        ? {}
        : { softLimitMiB: mebibytes('operator-soft-limit', values['operator-soft-limit']) }),
    },
  };
  const previewPods = count('preview-pods', values['preview-pods']);
  const windowNamespaces = count('window', values.window);
  const baselineCounts = values.baselines === '' ? [] : parseBaselineCounts(values.baselines);
  const soakMinutes = count('soak', values.soak);
  const sampleEverySeconds = count('sample-every', values['sample-every']);
  if (values.reports !== 'on' && values.reports !== 'off') throw new Error(`--reports ${JSON.stringify(values.reports)} must be on or off`);
  if (values.operator !== 'image' && values.operator !== 'source')
    throw new Error(`--operator ${JSON.stringify(values.operator)} must be image or source`);
  const { root, outDir, workDir, binDir } = prepareRun('bench');
  if (values.operator === 'image') opts = { ...opts, operatorMain: buildImageLayout(root, join(workDir, 'app')) };
  const began = Date.now();
  // Each line with the minutes and seconds since the run began, so a log shows where the time went.
  const log = (line: string): void => {
    const s = Math.floor((Date.now() - began) / 1000);
    process.stdout.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}\n`);
  };
  const sized = operatorMemory(root, opts.operatorMemory, opts.operatorNodeArgs).memory;
  const shipped = operatorMemory(root, undefined).memory;
  const given = sized.heapMiB !== shipped.heapMiB || sized.softLimitMiB !== shipped.softLimitMiB;
  log(
    `the operator's memory: a heap of ${String(sized.heapMiB)} MiB, a soft limit of ${String(sized.softLimitMiB)} MiB (${given ? `the Deployment's: ${String(shipped.heapMiB)} and ${String(shipped.softLimitMiB)}` : "config/manager/deployment.yaml's"})`,
  );
  const started = Date.now();
  const plane = await startControlPlane({
    binDir,
    workDir,
    lifetime: 'owned',
    log,
    extraArgs: { 'kube-controller-manager': ['--kube-api-qps=200', '--kube-api-burst=400'] },
  });
  const kc = new KubeConfig();
  kc.loadFromFile(plane.kubeconfig);
  const rest = new RestClient(kc, { userAgent: 'kubeposture-bench' });
  let passed = false;
  let operatorRest: RestClient | undefined;
  try {
    const operatorKubeconfig = await installOperator(rest, plane.kubeconfig, root, workDir);
    if (opts.reports === true) {
      for (const step of openReportsInstallSteps())
        execFileSync('kubectl', ['--kubeconfig', plane.kubeconfig, ...step], { stdio: 'ignore' });
    }
    const okc = new KubeConfig();
    okc.loadFromFile(operatorKubeconfig);
    operatorRest = new RestClient(okc, { userAgent: 'kubeposture-bench-floor' });
    const env = { rest, kubeconfig: plane.kubeconfig, operatorKubeconfig, operatorRest, root, workDir, log };
    const machine = `${String(cpus().length)} cores, ${String(Math.round(totalmem() / 2 ** 30))} GiB, control plane (etcd, kube-apiserver, kube-controller-manager ${plane.version}) on the same machine`;
    const mode =
      soakMinutes > 0
        ? 'soak'
        : wideNamespaces > 0
          ? 'wide'
          : baselineCounts.length > 0
            ? 'baselines'
            : previewPods > 0
              ? 'preview'
              : windowNamespaces > 0
                ? 'window'
                : 'latest';
    const out = values.out ?? join(outDir, `${mode}.json`);
    const write = (full: object, table: string): void => {
      writeFileSync(out, `${JSON.stringify(full, null, 2)}\n`);
      process.stdout.write(`\n${table}\nfigures written to ${out}\n`);
    };
    const totalSeconds = (): number => Math.round((Date.now() - started) / 1000);
    if (soakMinutes > 0) {
      const soak = {
        namespaces: opts.sizes[opts.sizes.length - 1] ?? 0,
        durationMs: soakMinutes * 60_000,
        sampleEveryMs: sampleEverySeconds * 1000,
      };
      const result = await runSoak(env, opts, soak, false);
      write({ date: new Date().toISOString(), machine, options: opts, soak: result, totalSeconds: totalSeconds() }, renderSoak(result));
    } else if (wideNamespaces > 0) {
      const result = await runWideBench(env, opts, wideNamespaces, false);
      write({ date: new Date().toISOString(), machine, options: opts, wide: result, totalSeconds: totalSeconds() }, renderWide(result));
    } else if (baselineCounts.length > 0) {
      const result = await runManyBench(env, opts, baselineCounts, false);
      write({ date: new Date().toISOString(), machine, options: opts, many: result, totalSeconds: totalSeconds() }, renderMany(result));
    } else if (windowNamespaces > 0) {
      const result = await runWindowBench(env, opts, windowNamespaces, false);
      write({ date: new Date().toISOString(), machine, options: opts, window: result, totalSeconds: totalSeconds() }, renderWindow(result));
    } else if (previewPods > 0) {
      const result = await runPreviewBench(env, opts, previewPods, false);
      write(
        { date: new Date().toISOString(), machine, options: opts, preview: result, totalSeconds: totalSeconds() },
        renderPreview(result),
      );
    } else {
      const full = { ...(await runBench(env, opts, false)), machine, totalSeconds: totalSeconds() };
      write(full, renderTable(full));
    }
    passed = true;
  } finally {
    rest.close();
    operatorRest?.close();
    await plane.stop();
    if (passed) rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
