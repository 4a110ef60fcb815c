/**
 * `make test-chaos`: the fault-injection suite of issue 8. Each scenario starts
 * a control plane of its own (it kills and restarts its processes), runs
 * kubeposture as its ServiceAccount against it, makes its fault, times
 * convergence after it and checks the final state exactly by listing. Prints a
 * table, writes the figures as JSON, and exits non-zero when any scenario
 * fails (its folder under .cache/chaos/ keeps the logs, the audit log and the
 * etcd data; a passing scenario's is deleted).
 *
 *   node test/chaos/cli.ts [--namespaces 1000] [--scenarios operator-kill,apiserver-kill,...] [--workers 16] [--out FILE] [--keep]
 */
import { cpus, totalmem } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareRun } from '../controlplane/binaries.ts';
import { renderChaosTable } from './report.ts';
import { runScenario, SCENARIOS, type ScenarioResult } from './scenarios.ts';

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} ${JSON.stringify(text)} must be a whole number from 1`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      namespaces: { type: 'string', default: '1000' },
      scenarios: { type: 'string', default: SCENARIOS.map((s) => s.id).join(',') },
      workers: { type: 'string', default: '16' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const wanted = values.scenarios
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0)
    throw new Error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const { root, outDir, workDir, binDir } = prepareRun('chaos');
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const opts = {
    namespaces: count('namespaces', values.namespaces),
    root,
    binDir,
    workDir,
    log,
    workers: count('workers', values.workers),
    keep: values.keep,
  };
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.id))) results.push(await runScenario(scenario, opts));
  const date = new Date().toISOString();
  const machine = `${String(cpus().length)} cores, ${String(Math.round(totalmem() / 2 ** 30))} GiB, each scenario on a fresh local control plane on the same machine`;
  const totalSeconds = Math.round((Date.now() - started) / 1000);
  const out = values.out ?? join(outDir, 'latest.json');
  writeFileSync(out, `${JSON.stringify({ date, machine, totalSeconds, results }, null, 2)}\n`);
  process.stdout.write(
    `\n${renderChaosTable(results, `kubeposture chaos, ${date} — ${machine}, ${String(totalSeconds)} s in all`)}\nfigures written to ${out}\n`,
  );
  const failed = results.filter((r) => r.failures.length > 0);
  if (failed.length === 0 && !values.keep) rmSync(workDir, { recursive: true, force: true });
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
