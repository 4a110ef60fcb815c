/**
 * The alerts and the dashboard of config/prometheus as data, and PromQL read by
 * Prometheus's own grammar (@prometheus-io/lezer-promql, the parser behind the
 * Prometheus UI's editor): what each expression selects, and where it does not parse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { isPlainObject as isRecord } from '../../src/lib/json.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const PROMETHEUS_DIR = join(ROOT, 'config', 'prometheus');

/** One label matcher of a selector: `label op "value"`. */
export interface Matcher {
  readonly label: string;
  readonly op: string;
  readonly value: string;
}

/** One vector selector: its metric name (undefined when it names none exactly) and matchers. */
export interface Selector {
  readonly metric: string | undefined;
  readonly matchers: readonly Matcher[];
}

/** What the parser made of an expression: every error node, and every vector selector. */
export interface ParsedQuery {
  readonly errors: readonly string[];
  readonly selectors: readonly Selector[];
}

/** A string literal's value (ours hold no escapes beyond what JSON reads). */
function unquote(literal: string): string {
  return literal.startsWith('"') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
}

function selectorOf(node: SyntaxNode, text: (n: SyntaxNode | null) => string): Selector {
  let metric = node.getChild('Identifier') === null ? undefined : text(node.getChild('Identifier'));
  const matchers: Matcher[] = [];
  for (let m = node.getChild('LabelMatchers')?.firstChild ?? null; m !== null; m = m.nextSibling) {
    if (m.name === 'QuotedLabelName') {
      // {"metric_name"}: the metric named in quotes.
      metric = unquote(text(m.getChild('StringLiteral')));
    } else if (m.name === 'UnquotedLabelMatcher' || m.name === 'QuotedLabelMatcher') {
      const name = m.getChild('LabelName');
      const label = name === null ? unquote(text(m.getChild('QuotedLabelName')?.getChild('StringLiteral') ?? null)) : text(name);
      const values = m.getChildren('StringLiteral');
      const matcher = { label, op: text(m.getChild('MatchOp')), value: unquote(text(values.at(-1) ?? null)) };
      if (label === '__name__' && matcher.op === '=') metric = matcher.value;
      else matchers.push(matcher);
    }
  }
  return { metric, matchers };
}

/** Parses `expr` as PromQL; an error node anywhere in the tree is an error. */
export function parsePromQL(expr: string): ParsedQuery {
  const text = (n: SyntaxNode | null): string => (n === null ? '' : expr.slice(n.from, n.to));
  const errors: string[] = [];
  const selectors: Selector[] = [];
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.type.isError) errors.push(`cannot parse at ${String(ref.from)}: ${JSON.stringify(expr.slice(ref.from, ref.from + 20))}`);
      else if (ref.name === 'VectorSelector') selectors.push(selectorOf(ref.node, text));
    },
  });
  return { errors, selectors };
}

/** Grafana's interval variables, replaced as Grafana replaces them before sending a query. */
const GRAFANA_INTERVALS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

/** A dashboard query as Prometheus receives it: Grafana's interval variables replaced by a duration. */
export function asSent(expr: string): string {
  return expr.replace(GRAFANA_INTERVALS, '5m');
}

/** One alerting rule with the group it is in. */
export interface AlertRule {
  readonly group: string;
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

const isStringRecord = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/**
 * The alerting rules of a PrometheusRule document, and what is wrong with its shape: the
 * fields the Prometheus Operator and Prometheus read (groups of named rules, each with an
 * alert name, an expression, a `for` duration, a severity and the three annotations).
 */
export function readPrometheusRule(doc: unknown): { rules: AlertRule[]; problems: string[] } {
  const problems: string[] = [];
  const rules: AlertRule[] = [];
  if (!isRecord(doc) || doc.apiVersion !== 'monitoring.coreos.com/v1' || doc.kind !== 'PrometheusRule') {
    return { rules, problems: ['not a monitoring.coreos.com/v1 PrometheusRule'] };
  }
  if (!isRecord(doc.metadata) || typeof doc.metadata.name !== 'string') problems.push('metadata.name missing');
  const groups = isRecord(doc.spec) ? doc.spec.groups : undefined;
  if (!Array.isArray(groups) || groups.length === 0) return { rules, problems: [...problems, 'spec.groups missing or empty'] };
  const groupNames = new Set<string>();
  for (const [gi, g] of groups.entries()) {
    const at = `spec.groups[${String(gi)}]`;
    if (!isRecord(g) || typeof g.name !== 'string' || g.name === '') {
      problems.push(`${at}.name missing`);
      continue;
    }
    if (groupNames.has(g.name)) problems.push(`${at}.name ${g.name} repeated`);
    groupNames.add(g.name);
    if (!Array.isArray(g.rules) || g.rules.length === 0) {
      problems.push(`${at}.rules missing or empty`);
      continue;
    }
    for (const [ri, r] of g.rules.entries()) {
      const where = `${at}.rules[${String(ri)}]`;
      if (!isRecord(r) || typeof r.alert !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(r.alert)) {
        problems.push(`${where}.alert missing or not a metric-style name`);
        continue;
      }
      const known = new Set(['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
      for (const k of Object.keys(r)) if (!known.has(k)) problems.push(`${where} (${r.alert}): unknown field ${k}`);
      if (typeof r.expr !== 'string' || r.expr.trim() === '') problems.push(`${where} (${r.alert}): expr missing`);
      if (typeof r.for !== 'string' || !DURATION.test(r.for)) problems.push(`${where} (${r.alert}): for is not a duration`);
      if (!isStringRecord(r.labels) || !['critical', 'warning', 'info'].includes(r.labels.severity ?? '')) {
        problems.push(`${where} (${r.alert}): labels.severity is not critical, warning or info`);
      }
      const a = r.annotations;
      for (const k of ['summary', 'description', 'runbook_url']) {
        if (!isStringRecord(a) || (a[k] ?? '').trim() === '') problems.push(`${where} (${r.alert}): annotations.${k} missing`);
      }
      if (typeof r.expr === 'string' && typeof r.for === 'string' && isStringRecord(r.labels) && isStringRecord(a)) {
        rules.push({ group: g.name, alert: r.alert, expr: r.expr, for: r.for, labels: r.labels, annotations: a });
      }
    }
  }
  return { rules, problems };
}

/** config/prometheus/rules.yaml, read. */
export function shippedRules(): { rules: AlertRule[]; problems: string[] } {
  return readPrometheusRule(load(readFileSync(join(PROMETHEUS_DIR, 'rules.yaml'), 'utf8')));
}

/** One query of a dashboard panel. */
export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
}

/** Every query of every panel (rows' nested panels included) of a Grafana dashboard. */
export function dashboardQueries(dashboard: unknown): PanelQuery[] {
  const out: PanelQuery[] = [];
  const walk = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const p of panels) {
      if (!isRecord(p)) continue;
      const title = typeof p.title === 'string' ? p.title : '(untitled)';
      if (Array.isArray(p.targets)) {
        for (const t of p.targets) if (isRecord(t) && typeof t.expr === 'string') out.push({ panel: title, expr: t.expr });
      }
      walk(p.panels);
    }
  };
  if (isRecord(dashboard)) walk(dashboard.panels);
  return out;
}

