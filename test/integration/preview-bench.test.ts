/**
 * The Pod Security preview benchmark in small, in every test run: the same code as
 * `make bench-preview`, at 30 namespaces with two pods each, against the test control
 * plane, with loose bounds. It keeps the benchmark working and fails a change that makes
 * the preview write, skip namespaces, report the wrong ones or ask again on a resync.
 */
import { runPreviewBench, renderPreview, type PreviewResult } from '../bench/preview.ts';
import { benchEnvironment } from '../support/bench-env.ts';
import { uniqueName } from '../support/cluster.ts';
import { installOpenReports, removeOpenReports } from '../support/upstream.ts';

let close: (() => void) | undefined;
let result: PreviewResult;

beforeAll(async () => {
  await installOpenReports();
  const bench = await benchEnvironment('preview-bench');
  close = bench.close;
  result = await runPreviewBench(
    bench.env,
    {
      sizes: [30],
      scriptNamespaces: 0,
      latencySamples: 0,
      workers: 16,
      prefix: `${uniqueName('pb')}-`,
      operatorNodeArgs: [],
      reports: true,
    },
    2,
    true,
  );
}, 600_000);

afterAll(async () => {
  await removeOpenReports();
  close?.();
});

describe('the preview benchmark at 30 namespaces', () => {
  it('dry-runs every namespace once and warns in the Reports of exactly those with an offending pod', () => {
    expect(result.namespaces).toBe(30);
    expect(result.offending).toBe(3);
    // Every namespace once; a namespace asked again meanwhile (a pod's quota moved) adds one at most.
    expect(result.dryRuns).toBeGreaterThanOrEqual(30);
    expect(result.dryRuns).toBeLessThanOrEqual(60);
    expect(result.reportedMs).toBeGreaterThanOrEqual(result.previewMs);
  });

  it('goes no faster than its pace (20 a second) and no slower than a loose bound', () => {
    // 30 namespaces at 20 a second: the last slot starts 1.45 s after the first.
    expect(result.previewMs).toBeGreaterThanOrEqual(1400);
    expect(result.previewMs).toBeLessThan(60_000);
  });

  it('writes nothing and dry-runs nothing on a resync afterwards', () => {
    expect(result.resync.operatorWrites).toBe(0);
    expect(result.resync.dryRuns).toBe(0);
  });

  it('renders its figures', () => {
    expect(renderPreview(result)).toContain('30 namespaces, 2 pods each, 3 with a pod restricted refuses');
  });
});
