import { PHASES } from '../bench/bench.ts';
import { benchTimeRow } from '../bench/report.ts';

const phaseSeconds = { script: 69, 'cold 10000': 605, latency: 164, 'tier switch': 520 };

describe("the bench's own time row", () => {
  it('is left out of runs that did not time their phases (before 2026-12-07)', () => {
    expect(benchTimeRow({ options: {}, sizes: [{ namespaces: 10_000 }] })).toBeUndefined();
  });

  it('sums the phases, in minutes, and names each', () => {
    const row = benchTimeRow({ phaseSeconds, options: {}, sizes: [{ namespaces: 10_000 }] });
    expect(row?.measured).toBe('22.6 min: script 69 s, cold 10000 605 s, latency 164 s, tier switch 520 s');
  });

  it('judges the full run at 10,000 against 30 minutes', () => {
    expect(benchTimeRow({ phaseSeconds, options: {}, sizes: [{ namespaces: 10_000 }] })?.met).toBe(true);
    expect(benchTimeRow({ phaseSeconds, options: { phases: [...PHASES] }, sizes: [{ namespaces: 10_000 }] })?.met).toBe(true);
    const over = { ...phaseSeconds, 'deletion (Delete)': 1800 - 1358 + 1 };
    expect(benchTimeRow({ phaseSeconds: over, options: {}, sizes: [{ namespaces: 10_000 }] })?.met).toBe(false);
  });

  it('only reports a run of fewer phases or another size', () => {
    const over = { ...phaseSeconds, 'deletion (Delete)': 5000 };
    expect(
      benchTimeRow({ phaseSeconds: over, options: { phases: ['cold', 'latency'] }, sizes: [{ namespaces: 10_000 }] })?.met,
    ).toBeUndefined();
    expect(benchTimeRow({ phaseSeconds: over, options: {}, sizes: [{ namespaces: 100 }] })?.met).toBeUndefined();
    expect(benchTimeRow({ phaseSeconds: over, options: {}, sizes: [{ namespaces: 1000 }, { namespaces: 10_000 }] })?.met).toBeUndefined();
  });
});