/** config/prometheus/dashboard.json, parsed. */
export function shippedDashboard(): unknown {
  return JSON.parse(readFileSync(join(PROMETHEUS_DIR, 'dashboard.json'), 'utf8'));
}

/** A metric kube-state-metrics makes from a custom resource: its name, labels and the fields it reads. */
export interface StateMetric {
  readonly name: string;
  readonly labels: ReadonlySet<string>;
  /** labelFromKey's label: one series per key of the object at `path`. */
  readonly keyLabel: string | undefined;
  /** The object or list each series comes from, from the resource's root. */
  readonly path: readonly string[];
  /** Fields read relative to `path` (labels, the value). */
  readonly relative: readonly (readonly string[])[];
  /** Fields read from the resource's root (its labels). */
  readonly absolute: readonly (readonly string[])[];
}

const isPath = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The Gauge metrics a kube-state-metrics CustomResourceStateMetrics configuration declares, named as it names them. */
export function stateMetrics(config: unknown): StateMetric[] {
  if (
    !isRecord(config) ||
    config.kind !== 'CustomResourceStateMetrics' ||
    !isRecord(config.spec) ||
    !Array.isArray(config.spec.resources)
  ) {
    throw new Error('not a CustomResourceStateMetrics configuration');
  }
  const out: StateMetric[] = [];
  for (const r of config.spec.resources) {
    if (!isRecord(r) || !Array.isArray(r.metrics)) throw new Error('a resource without metrics');
    // kube-state-metrics' default prefix is kube_customresource; metricNamePrefix replaces it.
    const prefix = typeof r.metricNamePrefix === 'string' ? r.metricNamePrefix : 'kube_customresource';
    const common = isRecord(r.labelsFromPath) ? r.labelsFromPath : {};
    for (const m of r.metrics) {
      const gauge = isRecord(m) && isRecord(m.each) && m.each.type === 'Gauge' && isRecord(m.each.gauge) ? m.each.gauge : undefined;
      if (!isRecord(m) || typeof m.name !== 'string' || gauge === undefined || !isPath(gauge.path)) {
        throw new Error('only Gauge metrics with a path are read here');
      }
      const own = isRecord(gauge.labelsFromPath) ? gauge.labelsFromPath : {};
      const keyLabel = typeof gauge.labelFromKey === 'string' ? gauge.labelFromKey : undefined;
      const labels = new Set([
        'customresource_group',
        'customresource_version',
        'customresource_kind',
        ...Object.keys(common),
        ...Object.keys(own),
      ]);
      if (keyLabel !== undefined) labels.add(keyLabel);
      out.push({
        name: prefix === '' ? m.name : `${prefix}_${m.name}`,
        labels,
        keyLabel,
        path: gauge.path,
        relative: [...Object.values(own), ...(isPath(gauge.valueFrom) ? [gauge.valueFrom] : [])].filter(isPath),
        absolute: Object.values(common).filter(isPath),
      });
    }
  }
  return out;
}

/** config/prometheus/kube-state-metrics.yaml, read. */
export function shippedStateMetrics(): StateMetric[] {
  return stateMetrics(load(readFileSync(join(PROMETHEUS_DIR, 'kube-state-metrics.yaml'), 'utf8')));
}

/**
 * The metric names a Prometheus text exposition declares: every `# TYPE` (a histogram's as
 * Prometheus stores it: _bucket, _sum, _count; a summary's with _sum and _count) and every
 * sample's name.
 */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      const [, name = '', kind] = type;
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      else if (kind === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
      else names.add(name);
    } else if (line !== '' && !line.startsWith('#')) {
      names.add(/^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0] ?? line);
    }
  }
  return names;
}
