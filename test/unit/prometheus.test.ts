/**
 * config/prometheus as Prometheus, Grafana and kube-state-metrics read it: every alert and
 * dashboard expression parses with Prometheus's own PromQL grammar, the PrometheusRule has
 * the shape the Prometheus Operator takes, each alert has its runbook, the baseline metrics
 * come from fields the SecurityBaseline CRD has, and the memory alerts' thresholds are the
 * Deployment's. That the expressions name only metrics a running operator serves is
 * test/integration/prometheus.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import {
  PROMETHEUS_DIR,
  asSent,
  dashboardQueries,
  parsePromQL,
  readPrometheusRule,
  shippedDashboard,
  shippedRules,
  shippedStateMetrics,
} from '../support/promql.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const { rules, problems } = shippedRules();
const queries = dashboardQueries(shippedDashboard());
const stateMetrics = shippedStateMetrics();

/** The group whose alerts read kube-state-metrics' baseline metrics; the other reads only the operator's. */
const BASELINE_GROUP = 'kubeposture.baselines';

describe('the PromQL checker', () => {
  it.each([
    ['an unclosed call', 'sum(rate(kubeposture_reconciles_total[5m])'],
    ['a Grafana variable left in', 'rate(kubeposture_reconciles_total[$__interval_ms])'],
    ['a bad matcher', 'kubeposture_leader{result=retry}'],
    ['a dangling operator', 'kubeposture_leader >'],
  ])('finds an error node in %s', (_, expr) => {
    expect(parsePromQL(expr).errors).not.toEqual([]);
  });

  it('reads the metric name in each of its spellings, and the matchers', () => {
    expect(parsePromQL('rate(a_total{x="1"}[5m]) / on() {__name__="b", y=~"2|3"} + {"c", z!="4"}').selectors).toEqual([
      { metric: 'a_total', matchers: [{ label: 'x', op: '=', value: '1' }] },
      { metric: 'b', matchers: [{ label: 'y', op: '=~', value: '2|3' }] },
      { metric: 'c', matchers: [{ label: 'z', op: '!=', value: '4' }] },
    ]);
  });
});

