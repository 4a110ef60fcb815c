/**
 * `kubeposture status`: what the cluster's SecurityBaselines say about themselves, and what
 * governs one namespace and how it stands. Pure: the objects as read (status-read.ts) in, a
 * view out, and the view as a table (`kubectl get` style), JSON or YAML. Nothing here reads
 * the cluster or the clock: the time an exception's expiry is counted from is an argument.
 *
 * The JSON and YAML shapes are API for scripts (README "kubeposture status"): fields are
 * only ever added.
 */
import { dump } from 'js-yaml';
import { ANNOTATION_HOLDS, ANNOTATION_OWNED } from '../api/constants.ts';
import type { SecurityBaselineExceptionSpec, SecurityBaselineExceptionStatus } from '../api/exception.ts';
import type { DriftReason, Finding, NamespaceCounts, SecurityBaseline, SecurityBaselineStatus } from '../api/types.ts';
import { parseSecurityBaseline } from '../api/validate.ts';
import { globMatches, resolve, selects, type SelectionResult } from '../baseline/selection.ts';
import type { WireObject } from '../kube/wire.ts';
import type { ReportResult, ResultStatus, Summary } from '../report/build.ts';
import { asPlainObject } from '../lib/json.ts';

/** The output formats `-o` takes. */
export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

/** Whether `s` is one of {@link OUTPUTS}. */
export function isOutput(s: string): s is Output {
  return (OUTPUTS as readonly string[]).includes(s);
}

/** A SecurityBaseline as read: its spec unchecked (parsed here), its status as the operator wrote it. */
export type WireBaseline = WireObject & { readonly spec?: unknown; readonly status?: SecurityBaselineStatus };
/** A SecurityBaselineException as read. */
export type WireException = WireObject & {
  readonly spec?: Partial<SecurityBaselineExceptionSpec>;
  readonly status?: SecurityBaselineExceptionStatus;
};
/** An openreports.io Report as read: the parts shown. */
export type WireReport = WireObject & { readonly summary?: Partial<Summary>; readonly results?: readonly ReportResult[] };

/** How many of a baseline's worst namespaces the overview names. */
export const WORST_SHOWN = 3;

/** Ready as `kubectl get sb` would have it, with Stalled (the spec cannot be acted on) above all. */
export type Readiness = 'True' | 'False' | 'Unknown' | 'Stalled';

/** One namespace of a baseline's drift list and how many of its objects drift. */
export interface WorstNamespace {
  readonly namespace: string;
  readonly drift: number;
}

/** One baseline in the overview. */
export interface BaselineSummary {
  readonly name: string;
  readonly mode: string;
  readonly priority: number;
  readonly ready: Readiness;
  /** The Stalled condition's message when Stalled, else Ready's (empty when it has none). */
  readonly message: string;
  readonly namespaces: Required<NamespaceCounts>;
  /** The namespaces with the most drift entries, most first, at most {@link WORST_SHOWN}. */
  readonly worst: readonly WorstNamespace[];
  /** Drifted namespaces beyond `worst`. */
  readonly moreDrifted: number;
  /** The baseline's status lists only the first drift entries (status.driftTruncated). */
  readonly driftTruncated: boolean;
  readonly lastReconcileTime: string | null;
}

/** `kubeposture status`: every baseline. */
export interface OverviewView {
  readonly kind: 'Baselines';
  readonly baselines: readonly BaselineSummary[];
}

/** Why a baseline does not govern a namespace. */
export type NotGoverning = Exclude<SelectionResult, 'selected'> | 'superseded' | 'deleting' | 'invalid';

/** Which baseline governs the namespace, as the operator resolves it. */
export type Governance =
  | {
      readonly state: 'governed';
      readonly baseline: string;
      readonly mode: string;
      readonly priority: number;
      /** Baselines that select it too and lose (lower priority, or a larger name at a tie). */
      readonly superseded: readonly string[];
    }
  | {
      readonly state: 'ungoverned';
      /** Each baseline and why it does not govern. */
      readonly baselines: readonly { readonly name: string; readonly why: NotGoverning }[];
    };

