/**
 * SecurityBaselineExceptions at run time: each judged (Active, Expired, Invalid) against the
 * baselines and the clock, the active ones indexed for the planner, a timer at the next expiry so
 * that enforcement resumes within a second of it (not at the next resync), an Event on the
 * exception and its baseline at each change of state, and each exception's status: its condition
 * and the namespaces it lifts parts in, as the reconciles that applied it report them.
 */
import { API_VERSION } from '../api/constants.ts';
import {
  EXCEPTION_KIND,
  parseException,
  type ExceptionParse,
  type SecurityBaselineException,
  type SecurityBaselineExceptionStatus,
} from '../api/exception.ts';
import { formatErrors } from '../api/validate.ts';
import { ExemptionIndex, judgeException, type Judgement } from '../baseline/exceptions.ts';
import { globMatches } from '../baseline/selection.ts';
import type { EventSink, EventTarget } from '../kube/events.ts';
import type { RestClient } from '../kube/rest.ts';
import { ApiError } from '../kube/transport.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import { canonicalJson } from '../lib/json.ts';
import { VersionMemo } from '../lib/memo.ts';
import type { Logger } from '../lib/log.ts';
import { rfc3339 } from '../lib/time.ts';
import type { Baselines } from './plan.ts';
import type { ExceptionObject } from './caches.ts';
import type { NamespaceResult } from './reconciler.ts';
import { STATUS_BATCH_MS } from './status-writer.ts';

/** The longest single wait: Node's timers overflow past 2^31-1 ms (24.8 days), so a far expiry is reached in steps. */
const MAX_TIMER_MS = 24 * 3600 * 1000;
/** Namespaces an exception's status lists (the CRD's maxItems). */
export const EXCEPTION_STATUS_NAMESPACES = 100;

export interface ExceptionBookDeps {
  readonly rest: Pick<RestClient, 'mergePatch'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventSink;
  readonly exceptions: () => readonly ExceptionObject[];
  readonly baselines: () => Baselines;
  readonly baselineUid: (name: string) => string | undefined;
  /** The latest result of every namespace reconciled. */
  readonly results: ReadonlyMap<string, NamespaceResult>;
  /** How far ahead an exception may expire. */
  readonly horizonMs: number;
  /** False while this process may not write (a follower), or has not started. */
  readonly mayWrite: () => boolean;
  /**
   * False until every namespace has been reconciled once since this replica began acting
   * (first-pass.ts): the namespaces a status lists come from those reconciles, and written
   * before, a restart cut each list short and wrote it whole again (two writes per exception).
   */
  readonly settled: () => boolean;
  /** What exceptions lift changed in these namespaces (and for these baselines' status). */
  readonly onChange: (namespaces: ReadonlySet<string>, baselines: ReadonlySet<string>) => void;
}

interface Judged {
  readonly object: ExceptionObject;
  readonly parsed: ExceptionParse;
  readonly judgement: Judgement;
}

/** The state an exception's status condition reports. */
type State = 'Active' | 'Expired' | 'Invalid';

export class ExceptionBook {
  private readonly deps: ExceptionBookDeps;
  private readonly parsed = new VersionMemo<ExceptionParse>();
  /** The state each exception was last judged in (seeded from its status), to tell changes. */
  private readonly lastState = new Map<string, State>();
  private memo: { readonly index: ExemptionIndex; readonly judged: readonly Judged[]; readonly until: number } | undefined;
  private cancelTimer: (() => void) | undefined;
  private cancelFlush: (() => void) | undefined;
  private readonly dirty = new Set<string>();
  private stopped = false;

  constructor(deps: ExceptionBookDeps) {
    this.deps = deps;
  }

  /** What active exceptions lift now, memoised until the next expiry or change. */
  exemptions(): ExemptionIndex {
    return this.current().index;
  }

  /** The active exceptions of one baseline (for its status). */
  active(baseline: string): SecurityBaselineException[] {
    return this.current().judged.flatMap((j) =>
      j.parsed.ok && j.judgement.state === 'Active' && j.parsed.exception.spec.baseline === baseline ? [j.parsed.exception] : [],
    );
  }

