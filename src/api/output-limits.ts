/**
 * What the apiserver will store, and making what kubeposture writes fit it. Pure.
 *
 * A write the apiserver refuses for its size is refused again on every retry,
 * so status and Events are cut to their limits before they are sent, saying
 * how much was left out. Two ways of counting apply: the CRD's structural
 * schema counts a string's maxLength in Unicode code points (kube-openapi's
 * MaxLength is utf8.RuneCount), while the Event API's limits are len() of a Go
 * string, its UTF-8 bytes. A cut never splits a surrogate pair; a lone
 * surrogate counts as the U+FFFD the apiserver decodes it to.
 */
import type { Condition, DriftEntry, Finding, RepairEntry, SecurityBaselineStatus } from './types.ts';

/** The limits crds/securitybaselines.kubeposture.io.yaml puts on status (output-limits.test.ts reads them back). */
export const STATUS_LIMITS = {
  conditions: 8,
  conditionReason: 1024,
  conditionMessage: 32768,
  drift: 50,
  fields: 32,
  recentRepairs: 10,
  findings: 50,
  exceptions: 50,
  exceptionParts: 20,
} as const;

/**
 * Bounds of kubeposture's own for status strings the schema leaves unbounded
 * (a finding's message quotes a tenant's labels), keeping a whole status far
 * below the apiserver's object size limit: 4 conditions × 32 KiB code points,
 * 50 drift entries × 32 paths of 512, 50 findings of 2 KiB.
 */
export const OWN_LIMITS = {
  findingMessage: 2048,
  fieldPath: 512,
  /** One example in a condition message (a namespace and its error). */
  example: 2048,
} as const;

/** events.k8s.io/v1 validation (pkg/apis/core/validation/events.go), in bytes; the name is a DNS subdomain. */
export const EVENT_LIMITS = {
  note: 1024,
  reason: 128,
  action: 128,
  reportingInstance: 128,
  name: 253,
} as const;

/** How a limit counts: code points (CRD maxLength) or UTF-8 bytes (Event fields). */
export type Unit = 'codePoints' | 'bytes';

