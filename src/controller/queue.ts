/**
 * A work queue keyed by string (a namespace name), in the manner of client-go's
 * rate-limited work queue:
 * - a key added while it waits is not added twice;
 * - a key is never handed to two workers at once; added while in flight, it is
 *   processed once more after the current run ends;
 * - a failed key is retried after a per-key exponential backoff, reset on success;
 * - retries also pass a global token bucket (the later of the two delays wins), so a
 *   storm of failures cannot flood the apiserver. Plain adds are not limited: a
 *   resync or a new baseline reaches every namespace as fast as workers take them
 *   (client-go limits only AddRateLimited, the same way).
 * - work runs in slices: a handler that finishes without I/O (a compliant
 *   namespace judged from cache) resolves in a microtask, so a resync of
 *   10,000 namespaces would chain through microtasks in one turn of the event
 *   loop, and metrics scrapes, health probes, watch events and the leader's
 *   lease renewal would wait seconds for it. After `sliceMs` of work the queue
 *   hands out its next key from `defer` (setImmediate), letting I/O in first.
 * - a queue may give way to another (`giveWay`): while the other has keys waiting for a
 *   worker, this one hands out none, unless its oldest key has waited `maxMs`. Reports give
 *   way to reconciles: while thousands of namespaces converge, the apiserver's time goes to
 *   their protection first, and their Reports are written once it has some to spare.
 * Time comes from an injected clock and timer, so tests control it.
 */
import type { Clock } from '../lib/clock.ts';

/** What a worker's run of one key ended in. */
export type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly error: unknown }
  /** Come back after a fixed delay without counting a failure (e.g. waiting for a cache). */
  | { readonly kind: 'requeueAfter'; readonly delayMs: number };

export interface QueueOptions {
  readonly workers: number;
  /** First retry delay; doubles per consecutive failure up to maxBackoffMs. */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Global token bucket for retries: sustained retries per second, and burst. */
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly clock: Clock;
  /** Told how long each key waited before a worker took it. */
  readonly onDequeue?: (waitedMs: number) => void;
  /** How long keys may be handed out back to back before the queue lets the event loop run. */
  readonly sliceMs: number;
  /** Runs `fn` once pending I/O has had its turn. */
  readonly defer: (fn: () => void) => void;
  /** The queue this one gives way to (see the file's comment), and for how long at most. */
  readonly giveWay?: { readonly to: () => Backlog; readonly maxMs: number };
}

/** What a queue that gives way sees of the other: whether keys wait, and when none does. */
export interface Backlog {
  /** Keys waiting for a worker (not those in flight, nor delayed ones). */
  readonly waiting: number;
  /** Resolves once no key waits for a worker. */
  whenDrained(): Promise<void>;
}

export const defaultQueueOptions: Omit<QueueOptions, 'clock'> = {
  workers: 4,
  baseBackoffMs: 5,
  maxBackoffMs: 5 * 60_000,
  ratePerSecond: 50,
  burst: 500,
  sliceMs: 20,
  defer: (fn) => {
    setImmediate(fn);
  },
};

/**
 * First in, first out, O(1) at both ends. `Array.prototype.shift` moves every element once an
 * array's backing store is too big for V8 to trim in place (a large object: past some 16,000
 * keys), so a resync of 20,000 namespaces spent a quarter of its CPU shifting the ready list
 * (profiled at 10,000 namespaces; at 2,000 it did not show).
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head += 1;
    // Taken items are dropped once they are half the array: amortised O(1).
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Processes one key; never called twice at once for the same key. */
export type Handler = (key: string) => Promise<Outcome>;

export class WorkQueue implements Backlog {
  private readonly ready = new Fifo<string>();
  private readonly queued = new Map<string, number>();
  private readonly active = new Set<string>();
  /** Keys added again while in flight: they go back on the queue when the run ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { readonly at: number; readonly cancel: () => void }>();
  private tokens: number;
  private lastRefill: number;
  private running = 0;
  private stopped = false;
  /** When the current slice of work began (unset while idle), and whether a deferred pump is pending. */
  private sliceStart: number | undefined;
  private deferred = false;
  private idleWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  /** Set while this queue gives way, until the other drains or the oldest key's wait runs out. */
  private givingWay: { cancel: () => void } | undefined;

  private readonly handler: Handler;
  private readonly opts: QueueOptions;

  constructor(handler: Handler, opts: QueueOptions) {
    this.handler = handler;
    this.opts = opts;
    this.tokens = opts.burst;
    this.lastRefill = opts.clock.now();
  }

