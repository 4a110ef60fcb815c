/**
 * How cold convergence grows with the cluster (issue 20: "cold convergence time and peak RSS at
 * 1,000 / 5,000 / 10,000, printed, and the slope per 1,000 stated"): each size's time (the
 * operator's and the floor's), ratio and peak RSS, and the least-squares slopes per 1,000
 * namespaces. Each size runs its own operator over a cluster that still holds every earlier
 * size's namespaces (and the floor's): the RSS slope is also given per 1,000 namespaces in the
 * cluster, which is what the operator caches. Pure; report.ts prints it.
 */
import type { SizeResult } from './bench.ts';

export interface GrowthRow {
  readonly namespaces: number;
  readonly namespacesInCluster: number;
  readonly operatorMs: number;
  readonly floorMs: number;
  readonly ratio: number;
  readonly peakRssMb: number;
}

export interface Growth {
  readonly sizes: readonly GrowthRow[];
  /** Least-squares slopes per 1,000 namespaces converged (and, for RSS, per 1,000 in the cluster). */
  readonly perThousand: {
    readonly operatorMs: number;
    readonly floorMs: number;
    readonly peakRssMb: number;
    readonly peakRssMbByCluster: number;
  };
}

/** The least-squares slope of y over x; NaN unless at least two distinct x. */
export function slope(points: readonly (readonly [x: number, y: number])[]): number {
  const n = points.length;
  if (n === 0) return Number.NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** The growth over the sizes run, or undefined for fewer than two. */
export function growthOf(sizes: readonly SizeResult[]): Growth | undefined {
  if (sizes.length < 2) return undefined;
  const per1000 = (x: 'namespaces' | 'namespacesInCluster', y: 'operatorMs' | 'floorMs' | 'operatorPeakRssMb', digits: number): number =>
    round(slope(sizes.map((s) => [s[x], s[y]] as const)) * 1000, digits);
  return {
    sizes: sizes.map((s) => ({
      namespaces: s.namespaces,
      namespacesInCluster: s.namespacesInCluster,
      operatorMs: s.operatorMs,
      floorMs: s.floorMs,
      ratio: s.ratio,
      peakRssMb: s.operatorPeakRssMb,
    })),
    perThousand: {
      operatorMs: per1000('namespaces', 'operatorMs', 0),
      floorMs: per1000('namespaces', 'floorMs', 0),
      peakRssMb: per1000('namespaces', 'operatorPeakRssMb', 1),
      peakRssMbByCluster: per1000('namespacesInCluster', 'operatorPeakRssMb', 1),
    },
  };
}
