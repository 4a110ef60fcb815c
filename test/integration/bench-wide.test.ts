/**
 * `make bench-wide` in small, in every test run: 50 namespaces brought to the standard bench
 * baseline, then (that baseline deleted, its objects gone) to the wide one with 10 workload
 * ServiceAccounts, the operator as its own process under its ServiceAccount, against the floor
 * making the same objects, with loose bounds (the cluster is shared with other tests). It keeps
 * the benchmark working, and fails a change that leaves a wide baseline's objects unmade,
 * makes objects the floor does not, or leaves the deleted baseline's objects behind.
 */
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT } from '../../src/api/constants.ts';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { desiredObjects } from '../../src/baseline/build.ts';
import { renderWide, runWideBench, WIDE_SPEC, wideRows, type WideResult } from '../bench/wide.ts';
import { benchEnvironment } from '../support/bench-env.ts';
import { uniqueName } from '../support/cluster.ts';

const NAMESPACES = 50;

let close: (() => void) | undefined;
let result: WideResult;

beforeAll(async () => {
  const bench = await benchEnvironment('wide-bench');
  close = bench.close;
  result = await runWideBench(
    bench.env,
    { sizes: [NAMESPACES], scriptNamespaces: 0, latencySamples: 0, workers: 16, prefix: `${uniqueName('wb')}-`, operatorNodeArgs: [] },
    NAMESPACES,
    true,
  );
}, 300_000);

afterAll(() => {
  close?.();
});

describe('the wide-baseline benchmark at 50 namespaces', () => {
  it('counts the objects desiredObjects makes for each baseline: 12 standard, 39 wide', () => {
    const parsed = parseSecurityBaseline({
      apiVersion: 'kubeposture.io/v1alpha1',
      kind: 'SecurityBaseline',
      metadata: { name: 'wide', uid: 'u' },
      spec: WIDE_SPEC,
    });
    if (!parsed.ok) throw new Error('WIDE_SPEC is not a valid baseline');
    expect(desiredObjects(parsed.baseline, 'ns', DEFAULT_OPERATOR_SERVICE_ACCOUNT)).toHaveLength(39);
    expect(result.standard.size.objectsPerNamespace).toBe(12);
    expect(result.wide.size.objectsPerNamespace).toBe(39);
  });

  it('converges every namespace with every object, checked by listing, and the floor made as many', () => {
    for (const step of [result.standard, result.wide]) {
      expect(step.size.verifiedByListing).toBe(NAMESPACES);
      expect(step.size.objectsVerifiedByListing).toBe(step.size.objectsPerNamespace * NAMESPACES);
      expect(step.floorObjectsByListing).toBe(step.size.objectsPerNamespace * NAMESPACES);
    }
  });

  it('converges within a loose multiple of the floor, writing about one request per object', () => {
    expect(result.wide.size.ratio).toBeLessThan(5);
    // One write per object (the shared ones by apply), the Namespace's ownership record, a few reads.
    expect(result.wide.size.requestsPerNamespace).toBeLessThanOrEqual(result.wide.size.objectsPerNamespace + 3);
    expect(result.wide.size.failedRequests).toBe(0);
  });

  it('restarts the operator on each converged baseline without a write', () => {
    for (const step of [result.standard, result.wide]) {
      expect(step.restart.firstPassMs).toBeLessThan(60_000);
      // The operator's own count (the cluster is shared): its SelfSubjectReview at start, no more.
      // It failed once in CI (2 writes, cause unknown); failing, it now shows what was written (the
      // apiserver's count of the operator's flow, by verb and resource) in place of 'at most 1'.
      const writes = step.restart.operatorWrites;
      expect(writes <= 1 ? 'at most 1' : { writes, written: step.restart.writeBreakdown }).toBe('at most 1');
    }
  });

  it('measures memory per cached object over the 27 more objects per namespace', () => {
    expect(result.bytesPerCachedObject.objects).toBe(27 * NAMESPACES);
    expect(Number.isFinite(result.bytesPerCachedObject.peakRss)).toBe(true);
    expect(Number.isFinite(result.bytesPerCachedObject.restartedRss)).toBe(true);
    expect(Math.max(result.wide.size.operatorPeakRssMb, result.wide.restart.peakRssMb)).toBeLessThan(400);
    expect(result.replaceMs).toBeGreaterThan(0);
  });

  it('renders its figures and judges each target', () => {
    expect(renderWide(result)).toContain(`wide baseline over ${String(NAMESPACES)} namespaces`);
    expect(wideRows(result)).toHaveLength(3);
  });
});
