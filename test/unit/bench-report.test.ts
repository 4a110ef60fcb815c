import { PHASES } from '../bench/bench.ts';
import { benchTimeRow, operatorExtraSeconds } from '../bench/report.ts';

const phaseSeconds = { script: 69, 'cold 10000': 605, latency: 164, 'tier switch': 520 };
/** A cold convergence at 10,000: 20 s past its floor, its last Report 30 s after its namespaces. */
const at10k = { namespaces: 10_000, floorMs: 200_000, operatorMs: 220_000, reportsWrittenMs: 250_000 };
const at = (namespaces: number): typeof at10k => ({ ...at10k, namespaces });

describe("the bench's own time row", () => {
  it('is left out of runs that did not time their phases (before 2026-12-07)', () => {
    expect(benchTimeRow({ options: {}, sizes: [at10k] })).toBeUndefined();
  });

  it("sums the phases, in minutes, names each, and gives the time at the floor's pace", () => {
    const row = benchTimeRow({ phaseSeconds, options: {}, sizes: [at10k] });
    expect(row?.measured).toBe(
      "22.6 min: script 69 s, cold 10000 605 s, latency 164 s, tier switch 520 s; the operator's windows past their floors' and its trailing Reports 0.8 min of it, so at the floor's pace 21.8 min",
    );
  });

  it('judges the full run at 10,000 against 30 minutes', () => {
    expect(benchTimeRow({ phaseSeconds, options: {}, sizes: [at10k] })?.met).toBe(true);
    expect(benchTimeRow({ phaseSeconds, options: { phases: [...PHASES] }, sizes: [at10k] })?.met).toBe(true);
    const over = { ...phaseSeconds, 'deletion (Delete)': 1800 - 1358 + 1 };
    expect(benchTimeRow({ phaseSeconds: over, options: {}, sizes: [at10k] })?.met).toBe(false);
  });

  it('only reports a run of fewer phases or another size', () => {
    const over = { ...phaseSeconds, 'deletion (Delete)': 5000 };
    expect(benchTimeRow({ phaseSeconds: over, options: { phases: ['cold', 'latency'] }, sizes: [at10k] })?.met).toBeUndefined();
    expect(benchTimeRow({ phaseSeconds: over, options: {}, sizes: [at(100)] })?.met).toBeUndefined();
    expect(benchTimeRow({ phaseSeconds: over, options: {}, sizes: [at(1000), at10k] })?.met).toBeUndefined();
  });
});

describe("the operator's part of the bench's time", () => {
  it('adds each window past its floor, the wait after it, and the wait before the resync', () => {
    expect(
      operatorExtraSeconds({
        sizes: [at10k],
        resync: { settleMs: 50_000 },
        specChange: { floorMs: 25_000, operatorMs: 31_000, trailMs: 2_000 },
        tierSwitch: { floorMs: 138_000, operatorMs: 138_500, trailMs: 31_500 },
        deletion: [
          { floorMs: 110_000, operatorMs: 114_000, trailMs: 21_500 },
          { floorMs: 122_000, operatorMs: 140_000, trailMs: 46_000 },
        ],
      }),
    ).toBe(50 + 50 + 8 + 32 + 25.5 + 64);
  });

  it('counts a window faster than its floor as none past it, and a trail not measured as none', () => {
    expect(
      operatorExtraSeconds({
        sizes: [{ floorMs: 50_000, operatorMs: 45_000 }],
        specChange: { floorMs: 6_000, operatorMs: 5_000 },
      }),
    ).toBe(0);
  });
});
