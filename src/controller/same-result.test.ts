import { sameResult, type NamespaceResult } from './reconciler.ts';

const base: NamespaceResult = {
  namespace: 'team-a',
  baseline: { name: 'restricted', generation: 2, mode: 'Enforce' },
  superseded: ['loose'],
  drift: [{ kind: 'LimitRange', name: 'kubeposture-limits', reason: 'Modified', fields: ['spec.limits'] }],
  repaired: [],
};

describe('sameResult', () => {
  it('is true for results that say the same, built apart', () => {
    expect(sameResult(base, JSON.parse(JSON.stringify(base)) as NamespaceResult)).toBe(true);
    expect(sameResult(undefined, undefined)).toBe(true);
  });

  it.each<[string, Partial<NamespaceResult>]>([
    ['another generation', { baseline: { name: 'restricted', generation: 3, mode: 'Enforce' } }],
    ['another mode', { baseline: { name: 'restricted', generation: 2, mode: 'Audit' } }],
    ['other drift fields', { drift: [{ kind: 'LimitRange', name: 'kubeposture-limits', reason: 'Modified', fields: ['spec'] }] }],
    ['no drift', { drift: [] }],
    ['a repair', { repaired: [{ kind: 'LimitRange', name: 'kubeposture-limits', reason: 'Missing' }] }],
    ['an error', { error: 'boom' }],
    ['waiting for the finalizer', { waitingForFinalizer: true }],
    ['an exception', { exceptions: ['legacy'] }],
    ['other superseded', { superseded: [] }],
  ])('is false with %s', (_what, change) => {
    expect(sameResult(base, { ...base, ...change })).toBe(false);
  });

  it('is false without a baseline on one side', () => {
    const { baseline: _b, ...unselected } = base;
    expect(sameResult(base, unselected)).toBe(false);
    expect(sameResult(base, undefined)).toBe(false);
  });
});