/** One drift entry of the namespace, from the governing baseline's status. */
export interface NamespaceDrift {
  readonly kind: string;
  readonly name: string;
  readonly reason: DriftReason;
  readonly fields: readonly string[];
  readonly since: string;
}

/** The namespace's Report `kubeposture`: a result per check. */
export interface ReportView {
  readonly summary: Summary;
  readonly results: readonly {
    readonly rule: string;
    readonly result: ResultStatus;
    readonly resource: string | null;
    readonly message: string;
  }[];
}

/** A SecurityBaselineException of the governing baseline whose namespaces match. */
export interface ExceptionView {
  readonly name: string;
  readonly exempt: readonly string[];
  readonly reason: string;
  readonly expires: string;
  /** From its Active condition: Active, Expired, Invalid; Unknown before the operator judged it. */
  readonly state: 'Active' | 'Expired' | 'Invalid' | 'Unknown';
  /** Time left at `now` (negative once expired), in whole seconds. */
  readonly expiresInSeconds: number;
}

/** `kubeposture status -n NAMESPACE`. */
export interface NamespaceView {
  readonly kind: 'Namespace';
  readonly namespace: string;
  readonly governance: Governance;
  /** What kubeposture's annotations on the Namespace say. */
  readonly annotations: {
    /** kubeposture.io/holds: the baseline whose protections are all in place, or null. */
    readonly holds: string | null;
    /** kubeposture.io/owned: the baselines with a record of objects kubeposture made here. */
    readonly owned: readonly string[];
  };
  readonly drift: readonly NamespaceDrift[];
  /** The governing baseline lists only its first drift entries: this namespace's may be cut. */
  readonly driftTruncated: boolean;
  /** Null when the OpenReports API is not installed, the namespace has no Report yet, or the user may not read it. */
  readonly report: ReportView | null;
  readonly findings: readonly Finding[];
  readonly exceptions: readonly ExceptionView[];
}

/** What `kubeposture status` shows. */
export type StatusView = OverviewView | NamespaceView;

const ZERO_COUNTS: Required<NamespaceCounts> = { selected: 0, compliant: 0, drifted: 0, superseded: 0, failed: 0, excepted: 0 };

function parsed(b: WireBaseline): SecurityBaseline | undefined {
  const r = parseSecurityBaseline(b);
  return r.ok ? r.baseline : undefined;
}

function rawSpec(b: WireBaseline): { mode: string; priority: number } {
  const spec = asPlainObject(b.spec);
  return {
    mode: typeof spec?.mode === 'string' ? spec.mode : 'Enforce',
    priority: typeof spec?.priority === 'number' ? spec.priority : 0,
  };
}

function readiness(status: SecurityBaselineStatus | undefined): { ready: Readiness; message: string } {
  const cond = (t: string): { status: string; message: string } | undefined => status?.conditions?.find((c) => c.type === t);
  const stalled = cond('Stalled');
  if (stalled?.status === 'True') return { ready: 'Stalled', message: stalled.message };
  const ready = cond('Ready');
  if (ready === undefined) return { ready: 'Unknown', message: '' };
  return { ready: ready.status === 'True' || ready.status === 'False' ? ready.status : 'Unknown', message: ready.message };
}

