import type { SizeResult } from '../bench/bench.ts';
import { EXEMPT_CYCLE, planExceptions } from '../bench/exceptions.ts';
import { growthOf, slope } from '../bench/growth.ts';
import { renderGrowth } from '../bench/report.ts';

/** A size's result with the figures the growth reads; the rest zero. */
function size(namespaces: number, namespacesInCluster: number, operatorMs: number, floorMs: number, rss: number): SizeResult {
  return {
    namespaces,
    floorMs,
    operatorMs,
    ratio: Number((operatorMs / floorMs).toFixed(2)),
    requestsPerNamespace: 0,
    objectsPerNamespace: 0,
    failedRequests: 0,
    operatorCpuSeconds: 0,
    operatorPeakRssMb: rss,
    operatorRssSettledMb: 0,
    operatorHeapUsedMb: 0,
    verifiedByListing: namespaces,
    objectsVerifiedByListing: 0,
    reportWritesPerNamespace: 0,
    requestBreakdown: {},
    exceptions: 0,
    liftedObjects: 0,
    namespacesInCluster,
  };
}

describe("the benchmark's growth", () => {
  it('takes the least-squares slope', () => {
    expect(
      slope([
        [1000, 20],
        [5000, 100],
        [10_000, 200],
      ]),
    ).toBeCloseTo(0.02, 10);
    // Not through the points: 1,000 → 10, 2,000 → 30, 3,000 → 35: slope 12.5 per 1,000.
    expect(
      slope([
        [1000, 10],
        [2000, 30],
        [3000, 35],
      ]) * 1000,
    ).toBeCloseTo(12.5, 10);
    expect(slope([[1000, 10]])).toBeNaN();
    expect(
      slope([
        [1000, 10],
        [1000, 20],
      ]),
    ).toBeNaN();
    expect(slope([])).toBeNaN();
  });

  it('gives each size and the slopes per 1,000 namespaces, and nothing for one size', () => {
    expect(growthOf([size(1000, 2505, 22_000, 17_800, 154)])).toBeUndefined();
    const g = growthOf([
      size(1000, 2505, 22_000, 18_000, 154),
      size(5000, 12_505, 102_000, 88_000, 200),
      size(10_000, 32_505, 202_000, 178_000, 256),
    ]);
    expect(g?.sizes.map((s) => [s.namespaces, s.namespacesInCluster, s.operatorMs, s.floorMs, s.peakRssMb])).toEqual([
      [1000, 2505, 22_000, 18_000, 154],
      [5000, 12_505, 102_000, 88_000, 200],
      [10_000, 32_505, 202_000, 178_000, 256],
    ]);
    expect(g?.perThousand.operatorMs).toBe(20_000);
    expect(g?.perThousand.floorMs).toBe(17_787);
    expect(g?.perThousand.peakRssMb).toBe(11.3);
    expect(g?.perThousand.peakRssMbByCluster).toBe(3.3);
  });

  it('prints a row per size and the slopes', () => {
    const g = growthOf([size(300, 905, 9_000, 7_500, 130), size(1000, 3105, 27_000, 22_000, 150)]);
    if (g === undefined) throw new Error('no growth');
    const text = renderGrowth(g);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^growth: /);
    expect(lines[1]).toMatch(/^\| namespaces +\| in the cluster \| operator +\| floor +\| ratio \| peak RSS/);
    expect(lines[3]).toMatch(/^\| 300 +\| 905 +\| 9\.0 s +\| 7\.5 s +\| 1\.20× \| 130 MB/);
    expect(lines[4]).toMatch(/^\| 1000 +\| 3105 +\| 27\.0 s +\| 22\.0 s +\| 1\.23× \| 150 MB/);
    // 18 s and 14.5 s more over 700 namespaces; 20 MB more over 700 (over 2,200 in the cluster).
    expect(lines[5]).toMatch(
      /^\| slope per 1,000 \| +\| \+25\.7 s +\| \+20\.7 s +\| +\| \+28\.6 MB \(\+9\.1 MB per 1,000 in the cluster\)/,
    );
    expect(lines).toHaveLength(6);
  });
});

describe("the benchmark's exceptions", () => {
  it('spreads them evenly over the namespaces, each lifting the next part in turn', () => {
    expect(planExceptions(4, 100)).toEqual([
      { index: 12, part: EXEMPT_CYCLE[0] },
      { index: 37, part: EXEMPT_CYCLE[1] },
      { index: 62, part: EXEMPT_CYCLE[2] },
      { index: 87, part: EXEMPT_CYCLE[3] },
    ]);
    const many = planExceptions(100, 10_000).map((p) => p.index);
    expect(new Set(many).size).toBe(100);
    expect(Math.min(...many)).toBe(50);
    expect(Math.max(...many)).toBe(9950);
    expect(planExceptions(3, 0)).toEqual([]);
    expect(planExceptions(0, 100)).toEqual([]);
  });
});
