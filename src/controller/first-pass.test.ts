import { FirstPass } from './first-pass.ts';

describe('FirstPass', () => {
  it('is not done before it begins; knows each namespace once reconciled, and is done after the last', () => {
    const pass = new FirstPass();
    expect(pass.done).toBe(false);
    expect(pass.knows('a')).toBe(true);
    expect(pass.begin(['a', 'b'])).toBe(false);
    expect([pass.knows('a'), pass.knows('b'), pass.knows('other')]).toEqual([false, false, true]);
    expect(pass.visited('other')).toBe(false);
    expect(pass.visited('a')).toBe(false);
    expect(pass.visited('a')).toBe(false);
    expect([pass.knows('a'), pass.done]).toEqual([true, false]);
    expect(pass.visited('b')).toBe(true);
    expect(pass.done).toBe(true);
    expect(pass.visited('b')).toBe(false);
  });

  it('is done at once over no namespaces, and begins again when the replica takes the lease anew', () => {
    const pass = new FirstPass();
    expect(pass.begin([])).toBe(true);
    expect(pass.done).toBe(true);
    expect(pass.begin(['a'])).toBe(false);
    expect([pass.done, pass.knows('a')]).toEqual([false, false]);
    expect(pass.visited('a')).toBe(true);
  });
});