/** The size of one code point (as for..of yields it) in `unit`. */
function sizeOf(cp: string, unit: Unit): number {
  if (unit === 'codePoints') return 1;
  const c = cp.codePointAt(0) ?? 0;
  // A lone surrogate (0xD800-0xDFFF) is sent as \uXXXX and decoded to U+FFFD: 3 bytes.
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/** The length of `s` as the apiserver counts it in `unit`. */
export function measure(s: string, unit: Unit): number {
  let n = 0;
  for (const cp of s) n += sizeOf(cp, unit);
  return n;
}

/** The longest prefix of `s` of at most `max` in `unit`, ending on a code point boundary, and how many code points it leaves out. */
function prefix(s: string, max: number, unit: Unit): { readonly text: string; readonly omitted: number } {
  let used = 0;
  let end = 0;
  let omitted = 0;
  for (const cp of s) {
    const n = sizeOf(cp, unit);
    if (omitted === 0 && used + n <= max) {
      used += n;
      end += cp.length;
    } else {
      omitted++;
    }
  }
  return { text: s.slice(0, end), omitted };
}

/** `s` cut to at most `max` in `unit` on a code point boundary, with no marker: for names and identifiers. */
export function cut(s: string, max: number, unit: Unit): string {
  return prefix(s, Math.max(0, max), unit).text;
}

const omission = (n: number): string => `… (${String(n)} more characters)`;

/** `s` within `max` in `unit`: unchanged when it fits, else cut with "… (N more characters)" (N in code points), filling the limit. */
export function clip(s: string, max: number, unit: Unit): string {
  if (measure(s, unit) <= max) return s;
  // The marker's length depends on N, which depends on the cut: try each width of N, narrowest (most room) first.
  const widest = String(measure(s, 'codePoints')).length;
  for (let digits = 1; digits <= widest; digits++) {
    const room = max - measure(omission(10 ** (digits - 1)), unit);
    if (room < 0) break;
    const p = prefix(s, room, unit);
    if (String(p.omitted).length <= digits) return `${p.text}${omission(p.omitted)}`;
  }
  return cut(s, max, unit);
}

/**
 * As many whole items joined by `separator` as fit in `max` (in `unit`), then
 * `more(n)` for the n left out ("…and 812 more"). When not even the first fits,
 * it is clipped. Unchanged when everything fits.
 */
export function joinWithin(
  items: readonly string[],
  max: number,
  unit: Unit,
  separator = '; ',
  more = (n: number): string => `…and ${String(n)} more`,
): string {
  const all = items.join(separator);
  if (measure(all, unit) <= max) return all;
  const tail = (n: number): string => `${separator}${more(n)}`;
  const reserve = measure(tail(items.length), unit);
  let used = 0;
  let shown = 0;
  for (const item of items) {
    const size = measure(item, unit) + (shown > 0 ? measure(separator, unit) : 0);
    if (used + size + reserve > max) break;
    used += size;
    shown++;
  }
  if (shown === 0) {
    const first = clip(items[0] ?? '', max - reserve, unit);
    return `${first}${tail(items.length - 1)}`;
  }
  return `${items.slice(0, shown).join(separator)}${tail(items.length - shown)}`;
}

const boundFields = (fields: readonly string[] | undefined): { fields?: string[] } =>
  fields === undefined ? {} : { fields: fields.slice(0, STATUS_LIMITS.fields).map((f) => clip(f, OWN_LIMITS.fieldPath, 'codePoints')) };

const boundCondition = (c: Condition): Condition => ({
  ...c,
  reason: cut(c.reason, STATUS_LIMITS.conditionReason, 'codePoints'),
  message: clip(c.message, STATUS_LIMITS.conditionMessage, 'codePoints'),
});

const boundDrift = (d: DriftEntry): DriftEntry => {
  const { fields, ...rest } = d;
  return { ...rest, ...boundFields(fields) };
};

const boundRepair = (r: RepairEntry): RepairEntry => {
  const { fields, ...rest } = r;
  return { ...rest, ...boundFields(fields) };
};

const boundFinding = (f: Finding): Finding => ({ ...f, message: clip(f.message, OWN_LIMITS.findingMessage, 'codePoints') });

/** `status` with every list and string within the CRD's limits (and kubeposture's own); lists cut past their limit say so where the schema can. */
export function boundStatus(status: SecurityBaselineStatus): SecurityBaselineStatus {
  const { conditions, drift, driftTruncated, repairs, findings, findingsTruncated, exceptions, exceptionsTruncated, ...rest } = status;
  return {
    ...rest,
    ...(conditions === undefined ? {} : { conditions: conditions.slice(0, STATUS_LIMITS.conditions).map(boundCondition) }),
    ...(drift === undefined ? {} : { drift: drift.slice(0, STATUS_LIMITS.drift).map(boundDrift) }),
    ...(drift === undefined && driftTruncated === undefined
      ? {}
      : { driftTruncated: driftTruncated === true || (drift?.length ?? 0) > STATUS_LIMITS.drift }),
    ...(repairs === undefined
      ? {}
      : {
          repairs: {
            ...repairs,
            ...(repairs.recent === undefined ? {} : { recent: repairs.recent.slice(0, STATUS_LIMITS.recentRepairs).map(boundRepair) }),
          },
        }),
    ...(findings === undefined ? {} : { findings: findings.slice(0, STATUS_LIMITS.findings).map(boundFinding) }),
    ...(findings === undefined && findingsTruncated === undefined
      ? {}
      : { findingsTruncated: findingsTruncated === true || (findings?.length ?? 0) > STATUS_LIMITS.findings }),
    // An exception's reason and parts are within these bounds already (the exception's CRD and validator).
    ...(exceptions === undefined ? {} : { exceptions: exceptions.slice(0, STATUS_LIMITS.exceptions) }),
    ...(exceptions === undefined && exceptionsTruncated === undefined
      ? {}
      : { exceptionsTruncated: exceptionsTruncated === true || (exceptions?.length ?? 0) > STATUS_LIMITS.exceptions }),
  };
}

/**
 * An Event's name: `base.suffix`, a DNS subdomain of at most 253 characters,
 * `base` (an object's name) shortened when needed and ending alphanumeric.
 */
export function eventName(base: string, suffix: string): string {
  const head = cut(base, EVENT_LIMITS.name - suffix.length - 1, 'bytes').replace(/[^a-z0-9]+$/, '');
  return `${head === '' ? 'kubeposture' : head}.${suffix}`;
}
