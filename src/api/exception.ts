/**
 * The SecurityBaselineException API (kubeposture.io/v1alpha1, cluster-scoped): lifts named parts
 * of one baseline in some namespaces, for a stated reason, until a stated time. The CRD in crds/
 * is the source of truth; this is the trust boundary that turns an unknown value into a
 * {@link SecurityBaselineException}, or into errors that each name a field. What needs a clock or
 * the baseline (expired, too far ahead, a part the baseline does not have) is judged in
 * src/baseline/exceptions.ts. Pure.
 */
import { GROUP, VERSION } from './constants.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, Reader, shown, type FieldError } from './field-reader.ts';
import type { Condition, ExemptPart } from './types.ts';

export const EXCEPTION_KIND = 'SecurityBaselineException';
export const EXCEPTION_PLURAL = 'securitybaselineexceptions';

/** The CRD's bounds (crds/securitybaselineexceptions.kubeposture.io.yaml; test/unit/crd-schema.test.ts compares). */
export const EXCEPTION_LIMITS = {
  namespaces: { minItems: 1, maxItems: 100 },
  namespace: { minLength: 1, maxLength: 63 },
  exempt: { minItems: 1, maxItems: 20 },
  part: { minLength: 1, maxLength: 100 },
  reason: { minLength: 1, maxLength: 1024 },
  baseline: { minLength: 1, maxLength: 253 },
} as const;

/** The parts without a name in them. */
export const FIXED_PARTS = [
  'networkPolicy',
  'networkPolicy.denyIngress',
  'networkPolicy.denyEgress',
  'limitRange',
  'resourceQuota',
  'serviceAccounts.disableDefaultTokenMount',
  'podSecurity.enforce',
] as const satisfies readonly ExemptPart[];
/** The parts that name one item of the baseline: `<prefix><name>`. */
export const NAMED_PARTS = ['networkPolicy.additional.', 'serviceAccounts.workloads.'] as const;

const GLOB = /^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/;
/** RFC 3339, as the CRD's `format: date-time` reads it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** True for an RFC 3339 time as Go's time.Parse reads one (no 30 February, no hour 24): what the CRD's format accepts. */
export function validDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (m === null) return false;
  const [y, mo, d, h, mi, sec] = [0, 5, 8, 11, 14, 17].map((i) => Number(s.slice(i, i + (i === 0 ? 4 : 2))));
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || sec === undefined) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days && h <= 23 && mi <= 59 && sec <= 59;
}

/** A part, or why it is not one. */
export function parsePart(s: string): { readonly part: ExemptPart } | { readonly problem: string } {
  if ((FIXED_PARTS as readonly string[]).includes(s)) return { part: s as ExemptPart };
  for (const prefix of NAMED_PARTS) {
    if (!s.startsWith(prefix)) continue;
    const name = s.slice(prefix.length);
    return DNS_LABEL.test(name) && name.length <= 63
      ? { part: s as ExemptPart }
      : { problem: `${shown(name)} after ${prefix} is not a name (a DNS label)` };
  }
  return {
    problem: `${shown(s)} is not a part: use one of ${FIXED_PARTS.join(', ')}, ${NAMED_PARTS.map((p) => `${p}<name>`).join(', ')}`,
  };
}

export interface SecurityBaselineExceptionSpec {
  readonly baseline: string;
  /** Namespace names or globs (`*`, `?`). */
  readonly namespaces: readonly string[];
  readonly exempt: readonly ExemptPart[];
  readonly reason: string;
  /** RFC 3339 as written; {@link SecurityBaselineException.expiresAt} is its time. */
  readonly expires: string;
}

export const ExceptionConditionReason = { Active: 'Active', Expired: 'Expired', Invalid: 'Invalid' } as const;
export type ExceptionConditionReason = (typeof ExceptionConditionReason)[keyof typeof ExceptionConditionReason];

/** The one condition an exception's status has: Active. */
export type ExceptionCondition = Omit<Condition, 'type'> & { readonly type: 'Active' };

