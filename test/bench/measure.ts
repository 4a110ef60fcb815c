/**
 * What the benchmark reads off the running system: the apiserver's own request
 * counters (`/metrics`), a process's CPU time and resident memory (`/proc`),
 * and percentiles.
 */
import { readFileSync } from 'node:fs';
import type { RestClient } from '../../src/kube/rest.ts';

/** One `apiserver_request_total` series: its labels and value. */
export interface RequestSeries {
  readonly verb: string;
  readonly resource: string;
  readonly subresource: string;
  readonly code: string;
  /** `dryRun=All`: judged by admission, nothing stored. */
  readonly dryRun: boolean;
  readonly value: number;
  /**
   * All its labels as the apiserver printed them: what tells it from every other series. The
   * fields above leave some out (group, version, scope: a cluster-wide LIST and one in a
   * namespace, say), and readings matched on those alone subtracted one series' count from
   * another's (a LIST counted 97 times in a window with none, 2026-12-07).
   */
  readonly key: string;
}

const SERIES = /^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$/;
const LABEL = /(\w+)="([^"]*)"/g;

/** Parses the apiserver's request counters out of a Prometheus text exposition. */
export function parseRequestTotals(text: string): RequestSeries[] {
  const out: RequestSeries[] = [];
  for (const line of text.split('\n')) {
    const m = SERIES.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(LABEL)) labels[l[1] ?? ''] = l[2] ?? '';
    out.push({
      verb: labels.verb ?? '',
      resource: labels.resource ?? '',
      subresource: labels.subresource ?? '',
      code: labels.code ?? '',
      dryRun: (labels.dry_run ?? '') !== '',
      value: Number(m[2]),
      key: m[1] ?? '',
    });
  }
  return out;
}

/** The resources the operator reads and writes in namespaces. */
export const NAMESPACE_RESOURCES = new Set([
  'namespaces',
  'serviceaccounts',
  'limitranges',
  'resourcequotas',
  'networkpolicies',
  'roles',
  'rolebindings',
  'events',
]);
/** Requests one client makes to one object (not lists or watches, which informers make once). */
export const OBJECT_VERBS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'APPLY', 'DELETE']);
/** OpenReports' resources, which kubeposture writes where they are installed. */
export const REPORT_RESOURCES = new Set(['reports', 'clusterreports']);
export const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE']);

const FLOW = /^apiserver_flowcontrol_dispatched_requests_total\{([^}]*)\} ([0-9.e+]+)$/;

/** Requests API Priority and Fairness dispatched for one flow schema (every verb, lists and watches too). */
export function flowRequests(text: string, flowSchema: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = FLOW.exec(line);
    if (m !== null && (m[1] ?? '').includes(`flow_schema="${flowSchema}"`)) n += Number(m[2]);
  }
  return n;
}

/** A snapshot of the apiserver's request counters; `since` gives the requests made between two. */
export class ApiserverRequests {
  readonly series: readonly RequestSeries[];
  /** The operator's requests, by its flow schema. */
  readonly operator: number;

  private constructor(series: readonly RequestSeries[], operator: number) {
    this.series = series;
    this.operator = operator;
  }

  static async read(rest: RestClient, operatorFlowSchema: string): Promise<ApiserverRequests> {
    return ApiserverRequests.parse(String(await rest.request('GET', '/metrics')), operatorFlowSchema);
  }

  /** The counters in a Prometheus text exposition of the apiserver's. */
  static parse(text: string, operatorFlowSchema: string): ApiserverRequests {
    return new ApiserverRequests(parseRequestTotals(text), flowRequests(text, operatorFlowSchema));
  }

  /** Requests counted since `earlier` that match `filter`, each series against the same series then. */
  since(earlier: ApiserverRequests, filter: (s: RequestSeries) => boolean): number {
    const before = new Map(earlier.series.map((s) => [s.key, s.value]));
    let n = 0;
    for (const s of this.series) if (filter(s)) n += s.value - (before.get(s.key) ?? 0);
    return n;
  }
}

/** Requests (any client's) to single objects in namespaces: not lists or watches, not status. */
export const namespaceObjectRequest = (s: RequestSeries): boolean =>
  OBJECT_VERBS.has(s.verb) && NAMESPACE_RESOURCES.has(s.resource) && s.subresource === '';
/**
 * Any write to namespaces' objects, reports, SecurityBaselines or SecurityBaselineExceptions,
 * status included (not the controller manager's quota status, not a dry run).
 */
export const namespaceOrBaselineWrite = (s: RequestSeries): boolean =>
  WRITE_VERBS.has(s.verb) &&
  !s.dryRun &&
  ((NAMESPACE_RESOURCES.has(s.resource) && s.subresource === '') ||
    REPORT_RESOURCES.has(s.resource) ||
    s.resource === 'securitybaselines' ||
    s.resource === 'securitybaselineexceptions');
/** A dry run of a namespace's labels (a Pod Security preview or WhenClean check). */
export const namespaceDryRun = (s: RequestSeries): boolean => s.dryRun && s.resource === 'namespaces' && s.subresource === '';
export const baselineStatusWrite = (s: RequestSeries): boolean =>
  WRITE_VERBS.has(s.verb) && s.resource === 'securitybaselines' && s.subresource === 'status';

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory now and at its peak, in MB, from /proc/PID/status. */
export function memoryMb(pid: number): { readonly rss: number; readonly peak: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN');
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/**
 * Writes the operator sent that failed (HTTP >= 400, or no answer: code 0), from its own
 * metrics; not 409, which is how a create learns that a name is taken (a Conflict, reported in status).
 */
export function failedWrites(metricsText: string): number {
  let n = 0;
  for (const m of metricsText.matchAll(/^kubeposture_api_requests_total\{([^}]*)\} (\d+)$/gm)) {
    const verb = /verb="([^"]*)"/.exec(m[1] ?? '')?.[1];
    const code = Number(/code="([^"]*)"/.exec(m[1] ?? '')?.[1]);
    if (verb !== 'GET' && (code === 0 || (code >= 400 && code !== 409))) n += Number(m[2]);
  }
  return n;
}