/** The namespaces of `status.drift` by entries, most first, then by name. */
export function worstNamespaces(status: SecurityBaselineStatus | undefined): WorstNamespace[] {
  const counts = new Map<string, number>();
  for (const d of status?.drift ?? []) counts.set(d.namespace, (counts.get(d.namespace) ?? 0) + 1);
  return [...counts]
    .map(([namespace, drift]) => ({ namespace, drift }))
    .sort((a, b) => b.drift - a.drift || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
}

/** One baseline's line of the overview. */
export function summarizeBaseline(b: WireBaseline): BaselineSummary {
  const status = b.status;
  const worst = worstNamespaces(status);
  const counts = { ...ZERO_COUNTS, ...status?.namespaces };
  const shown = worst.slice(0, WORST_SHOWN);
  return {
    name: b.metadata.name,
    ...rawSpec(b),
    ...readiness(status),
    namespaces: counts,
    worst: shown,
    // The drift list is capped; the count of drifted namespaces is not.
    moreDrifted: Math.max(worst.length, counts.drifted) - shown.length,
    driftTruncated: status?.driftTruncated === true,
    lastReconcileTime: status?.lastReconcileTime ?? null,
  };
}

/** `kubeposture status`: every baseline, by name. */
export function overview(baselines: readonly WireBaseline[]): OverviewView {
  const sorted = [...baselines].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  return { kind: 'Baselines', baselines: sorted.map(summarizeBaseline) };
}

/** What `kubeposture status -n` reads from the cluster. */
export interface NamespaceInput {
  readonly namespace: WireObject & { readonly status?: { readonly phase?: string } };
  readonly baselines: readonly WireBaseline[];
  readonly exceptions: readonly WireException[];
  readonly report: WireReport | undefined;
  /** The operator's namespace, never governed; undefined when not known. */
  readonly operatorNamespace: string | undefined;
  /** Epoch milliseconds, to say how long an exception has left. */
  readonly now: number;
}

function ownedBaselines(annotation: string | undefined): string[] {
  if (annotation === undefined) return [];
  try {
    const record = asPlainObject(JSON.parse(annotation));
    return record === undefined ? [] : Object.keys(record).sort();
  } catch {
    return [];
  }
}

function governance(input: NamespaceInput): { governance: Governance; winner: WireBaseline | undefined } {
  const ns = input.namespace;
  const info = {
    name: ns.metadata.name,
    labels: ns.metadata.labels ?? {},
    terminating: ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating',
  };
  const valid = input.baselines.flatMap((b) => {
    const p = parsed(b);
    return p === undefined ? [] : [p];
  });
  const { winner, superseded } = resolve(valid, info, input.operatorNamespace);
  if (winner !== undefined) {
    return {
      governance: {
        state: 'governed',
        baseline: winner.metadata.name,
        mode: winner.spec.mode,
        priority: winner.spec.priority,
        superseded: superseded.map((b) => b.metadata.name),
      },
      winner: input.baselines.find((b) => b.metadata.name === winner.metadata.name),
    };
  }
  const why = (b: WireBaseline): NotGoverning => {
    const p = parsed(b);
    if (p === undefined) return 'invalid';
    if (p.metadata.deletionTimestamp !== undefined) return 'deleting';
    const result = selects(p, info, input.operatorNamespace);
    // 'selected' cannot lose with no winner; said as superseded rather than dropped.
    return result === 'selected' ? 'superseded' : result;
  };
  const baselines = [...input.baselines]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((b) => ({ name: b.metadata.name, why: why(b) }));
  return { governance: { state: 'ungoverned', baselines }, winner: undefined };
}

function exceptionState(e: WireException): ExceptionView['state'] {
  // Its one condition, Active (read as the operator wrote it).
  const [active] = e.status?.conditions ?? [];
  if (active === undefined) return 'Unknown';
  if (active.status === 'True') return 'Active';
  return active.reason === 'Expired' || active.reason === 'Invalid' ? active.reason : 'Unknown';
}

function reportView(r: WireReport): ReportView {
  const results = (r.results ?? []).map((x) => {
    const res = x.resources?.[0];
    return {
      rule: x.rule,
      result: x.result,
      resource: res === undefined ? null : `${res.kind}/${res.name}`,
      message: x.message,
    };
  });
  const summary: Record<ResultStatus, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const [k, v] of Object.entries(r.summary ?? {})) if (k in summary && typeof v === 'number') summary[k as ResultStatus] = v;
  return { summary, results };
}

