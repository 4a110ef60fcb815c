/**
 * A SecurityBaseline's status from the latest result of every namespace. Pure.
 * Conditions follow the API conventions and kstatus: each carries
 * observedGeneration, lastTransitionTime changes only when status does,
 * Reconciling and Stalled appear only while true.
 */
import type { SecurityBaselineException } from '../api/exception.ts';
import type {
  Condition,
  ConditionType,
  DriftEntry,
  ExceptionEntry,
  Finding,
  NamespaceCounts,
  Repairs,
  SecurityBaselineStatus,
} from '../api/types.ts';
import { OWN_LIMITS, STATUS_LIMITS, boundStatus, clip, joinWithin } from '../api/output-limits.ts';
import { sortFindings } from '../posture/findings.ts';
import { driftKey } from './ledger.ts';
import type { NamespaceResult } from './reconciler.ts';
import { canonicalJson } from '../lib/json.ts';

const CONDITION_ORDER: readonly ConditionType[] = ['Ready', 'Compliant', 'Reconciling', 'Stalled'];

type NewCondition = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** Keeps the previous lastTransitionTime unless status changed; sorts by type. */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly NewCondition[],
  generation: number,
  now: string,
): Condition[] {
  return next
    .map((c) => {
      const prev = previous?.find((p) => p.type === c.type);
      const lastTransitionTime = prev?.status === c.status ? prev.lastTransitionTime : now;
      return { ...c, observedGeneration: generation, lastTransitionTime };
    })
    .sort((a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type));
}

