/**
 * The OpenReports (openreports.io/v1alpha1) bodies kubeposture writes: a `Report`
 * in each governed namespace, a result per check (src/baseline/checks.ts), and a
 * `ClusterReport` per baseline, a result per namespace. Pure: what is written is a
 * function of what the reconcile found, so an unchanged namespace yields the same
 * body, byte for byte (no timestamps), and nothing is written (src/controller/reports.ts).
 *
 * Sizes are bounded whatever tenants do: findings are about NetworkPolicies a
 * namespace admin writes, so at most REPORT_LIMITS.findings of them are listed (one
 * more result says how many were left out), and every message is clipped.
 */
import { API_VERSION, KIND } from '../api/constants.ts';
import { clip } from '../api/output-limits.ts';
import type { DriftReason, Finding, FindingType } from '../api/types.ts';
import { checkKind, type Check, type Severity } from '../baseline/checks.ts';

export const REPORT_API_GROUP = 'openreports.io';
export const REPORT_API_VERSION = `${REPORT_API_GROUP}/v1alpha1`;
/** `source` of every report and result kubeposture writes; also each namespace's Report's name. */
export const REPORT_SOURCE = 'kubeposture';
export const REPORT_NAME = 'kubeposture';

export const REPORT_LIMITS = {
  /** Findings listed in one namespace's Report (a tenant can write any number of NetworkPolicies). */
  findings: 50,
  message: 1024,
  property: 1024,
} as const;

export type ResultStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
export const RESULT_STATUSES: readonly ResultStatus[] = ['pass', 'fail', 'warn', 'error', 'skip'];

export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** One ReportResult, with only the fields kubeposture sets. */
export interface ReportResult {
  readonly source: string;
  readonly policy: string;
  readonly rule: string;
  readonly result: ResultStatus;
  readonly category?: string;
  readonly severity?: Severity;
  readonly message: string;
  readonly resources?: readonly ObjectReference[];
  readonly properties?: Readonly<Record<string, string>>;
}

export type Summary = Readonly<Record<ResultStatus, number>>;

/** The part of a Report or ClusterReport kubeposture owns (its apply sends these and the metadata). */
export interface ReportBody {
  readonly scope?: ObjectReference;
  readonly source: string;
  readonly summary: Summary;
  readonly results: readonly ReportResult[];
}

/** `configuration.limits` of a live report (someone may set it): which results to keep, and how many. */
export interface ReportLimits {
  readonly maxResults?: number;
  readonly statusFilter?: readonly ResultStatus[];
}

/** A part an active exception lifts here, and why. */
export interface Lift {
  readonly part: string;
  readonly exception: string;
  readonly reason: string;
  readonly expires: string;
}

/** What one reconcile of a governed namespace found. */
export interface NamespaceFindings {
  readonly namespace: string;
  readonly baseline: string;
  readonly checks: readonly Check[];
  readonly drift: readonly {
    readonly kind: string;
    readonly name: string;
    readonly reason: DriftReason;
    readonly fields?: readonly string[];
  }[];
  readonly lifts: readonly Lift[];
  /** Posture findings (any namespace's: those of others are left out). */
  readonly findings: readonly Finding[];
  readonly error?: string | undefined;
}

const API_VERSIONS: Readonly<Record<string, string>> = {
  NetworkPolicy: 'networking.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
};

function ref(kind: string, name: string, namespace: string): ObjectReference {
  if (kind === 'Namespace') return { apiVersion: 'v1', kind, name: namespace };
  return { apiVersion: API_VERSIONS[kind] ?? 'v1', kind, name, namespace };
}

const message = (s: string): string => clip(s, REPORT_LIMITS.message, 'codePoints');

function describe(kind: string, name: string, namespace: string): string {
  return kind === 'Namespace' ? `Namespace ${namespace}'s Pod Security labels` : `${kind} ${name}`;
}

function failMessage(what: string, reason: DriftReason, fields: readonly string[]): string {
  switch (reason) {
    case 'Missing':
      return `${what} is missing`;
    case 'Modified':
      return `${what} differs from the baseline${fields.length === 0 ? '' : ` at ${fields.join(', ')}`}`;
    case 'Conflict':
      return `${what}: the name is held by an object kubeposture did not create`;
    case 'Blocked':
      return `${what} is not written: what it binds is held by an object kubeposture did not create`;
    case 'Unexpected':
      return `${what} is kubeposture's but the baseline no longer wants it here`;
  }
}

/** `summary` of `results`. */
export function summarize(results: readonly ReportResult[]): Summary {
  const s: Record<ResultStatus, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) s[r.result] += 1;
  return s;
}

/** `results` as `limits` allow: those of the filtered statuses, at most maxResults, failures first. */
export function applyLimits(results: readonly ReportResult[], limits: ReportLimits | undefined): readonly ReportResult[] {
  if (limits === undefined) return results;
  const filter = limits.statusFilter;
  let out = filter === undefined || filter.length === 0 ? results : results.filter((r) => filter.includes(r.result));
  const max = limits.maxResults;
  if (max !== undefined && max >= 0 && out.length > max) {
    const rank = (r: ReportResult): number => ['error', 'fail', 'warn', 'skip', 'pass'].indexOf(r.result);
    out = out
      .map((r, i) => ({ r, i }))
      .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
      .slice(0, max)
      .sort((a, b) => a.i - b.i)
      .map((x) => x.r);
  }
  return out;
}

