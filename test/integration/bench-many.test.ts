/**
 * `make bench-baselines` in small, in every test run: 60 namespaces governed in turn by 1, 3
 * and 6 baselines with disjoint selectors, the operator as its own process under its
 * ServiceAccount, against the floor, with loose bounds (the cluster is shared with other
 * tests). It keeps the benchmark working, and fails a change that leaves namespaces
 * unreconciled under several baselines, leaves a deleted baseline's objects behind, or writes
 * on a resync.
 */
import { manyRows, renderMany, runManyBench, type ManyResult } from '../bench/many.ts';
import { benchEnvironment } from '../support/bench-env.ts';
import { uniqueName } from '../support/cluster.ts';

let close: (() => void) | undefined;
let result: ManyResult;

beforeAll(async () => {
  const bench = await benchEnvironment('many-bench');
  close = bench.close;
  result = await runManyBench(
    bench.env,
    { sizes: [60], scriptNamespaces: 0, latencySamples: 0, workers: 16, prefix: `${uniqueName('mb')}-`, operatorNodeArgs: [] },
    [1, 3, 6],
    true,
    // Two rounds of label changes over the 60; no warm-up of the floor (5 s), a 1 s idle sample, for time.
    { events: 120, warmUp: false, idleSampleMs: 1000 },
  );
}, 600_000);

afterAll(() => {
  close?.();
});

describe('the many-baselines benchmark at 60 namespaces', () => {
  it('converges every namespace at each count, checked by listing, within a loose multiple of the floor', () => {
    expect(result.steps.map((s) => s.baselines)).toEqual([1, 3, 6]);
    for (const step of result.steps) {
      expect(step.verifiedByListing).toBe(60);
      expect(step.ratio).toBeLessThan(5);
    }
  });

  it('removes the previous baselines and their objects between counts', () => {
    // runManyBench throws if an object of a deleted baseline is left; here, that it happened.
    expect(result.steps.slice(1).every((s) => s.replaceMs > 0)).toBe(true);
  });

  it('writes nothing on a resync at any count', () => {
    // The operator's own count: the shared cluster has other clients' writes.
    for (const step of result.steps) expect(step.resync.operatorWrites).toBe(0);
  });

  it('handles a namespace label change no baseline selects on without a request', () => {
    for (const step of result.steps) {
      expect(step.events.count).toBe(120);
      expect(step.events.operatorRequests).toBeLessThan(5);
      // What the operator's requests were, every client's but the changes themselves; and its idle CPU beside.
      expect(step.events.otherRequests).not.toHaveProperty(['PATCH namespaces']);
      expect(step.events.idleCpuMsPerSecond).toBeGreaterThanOrEqual(0);
    }
  });

  it('renders its figures and judges each target', () => {
    expect(renderMany(result)).toContain('many baselines over 60 namespaces');
    expect(manyRows(result)).toHaveLength(9);
  });
});
