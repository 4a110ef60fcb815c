/** The fault-injection suite's table: one row per scenario, its convergence time after the fault, its figures and its verdict. */
import { formatTable } from '../bench/report.ts';
import type { ScenarioResult } from './scenarios.ts';

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "12.3 s after the kill", or "never". */
export function convergence(r: ScenarioResult): string {
  return r.convergedMs === undefined ? 'never' : `${s(r.convergedMs)} after ${r.convergedFrom}`;
}

/** The table, with a header line naming the date and the machine. */
export function renderChaosTable(results: readonly ScenarioResult[], heading: string): string {
  const body = results.map((r) => [
    r.id,
    String(r.namespaces),
    convergence(r),
    Object.entries(r.figures)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join('; '),
    r.verdict === undefined
      ? 'not checked'
      : `${String(r.verdict.complete)}/${String(r.verdict.namespaces)} exact, ${String(r.verdict.userObjects - r.verdict.userObjectsTouched)}/${String(r.verdict.userObjects)} user objects untouched`,
    r.failures.length === 0 ? 'pass' : 'FAIL',
  ]);
  const failures = results.flatMap((r) => r.failures.map((f) => `  ${r.id}: ${f}`));
  return [
    heading,
    formatTable(['scenario', 'namespaces', 'converged', 'figures', 'final check', 'result'], body),
    ...(failures.length === 0 ? [] : ['failures:', ...failures]),
  ].join('\n');
}
