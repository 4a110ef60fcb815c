import type { FieldError } from './field-reader.ts';
import { parseException, parsePart, validDateTime } from './exception.ts';

const exception = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'kubeposture.io/v1alpha1',
  kind: 'SecurityBaselineException',
  metadata: { name: 'legacy', generation: 3, uid: 'u1' },
  spec: {
    baseline: 'restricted',
    namespaces: ['billing-legacy', 'billing-batch-*'],
    exempt: ['networkPolicy.denyEgress', 'resourceQuota'],
    reason: 'vendor agent (SEC-1234)',
    expires: '2027-01-31T00:00:00Z',
    ...spec,
  },
  ...extra,
});
const errorsOf = (input: unknown): readonly FieldError[] => {
  const r = parseException(input);
  return r.ok ? [] : r.errors;
};

describe('parseException', () => {
  it('reads the DESIGN.md example, with expires as a time', () => {
    const r = parseException(exception({}));
    expect(r.ok && r.exception).toEqual({
      metadata: { name: 'legacy', uid: 'u1', generation: 3 },
      spec: {
        baseline: 'restricted',
        namespaces: ['billing-legacy', 'billing-batch-*'],
        exempt: ['networkPolicy.denyEgress', 'resourceQuota'],
        reason: 'vendor agent (SEC-1234)',
        expires: '2027-01-31T00:00:00Z',
      },
      expiresAt: Date.UTC(2027, 0, 31),
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['no baseline', { baseline: undefined }, 'spec.baseline', /string/],
    ['a baseline that is no name', { baseline: 'Not_A_Name' }, 'spec.baseline', /not a SecurityBaseline name/],
    ['no namespaces', { namespaces: [] }, 'spec.namespaces', /at least one namespace/],
    ['a bad glob', { namespaces: ['Team_A'] }, 'spec.namespaces[0]', /glob/],
    ['too many namespaces', { namespaces: Array.from({ length: 101 }, (_, i) => `n${String(i)}`) }, 'spec.namespaces', /at most 100/],
    ['no parts', { exempt: [] }, 'spec.exempt', /at least one part/],
    ['an unknown part', { exempt: ['networkPolicy.allowDNS'] }, 'spec.exempt[0]', /not a part/],
    ['a named part without a name', { exempt: ['serviceAccounts.workloads.'] }, 'spec.exempt[0]', /not a name/],
    ['a part twice', { exempt: ['limitRange', 'limitRange'] }, 'spec.exempt[1]', /twice/],
    ['no reason', { reason: undefined }, 'spec.reason', /string/],
    ['a blank reason', { reason: '   ' }, 'spec.reason', /blank/],
    ['a reason too long', { reason: 'x'.repeat(1025) }, 'spec.reason', /at most 1024/],
    ['no expiry', { expires: undefined }, 'spec.expires', /string/],
    ['an expiry that is no time', { expires: 'next tuesday' }, 'spec.expires', /RFC 3339/],
    ['30 February', { expires: '2027-02-30T00:00:00Z' }, 'spec.expires', /RFC 3339/],
    ['an expiry without a zone', { expires: '2027-01-31T00:00:00' }, 'spec.expires', /RFC 3339/],
  ])('refuses %s, naming the field', (_name, spec, field, message) => {
    expect(errorsOf(exception(spec))).toContainEqual({ field, message: expect.stringMatching(message) as unknown });
  });

  it('refuses another kind or version', () => {
    expect(errorsOf(exception({}, { kind: 'SecurityBaseline' })).map((e) => e.field)).toEqual(['kind']);
    expect(errorsOf(exception({}, { apiVersion: 'kubeposture.io/v1' })).map((e) => e.field)).toEqual(['apiVersion']);
  });
});

describe('parsePart', () => {
  it.each(['networkPolicy', 'networkPolicy.additional.from-ingress', 'serviceAccounts.workloads.app', 'podSecurity.enforce'])(
    'accepts %s',
    (p) => {
      expect(parsePart(p)).toEqual({ part: p });
    },
  );
  it.each(['podSecurity.warn', 'networkPolicy.additional.Bad_Name', 'limitRange.limits', ''])('refuses %p', (p) => {
    expect(parsePart(p)).toHaveProperty('problem');
  });
});

describe('validDateTime', () => {
  it.each([
    ['2027-01-31T00:00:00Z', true],
    ['2028-02-29T23:59:59.5+02:00', true],
    ['2027-02-29T00:00:00Z', false],
    ['2027-04-31T00:00:00Z', false],
    ['2027-01-01T24:00:00Z', false],
    ['2027-01-01 00:00:00Z', false],
  ])('%s: %p', (s, ok) => {
    expect(validDateTime(s)).toBe(ok);
  });
});
