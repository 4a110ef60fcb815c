/**
 * Reading an unknown value field by field, as apimachinery's field.ErrorList does: a Reader
 * collects errors that each name a field, and checks the CRD's list, string and map limits
 * before any item is read. With the checks of Kubernetes names and labels that several
 * validators share. Pure.
 */
import { limitsAt, type Limit } from './limits.ts';
import { parseQuantity } from './quantity.ts';
import type { LabelSelector, LabelSelectorRequirement, Quantity, ResourceList } from './types.ts';

/** One problem, with the path of the field it is in (`spec.limitRange.limits[0].max.cpu`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

const MAX_INT64 = 2n ** 63n - 1n;
/** The largest quantity Kubernetes stores, in the 10^-9 units of parseQuantity. */
const MAX_QUANTITY = MAX_INT64 * 10n ** 9n;
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A value as an error message may quote it: a scalar, cut to 80 characters, or
 * only what kind of value it is. Never the whole of an unknown value: YAML
 * aliases make small input a huge tree (issue 13, class 10).
 */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

export const plural = (n: number, noun: string): string => (n === 1 ? `one ${noun}` : `${String(n)} ${noun}s`);

/** Collects errors while reading an unknown value, field by field. */
export class Reader {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  /** An object, within the CRD's `minProperties`/`maxProperties` when `limit` has them. */
  record(v: unknown, field: string, limit: Limit = {}, noun = 'entry'): Readonly<Record<string, unknown>> | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(field, 'must be an object');
      return undefined;
    }
    const n = Object.keys(v).length;
    if (limit.maxProperties !== undefined && n > limit.maxProperties) {
      this.fail(field, `must have at most ${String(limit.maxProperties)} entries, has ${String(n)}`);
      return undefined;
    }
    if (limit.minProperties !== undefined && n < limit.minProperties) {
      this.fail(field, `must set at least ${plural(limit.minProperties, noun)}`);
      return undefined;
    }
    return v as Record<string, unknown>;
  }

  /**
   * A list, within the CRD's `minItems`/`maxItems`. Checked before any item is
   * read, so that no walk of a list the apiserver would refuse ever starts.
   */
  array(v: unknown, field: string, limit: Limit = {}, noun = 'item'): readonly unknown[] | undefined {
    if (!Array.isArray(v)) {
      this.fail(field, 'must be a list');
      return undefined;
    }
    if (limit.maxItems !== undefined && v.length > limit.maxItems) {
      this.fail(field, `must have at most ${String(limit.maxItems)} items, has ${String(v.length)}`);
      return undefined;
    }
    if (limit.minItems !== undefined && v.length < limit.minItems) {
      this.fail(field, `must list at least ${plural(limit.minItems, noun)}`);
      return undefined;
    }
    return v as unknown[];
  }

  /** A string, within the CRD's `minLength`/`maxLength` (checked before any pattern). */
  string(v: unknown, field: string, limit: Limit = {}): string | undefined {
    if (typeof v !== 'string') {
      this.fail(field, 'must be a string');
      return undefined;
    }
    if (limit.maxLength !== undefined && v.length > limit.maxLength) {
      this.fail(field, `must be at most ${String(limit.maxLength)} characters long, is ${String(v.length)}`);
      return undefined;
    }
    if (limit.minLength !== undefined && v.length < limit.minLength) {
      this.fail(field, limit.minLength === 1 ? 'must not be empty' : `must be at least ${String(limit.minLength)} characters long`);
      return undefined;
    }
    return v;
  }

  bool(v: unknown, field: string, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    this.fail(field, 'must be true or false');
    return fallback;
  }

  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], fallback?: T): T | undefined {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    this.fail(field, `must be one of ${allowed.join(', ')}${v === undefined ? ' (it is missing)' : `, not ${shown(v)}`}`);
    return undefined;
  }

  /** A list of strings, the list within `limits.list` and each string within `limits.item`. */
  strings(
    v: unknown,
    field: string,
    limits: { readonly list?: Limit; readonly item?: Limit; readonly noun?: string } = {},
    check?: (s: string, f: string) => void,
  ): string[] | undefined {
    const list = this.array(v, field, limits.list, limits.noun);
    if (list === undefined) return undefined;
    const out: string[] = [];
    list.forEach((item, i) => {
      const s = this.string(item, `${field}[${String(i)}]`, limits.item);
      if (s === undefined) return;
      check?.(s, `${field}[${String(i)}]`);
      out.push(s);
    });
    return out;
  }

  resourceList(v: unknown, field: string, limit?: Limit): ResourceList | undefined {
    const rec = this.record(v, field, limit, 'limit');
    if (rec === undefined) return undefined;
    const out: Record<string, Quantity> = {};
    for (const [k, q] of Object.entries(rec)) {
      const f = `${field}[${k}]`;
      if (typeof q !== 'string' && typeof q !== 'number') {
        this.fail(f, 'must be a quantity such as 500m, 2Gi or 10');
        continue;
      }
      const value = parseQuantity(q);
      if (value === undefined) this.fail(f, `${shown(q)} is not a quantity (use forms such as 500m, 2Gi or 10)`);
      else if (value < 0n) this.fail(f, 'must not be negative');
      // Kubernetes caps larger quantities at 2^63-1: the object would never hold the value asked for.
      else if (value > MAX_QUANTITY) this.fail(f, `${shown(q)} is larger than Kubernetes can store (${MAX_INT64.toString()})`);
      out[k] = q;
    }
    return out;
  }
}

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key ${shown(key)} has an invalid prefix (a DNS subdomain such as example.com)`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${shown(key)} is not valid (at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric)`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  return value.length > 63 || !LABEL_VALUE.test(value)
    ? `label value ${JSON.stringify(value)} is not valid (at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric)`
    : undefined;
}

