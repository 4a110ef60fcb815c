import { VersionMemo, remembered } from './memo.ts';

describe('VersionMemo', () => {
  it('computes once per version of a name, again for a new version or after forget', () => {
    const memo = new VersionMemo<number>();
    let calls = 0;
    const get = (name: string, version: string): number => memo.get(name, version, () => ++calls);
    expect([get('a', '1'), get('a', '1'), get('b', '1')]).toEqual([1, 1, 2]);
    expect(get('a', '2')).toBe(3);
    memo.forget('a');
    expect(get('a', '2')).toBe(4);
  });
});

describe('remembered', () => {
  it('makes the value once per key and gives the same one after', () => {
    const memo = new WeakMap<object, { readonly n: number }>();
    const [a, b] = [{}, {}];
    let made = 0;
    const make = (): { readonly n: number } => ({ n: ++made });
    const first = remembered(memo, a, make);
    expect(remembered(memo, a, make)).toBe(first);
    expect(remembered(memo, b, make)).not.toBe(first);
    expect(made).toBe(2);
  });
});
