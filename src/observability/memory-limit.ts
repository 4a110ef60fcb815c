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
 * a spiral. Below the limit it costs a read of the RSS per check.
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
  private waitMs: number;
  private notBefore = 0;
  private cancel: (() => void) | undefined;
  private saidTooLow = false;

  constructor(deps: SoftMemoryLimitDeps) {
    if (!(deps.limitBytes > 0)) throw new Error(`a memory limit must be above 0, not ${String(deps.limitBytes)}`);
    this.deps = deps;
    this.checkMs = deps.checkMs ?? 250;
    this.minIntervalMs = deps.minIntervalMs ?? 1000;
    this.maxBackoffMs = deps.maxBackoffMs ?? 60_000;
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
    if (before <= limitBytes) return false;
    const now = clock.now();
    if (now < this.notBefore) return false;
    this.deps.collect();
    const ms = clock.now() - now;
    const after = this.deps.rss();
    this.deps.onCollect?.(ms, Math.max(0, before - after));
    if (after > limitBytes) {
      this.waitMs = Math.min(this.waitMs * 2, this.maxBackoffMs);
      if (!this.saidTooLow) {
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
    this.notBefore = now + this.waitMs;
    return true;
  }
}