  /**
   * An exception or a baseline changed (or time moved on): judge again, announce what changed
   * state, and tell the controller which namespaces to look at. `changed`: the exceptions an
   * informer event was about, as it delivered them (a deleted one is in no other list); their
   * namespaces before the change are found through the previous judgement and the results.
   */
  refresh(changed: readonly ExceptionObject[] = []): void {
    const before = this.memo?.judged ?? [];
    this.memo = undefined;
    const now = this.current();
    const namespaces = new Set<string>();
    const baselines = new Set<string>();
    const touched = new Set([...changed.map((o) => o.metadata.name)]);
    for (const j of now.judged) {
      const name = j.object.metadata.name;
      const state = j.judgement.state;
      const previous = this.lastState.get(name);
      if (previous !== state) touched.add(name);
      this.lastState.set(name, state);
      if (previous !== state && this.deps.mayWrite()) this.announce(j, state);
    }
    const names = new Set(now.judged.map((j) => j.object.metadata.name));
    for (const name of this.lastState.keys()) if (!names.has(name)) touched.add(name);
    for (const name of touched) {
      this.dirty.add(name);
      if (!names.has(name)) {
        this.lastState.delete(name);
        this.parsed.forget(name);
      }
      const specs = [...before, ...now.judged]
        .filter((j) => j.object.metadata.name === name && j.parsed.ok)
        .map((j) => (j.parsed as Extract<ExceptionParse, { ok: true }>).exception.spec);
      for (const o of changed.filter((c) => c.metadata.name === name)) {
        const p = this.parse(o);
        if (p.ok) specs.push(p.exception.spec);
      }
      for (const spec of specs) baselines.add(spec.baseline);
      for (const r of this.deps.results.values()) {
        const governed = r.baseline !== undefined && specs.some((s) => s.baseline === r.baseline?.name);
        const lifts = (r.exceptions ?? []).includes(name);
        if (lifts || (governed && specs.some((s) => s.namespaces.some((g) => globMatches(g, r.namespace))))) namespaces.add(r.namespace);
      }
    }
    // The timer is armed here only: a reconcile that finds the memo out of date (an expiry just
    // passed) recomputes it, but the expiry's Events and re-planning are this method's, on the timer.
    this.arm(now.until, this.deps.clock.now());
    this.scheduleFlush();
    if (namespaces.size > 0 || baselines.size > 0) this.deps.onChange(namespaces, baselines);
  }

  /** A namespace was reconciled: the exceptions it names may list it now, or no longer. */
  reconciled(before: NamespaceResult | undefined, result: NamespaceResult | undefined): void {
    const a = before?.exceptions ?? [];
    const b = result?.exceptions ?? [];
    if (a.length === 0 && b.length === 0) return;
    if (a.length === b.length && a.every((x, i) => x === b[i])) return;
    for (const name of [...a, ...b]) this.dirty.add(name);
    this.scheduleFlush();
  }

  /** Writes what is marked, soon (the first pass just ended). */
  flushSoon(): void {
    this.scheduleFlush();
  }

  /** Every exception's status is written again (a new leader). */
  markAllDirty(): void {
    for (const o of this.deps.exceptions()) this.dirty.add(o.metadata.name);
    this.scheduleFlush();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelFlush?.();
  }

  private current(): NonNullable<ExceptionBook['memo']> {
    const now = this.deps.clock.now();
    if (this.memo !== undefined && now < this.memo.until) return this.memo;
    const baselines = this.deps.baselines();
    const judged: Judged[] = [];
    for (const object of this.deps.exceptions()) {
      const parsed = this.parse(object);
      const judgement: Judgement = parsed.ok
        ? judgeException(parsed.exception, baselines, now, this.deps.horizonMs)
        : { state: 'Invalid', field: parsed.errors[0]?.field ?? 'spec', message: formatErrors(parsed.errors) };
      if (this.lastState.get(object.metadata.name) === undefined) this.seed(object, judgement);
      judged.push({ object, parsed, judgement });
    }
    const active = judged.flatMap((j) => (j.parsed.ok && j.judgement.state === 'Active' ? [j.parsed.exception] : []));
    const next = Math.min(...active.map((e) => e.expiresAt));
    this.memo = { index: new ExemptionIndex(active), judged, until: next };
    return this.memo;
  }

  /** The state an exception's status already reports for its generation: no Event for what was announced before a restart. */
  private seed(object: ExceptionObject, judgement: Judgement): void {
    const status = object.status;
    const c = status?.conditions?.[0];
    if (c === undefined || status?.observedGeneration !== object.metadata.generation) return;
    const state = c.reason === 'Active' || c.reason === 'Expired' || c.reason === 'Invalid' ? c.reason : undefined;
    if (state !== undefined) this.lastState.set(object.metadata.name, state);
    else this.lastState.set(object.metadata.name, judgement.state);
  }

  private parse(object: ExceptionObject): ExceptionParse {
    return this.parsed.get(object.metadata.name, object.metadata.resourceVersion, () => parseException(object));
  }