/** The `fail` result of check `c` in the namespace `f` is about, for its drift `d`. */
function failResult(f: NamespaceFindings, c: Check, d: NamespaceFindings['drift'][number]): ReportResult {
  const fields = d.fields ?? [];
  return {
    source: REPORT_SOURCE,
    policy: f.baseline,
    rule: c.rule,
    result: 'fail',
    category: c.category,
    severity: c.severity,
    message: message(failMessage(describe(c.kind, c.name, f.namespace), d.reason, fields)),
    resources: [ref(c.kind, c.name, f.namespace)],
    properties: {
      reason: d.reason,
      ...(fields.length === 0 ? {} : { fields: clip(fields.join(', '), REPORT_LIMITS.property, 'codePoints') }),
    },
  };
}

/**
 * The Report of one governed namespace: a result per check (pass, or fail with the drift's
 * reason and fields), one per part an exception lifts (skip), one per posture finding about
 * an object here (warn), and the reconcile's error (error). The summary counts what is listed.
 */
export function namespaceReport(f: NamespaceFindings, limits?: ReportLimits): ReportBody {
  const results: ReportResult[] = [];
  const base = { source: REPORT_SOURCE, policy: f.baseline } as const;
  const driftOf = (kind: string, name: string): NamespaceFindings['drift'][number] | undefined =>
    f.drift.find((d) => d.kind === kind && (kind === 'Namespace' || d.name === name));
  for (const c of f.checks) {
    const d = driftOf(c.kind, c.name);
    if (d === undefined) {
      const { rule, category, severity } = c;
      const text = `${describe(c.kind, c.name, f.namespace)} is as the baseline has it`;
      results.push({ ...base, rule, result: 'pass', category, severity, message: text, resources: [ref(c.kind, c.name, f.namespace)] });
      continue;
    }
    results.push(failResult(f, c, d));
  }
  // Drift about objects no check names: kubeposture's leftovers (Unexpected), a RoleBinding Blocked.
  for (const d of f.drift) {
    if (f.checks.some((c) => c.kind === d.kind && (d.kind === 'Namespace' || c.name === d.name))) continue;
    results.push(failResult(f, { kind: d.kind, name: d.name, ...checkKind(d.kind, d.name) }, d));
  }
  for (const l of f.lifts) {
    results.push({
      ...base,
      rule: l.part,
      result: 'skip',
      message: message(`lifted until ${l.expires} by SecurityBaselineException ${l.exception}: ${l.reason}`),
      properties: { exception: l.exception, expires: l.expires },
    });
  }
  const mine = f.findings.filter((x) => x.namespace === f.namespace);
  for (const x of mine.slice(0, REPORT_LIMITS.findings)) {
    results.push({
      ...base,
      rule: x.type,
      result: 'warn',
      category: checkKind(findingAbout(x.type), '').category,
      severity: 'medium',
      message: message(x.message),
      ...(x.kind === undefined || x.name === undefined ? {} : { resources: [ref(x.kind, x.name, f.namespace)] }),
    });
  }
  if (mine.length > REPORT_LIMITS.findings) {
    results.push({
      ...base,
      rule: 'findings',
      result: 'warn',
      message: `${String(mine.length - REPORT_LIMITS.findings)} more findings in this namespace are not listed`,
    });
  }
  if (f.error !== undefined) {
    results.push({ ...base, rule: 'reconcile', result: 'error', message: message(f.error) });
  }
  const kept = applyLimits(results, limits);
  return {
    scope: { apiVersion: 'v1', kind: 'Namespace', name: f.namespace },
    source: REPORT_SOURCE,
    summary: summarize(kept),
    results: kept,
  };
}

/** One namespace's line in its baseline's ClusterReport. */
export interface NamespaceOutcome {
  readonly namespace: string;
  /** fail: drift left; error: the reconcile failed; pass otherwise. */
  readonly result: 'pass' | 'fail' | 'error';
  /** How many of its checks failed (0 for pass). */
  readonly failed: number;
  readonly excepted: boolean;
}

/** The ClusterReport of a baseline (its scope): a result per governed namespace, sorted by name. */
export function clusterReport(baseline: string, outcomes: readonly NamespaceOutcome[], limits?: ReportLimits): ReportBody {
  const results = [...outcomes]
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0))
    .map((o): ReportResult => {
      const msg =
        o.result === 'pass'
          ? 'compliant'
          : o.result === 'error'
            ? 'the last reconcile failed'
            : `${String(o.failed)} ${o.failed === 1 ? 'check' : 'checks'} failed`;
      return {
        source: REPORT_SOURCE,
        policy: baseline,
        rule: 'namespace',
        result: o.result,
        message: o.excepted ? `${msg}; parts lifted by exceptions` : msg,
        resources: [{ apiVersion: 'v1', kind: 'Namespace', name: o.namespace }],
      };
    });
  const kept = applyLimits(results, limits);
  return { scope: { apiVersion: API_VERSION, kind: KIND, name: baseline }, source: REPORT_SOURCE, summary: summarize(kept), results: kept };
}

/** What kind of check a finding belongs with: Pod Security findings are about the namespace's level, the others about NetworkPolicies. */
function findingAbout(type: FindingType): 'Namespace' | 'NetworkPolicy' {
  switch (type) {
    case 'PodSecurityViolations':
    case 'PodSecurityPending':
      return 'Namespace';
    case 'AllowAllIngress':
    case 'AllowAllEgress':
    case 'MutableSelectorLabel':
      return 'NetworkPolicy';
  }
}
