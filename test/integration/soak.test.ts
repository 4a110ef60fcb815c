/**
 * `make soak` in small, in every test run: 50 namespaces under the tiers silver and gold, a
 * minute of churn (namespaces created and deleted, drift, tier flips, exceptions expiring),
 * the operator as its own process under its ServiceAccount, with loose bounds. It fails a
 * change that leaves the queue full after the churn, a cache holding objects the apiserver
 * no longer has (or missing some it has), or a namespace not at its tier at the end. The
 * slopes are printed, not judged: a minute at 50 namespaces says nothing about a leak.
 */
import { drainOutcome, renderSoak, runSoak, soakRows, type SoakResult } from '../bench/soak.ts';
import { benchEnvironment } from '../support/bench-env.ts';
import { uniqueName } from '../support/cluster.ts';

let close: (() => void) | undefined;
let result: SoakResult;

beforeAll(async () => {
  const bench = await benchEnvironment('soak');
  close = bench.close;
  result = await runSoak(
    bench.env,
    {
      sizes: [50],
      scriptNamespaces: 0,
      latencySamples: 0,
      workers: 16,
      prefix: `${uniqueName('sk')}-`,
      operatorNodeArgs: [],
      operatorLogLevel: 'debug',
    },
    {
      namespaces: 50,
      durationMs: 60_000,
      sampleEveryMs: 5000,
      rate: { namespaces: 1, drift: 2, flips: 2, exceptionEverySeconds: 5, exceptionNamespaces: 3, exceptionTtlSeconds: 8 },
      // The namespace controller finishes about one deleted namespace a second here, slower under a
      // loaded machine: two minutes for what is left of it, and the queue with it (one CI run's did
      // not drain in 60 s; the figure now says what was left).
      settleTimeoutMs: 120_000,
    },
    true,
  );
  process.stdout.write(`${renderSoak(result)}\n`);
}, 420_000);

afterAll(() => {
  close?.();
});

describe('the soak at 50 namespaces for a minute', () => {
  it('churned as asked: namespaces in and out, drift, tier flips, exceptions that expired', () => {
    const o = result.operations;
    expect(o.created).toBeGreaterThanOrEqual(50);
    expect(o.deleted).toBeGreaterThanOrEqual(40);
    expect(o.flipped).toBeGreaterThanOrEqual(80);
    expect(o.edited + o.removed).toBeGreaterThanOrEqual(60);
    expect(o.exceptionsCreated).toBeGreaterThanOrEqual(8);
    // Each exception is deleted a TTL after its expiry: by then the operator had said Expired.
    expect(o.exceptionsExpired).toBe(o.exceptionsCreated);
    expect(o.errors).toEqual({});
  });

  it('drains its queue once the churn stops', () => {
    // What was left, and the operator's warnings, are the failure's message.
    expect(drainOutcome(result)).toBe('drained');
  });

  it('holds in each cache what the apiserver lists, no more', () => {
    expect(result.caches.filter((c) => !c.ok)).toEqual([]);
    expect(result.caches.map((c) => c.cache)).toEqual(expect.arrayContaining(['Namespace', 'NetworkPolicy', 'namespace-results']));
  });

  it('leaves every namespace at its tier, by listing', () => {
    expect(result.compliantByListing).toBe(result.namespacesLeft);
    expect(result.namespacesLeft).toBeGreaterThan(40);
  });

  it('samples memory, with a heap after GC, and states the slopes', () => {
    expect(result.samples.length).toBeGreaterThanOrEqual(10);
    expect(result.samples.some((s) => s.heapAfterGcMb !== undefined)).toBe(true);
    expect(Number.isFinite(result.rssSlopeMbPer10Min)).toBe(true);
    expect(soakRows(result)).toHaveLength(5);
  });
});