  /** One timer, at the next expiry (in steps of at most a day). */
  private arm(next: number, now: number): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.stopped || !Number.isFinite(next)) return;
    const wait = Math.max(0, Math.min(next - now, MAX_TIMER_MS));
    this.cancelTimer = this.deps.clock.setTimer(() => {
      this.cancelTimer = undefined;
      this.refresh();
    }, wait);
  }

  private announce(j: Judged, state: State): void {
    const name = j.object.metadata.name;
    const target: EventTarget = { apiVersion: API_VERSION, kind: EXCEPTION_KIND, name, uid: j.object.metadata.uid ?? '' };
    const exc = j.parsed.ok ? j.parsed.exception : undefined;
    const parts = exc?.spec.exempt.join(', ') ?? '';
    const baseline = exc?.spec.baseline;
    const baselineUid = baseline === undefined ? undefined : this.deps.baselineUid(baseline);
    const onBaseline = (type: 'Normal' | 'Warning', reason: string, note: string): void => {
      if (baseline !== undefined && baselineUid !== undefined) {
        this.deps.events.record(
          { apiVersion: API_VERSION, kind: 'SecurityBaseline', name: baseline, uid: baselineUid },
          type,
          reason,
          note,
        );
      }
    };
    switch (state) {
      case 'Expired': {
        const note = `SecurityBaselineException ${name} expired at ${exc?.spec.expires ?? '?'}: SecurityBaseline ${baseline ?? '?'} enforces ${parts} again`;
        this.deps.events.record(target, 'Normal', 'ExceptionExpired', note);
        onBaseline('Normal', 'ExceptionExpired', note);
        break;
      }
      case 'Active': {
        const note = `SecurityBaselineException ${name} lifts ${parts} of SecurityBaseline ${baseline ?? '?'} until ${exc?.spec.expires ?? '?'}: ${exc?.spec.reason ?? ''}`;
        this.deps.events.record(target, 'Normal', 'ExceptionActive', note);
        onBaseline('Normal', 'ExceptionActive', note);
        break;
      }
      case 'Invalid':
        this.deps.events.record(target, 'Warning', 'ExceptionInvalid', `Lifts nothing: ${message(j)}`);
        break;
    }
  }

  private scheduleFlush(): void {
    if (this.cancelFlush !== undefined || this.stopped || this.dirty.size === 0) return;
    this.cancelFlush = this.deps.clock.setTimer(() => {
      this.cancelFlush = undefined;
      void this.flush();
    }, STATUS_BATCH_MS);
  }

  /** Writes the status of every exception marked dirty whose status differs. */
  async flush(): Promise<void> {
    // Statuses marked meanwhile stay marked: flushSoon writes them once the first pass is done.
    if (!this.deps.mayWrite() || !this.deps.settled()) return;
    const names = [...this.dirty];
    this.dirty.clear();
    const judged = new Map(this.current().judged.map((j) => [j.object.metadata.name, j]));
    const now = rfc3339(this.deps.clock.now());
    for (const name of names) {
      const j = judged.get(name);
      if (j === undefined) continue;
      const status = this.statusOf(j, now);
      if (sameStatus(j.object.status, status)) continue;
      try {
        await this.deps.rest.mergePatch('SecurityBaselineException', undefined, name, { status }, 'status');
        this.deps.log.debug('Wrote exception status', { exception: name, state: j.judgement.state });
      } catch (err: unknown) {
        if (err instanceof ApiError && err.status === 404) continue;
        this.deps.log.warn('Failed to write exception status', { exception: name, error: errorMessage(err) });
        this.dirty.add(name);
      }
    }
    this.scheduleFlush();
  }

  private statusOf(j: Judged, now: string): SecurityBaselineExceptionStatus {
    const name = j.object.metadata.name;
    const state = j.judgement.state;
    const namespaces =
      state === 'Active'
        ? [...this.deps.results.values()]
            .filter((r) => (r.exceptions ?? []).includes(name))
            .map((r) => r.namespace)
            .sort()
        : [];
    const previous = j.object.status?.conditions?.[0];
    const status = state === 'Active' ? 'True' : 'False';
    const generation = j.object.metadata.generation ?? 0;
    return {
      observedGeneration: generation,
      conditions: [
        {
          type: 'Active',
          status,
          reason: state,
          message: message(j),
          observedGeneration: generation,
          lastTransitionTime: previous?.status === status && previous.reason === state ? previous.lastTransitionTime : now,
        },
      ],
      namespaces: namespaces.slice(0, EXCEPTION_STATUS_NAMESPACES),
      namespaceCount: namespaces.length,
      namespacesTruncated: namespaces.length > EXCEPTION_STATUS_NAMESPACES,
    };
  }
}

/** The condition's message: what the exception does, or why it does nothing. */
function message(j: Judged): string {
  const exc = j.parsed.ok ? j.parsed.exception : undefined;
  switch (j.judgement.state) {
    case 'Active':
      return `Lifts ${exc?.spec.exempt.join(', ') ?? ''} of SecurityBaseline ${exc?.spec.baseline ?? ''} until ${exc?.spec.expires ?? ''}`;
    case 'Expired':
      return `Expired at ${exc?.spec.expires ?? ''}: SecurityBaseline ${exc?.spec.baseline ?? ''} enforces every part again`;
    case 'Invalid':
      return `${j.judgement.field}: ${j.judgement.message}`;
  }
}

function sameStatus(a: SecurityBaselineExceptionStatus | undefined, b: SecurityBaselineExceptionStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
