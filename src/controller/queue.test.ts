import { FakeClock } from '../../test/support/fake-clock.ts';
import { Fifo, WorkQueue, type Outcome, type QueueOptions } from './queue.ts';

const tick = async (): Promise<void> => {
  await new Promise((r) => setImmediate(r));
};

function setup(handler: (key: string) => Promise<Outcome>, overrides: Partial<QueueOptions> = {}): { q: WorkQueue; clock: FakeClock } {
  const clock = new FakeClock();
  const q = new WorkQueue(handler, {
    workers: 2,
    baseBackoffMs: 10,
    maxBackoffMs: 80,
    ratePerSecond: 1000,
    burst: 1000,
    sliceMs: 20,
    defer: (fn) => {
      setImmediate(fn);
    },
    clock,
    ...overrides,
  });
  return { q, clock };
}

describe('WorkQueue', () => {
  it('lets the event loop in after each slice of work done without I/O', async () => {
    // Each key takes 5 ms of (fake) time and resolves at once, as a compliant namespace judged from cache does.
    const clock = new FakeClock();
    const done: string[] = [];
    const deferred: (() => void)[] = [];
    const q = new WorkQueue(
      async (key) => {
        clock.advance(5);
        done.push(key);
        return Promise.resolve({ kind: 'done' } as const);
      },
      {
        workers: 2,
        baseBackoffMs: 10,
        maxBackoffMs: 80,
        ratePerSecond: 1000,
        burst: 1000,
        sliceMs: 20,
        clock,
        defer: (fn) => {
          deferred.push(fn);
        },
      },
    );
    for (let i = 0; i < 10; i++) q.add(`ns-${String(i)}`);
    // Microtasks only: without the slice, all ten would run before any I/O callback.
    for (let i = 0; i < 50; i++) await Promise.resolve();
    expect(done.length).toBeGreaterThanOrEqual(4);
    expect(done.length).toBeLessThan(10);
    expect(deferred).toHaveLength(1);
    let turns = 0;
    while (deferred.length > 0) {
      turns++;
      deferred.shift()?.();
      for (let i = 0; i < 50; i++) await Promise.resolve();
    }
    expect(done).toHaveLength(10);
    expect(new Set(done).size).toBe(10);
    expect(turns).toBeGreaterThanOrEqual(2);
    await q.whenIdle();
    // Idle again: the next key is handed out at once, not after a deferral.
    clock.advance(1000);
    q.add('late');
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(done).toContain('late');
    expect(deferred).toHaveLength(0);
  });

  it('says whether it holds a key: delayed, in flight, then not once done', async () => {
    let release: () => void = () => undefined;
    const { q, clock } = setup(async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { kind: 'done' };
    });
    q.addAfter('a', 100);
    expect([q.holds('a'), q.holds('b')]).toEqual([true, false]);
    clock.advance(100);
    await tick();
    expect(q.holds('a')).toBe(true);
    release();
    await q.whenIdle();
    expect(q.holds('a')).toBe(false);
  });

  it('collapses duplicate adds of a waiting key', async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { q } = setup(
      async (k) => {
        await gate;
        seen.push(k);
        return { kind: 'done' };
      },
      { workers: 1 },
    );
    q.add('first');
    for (let i = 0; i < 5; i++) q.add('ns-a');
    expect(q.size).toBe(2);
    release();
    await q.whenIdle();
    expect(seen).toEqual(['first', 'ns-a']);
  });

  it('never runs one key on two workers at once, and runs it again if it changed meanwhile', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const { q } = setup(
      async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs++;
        if (runs === 1)
          await new Promise<void>((r) => {
            release = r;
          });
        concurrent--;
        return { kind: 'done' };
      },
      { workers: 4 },
    );
    q.add('ns');
    await tick();
    q.add('ns');
    q.add('ns');
    await tick();
    expect(runs).toBe(1);
    release();
    await q.whenIdle();
    await tick();
    await q.whenIdle();
    expect(runs).toBe(2);
    expect(maxConcurrent).toBe(1);
  });

  it('runs different keys in parallel up to the worker count', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const { q } = setup(
      async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await tick();
        concurrent--;
        return { kind: 'done' };
      },
      { workers: 3 },
    );
    for (let i = 0; i < 10; i++) q.add(`ns-${String(i)}`);
    await q.whenIdle();
    expect(maxConcurrent).toBe(3);
  });

  it('resets the failure count on success', async () => {
    let fail = 2;
    const { q, clock } = setup(async () => (fail-- > 0 ? { kind: 'retry', error: new Error('boom') } : { kind: 'done' }));
    q.add('ns');
    await q.whenIdle();
    expect(q.failuresOf('ns')).toBe(1);
    clock.advance(10);
    await q.whenIdle();
    expect(q.failuresOf('ns')).toBe(2);
    clock.advance(20);
    await q.whenIdle();
    expect(q.failuresOf('ns')).toBe(0);
  });

  it('computes the backoff per key: 10, 20, 40, 80, 80', async () => {
    const times: number[] = [];
    const { q, clock } = setup(async () => {
      times.push(clock.now());
      return { kind: 'retry', error: 'x' };
    });
    q.add('ns');
    await q.whenIdle();
    for (let step = 0; step < 300; step++) {
      clock.advance(1);
      await q.whenIdle();
    }
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps.slice(0, 5)).toEqual([10, 20, 40, 80, 80]);
  });

  it('treats a thrown error as a retry', async () => {
    let calls = 0;
    const { q, clock } = setup(async () => {
      calls++;
      if (calls === 1) throw new Error('unexpected');
      return { kind: 'done' };
    });
    q.add('ns');
    await q.whenIdle();
    expect(q.failuresOf('ns')).toBe(1);
    clock.advance(10);
    await q.whenIdle();
    expect(calls).toBe(2);
  });

  it('lets a fresh add overtake a pending backoff', async () => {
    let calls = 0;
    const { q } = setup(
      async () => {
        calls++;
        return calls === 1 ? { kind: 'retry', error: 'x' } : { kind: 'done' };
      },
      { baseBackoffMs: 60_000, maxBackoffMs: 60_000 },
    );
    q.add('ns');
    await q.whenIdle();
    q.add('ns');
    await q.whenIdle();
    expect(calls).toBe(2);
  });

  it('hands out plain adds without limit', async () => {
    let calls = 0;
    const { q } = setup(
      async () => {
        calls++;
        return { kind: 'done' };
      },
      { ratePerSecond: 10, burst: 3, workers: 8 },
    );
    for (let i = 0; i < 100; i++) q.add(`ns-${String(i)}`);
    await q.whenIdle();
    expect(calls).toBe(100);
  });

  it('holds retries back when the global rate limit runs out', async () => {
    const calls = new Map<string, number>();
    const { q, clock } = setup(
      async (key) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return (calls.get(key) ?? 0) === 1 ? { kind: 'retry', error: new Error('boom') } : { kind: 'done' };
      },
      { ratePerSecond: 10, burst: 3, workers: 8, baseBackoffMs: 1, maxBackoffMs: 1 },
    );
    for (let i = 0; i < 10; i++) q.add(`ns-${String(i)}`);
    await q.whenIdle();
    const retried = (): number => [...calls.values()].filter((n) => n === 2).length;
    // Three tokens: three retries after the 1 ms backoff; the rest wait for tokens at 10 per second.
    clock.advance(1);
    await q.whenIdle();
    expect(retried()).toBe(3);
    clock.advance(100);
    await q.whenIdle();
    expect(retried()).toBe(4);
    clock.advance(1000);
    for (let i = 0; i < 10; i++) await q.whenIdle();
    expect(retried()).toBe(10);
  });

  it('requeues after a delay without counting a failure', async () => {
    let calls = 0;
    const { q, clock } = setup(async () => {
      calls++;
      return calls === 1 ? { kind: 'requeueAfter', delayMs: 500 } : { kind: 'done' };
    });
    q.add('ns');
    await q.whenIdle();
    expect(q.failuresOf('ns')).toBe(0);
    clock.advance(499);
    await q.whenIdle();
    expect(calls).toBe(1);
    clock.advance(1);
    await q.whenIdle();
    expect(calls).toBe(2);
  });

  it('drains in-flight work on shutdown and takes nothing new', async () => {
    let finished = 0;
    let release: () => void = () => undefined;
    const { q } = setup(
      async () => {
        await new Promise<void>((r) => {
          release = r;
        });
        finished++;
        return { kind: 'done' };
      },
      { workers: 1 },
    );
    q.add('a');
    q.add('b');
    await tick();
    const done = q.shutdown();
    q.add('c');
    release();
    await done;
    expect(finished).toBe(1);
    expect(q.size).toBe(0);
  });
});

