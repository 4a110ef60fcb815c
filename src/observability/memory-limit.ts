/**
 * A soft limit on the process's resident memory, as Go's GOMEMLIMIT is for its heap. V8 keeps
 * the pages an ordinary collection frees, so the operator's RSS stays at its heap's high-water
 * mark (docs/performance.md, "Peak RSS, third look"). An ordinary full collection asked for by
 * the process does not change that: it frees the garbage, and keeps the pages. The last-resort
 * collection ({@link compactingCollection}) compacts the heap and gives the pages back.
 *
 * Every `checkMs` the RSS is read; above the limit, one full collection is run, at most one
 * per `minIntervalMs`. When a collection leaves the RSS above the limit (the live data itself
 * is above it: the limit is too low for this cluster), the next waits twice as long, up to
 * `maxBackoffMs`, and that is said once: a limit set too low costs a collection a minute, not
 * a spiral. So does a limit just under what the work needs: when the RSS is back above the
 * limit as soon as the next collection may run, the wait doubles too, and it is back at the
 * minimum only once the RSS has been under the limit when a collection was allowed. (At 10,000
 * namespaces, moving 5,000 between baselines with 30,000 in the cluster, the RSS came back over
 * 256 MiB within a second of each collection, and the collections, one a second and each several
 * full ones, and the smaller heap they left V8 took half the operator's CPU.) And the
 * collections take at most `maxShare` of the time: one that took 0.8 s (a heap of 120 MB, the
 * last-resort flavour collects until nothing more is freed) waits at least 4 s. (At 5%, a wait
 * of 7 s after a collection of 0.35 s let the RSS reach 303 MB at the end of cold convergence at
 * 10,000, against 269 MB when collections could come a second apart.) Below the limit it costs
 * a read of the RSS per check.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';

export interface SoftMemoryLimitDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly limitBytes: number;
  /** The resident set size now, in bytes. */
  readonly rss: () => number;
  /** A full collection that gives memory back ({@link compactingCollection}). */
  readonly collect: () => void;
  /** Told of each collection: how long it took and how much RSS it gave back. */
  readonly onCollect?: (ms: number, freedBytes: number) => void;
  readonly checkMs?: number;
  readonly minIntervalMs?: number;
  readonly maxBackoffMs?: number;
  /** The most of the time the collections may take (0.2 by default: a collection of `ms` waits at least 5 × `ms`). */
  readonly maxShare?: number;
}

const MIB = 2 ** 20;

/**
 * node's `gc()` (with `--expose-gc`) in V8's last-resort flavour: full collections until one
 * frees nothing more, compacting, and reducing memory (V8's page pool returned to the system).
 * In a heap of 52 MB live spread over 195 MB of pages, an ordinary `gc()` left 195 MB committed
 * and a last-resort one 135 MB (memory-limit.test.ts checks it against the node it runs on).
 */
export function compactingCollection(gc: NodeJS.GCFunction): () => void {
  return () => {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  };
}

export class SoftMemoryLimit {
  private readonly deps: SoftMemoryLimitDeps;
  private readonly checkMs: number;
  private readonly minIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxShare: number;
  private waitMs: number;
  private notBefore = 0;
  /** The RSS was under the limit at a check when a collection was allowed, since the last collection. */
  private underWhenAllowed = true;
  private cancel: (() => void) | undefined;
  private saidTooLow = false;

  constructor(deps: SoftMemoryLimitDeps) {
    if (!(deps.limitBytes > 0)) throw new Error(`a memory limit must be above 0, not ${String(deps.limitBytes)}`);
    this.deps = deps;
    this.checkMs = deps.checkMs ?? 250;
    this.minIntervalMs = deps.minIntervalMs ?? 1000;
    this.maxBackoffMs = deps.maxBackoffMs ?? 60_000;
    this.maxShare = deps.maxShare ?? 0.2;
    if (!(this.maxShare > 0 && this.maxShare <= 1)) throw new Error(`maxShare must be above 0 and at most 1, not ${String(this.maxShare)}`);
    this.waitMs = this.minIntervalMs;
  }

  start(): void {
    const tick = (): void => {
      this.check();
      this.cancel = this.deps.clock.setTimer(tick, this.checkMs);
    };
    this.cancel = this.deps.clock.setTimer(tick, this.checkMs);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** One check: a collection if the RSS is above the limit and the last one was long enough ago. Returns whether it collected. */
  check(): boolean {
    const { clock, limitBytes } = this.deps;
    const before = this.deps.rss();
    const now = clock.now();
    if (before <= limitBytes) {
      if (now >= this.notBefore) this.underWhenAllowed = true;
      return false;
    }
    if (now < this.notBefore) return false;
    // Over the limit again as soon as allowed: the work needs about this much, so each collection buys little.
    const cameBack = !this.underWhenAllowed;
    this.underWhenAllowed = false;
    this.deps.collect();
    const ms = clock.now() - now;
    const after = this.deps.rss();
    this.deps.onCollect?.(ms, Math.max(0, before - after));
    if (cameBack || after > limitBytes) {
      this.waitMs = Math.min(this.waitMs * 2, this.maxBackoffMs);
      if (after > limitBytes && !this.saidTooLow) {
        this.saidTooLow = true;
        this.deps.log.warn('Memory is above the soft limit even after a full collection: raise the limit', {
          limitMiB: Math.round(limitBytes / MIB),
          rssMiB: Math.round(after / MIB),
        });
      }
    } else {
      this.waitMs = this.minIntervalMs;
      this.saidTooLow = false;
    }
    this.notBefore = now + Math.max(this.waitMs, ms / this.maxShare);
    return true;
  }
}