  /** Adds a key now (collapsing with a waiting or delayed copy). */
  add(key: string): void {
    if (this.stopped) return;
    const delayed = this.delayed.get(key);
    if (delayed !== undefined) {
      delayed.cancel();
      this.delayed.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.set(key, this.opts.clock.now());
    this.ready.push(key);
    this.pump();
  }

  /** Adds a key after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.opts.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing !== undefined && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.opts.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel });
  }

  /** Whether `key` waits, is delayed or is in flight. */
  holds(key: string): boolean {
    return this.queued.has(key) || this.delayed.has(key) || this.active.has(key);
  }

  /** Keys waiting, delayed or in flight. */
  get size(): number {
    return this.queued.size + this.delayed.size + this.active.size;
  }

  /** True while a key waits or runs (delayed keys do not count, as for whenIdle). */
  get busy(): boolean {
    return this.running > 0 || (this.ready.length > 0 && !this.stopped);
  }

  get waiting(): number {
    return this.ready.length;
  }

  /** Resolves once no key waits for a worker (keys in flight may still run). */
  async whenDrained(): Promise<void> {
    if (this.ready.length === 0 || this.stopped) return;
    await new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
    });
  }

  /** Consecutive failures of a key so far. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Stops handing out keys, drops delayed ones, and resolves when in-flight runs end. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    this.ready.clear();
    this.queued.clear();
    this.givingWay?.cancel();
    this.givingWay = undefined;
    this.notifyIdle();
    await this.whenIdle();
  }

  /** Resolves once nothing is waiting or in flight (delayed keys do not count). */
  async whenIdle(): Promise<void> {
    if (this.running === 0 && (this.ready.length === 0 || this.stopped)) return;
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  private backoff(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.max(0, n - 1));
  }

  /** Reserves a token for one retry; returns how long the retry must wait for it. */
  private reserveToken(): number {
    const now = this.opts.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.ratePerSecond);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.opts.ratePerSecond) * 1000);
  }

  private pump(): void {
    if (this.deferred) return;
    this.sliceStart ??= this.opts.clock.now();
    if (this.ready.length > 0 && this.opts.clock.now() - this.sliceStart >= this.opts.sliceMs) {
      this.deferred = true;
      this.opts.defer(() => {
        this.deferred = false;
        this.sliceStart = this.opts.clock.now();
        this.pump();
      });
      return;
    }
    if (this.mustGiveWay()) {
      this.notifyIdle();
      return;
    }
    while (!this.stopped && this.running < this.opts.workers && this.ready.length > 0) {
      const key = this.ready.shift();
      if (key === undefined) break;
      this.opts.onDequeue?.(this.opts.clock.now() - (this.queued.get(key) ?? this.opts.clock.now()));
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.run(key);
    }
    this.notifyIdle();
  }

  private async run(key: string): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.handler(key);
    } catch (error: unknown) {
      outcome = { kind: 'retry', error };
    }
    this.active.delete(key);
    this.running--;
    switch (outcome.kind) {
      case 'done':
        this.failures.delete(key);
        break;
      case 'retry':
        this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
        this.addAfter(key, Math.max(this.backoff(key), this.reserveToken()));
        break;
      case 'requeueAfter':
        this.failures.delete(key);
        this.addAfter(key, outcome.delayMs);
        break;
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }

  /**
   * True while the queue this one gives way to has keys waiting and this one's oldest has not
   * waited `maxMs`; the pump then runs again once the other drains or the wait runs out.
   */
  private mustGiveWay(): boolean {
    if (this.givingWay !== undefined) return true;
    const giveWay = this.opts.giveWay;
    const oldest = this.ready.peek();
    if (giveWay === undefined || oldest === undefined || this.stopped) return false;
    const other = giveWay.to();
    if (other.waiting === 0) return false;
    const left = (this.queued.get(oldest) ?? 0) + giveWay.maxMs - this.opts.clock.now();
    if (left <= 0) return false;
    const episode = { cancel: (): void => undefined };
    const resume = (): void => {
      if (this.givingWay !== episode) return;
      this.givingWay = undefined;
      episode.cancel();
      this.pump();
    };
    this.givingWay = episode;
    episode.cancel = this.opts.clock.setTimer(resume, left);
    void other.whenDrained().then(resume);
    return true;
  }

  private notifyIdle(): void {
    if (this.ready.length === 0 || this.stopped) {
      const drained = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of drained) w();
    }
    if (this.running === 0 && (this.ready.length === 0 || this.stopped)) {
      this.sliceStart = undefined;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
