/**
 * Writes each SecurityBaseline's status: which baselines need a write (dirty), which namespaces
 * each still waits for (pending, for Ready) and, after this process starts leading, which it has
 * not looked at yet (warming: until then its counts would cover only some); the ledger of drift
 * times and repairs; and the flush, soon after a change and at most once per interval. The
 * status itself is computed by status.ts (pure); this file decides when, and writes it.
 */
import type { SecurityBaselineException } from '../api/exception.ts';
import type { SecurityBaseline, SecurityBaselineStatus } from '../api/types.ts';
import { formatErrors } from '../api/validate.ts';
import { resolve } from '../baseline/selection.ts';
import { ApiError } from '../kube/transport.ts';
import type { RestClient } from '../kube/rest.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { rfc3339 } from '../lib/time.ts';
import type { Caches, NamespaceObject } from './caches.ts';
import { DriftLedger } from './ledger.ts';
import { namespaceInfo } from './plan.ts';
import type { NamespaceResult } from './reconciler.ts';
import type { ResultsView } from './results.ts';
import { computeStatus, deletingStatus, driftEntries, sameStatus, stalledStatus } from './status.ts';

/** The pause before a status write that gathers the changes one event causes. */
export const STATUS_BATCH_MS = 50;
/** Fields of a repaired drift that a repair entry keeps. */
const REPAIR_FIELDS_MAX = 32;

export interface StatusWriterDeps {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly caches: Pick<
    Caches,
    'baseline' | 'baselineObjectList' | 'baselines' | 'parse' | 'namespace' | 'objectsOf' | 'affectedBy' | 'posture'
  >;
  /** The latest result of every namespace reconciled, and those each baseline governs or loses. */
  readonly results: ResultsView;
  readonly operatorNamespace: string | undefined;
  /** Status is written at most once per baseline per interval. */
  readonly statusIntervalMs: number;
  /** False while this process may not write (a follower), or has not started. */
  readonly mayWrite: () => boolean;
  /** A baseline's active SecurityBaselineExceptions (exceptions.ts). */
  readonly activeExceptions?: (baseline: string) => readonly SecurityBaselineException[];
}

export class StatusWriter {
  private readonly deps: StatusWriterDeps;
  /** Namespaces still to reconcile since each baseline last changed. */
  private readonly pending = new Map<string, Set<string>>();
  /**
   * Namespaces not reconciled since this process started leading: until each baseline's
   * have been, its status would count only some of them, so it is not written.
   */
  private readonly warming = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private readonly ledger = new DriftLedger();
  /** When the last write was answered: the interval counts from there. */
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private cancelFlush: (() => void) | undefined;
  /** The flush the timer started, while it runs. */
  private writing: Promise<void> | undefined;
  /** A baseline was marked dirty while a flush ran: the next is scheduled once it ends. */
  private dirtiedWhileWriting = false;
  private stopped = false;

  constructor(deps: StatusWriterDeps) {
    this.deps = deps;
  }

  /** Every baseline's status waits until the namespaces it governs or selects have each been reconciled. */
  beginWarming(): void {
    const { caches, results } = this.deps;
    this.warming.clear();
    for (const b of caches.baselineObjectList()) {
      const set = new Set(
        [...caches.affectedBy(b.metadata.name, b, results.concerning(b.metadata.name))].filter((ns) => caches.namespace(ns) !== undefined),
      );
      if (set.size > 0) this.warming.set(b.metadata.name, set);
      this.markDirty(b.metadata.name);
    }
  }

  /** A baseline changed: each of these namespaces counts as pending until it is reconciled. */
  baselineChanged(name: string, affected: ReadonlySet<string>): void {
    this.pending.set(name, new Set(affected));
  }

  /** A baseline is gone: its drift times and repairs too. */
  baselineDeleted(name: string): void {
    this.ledger.forget(name);
  }

  /** How many namespaces a baseline still waits for. */
  waitingOn(name: string): number {
    return this.pending.get(name)?.size ?? 0;
  }