export interface SecurityBaselineExceptionStatus {
  readonly observedGeneration?: number;
  /** One condition, Active: True (reason Active), or False (reason Expired or Invalid). */
  readonly conditions?: readonly ExceptionCondition[];
  /** The namespaces it lifts parts in now: governed by its baseline and matching spec.namespaces. */
  readonly namespaces?: readonly string[];
  readonly namespaceCount?: number;
  readonly namespacesTruncated?: boolean;
}

export interface SecurityBaselineException {
  readonly metadata: { readonly name: string; readonly uid: string; readonly generation: number };
  readonly spec: SecurityBaselineExceptionSpec;
  /** spec.expires in epoch milliseconds. */
  readonly expiresAt: number;
}

export type ExceptionParse =
  | { readonly ok: true; readonly exception: SecurityBaselineException }
  | { readonly ok: false; readonly name: string | undefined; readonly errors: readonly FieldError[] };

/** Parses and validates a SecurityBaselineException. Never throws. */
export function parseException(input: unknown): ExceptionParse {
  const r = new Reader();
  const obj = r.record(input, '(document)');
  if (obj === undefined) return { ok: false, name: undefined, errors: r.errors };
  if (obj.apiVersion !== `${GROUP}/${VERSION}`) r.fail('apiVersion', `must be ${GROUP}/${VERSION}, not ${shown(obj.apiVersion)}`);
  if (obj.kind !== EXCEPTION_KIND) r.fail('kind', `must be ${EXCEPTION_KIND}, not ${shown(obj.kind)}`);
  const meta = r.record(obj.metadata, 'metadata') ?? {};
  const name = r.string(meta.name, 'metadata.name');
  if (name !== undefined && (name.length > 253 || !DNS_SUBDOMAIN.test(name)))
    r.fail('metadata.name', `${shown(name)} is not a valid object name`);
  const spec = r.record(obj.spec, 'spec') ?? {};
  const baseline = r.string(spec.baseline, 'spec.baseline', EXCEPTION_LIMITS.baseline);
  if (baseline !== undefined && !DNS_SUBDOMAIN.test(baseline)) r.fail('spec.baseline', `${shown(baseline)} is not a SecurityBaseline name`);
  const namespaces = r.strings(
    spec.namespaces,
    'spec.namespaces',
    { list: EXCEPTION_LIMITS.namespaces, item: EXCEPTION_LIMITS.namespace, noun: 'namespace' },
    (s, f) => {
      if (!GLOB.test(s)) r.fail(f, `${shown(s)} is not a namespace name or glob (lowercase letters, digits, '-', '*' and '?')`);
    },
  );
  const exempt: ExemptPart[] = [];
  r.strings(spec.exempt, 'spec.exempt', { list: EXCEPTION_LIMITS.exempt, item: EXCEPTION_LIMITS.part, noun: 'part' }, (s, f) => {
    const p = parsePart(s);
    if ('problem' in p) r.fail(f, p.problem);
    else if (exempt.includes(p.part)) r.fail(f, `lists ${shown(s)} twice`);
    else exempt.push(p.part);
  });
  const reason = r.string(spec.reason, 'spec.reason', EXCEPTION_LIMITS.reason);
  if (reason?.trim() === '') r.fail('spec.reason', 'must say why (it is blank)');
  const expires = r.string(spec.expires, 'spec.expires', { maxLength: 64 });
  let expiresAt = Number.NaN;
  if (expires !== undefined) {
    expiresAt = validDateTime(expires) ? Date.parse(expires) : Number.NaN;
    if (Number.isNaN(expiresAt)) r.fail('spec.expires', `${shown(expires)} is not an RFC 3339 time such as 2027-01-31T00:00:00Z`);
  }
  if (r.errors.length > 0 || name === undefined || baseline === undefined || namespaces === undefined)
    return { ok: false, name, errors: r.errors };
  if (reason === undefined || expires === undefined) return { ok: false, name, errors: r.errors };
  return {
    ok: true,
    exception: {
      metadata: {
        name,
        uid: typeof meta.uid === 'string' ? meta.uid : '',
        generation: typeof meta.generation === 'number' ? meta.generation : 0,
      },
      spec: { baseline, namespaces, exempt, reason, expires },
      expiresAt,
    },
  };
}