/** `kubeposture status -n`: what governs the namespace and how it stands. */
export function namespaceView(input: NamespaceInput): NamespaceView {
  const name = input.namespace.metadata.name;
  const annotations = input.namespace.metadata.annotations ?? {};
  const { governance: gov, winner } = governance(input);
  const status = winner?.status;
  const exceptions =
    gov.state === 'governed'
      ? input.exceptions
          .filter((e) => e.spec?.baseline === gov.baseline && (e.spec.namespaces ?? []).some((g) => globMatches(g, name)))
          .map((e) => {
            const expires = e.spec?.expires ?? '';
            return {
              name: e.metadata.name,
              exempt: [...(e.spec?.exempt ?? [])],
              reason: e.spec?.reason ?? '',
              expires,
              state: exceptionState(e),
              expiresInSeconds: Math.floor((Date.parse(expires) - input.now) / 1000),
            };
          })
          .sort((a, b) => (a.name < b.name ? -1 : 1))
      : [];
  return {
    kind: 'Namespace',
    namespace: name,
    governance: gov,
    annotations: { holds: annotations[ANNOTATION_HOLDS] ?? null, owned: ownedBaselines(annotations[ANNOTATION_OWNED]) },
    drift: (status?.drift ?? [])
      .filter((d) => d.namespace === name)
      .map((d) => ({ kind: d.kind, name: d.name, reason: d.reason, fields: d.fields ?? [], since: d.since })),
    driftTruncated: status?.driftTruncated === true,
    report: input.report === undefined ? null : reportView(input.report),
    findings: (status?.findings ?? []).filter((f) => f.namespace === name),
    exceptions,
  };
}

// ---- formatting ----

/** How a table is printed: colour only on a terminal. */
export interface FormatOptions {
  readonly color: boolean;
}

type Paint = 'red' | 'green' | 'yellow';
const CODES: Readonly<Record<Paint, string>> = { red: '31', green: '32', yellow: '33' };

/** A cell, and the colour it is painted in on a terminal. */
type Cell = string | { readonly text: string; readonly paint: Paint | undefined };

const cellText = (c: Cell): string => (typeof c === 'string' ? c : c.text);

