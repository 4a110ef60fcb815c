import { PreviewPace, type PreviewKey } from './preview-pace.ts';

function pace(perSecond = 20, maxAgeMs = 3_600_000, minIntervalMs = 5_000): { p: PreviewPace; clock: { t: number; now: () => number } } {
  const clock = { t: 1_000_000, now: (): number => clock.t };
  return { p: new PreviewPace({ clock, perSecond, maxAgeMs, minIntervalMs }), clock };
}

const key: PreviewKey = { from: 'baseline:latest', enforce: 'restricted:latest', pods: '10' };

describe('PreviewPace', () => {
  it('asks at once while under the rate, then gives each namespace the next free slot', () => {
    const { p } = pace(20);
    expect(p.decide('a', key, undefined)).toEqual({ type: 'ask' });
    expect(p.decide('b', key, undefined)).toEqual({ type: 'wait', inMs: 50 });
    expect(p.decide('c', key, undefined)).toEqual({ type: 'wait', inMs: 100 });
    // Asking again before its slot does not move it, nor take another.
    expect(p.decide('b', key, undefined)).toEqual({ type: 'wait', inMs: 50 });
    expect(p.waiting).toBe(2);
  });

  it('lets a namespace ask when its slot comes, and frees the slot', () => {
    const { p, clock } = pace(20);
    p.decide('a', key, undefined);
    p.decide('b', key, undefined);
    clock.t += 50;
    expect(p.decide('b', key, undefined)).toEqual({ type: 'ask' });
    expect(p.waiting).toBe(0);
  });

  it('spaces 10,000 first previews over 10,000 / rate seconds', () => {
    const { p } = pace(20);
    let last = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = p.decide(`ns-${String(i)}`, key, undefined);
      if (d.type === 'wait') last = d.inMs;
    }
    expect(last).toBe(499_950);
  });

  it('keeps a preview while its labels and the quota stand and it is younger than the maximum age', () => {
    const { p, clock } = pace(20, 60_000);
    const at = clock.t;
    clock.t += 59_999;
    expect(p.decide('a', key, { ...key, at })).toEqual({ type: 'keep' });
    clock.t += 1;
    expect(p.decide('a', key, { ...key, at })).toEqual({ type: 'ask' });
  });

  it('asks again at once when the labels changed', () => {
    const { p, clock } = pace();
    const at = clock.t;
    expect(p.decide('a', { ...key, from: 'privileged:latest' }, { ...key, at })).toEqual({ type: 'ask' });
    expect(p.decide('b', { ...key, enforce: 'restricted:v1.30' }, { ...key, at })).toEqual({ type: 'wait', inMs: 50 });
  });

  it('asks again when the pods changed, but not sooner than the interval after the last', () => {
    const { p, clock } = pace(20, 3_600_000, 5_000);
    const at = clock.t;
    clock.t += 1_000;
    expect(p.decide('a', { ...key, pods: '11' }, { ...key, at })).toEqual({ type: 'wait', inMs: 4_000 });
    clock.t += 4_000;
    expect(p.decide('a', { ...key, pods: '11' }, { ...key, at })).toEqual({ type: 'ask' });
  });

  it('gives up a slot the namespace no longer needs', () => {
    const { p } = pace(20);
    p.decide('a', key, undefined);
    p.decide('b', key, undefined);
    p.forget('b');
    expect(p.waiting).toBe(0);
  });

  it('refuses a rate that is not above 0', () => {
    const clock = { now: (): number => 0 };
    expect(() => new PreviewPace({ clock, perSecond: 0, maxAgeMs: 1, minIntervalMs: 1 })).toThrow('above 0');
  });
});
