import { canonicalJson, canonicalJsonOf, deepFreeze } from './json.ts';

describe('canonicalJsonOf', () => {
  it('prints as canonicalJson does, frozen or not, with keys sorted', () => {
    const v = { b: [1, { d: 2, c: 3 }], a: 'x' };
    expect(canonicalJsonOf(v)).toBe(canonicalJson(v));
    expect(canonicalJsonOf(deepFreeze(structuredClone(v)))).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
    expect(canonicalJsonOf(undefined)).toBe('undefined');
  });

  it('remembers only frozen values: an unfrozen one that changes prints its new content', () => {
    const v: { a: number } = { a: 1 };
    expect(canonicalJsonOf(v)).toBe('{"a":1}');
    v.a = 2;
    expect(canonicalJsonOf(v)).toBe('{"a":2}');
  });
});
