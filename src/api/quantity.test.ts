import { compareQuantities, isQuantity, parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['1', 1_000_000_000n],
    ['1000m', 1_000_000_000n],
    ['0.5', 500_000_000n],
    ['.5', 500_000_000n],
    ['500m', 500_000_000n],
    ['1k', 1_000_000_000_000n],
    ['1Ki', 1024n * 1_000_000_000n],
    ['1.5Gi', 1610612736n * 1_000_000_000n],
    ['2e3', 2000n * 1_000_000_000n],
    ['2E-3', 2_000_000n],
    ['1n', 1n],
    ['0.1n', 1n], // rounded up to nano, as Kubernetes does
    ['-1', -1_000_000_000n],
    ['+5', 5_000_000_000n],
    [10, 10_000_000_000n],
    [0.25, 250_000_000n],
  ] as const)('%s is %s nano-units', (q, nano) => {
    expect(parseQuantity(q)).toBe(nano);
  });

  it.each(['', 'abc', '1.2.3', '5 Gi', '1Gb', '1mi', 'Ki', '--1', '1e', '0x10', '1e9999'])('rejects %j', (q) => {
    expect(parseQuantity(q)).toBeUndefined();
    expect(isQuantity(q)).toBe(false);
  });

  it('rejects non-finite numbers', () => {
    expect(parseQuantity(Number.NaN)).toBeUndefined();
    expect(parseQuantity(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('compareQuantities', () => {
  it.each([
    ['1', '1000m', 0],
    ['1Gi', '1024Mi', 0],
    ['1G', '1Gi', -1],
    ['2', '500m', 1],
    [1, '1', 0],
  ] as const)('%s vs %s is %i', (a, b, want) => {
    expect(compareQuantities(a, b)).toBe(want);
  });

  it('is undefined when either side is not a quantity', () => {
    expect(compareQuantities('1', 'x')).toBeUndefined();
  });
});