/** Columns aligned as `kubectl get` aligns them (three spaces apart), the last one unpadded. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], opts: FormatOptions): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cellText(r[i] ?? '').length)));
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((c, i) => {
        const text = i === cells.length - 1 ? cellText(c) : cellText(c).padEnd((widths[i] ?? 0) + 3);
        const paint = typeof c === 'string' ? undefined : c.paint;
        return opts.color && paint !== undefined ? text.replace(cellText(c), `\u001b[${CODES[paint]}m${cellText(c)}\u001b[0m`) : text;
      })
      .join('')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const READY_PAINT: Readonly<Record<Readiness, Paint | undefined>> = { True: 'green', False: 'yellow', Unknown: undefined, Stalled: 'red' };

function worstText(b: BaselineSummary): string {
  if (b.worst.length === 0) return b.namespaces.drifted === 0 ? '-' : `${String(b.namespaces.drifted)} not listed`;
  const names = b.worst.map((w) => `${w.namespace}(${String(w.drift)})`).join(', ');
  return b.moreDrifted > 0 ? `${names}, ${String(b.moreDrifted)} more` : names;
}

function overviewTable(v: OverviewView, opts: FormatOptions): string {
  if (v.baselines.length === 0) return 'No SecurityBaselines found.\n';
  const rows = v.baselines.map((b) => [
    b.name,
    b.mode,
    { text: b.ready, paint: READY_PAINT[b.ready] },
    String(b.namespaces.selected),
    String(b.namespaces.compliant),
    { text: String(b.namespaces.drifted), paint: b.namespaces.drifted > 0 ? ('red' as const) : undefined },
    String(b.namespaces.excepted),
    worstText(b),
  ]);
  const out = table(['NAME', 'MODE', 'READY', 'SELECTED', 'COMPLIANT', 'DRIFTED', 'EXCEPTED', 'WORST NAMESPACES (DRIFT)'], rows, opts);
  const notes = v.baselines.flatMap((b) => (b.ready === 'Stalled' || b.ready === 'False' ? [`${b.name}: ${b.message}`] : []));
  return notes.length === 0 ? out : `${out}\n${notes.join('\n')}\n`;
}

const WHY: Readonly<Record<NotGoverning, string>> = {
  system: 'a system namespace, never selected',
  operator: "the operator's own namespace, never selected",
  terminating: 'the namespace is terminating',
  excluded: 'excluded by excludeNamespaces',
  'not-matched': 'namespaceSelector does not match its labels',
  superseded: 'selects it but loses',
  deleting: 'being deleted',
  invalid: 'its spec is invalid (Stalled)',
};

function section(title: string, count: number, body: string): string {
  return `\n${title} (${String(count)}):\n${count === 0 ? '  none\n' : body.replace(/^(?=.)/gm, '  ')}`;
}

function left(seconds: number): string {
  if (seconds <= 0) return 'expired';
  const days = Math.floor(seconds / 86_400);
  if (days > 0) return `in ${String(days)}d`;
  const hours = Math.floor(seconds / 3600);
  return hours > 0 ? `in ${String(hours)}h` : `in ${String(Math.max(1, Math.floor(seconds / 60)))}m`;
}

function namespaceTable(v: NamespaceView, opts: FormatOptions): string {
  const g = v.governance;
  const head: [string, string][] = [['Namespace:', v.namespace]];
  if (g.state === 'governed') {
    head.push(['Governed by:', `SecurityBaseline ${g.baseline} (mode ${g.mode}, priority ${String(g.priority)})`]);
    if (g.superseded.length > 0) head.push(['Superseded:', g.superseded.join(', ')]);
  } else {
    head.push(['Governed by:', 'none']);
    for (const b of g.baselines) head.push(['', `${b.name}: ${WHY[b.why]}`]);
  }
  head.push(['Holds:', v.annotations.holds ?? '- (not every protection in place, or no baseline)']);
  head.push(['Owned record:', v.annotations.owned.length === 0 ? '-' : v.annotations.owned.join(', ')]);
  let out = head.map(([k, val]) => `${k.padEnd(14)}${val}`.trimEnd()).join('\n') + '\n';
  if (g.state === 'ungoverned') return out;

  const drift = table(
    ['KIND', 'NAME', 'REASON', 'FIELDS', 'SINCE'],
    v.drift.map((d) => [d.kind, d.name, { text: d.reason, paint: 'red' }, d.fields.length === 0 ? '-' : d.fields.join(','), d.since]),
    opts,
  );
  out += section(`Drift${v.driftTruncated ? ', from a truncated list' : ''}`, v.drift.length, drift);
  if (v.report !== null) {
    const s = v.report.summary;
    const paint: Readonly<Record<ResultStatus, Paint | undefined>> = {
      pass: 'green',
      fail: 'red',
      warn: 'yellow',
      error: 'red',
      skip: undefined,
    };
    const checks = table(
      ['RESULT', 'RULE', 'RESOURCE', 'MESSAGE'],
      v.report.results.map((r) => [{ text: r.result, paint: paint[r.result] }, r.rule, r.resource ?? '-', r.message]),
      opts,
    );
    out += section(
      `Checks, Report kubeposture: ${String(s.pass)} pass, ${String(s.fail)} fail, ${String(s.warn)} warn, ${String(s.skip)} skip, ${String(s.error)} error`,
      v.report.results.length,
      checks,
    );
  }
  const findings = table(
    ['TYPE', 'OBJECT', 'MESSAGE'],
    v.findings.map((f) => [f.type, f.kind === undefined ? '-' : `${f.kind}/${f.name ?? ''}`, f.message]),
    opts,
  );
  out += section('Findings', v.findings.length, findings);
  const exceptions = table(
    ['NAME', 'STATE', 'EXPIRES', 'EXEMPT', 'REASON'],
    v.exceptions.map((e) => [
      e.name,
      { text: e.state, paint: e.state === 'Active' ? undefined : 'yellow' },
      `${e.expires} (${left(e.expiresInSeconds)})`,
      e.exempt.join(','),
      e.reason,
    ]),
    opts,
  );
  out += section('Exceptions', v.exceptions.length, exceptions);
  return out;
}

/** `view` as `output` says. */
export function format(view: StatusView, output: Output, opts: FormatOptions): string {
  switch (output) {
    case 'json':
      return `${JSON.stringify(view, null, 2)}\n`;
    case 'yaml':
      return dump(view, { noRefs: true, lineWidth: -1 });
    case 'table':
      return view.kind === 'Baselines' ? overviewTable(view, opts) : namespaceTable(view, opts);
  }
}