describe('WorkQueue giving way to another', () => {
  /** A reconcile queue whose keys wait on `release`, and a report queue giving way to it for up to 1,000 ms. */
  function pair(): {
    readonly reconciles: WorkQueue;
    readonly reports: WorkQueue;
    readonly clock: FakeClock;
    readonly written: string[];
    readonly release: () => void;
    readonly finish: () => Promise<void>;
  } {
    let finished = false;
    let gate: () => void = () => undefined;
    let opened = new Promise<void>((r) => {
      gate = r;
    });
    const { q: reconciles, clock } = setup(async () => {
      if (!finished) await opened;
      return { kind: 'done' };
    });
    const written: string[] = [];
    const { q: reports } = setup(
      async (key) => {
        written.push(key);
        return Promise.resolve({ kind: 'done' } as const);
      },
      { clock, giveWay: { to: () => reconciles, maxMs: 1000 } },
    );
    const release = (): void => {
      gate();
      opened = new Promise<void>((r) => {
        gate = r;
      });
    };
    /** Lets every reconcile, running or to come, end; resolves once none is left. */
    const finish = async (): Promise<void> => {
      finished = true;
      gate();
      await reconciles.whenIdle();
    };
    return { reconciles, reports, clock, written, release, finish };
  }

  it('hands out nothing while the other has keys waiting, and everything once none waits', async () => {
    const { reconciles, reports, written, release, finish } = pair();
    // Two workers busy, three keys waiting.
    for (const ns of ['a', 'b', 'c', 'd', 'e']) reconciles.add(ns);
    await tick();
    expect(reconciles.waiting).toBe(3);
    reports.add('report-a');
    reports.add('report-b');
    await tick();
    expect(written).toEqual([]);
    // c and d start, e still waits.
    release();
    await tick();
    expect(reconciles.waiting).toBe(1);
    expect(written).toEqual([]);
    // e starts: none waits, though two still run.
    release();
    await tick();
    expect(reconciles.waiting).toBe(0);
    await reports.whenIdle();
    expect(written).toEqual(['report-a', 'report-b']);
    await finish();
  });

  it('hands out at once when the other has nothing waiting', async () => {
    const { reconciles, reports, written, finish } = pair();
    reconciles.add('a');
    reconciles.add('b');
    await tick();
    // Both run, none waits.
    reports.add('report-a');
    await reports.whenIdle();
    expect(written).toEqual(['report-a']);
    await finish();
  });

  it('hands out a key that has waited maxMs even while the other stays backed up', async () => {
    const { reconciles, reports, clock, written, finish } = pair();
    for (const ns of ['a', 'b', 'c']) reconciles.add(ns);
    await tick();
    reports.add('old');
    clock.advance(600);
    reports.add('young');
    await tick();
    clock.advance(399);
    await tick();
    expect(written).toEqual([]);
    // 'old' has waited 1,000 ms: handed out, and 'young' with it (the pump hands out what workers it has).
    clock.advance(1);
    await tick();
    expect(written).toEqual(['old', 'young']);
    // A key added now gives way again.
    reports.add('next');
    await tick();
    expect(written).toEqual(['old', 'young']);
    clock.advance(1000);
    await tick();
    expect(written).toEqual(['old', 'young', 'next']);
    await finish();
  });

  it('writes nothing held back once shut down, whatever happens after', async () => {
    const { reconciles, reports, clock, written, finish } = pair();
    for (const ns of ['a', 'b', 'c']) reconciles.add(ns);
    await tick();
    reports.add('held');
    await tick();
    await reports.shutdown();
    clock.advance(5000);
    await finish();
    await tick();
    expect(written).toEqual([]);
    expect(reports.size).toBe(0);
  });
});

describe('Fifo', () => {
  it('keeps order through pushes and shifts, across the compaction of taken items', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(next++);
      for (let i = 0; i < 200; i++) out.push(q.shift() ?? -1);
    }
    while (q.length > 0) out.push(q.shift() ?? -1);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(q.shift()).toBeUndefined();
    q.push(1);
    q.clear();
    expect(q.length).toBe(0);
  });

  it('takes 400,000 keys in and out in linear time (Array.prototype.shift took 20 s here: loose sanity bound)', () => {
    const q = new Fifo<string>();
    const started = performance.now();
    for (let i = 0; i < 400_000; i++) q.push(`ns-${String(i)}`);
    let n = 0;
    while (q.shift() !== undefined) n++;
    expect(n).toBe(400_000);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