describe('config/prometheus/rules.yaml', () => {
  it('is a PrometheusRule whose every rule has alert, expr, for, a severity, summary, description and runbook_url', () => {
    expect(problems).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('has a shape check that refuses what the Prometheus Operator would not take', () => {
    const doc = load(readFileSync(join(PROMETHEUS_DIR, 'rules.yaml'), 'utf8')) as {
      spec: { groups: { rules: Record<string, unknown>[] }[] };
    };
    const rule = doc.spec.groups[0]?.rules[0];
    if (rule === undefined) throw new Error('no rule');
    rule.for = 'five minutes';
    rule.labels = {};
    delete rule.annotations;
    rule.severity = 'critical';
    expect(readPrometheusRule(doc).problems).toEqual([
      'spec.groups[0].rules[0] (KubepostureNoLeader): unknown field severity',
      'spec.groups[0].rules[0] (KubepostureNoLeader): for is not a duration',
      'spec.groups[0].rules[0] (KubepostureNoLeader): labels.severity is not critical, warning or info',
      'spec.groups[0].rules[0] (KubepostureNoLeader): annotations.summary missing',
      'spec.groups[0].rules[0] (KubepostureNoLeader): annotations.description missing',
      'spec.groups[0].rules[0] (KubepostureNoLeader): annotations.runbook_url missing',
    ]);
  });

  it.each(rules.map((r) => [r.alert, r.expr] as const))('%s: its expression parses and every selector names its metric', (_, expr) => {
    const parsed = parsePromQL(expr);
    expect(parsed.errors).toEqual([]);
    expect(parsed.selectors.length).toBeGreaterThan(0);
    for (const s of parsed.selectors) expect(s.metric).toMatch(/^kubeposture_/);
  });

  it('keeps the two sources apart: the operator group reads only the operator, the baselines group only kube-state-metrics', () => {
    const fromState = new Set(stateMetrics.map((m) => m.name));
    for (const r of rules) {
      for (const s of parsePromQL(r.expr).selectors) {
        expect([r.alert, fromState.has(s.metric ?? '')]).toEqual([r.alert, r.group === BASELINE_GROUP]);
      }
    }
  });

  it('gives each alert a runbook: a section of docs/runbooks.md, one for each alert and no more', () => {
    const runbooks = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
    // GitHub's anchors: the heading lowercased, spaces as hyphens, other punctuation dropped.
    const anchors = [...runbooks.matchAll(/^## (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );
    expect([...anchors].sort()).toEqual(rules.map((r) => r.alert.toLowerCase()).sort());
    for (const r of rules) {
      expect(r.annotations.runbook_url).toMatch(/\/docs\/runbooks\.md#[a-z]+$/);
      expect(anchors).toContain(r.annotations.runbook_url?.split('#')[1]);
    }
  });

  it("puts the memory alerts' thresholds at 90% of the Deployment's memory limit and of its V8 old space", () => {
    const deployment = loadAll(readFileSync(join(ROOT, 'config', 'manager', 'deployment.yaml'), 'utf8')) as {
      spec?: {
        template: { spec: { containers: { resources: { limits: { memory: string } }; env: { name: string; value?: string }[] }[] } };
      };
    }[];
    const container = deployment.find((d) => d.spec !== undefined)?.spec?.template.spec.containers[0];
    const limitMi = /^(\d+)Mi$/.exec(container?.resources.limits.memory ?? '')?.[1];
    const oldSpace = /--max-old-space-size=(\d+)/.exec(container?.env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1];
    const expr = (alert: string): string => rules.find((r) => r.alert === alert)?.expr ?? '';
    expect(limitMi).toBeDefined();
    expect(oldSpace).toBeDefined();
    expect(expr('KubepostureMemoryNearLimit')).toBe(`kubeposture_process_resident_memory_bytes > 0.9 * ${limitMi ?? ''} * 1024 * 1024`);
    expect(expr('KubepostureHeapNearLimit')).toBe(`kubeposture_nodejs_heap_size_used_bytes > 0.9 * ${oldSpace ?? ''} * 1024 * 1024`);
  });
});

describe('config/prometheus/dashboard.json', () => {
  it('has the panels the operator is watched by', () => {
    const names = new Set(queries.flatMap((q) => parsePromQL(asSent(q.expr)).selectors.map((s) => s.metric)));
    for (const m of [
      'kubeposture_securitybaseline_status_namespaces',
      'kubeposture_drift_found_total',
      'kubeposture_drift_repaired_total',
      'kubeposture_reconcile_duration_seconds_bucket',
      'kubeposture_queue_depth',
      'kubeposture_queue_wait_seconds_bucket',
      'kubeposture_api_requests_total',
      'kubeposture_process_resident_memory_bytes',
      'kubeposture_nodejs_heap_size_used_bytes',
    ]) {
      expect(names).toContain(m);
    }
  });

  it.each(queries.map((q) => [q.panel, q.expr] as const))('%s: %s parses once Grafana has put in its interval', (_, expr) => {
    const parsed = parsePromQL(asSent(expr));
    expect(parsed.errors).toEqual([]);
    for (const s of parsed.selectors) expect(s.metric).toMatch(/^kubeposture_/);
  });

  it('queries the data source the user picks', () => {
    const text = readFileSync(join(PROMETHEUS_DIR, 'dashboard.json'), 'utf8');
    const uids = [...text.matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(uids)).toEqual(new Set(['${datasource}', 'kubeposture']));
  });
});

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: string[];
}

/** The schema at `path` under `schema`, through objects' properties and arrays' items. */
function schemaAt(schema: Schema | undefined, path: readonly string[]): Schema | undefined {
  let s = schema;
  for (const segment of path) {
    if (s?.type === 'array') s = s.items;
    s = s?.properties?.[segment];
  }
  return s;
}

describe('config/prometheus/kube-state-metrics.yaml', () => {
  const crd = load(readFileSync(join(ROOT, 'crds', 'securitybaselines.kubeposture.io.yaml'), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const root = crd.spec.versions.find((v) => v.name === 'v1alpha1')?.schema.openAPIV3Schema;
  const selectors = [...rules.map((r) => r.expr), ...queries.map((q) => asSent(q.expr))]
    .flatMap((e) => parsePromQL(e).selectors)
    .filter((s) => stateMetrics.some((m) => m.name === s.metric));

  it('reads only fields the SecurityBaseline CRD has', () => {
    expect(stateMetrics.length).toBeGreaterThan(0);
    for (const m of stateMetrics) {
      const at = schemaAt(root, m.path);
      expect([m.name, at?.type]).toEqual([m.name, m.keyLabel === undefined ? 'array' : 'object']);
      for (const p of m.relative) expect([m.name, p, schemaAt(at, p)?.type]).toEqual([m.name, p, 'string']);
      // The CRD's schema leaves metadata to the apiserver's ObjectMeta: its name is a string.
      for (const p of m.absolute) {
        const type = p.join('.') === 'metadata.name' ? 'string' : schemaAt(root, p)?.type;
        expect([m.name, p, type]).toEqual([m.name, p, 'string']);
      }
    }
  });

  it('is read by the alerts and the dashboard only through labels it makes, with values the CRD allows', () => {
    expect(selectors.length).toBeGreaterThan(0);
    const allowed: Record<string, readonly string[] | undefined> = {
      mode: schemaAt(root, ['spec', 'mode'])?.enum,
      type: schemaAt(root, ['status', 'conditions', 'type'])?.enum,
      state: Object.keys(schemaAt(root, ['status', 'namespaces'])?.properties ?? {}),
    };
    for (const s of selectors) {
      const metric = stateMetrics.find((m) => m.name === s.metric);
      for (const { label, op, value } of s.matchers) {
        expect([s.metric, label, metric?.labels.has(label)]).toEqual([s.metric, label, true]);
        const values = allowed[label];
        if (values === undefined) continue;
        expect(values.length).toBeGreaterThan(0);
        const matching = op === '=' ? [value] : op === '=~' ? value.split('|') : [];
        for (const v of matching) expect([label, v, values.includes(v)]).toEqual([label, v, true]);
      }
    }
  });
});