/** Up to three examples and how many more: "a, b, c and 4 more". */
export function someOf(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${String(items.length - max)} more` : shown;
}

/** An example quoting an error (an apiserver's answer can be long): clipped so that three fit in a message. */
const example = (s: string): string => clip(s, OWN_LIMITS.example, 'codePoints');

export interface StatusInput {
  readonly name: string;
  readonly generation: number;
  /** Namespaces still to be reconciled for the current generation. */
  readonly pending: number;
  readonly results: Iterable<NamespaceResult>;
  readonly previous: SecurityBaselineStatus | undefined;
  readonly now: string;
  /** When a drift (by driftKey) was first seen. */
  readonly since: (key: string) => string;
  readonly repairs: Repairs;
  /** Posture findings for this baseline and the namespaces it governs. */
  readonly findings: readonly Finding[];
  /** This baseline's active SecurityBaselineExceptions. */
  readonly exceptions?: readonly SecurityBaselineException[];
}

const byObject = (a: DriftEntry, b: DriftEntry): number =>
  a.namespace.localeCompare(b.namespace) ||
  a.kind.localeCompare(b.kind) ||
  a.name.localeCompare(b.name) ||
  a.reason.localeCompare(b.reason);

/** Every drift of the selected namespaces as status entries, sorted; and the keys seen. */
export function driftEntries(
  selected: readonly NamespaceResult[],
  since: (key: string) => string,
): { entries: DriftEntry[]; keys: Set<string> } {
  const keys = new Set<string>();
  const entries: DriftEntry[] = [];
  for (const r of selected) {
    for (const d of r.drift) {
      const key = driftKey(r.namespace, d.kind, d.name, d.reason);
      keys.add(key);
      entries.push({
        namespace: r.namespace,
        kind: d.kind,
        name: d.name,
        reason: d.reason,
        ...(d.fields === undefined || d.fields.length === 0 ? {} : { fields: d.fields }),
        since: since(key),
      });
    }
  }
  return { entries: entries.sort(byObject), keys };
}

/** The status of a valid baseline. */
export function computeStatus(input: StatusInput): SecurityBaselineStatus {
  const selected: NamespaceResult[] = [];
  let superseded = 0;
  for (const r of input.results) {
    if (r.baseline?.name === input.name) selected.push(r);
    else if (r.superseded.includes(input.name)) superseded++;
  }
  const failed = selected.filter((r) => r.error !== undefined);
  const drifted = selected.filter((r) => r.drift.length > 0);
  const stale = selected.filter((r) => r.baseline?.generation !== input.generation);
  const counts: NamespaceCounts = {
    selected: selected.length,
    compliant: selected.filter((r) => r.error === undefined && r.drift.length === 0).length,
    drifted: drifted.length,
    superseded,
    failed: failed.length,
    excepted: selected.filter((r) => (r.exceptions ?? []).length > 0).length,
  };
  const progressing = input.pending > 0 || stale.length > 0;
  const conditions: NewCondition[] = [];
  if (failed.length > 0) {
    conditions.push({
      type: 'Ready',
      status: 'False',
      reason: 'ReconcileFailed',
      message: `${String(failed.length)} of ${String(selected.length)} namespaces failed: ${someOf(failed.map((r) => `${r.namespace} (${example(r.error ?? '')})`))}`,
    });
  } else if (progressing) {
    conditions.push({
      type: 'Ready',
      status: 'False',
      reason: 'Progressing',
      message: `Reconciling generation ${String(input.generation)}: ${String(Math.max(input.pending, stale.length))} namespaces to go`,
    });
  } else {
    conditions.push({
      type: 'Ready',
      status: 'True',
      reason: 'Reconciled',
      message: `Generation ${String(input.generation)} applied to ${String(selected.length)} namespaces`,
    });
  }
  conditions.push(
    drifted.length > 0
      ? {
          type: 'Compliant',
          status: 'False',
          reason: 'DriftDetected',
          message: `${String(drifted.length)} of ${String(selected.length)} namespaces drift: ${someOf(
            drifted.map(
              (r) =>
                `${r.namespace} (${someOf(
                  r.drift.map((d) => `${d.kind} ${d.name}: ${d.reason}`),
                  2,
                )})`,
            ),
          )}`,
        }
      : { type: 'Compliant', status: 'True', reason: 'NoDrift', message: `${String(selected.length)} namespaces hold the baseline` },
  );
  if (progressing)
    conditions.push({
      type: 'Reconciling',
      status: 'True',
      reason: 'Progressing',
      message: `Applying generation ${String(input.generation)}`,
    });
  const { entries } = driftEntries(selected, input.since);
  const findings = sortFindings(input.findings);
  const exceptions = exceptionEntries(input.exceptions ?? [], selected);
  return boundStatus({
    observedGeneration: input.generation,
    conditions: mergeConditions(input.previous?.conditions, conditions, input.generation, input.now),
    namespaces: counts,
    // boundStatus cuts the lists to the CRD's maxItems and sets the truncated flags.
    drift: entries,
    repairs: input.repairs,
    ...(findings.length === 0 ? {} : { findings }),
    ...(exceptions.length === 0 ? {} : { exceptions }),
  });
}

/** The active exceptions as status lists them, by name, each with how many governed namespaces it lifts parts in. */
export function exceptionEntries(active: readonly SecurityBaselineException[], selected: readonly NamespaceResult[]): ExceptionEntry[] {
  const counts = new Map<string, number>();
  for (const r of selected) for (const e of r.exceptions ?? []) counts.set(e, (counts.get(e) ?? 0) + 1);
  return [...active]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((e) => ({
      name: e.metadata.name,
      exempt: e.spec.exempt,
      reason: e.spec.reason,
      expires: e.spec.expires,
      namespaces: counts.get(e.metadata.name) ?? 0,
    }));
}

const STALLED_PREFIX = 'spec cannot be acted on: ';

/**
 * The status of a baseline whose spec cannot be acted on, naming its problems
 * ("field: message") in the order found: as many as the condition message
 * holds, then how many more.
 */
export function stalledStatus(
  generation: number,
  problems: readonly string[],
  previous: SecurityBaselineStatus | undefined,
  now: string,
): SecurityBaselineStatus {
  const listed = joinWithin(
    problems,
    STATUS_LIMITS.conditionMessage - STALLED_PREFIX.length,
    'codePoints',
    '; ',
    (n) => `…and ${String(n)} more errors`,
  );
  const message = `${STALLED_PREFIX}${listed}`;
  return boundStatus({
    observedGeneration: generation,
    conditions: mergeConditions(
      previous?.conditions,
      [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
        { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message },
      ],
      generation,
      now,
    ),
    ...(previous?.namespaces === undefined ? {} : { namespaces: previous.namespaces }),
  });
}

/** The status of a baseline being deleted while its cleanup runs: what it waits for, and why. */
export function deletingStatus(input: {
  readonly generation: number;
  readonly waiting: readonly string[];
  readonly failures: readonly string[];
  /** "namespace/Kind/name" of managed objects still there. */
  readonly objectsLeft: readonly string[];
  readonly previous: SecurityBaselineStatus | undefined;
  readonly now: string;
}): SecurityBaselineStatus {
  const parts = [`cleanup waits for ${String(input.waiting.length)} namespaces and ${String(input.objectsLeft.length)} objects`];
  if (input.objectsLeft.length > 0) parts.push(`still there: ${someOf(input.objectsLeft)}`);
  if (input.failures.length > 0) parts.push(`failing: ${someOf(input.failures.map(example))}`);
  return boundStatus({
    ...input.previous,
    observedGeneration: input.generation,
    conditions: mergeConditions(
      input.previous?.conditions,
      [
        { type: 'Ready', status: 'False', reason: 'Terminating', message: `Deleting: ${parts.join('; ')}` },
        { type: 'Reconciling', status: 'True', reason: 'Terminating', message: 'Removing managed objects before the baseline goes' },
      ],
      input.generation,
      input.now,
    ),
  });
}

/** True when two statuses say the same, ignoring lastReconcileTime and key order. */
export function sameStatus(a: SecurityBaselineStatus | undefined, b: SecurityBaselineStatus): boolean {
  const skip = (k: string): boolean => k === 'lastReconcileTime';
  return a !== undefined && canonicalJson(a, skip) === canonicalJson(b, skip);
}