  /** A deleted baseline's cleanup is done: it waits for nothing more. */
  cleanedUp(name: string): void {
    this.pending.delete(name);
  }

  /**
   * A namespace that a baseline now wins but has not been reconciled under it
   * counts as pending for that baseline, so its Ready waits for it.
   */
  trackNewlySelected(ns: NamespaceObject): void {
    const { winner } = resolve(this.deps.caches.baselines().valid, namespaceInfo(ns), this.deps.operatorNamespace);
    if (winner === undefined || this.deps.results.get(ns.metadata.name)?.baseline?.name === winner.metadata.name) return;
    const set = this.pending.get(winner.metadata.name) ?? new Set<string>();
    set.add(ns.metadata.name);
    this.pending.set(winner.metadata.name, set);
    this.markDirty(winner.metadata.name);
  }

  /** A namespace was reconciled, from `before` to `result`: the baselines it counts for may change. */
  reconciled(namespace: string, before: NamespaceResult | undefined, result: NamespaceResult | undefined): void {
    for (const [b, set] of this.warming) {
      if (set.delete(namespace) && set.size === 0) {
        this.warming.delete(b);
        this.markDirty(b);
      }
    }
    // A namespace that failed stays pending: status keeps saying what it waits for.
    if (result?.error === undefined && result?.waitingForFinalizer !== true) {
      for (const [b, set] of this.pending) {
        if (set.delete(namespace)) this.markDirty(b);
      }
    }
    for (const r of [before, result]) {
      if (r === undefined) continue;
      if (r.baseline !== undefined) this.markDirty(r.baseline.name);
      for (const s of r.superseded) this.markDirty(s);
    }
  }

  /**
   * Drift put right in a namespace that already held this generation of its
   * baseline is a repair; bringing a namespace to a baseline or a new
   * generation for the first time is not (nor finishing a rollout that had
   * been waiting for the finalizer or had failed part-way). Returns how many.
   */
  recordRepairs(before: NamespaceResult | undefined, result: NamespaceResult | undefined): number {
    const b = result?.baseline;
    if (result === undefined || b === undefined || result.repaired.length === 0) return 0;
    // "Held": reconciled under this generation, and left with nothing but conflicts to fix.
    const held =
      before?.baseline?.name === b.name &&
      before.baseline.generation === b.generation &&
      before.error === undefined &&
      before.waitingForFinalizer !== true &&
      before.drift.every((d) => d.reason === 'Conflict');
    if (!held) return 0;
    const repairedAt = rfc3339(this.deps.clock.now());
    this.ledger.seed(b.name, this.deps.caches.baseline(b.name)?.status);
    this.ledger.repaired(
      b.name,
      result.repaired.map((d) => ({
        namespace: result.namespace,
        kind: d.kind,
        name: d.name,
        reason: d.reason,
        ...(d.fields === undefined || d.fields.length === 0 ? {} : { fields: d.fields.slice(0, REPAIR_FIELDS_MAX) }),
        repairedAt,
      })),
    );
    return result.repaired.length;
  }

  /**
   * Status is written soon after a change (a short pause gathers the burst one
   * event causes) and at most once per interval under churn. The interval runs from
   * when the last write was answered, not when it was sent: a slow write does not bring
   * the next one closer, and one flush never overlaps another.
   */
  markDirty(baseline: string): void {
    this.dirty.add(baseline);
    if (this.writing !== undefined) {
      this.dirtiedWhileWriting = true;
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.cancelFlush !== undefined || this.stopped) return;
    const delay = Math.max(STATUS_BATCH_MS, this.lastWriteAt + this.deps.statusIntervalMs - this.deps.clock.now());
    this.cancelFlush = this.deps.clock.setTimer(() => {
      this.cancelFlush = undefined;
      void this.startFlush();
    }, delay);
  }

  /** A flush, tracked as `writing` while it runs; a change meanwhile is scheduled once it ends. */
  private startFlush(): Promise<void> {
    this.writing = this.flush().finally(() => {
      this.writing = undefined;
      if (!this.dirtiedWhileWriting) return;
      this.dirtiedWhileWriting = false;
      this.schedule();
    });
    return this.writing;
  }

