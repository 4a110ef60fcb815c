import type { NamespaceResult } from './reconciler.ts';
import { NamespaceResults } from './results.ts';
import { random } from '../../test/support/random.ts';

const result = (namespace: string, baseline: string | undefined, superseded: string[] = [], error?: string): NamespaceResult => ({
  namespace,
  ...(baseline === undefined ? {} : { baseline: { name: baseline, generation: 1, mode: 'Enforce' } }),
  superseded,
  drift: [],
  repaired: [],
  ...(error === undefined ? {} : { error }),
});

const names = (it: Iterable<NamespaceResult>): string[] => [...it].map((r) => r.namespace);

describe('NamespaceResults', () => {
  it('is a map of every namespace, and finds those each baseline governs or loses', () => {
    const r = new NamespaceResults();
    r.set('a', result('a', 'gold', ['silver']));
    r.set('b', result('b', 'silver'));
    r.set('c', result('c', undefined));
    expect([...r.keys()]).toEqual(['a', 'b', 'c']);
    expect(r.size).toBe(3);
    expect(names(r.governedBy('gold'))).toEqual(['a']);
    expect(names(r.governedBy('silver'))).toEqual(['b']);
    expect(names(r.supersededBy('silver'))).toEqual(['a']);
    expect(names(r.concerning('silver'))).toEqual(['b', 'a']);
    expect(names(r.governedBy('bronze'))).toEqual([]);
  });

  it('moves a namespace between baselines when its result does, and forgets it when deleted', () => {
    const r = new NamespaceResults();
    r.set('a', result('a', 'gold', ['silver']));
    r.set('a', result('a', 'silver'));
    expect(names(r.governedBy('gold'))).toEqual([]);
    expect(names(r.supersededBy('silver'))).toEqual([]);
    expect(names(r.governedBy('silver'))).toEqual(['a']);
    expect(r.delete('a')).toBe(true);
    expect(r.delete('a')).toBe(false);
    expect(names(r.concerning('silver'))).toEqual([]);
    expect(r.size).toBe(0);
  });

  it('keeps the latest result and its place while the baseline stays, as a Map does', () => {
    const r = new NamespaceResults();
    r.set('a', result('a', 'gold'));
    r.set('b', result('b', 'gold'));
    r.set('a', result('a', 'gold', [], 'boom'));
    expect([...r.governedBy('gold')].map((x) => [x.namespace, x.error])).toEqual([
      ['a', 'boom'],
      ['b', undefined],
    ]);
    expect(r.get('a')?.error).toBe('boom');
  });

  it('agrees with a scan of every result after any sequence of sets and deletes', () => {
    const r = new NamespaceResults();
    const plain = new Map<string, NamespaceResult>();
    const baselines = ['gold', 'silver', 'bronze', undefined];
    const draw = random(7);
    const next = (n: number): number => Math.floor(draw() * n);
    for (let step = 0; step < 2000; step++) {
      const ns = `ns-${String(next(30))}`;
      if (next(5) === 0) {
        expect(r.delete(ns)).toBe(plain.delete(ns));
      } else {
        const b = baselines[next(baselines.length)];
        const lost = baselines.filter((x): x is string => x !== undefined && x !== b && next(3) === 0);
        const x = result(ns, b, lost);
        r.set(ns, x);
        plain.set(ns, x);
      }
      for (const b of ['gold', 'silver', 'bronze']) {
        const scan = [...plain.values()];
        expect(names(r.governedBy(b)).sort()).toEqual(names(scan.filter((x) => x.baseline?.name === b)).sort());
        expect(names(r.supersededBy(b)).sort()).toEqual(names(scan.filter((x) => x.superseded.includes(b))).sort());
      }
    }
    expect([...r.entries()]).toEqual([...plain.entries()]);
  });
});