/** Why `name` is not a valid namespace name (a DNS label), or undefined when it is. */
export function namespaceNameProblem(name: string): string | undefined {
  return name.length > 63 || !DNS_LABEL.test(name)
    ? `${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} is not a namespace name (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)`
    : undefined;
}

export function labelKey(r: Reader, key: string, field: string): void {
  const problem = labelKeyProblem(key);
  if (problem !== undefined) r.fail(field, problem);
}

export function labelValue(r: Reader, value: string, field: string): void {
  const problem = labelValueProblem(value);
  if (problem !== undefined) r.fail(field, problem);
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/**
 * A metav1.LabelSelector, checked as Kubernetes checks one (ValidateLabelSelector). Every selector
 * is held to namespaceSelector's bounds, the only selector whose bounds the CRD spells out.
 */
export function labelSelector(r: Reader, v: unknown, field: string): LabelSelector | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const out: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] } = {};
  if (rec.matchLabels !== undefined) {
    const ml = r.record(rec.matchLabels, `${field}.matchLabels`, limitsAt('spec.namespaceSelector.matchLabels'));
    if (ml !== undefined) {
      out.matchLabels = {};
      for (const [k, val] of Object.entries(ml)) {
        const f = `${field}.matchLabels[${k}]`;
        labelKey(r, k, f);
        const s = r.string(val, f, limitsAt('spec.namespaceSelector.matchLabels{}'));
        if (s !== undefined) {
          labelValue(r, s, f);
          out.matchLabels[k] = s;
        }
      }
    }
  }
  if (rec.matchExpressions !== undefined) {
    const list = r.array(rec.matchExpressions, `${field}.matchExpressions`, limitsAt('spec.namespaceSelector.matchExpressions')) ?? [];
    out.matchExpressions = [];
    list.forEach((e, i) => {
      const f = `${field}.matchExpressions[${String(i)}]`;
      const expr = r.record(e, f);
      if (expr === undefined) return;
      const key = r.string(expr.key, `${f}.key`, limitsAt('spec.namespaceSelector.matchExpressions[].key'));
      if (key !== undefined) labelKey(r, key, `${f}.key`);
      const operator = r.oneOf(expr.operator, `${f}.operator`, OPERATORS);
      const values =
        expr.values === undefined
          ? undefined
          : r.strings(
              expr.values,
              `${f}.values`,
              {
                list: limitsAt('spec.namespaceSelector.matchExpressions[].values'),
                item: limitsAt('spec.namespaceSelector.matchExpressions[].values[]'),
                noun: 'value',
              },
              (s, vf) => {
                labelValue(r, s, vf);
              },
            );
      if ((operator === 'In' || operator === 'NotIn') && (values === undefined || values.length === 0)) {
        r.fail(`${f}.values`, `must list at least one value when operator is ${operator}`);
      }
      if ((operator === 'Exists' || operator === 'DoesNotExist') && values !== undefined && values.length > 0) {
        r.fail(`${f}.values`, `must be empty when operator is ${operator}`);
      }
      if (key !== undefined && operator !== undefined) {
        out.matchExpressions?.push({ key, operator, ...(values === undefined || values.length === 0 ? {} : { values }) });
      }
    });
  }
  // As Kubernetes stores a selector: empty maps and lists are omitted.
  if (out.matchLabels !== undefined && Object.keys(out.matchLabels).length === 0) delete out.matchLabels;
  if (out.matchExpressions?.length === 0) delete out.matchExpressions;
  return out;
}