  /** Resolves once a write under way has ended and any status waiting for its interval is written. */
  async flushNow(): Promise<void> {
    // A flush the timer started is awaited too: callers (settle) rely on status being written.
    await this.writing;
    if (this.cancelFlush === undefined) return;
    this.cancelFlush();
    this.cancelFlush = undefined;
    await this.startFlush();
  }

  /** Stops the timer and writes what is pending; later changes schedule no write. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    await this.writing;
    await this.flush();
  }

  /** Writes the status of every baseline marked dirty, skipping those whose status would not change. */
  private async flush(): Promise<void> {
    if (!this.deps.mayWrite()) return;
    const { caches, results } = this.deps;
    // Those still warming stay dirty: the last namespace they wait for marks them again.
    const names = [...this.dirty].filter((n) => !this.warming.has(n));
    for (const n of names) this.dirty.delete(n);
    const now = rfc3339(this.deps.clock.now());
    for (const name of names) {
      const obj = caches.baseline(name);
      if (obj === undefined) continue;
      const generation = obj.metadata.generation ?? 0;
      const parsed = caches.parse(obj);
      const waiting = [...(this.pending.get(name) ?? [])];
      const status =
        obj.metadata.deletionTimestamp !== undefined
          ? deletingStatus({
              generation,
              waiting,
              failures: waiting.flatMap((ns) => {
                const e = results.get(ns)?.error;
                return e === undefined ? [] : [`${ns} (${e})`];
              }),
              objectsLeft: caches.objectsOf(name),
              previous: obj.status,
              now,
            })
          : parsed.ok
            ? this.liveStatus(parsed.baseline, waiting.length, obj.status, now)
            : stalledStatus(
                generation,
                parsed.errors.map((e) => formatErrors([e])),
                obj.status,
                now,
              );
      if (sameStatus(obj.status, status)) continue;
      try {
        await this.deps.rest
          .mergePatch(
            'SecurityBaseline',
            undefined,
            name,
            { status: { ...nulls(obj.status), ...status, lastReconcileTime: now } },
            'status',
          )
          .finally(() => {
            // Answered (or failed): the interval counts from now, before a retry is scheduled.
            this.lastWriteAt = this.deps.clock.now();
          });
        this.deps.log.debug('Wrote status', { baseline: name, generation });
      } catch (err: unknown) {
        // Gone meanwhile (its finalizer was just removed): nothing to report on.
        if (err instanceof ApiError && err.status === 404) continue;
        this.deps.log.warn('Failed to write status', { baseline: name, error: errorMessage(err) });
        this.markDirty(name);
      }
    }
  }

  /** A valid baseline's status; the ledger supplies drift times and repairs, the posture watch findings. */
  private liveStatus(
    baseline: SecurityBaseline,
    pending: number,
    previous: SecurityBaselineStatus | undefined,
    now: string,
  ): SecurityBaselineStatus {
    const { results } = this.deps;
    const { name, generation } = baseline.metadata;
    this.ledger.seed(name, previous);
    const selected = [...results.governedBy(name)];
    const since = (key: string): string => this.ledger.since(name, key, now);
    this.ledger.keepOnly(name, driftEntries(selected, since).keys);
    const findings = this.deps.caches.posture.findings(baseline.spec.namespaceSelector, (ns) => results.get(ns)?.baseline?.name === name);
    for (const r of selected) if (r.podSecurity !== undefined) findings.push(...r.podSecurity.findings);
    return computeStatus({
      name,
      generation,
      pending,
      results: results.concerning(name),
      previous,
      now,
      since,
      repairs: this.ledger.repairs(name),
      findings,
      exceptions: this.deps.activeExceptions?.(name) ?? [],
    });
  }
}

/** A merge patch that clears every top-level status field the new status leaves out. */
function nulls(previous: SecurityBaselineStatus | undefined): Record<string, null> {
  return Object.fromEntries(Object.keys(previous ?? {}).map((k) => [k, null]));
}
