/**
 * The alerts and the dashboard of config/prometheus name only metrics that exist:
 * `kubeposture run` is started as installed (config/default, its ServiceAccount) against
 * the control plane, its /metrics scraped, and every metric each expression selects
 * (read by Prometheus's own PromQL grammar) must be one it serves, a histogram's series
 * and the process and Node.js defaults included; or, for the baseline alerts and the
 * compliance panels, one the kube-state-metrics configuration shipped beside them makes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installOperator } from '../bench/identity.ts';
import { OperatorProcess } from '../bench/operator-process.ts';
import {
  asSent,
  dashboardQueries,
  exposedNames,
  parsePromQL,
  shippedDashboard,
  shippedRules,
  shippedStateMetrics,
} from '../support/promql.ts';
import { user } from '../support/world.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kp-prometheus-'));
const stateNames = new Set(shippedStateMetrics().map((m) => m.name));
const BASELINE_GROUP = 'kubeposture.baselines';

interface Expression {
  readonly where: string;
  readonly expr: string;
  /** Whether it may read kube-state-metrics' baseline metrics as well as the operator's. */
  readonly fromState: boolean;
}
const expressions: Expression[] = [
  ...shippedRules().rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr, fromState: r.group === BASELINE_GROUP })),
  ...dashboardQueries(shippedDashboard()).map((q) => ({ where: `panel ${q.panel}: ${q.expr}`, expr: asSent(q.expr), fromState: true })),
];

let op: OperatorProcess;
let exposed = new Set<string>();

/** Each metric `e` selects that neither the operator serves nor (where allowed) kube-state-metrics makes, with where it is. */
function unknownMetrics(e: Expression): string[] {
  return parsePromQL(e.expr)
    .selectors.map((s) => s.metric ?? '(no metric name)')
    .filter((m) => !exposed.has(m) && !(e.fromState && stateNames.has(m)))
    .map((m) => `${e.where}: ${m}`);
}

beforeAll(async () => {
  const kubeconfig = await installOperator(user, process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '', ROOT, work);
  op = await OperatorProcess.start(ROOT, kubeconfig, { workers: 2, logFile: join(work, 'operator.log') });
  exposed = exposedNames(await op.metrics());
}, 120_000);
afterAll(async () => {
  await op.stop();
  user.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the alerts' and the dashboard's metrics, against a running operator's /metrics", () => {
  it("reads the exposition: the operator's own metrics, histogram series and the defaults, and nothing it does not serve", () => {
    for (const m of [
      'kubeposture_reconciles_total',
      'kubeposture_reconcile_duration_seconds_bucket',
      'kubeposture_reconcile_duration_seconds_count',
      'kubeposture_leader',
      'kubeposture_process_resident_memory_bytes',
      'kubeposture_nodejs_heap_size_used_bytes',
    ]) {
      expect(exposed).toContain(m);
    }
    // Not served: the default metrics carry the kubeposture_ prefix, and a histogram has no bare series.
    for (const m of ['process_resident_memory_bytes', 'kubeposture_reconcile_duration_seconds', 'kubeposture_reconciles_totl']) {
      expect(exposed).not.toContain(m);
    }
    // kube-state-metrics' baseline metrics are no operator metric of the same name.
    for (const m of stateNames) expect(exposed).not.toContain(m);
  });

  it('finds a misspelt metric in an expression', () => {
    expect(unknownMetrics({ where: 'a test', expr: 'rate(kubeposture_reconciles_totl[5m])', fromState: false })).toEqual([
      'a test: kubeposture_reconciles_totl',
    ]);
    expect(
      unknownMetrics({ where: 'a test', expr: 'kubeposture_securitybaseline_status_namespaces{state="drifted"} > 0', fromState: false }),
    ).toEqual(['a test: kubeposture_securitybaseline_status_namespaces']);
  });

  it.each(expressions.map((e) => [e.where, e] as const))('%s names only metrics that exist', (_, e) => {
    expect(parsePromQL(e.expr).errors).toEqual([]);
    expect(unknownMetrics(e)).toEqual([]);
  });
});
