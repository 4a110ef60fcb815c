import { VersionMemo } from './memo.ts';

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
