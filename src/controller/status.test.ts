import { STATUS_LIMITS, measure } from '../api/output-limits.ts';
import { computeStatus, deletingStatus, stalledStatus } from './status.ts';
import type { NamespaceResult } from './reconciler.ts';

const now = '2026-01-01T00:00:00Z';
const cps = (s: string | undefined): number => measure(s ?? '', 'codePoints');

describe('status within the CRD limits', () => {
  it("lists as many of a stalled spec's problems as fit, then how many more", () => {
    const problems = Array.from({ length: 5000 }, (_, i) => `spec.limitRange.limits[${String(i)}].min[😀]: 4 is greater than max 1`);
    const s = stalledStatus(1, problems, undefined, now);
    const message = s.conditions?.find((c) => c.type === 'Stalled')?.message ?? '';
    expect(cps(message)).toBeLessThanOrEqual(STATUS_LIMITS.conditionMessage);
    const m = /^spec cannot be acted on: (.*); …and (\d+) more errors$/su.exec(message);
    expect((m?.[1] ?? '').split('; ').length + Number(m?.[2])).toBe(5000);
    expect(stalledStatus(1, problems.slice(0, 2), undefined, now).conditions?.[0]?.message).toBe(
      `spec cannot be acted on: ${problems.slice(0, 2).join('; ')}`,
    );
  });

  it('clips long apiserver errors in ReconcileFailed and deletion messages', () => {
    const huge = 'x'.repeat(100_000);
    const results: NamespaceResult[] = ['a', 'b', 'c', 'd'].map((namespace) => ({
      namespace,
      baseline: { name: 'sb', generation: 1, mode: 'Enforce' },
      superseded: [],
      drift: [],
      repaired: [],
      error: huge,
    }));
    const live = computeStatus({
      name: 'sb',
      generation: 1,
      pending: 0,
      results,
      previous: undefined,
      now,
      since: () => now,
      repairs: { total: 0 },
      findings: [],
    });
    const ready = live.conditions?.find((c) => c.type === 'Ready')?.message;
    expect(ready).toMatch(/^4 of 4 namespaces failed: a \(x+… \(\d+ more characters\)\), b .* and 1 more$/su);
    expect(cps(ready)).toBeLessThanOrEqual(STATUS_LIMITS.conditionMessage);
    const deleting = deletingStatus({
      generation: 1,
      waiting: ['a'],
      failures: Array.from({ length: 5 }, () => `a (${huge})`),
      objectsLeft: [],
      previous: live,
      now,
    });
    expect(cps(deleting.conditions?.find((c) => c.type === 'Ready')?.message)).toBeLessThanOrEqual(STATUS_LIMITS.conditionMessage);
  });
});
