/**
 * The trust boundary for SecurityBaselines: turns an unknown value (a file, an
 * informer's cache entry) into a {@link SecurityBaseline} with the CRD's
 * defaults applied, or into errors that each name a field. It re-checks what
 * the CRD's schema and CEL rules enforce (the CRD may be an older one, the
 * input may never have met an apiserver) and adds what only makes sense with
 * Kubernetes' own rules in hand: LimitRange orderings, quota resource names.
 * A spec that fails here is reported `Stalled` and acted on nowhere.
 *
 * Longer than most files on purpose: it walks the spec in the CRD's own order, one reader per
 * schema section, so that it can be read beside crds/ field by field; split across files, the
 * two would no longer line up.
 */
import { API_VERSION, KIND } from './constants.ts';
import { enforcedWrites, READ_VERBS } from './grants.ts';
import { limitsAt, type Limit } from './limits.ts';
import { compareQuantities, parseQuantity } from './quantity.ts';
import type {
  DeletionPolicy, LabelSelector, LabelSelectorRequirement, LimitRangeItem, Mode, NetworkPolicySpec,
  PodSecurityLevel, PodSecuritySpec, PolicyRule, Quantity, ResourceList, SecurityBaseline, SecurityBaselineSpec,
  ServiceAccountsSpec, WorkloadServiceAccount,
} from './types.ts';
import { defaultLimitRangeItem } from './defaults.ts';

/** One problem, with the path of the field it is in (`spec.limitRange.limits[0].max.cpu`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type ParseResult =
  | { readonly ok: true; readonly baseline: SecurityBaseline }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

const MAX_INT64 = 2n ** 63n - 1n;
/** The largest quantity Kubernetes stores, in the 10^-9 units of parseQuantity. */
const MAX_QUANTITY = MAX_INT64 * 10n ** 9n;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GLOB = /^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const PSA_VERSION = /^(latest|v1\.(0|[1-9][0-9]*))$/;
const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'] as const;
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
/** core/v1 standard quota resources (IsStandardQuotaResourceName). */
const QUOTA_RESOURCES = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu',
  'requests.memory', 'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory',
  'limits.ephemeral-storage',
]);
const PRIORITY = limitsAt('spec.priority');

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

const plural = (n: number, noun: string): string => (n === 1 ? `one ${noun}` : `${String(n)} ${noun}s`);

/** Collects errors while reading an unknown value, field by field. */
class Reader {
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
  strings(v: unknown, field: string, limits: { readonly list?: Limit; readonly item?: Limit; readonly noun?: string } = {}, check?: (s: string, f: string) => void): string[] | undefined {
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

function labelKey(r: Reader, key: string, field: string): void {
  const problem = labelKeyProblem(key);
  if (problem !== undefined) r.fail(field, problem);
}

function labelValue(r: Reader, value: string, field: string): void {
  const problem = labelValueProblem(value);
  if (problem !== undefined) r.fail(field, problem);
}

function selector(r: Reader, v: unknown, field: string): LabelSelector | undefined {
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
      const values = expr.values === undefined ? undefined : r.strings(expr.values, `${f}.values`, {
        list: limitsAt('spec.namespaceSelector.matchExpressions[].values'), item: limitsAt('spec.namespaceSelector.matchExpressions[].values[]'), noun: 'value',
      }, (s, vf) => { labelValue(r, s, vf); });
      if ((operator === 'In' || operator === 'NotIn') && (values === undefined || values.length === 0)) {
        r.fail(`${f}.values`, `must list at least one value when operator is ${operator}`);
      }
      if ((operator === 'Exists' || operator === 'DoesNotExist') && values !== undefined && values.length > 0) {
        r.fail(`${f}.values`, `must be empty when operator is ${operator}`);
      }
      if (key !== undefined && operator !== undefined) {
        out.matchExpressions?.push({ key, operator, ...(values === undefined ? {} : { values }) });
      }
    });
  }
  return out;
}

/** Kubernetes' LimitRange rules, checked after its defaulting: min ≤ defaultRequest ≤ default ≤ max. */
function limitRangeItem(r: Reader, v: unknown, field: string): LimitRangeItem | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const type = r.oneOf(rec.type, `${field}.type`, LIMIT_TYPES);
  const lists: Partial<Record<'default' | 'defaultRequest' | 'max' | 'min' | 'maxLimitRequestRatio', ResourceList>> = {};
  for (const key of ['default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio'] as const) {
    if (rec[key] !== undefined) {
      const list = r.resourceList(rec[key], `${field}.${key}`, limitsAt(`spec.limitRange.limits[].${key}`));
      if (list !== undefined) lists[key] = list;
    }
  }
  if (type === undefined) return undefined;
  const item: LimitRangeItem = { type, ...lists };
  if (type === 'Pod') {
    if (item.default !== undefined) r.fail(`${field}.default`, 'may not be set when type is Pod (Kubernetes applies defaults per container)');
    if (item.defaultRequest !== undefined) r.fail(`${field}.defaultRequest`, 'may not be set when type is Pod (Kubernetes applies defaults per container)');
  }
  if (type === 'PersistentVolumeClaim') {
    for (const key of ['default', 'defaultRequest', 'max', 'min'] as const) {
      for (const res of Object.keys(item[key] ?? {})) {
        if (res !== 'storage') r.fail(`${field}.${key}[${res}]`, 'PersistentVolumeClaim limits only take the resource "storage"');
      }
    }
  }
  const d = defaultLimitRangeItem(item);
  const order = ['min', 'defaultRequest', 'default', 'max'] as const;
  for (const [i, loName] of order.entries()) {
    for (const hiName of order.slice(i + 1)) {
      for (const [res, q] of Object.entries(d[loName] ?? {})) {
        const upper = d[hiName]?.[res];
        if (upper !== undefined && compareQuantities(q, upper) === 1) {
          const defaulted = item[loName]?.[res] === undefined || item[hiName]?.[res] === undefined;
          const note = defaulted ? ' (Kubernetes fills a missing default from max, and a missing defaultRequest from default or min)' : '';
          r.fail(`${field}.${loName}[${res}]`, `${String(q)} is greater than ${hiName} ${String(upper)}${note}`);
        }
      }
    }
  }
  for (const [res, q] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    if (compareQuantities(q, 1) === -1) r.fail(`${field}.maxLimitRequestRatio[${res}]`, 'must be at least 1');
  }
  return item;
}

function policyRule(r: Reader, v: unknown, field: string): PolicyRule | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  if (rec.nonResourceURLs !== undefined) r.fail(`${field}.nonResourceURLs`, 'is not allowed in a namespaced Role');
  const rules = 'spec.serviceAccounts.workloads[].rules[]';
  const required = (key: 'verbs' | 'resources'): string[] | undefined => {
    const noun = key === 'verbs' ? 'verb' : 'resource';
    if (rec[key] === undefined) r.fail(`${field}.${key}`, `must list at least one ${noun}`);
    return rec[key] === undefined ? undefined : r.strings(rec[key], `${field}.${key}`, { list: limitsAt(`${rules}.${key}`), item: limitsAt(`${rules}.${key}[]`), noun });
  };
  const optional = (key: 'apiGroups' | 'resourceNames'): string[] | undefined =>
    rec[key] === undefined ? undefined : r.strings(rec[key], `${field}.${key}`, { list: limitsAt(`${rules}.${key}`), item: limitsAt(`${rules}.${key}[]`) });
  const verbs = required('verbs');
  const resources = required('resources');
  const apiGroups = optional('apiGroups');
  const resourceNames = optional('resourceNames');
  if (verbs === undefined || resources === undefined) return undefined;
  const rule: PolicyRule = {
    ...(apiGroups === undefined ? {} : { apiGroups }),
    resources,
    ...(resourceNames === undefined ? {} : { resourceNames }),
    verbs,
  };
  const enforced = enforcedWrites(rule);
  if (enforced.length > 0) {
    const granted = verbs.filter((v) => !READ_VERBS.has(v));
    r.fail(`${field}.verbs`, `grants ${granted.map((v) => JSON.stringify(v)).join(', ')} on ${enforced.join(', ')}, which kubeposture enforces: a workload could undo its own baseline; rules may only get, list and watch these`);
  }
  return rule;
}

function serviceAccounts(r: Reader, v: unknown, field: string): ServiceAccountsSpec | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const disableDefaultTokenMount = r.bool(rec.disableDefaultTokenMount, `${field}.disableDefaultTokenMount`, true);
  if (rec.workloads === undefined) return { disableDefaultTokenMount };
  const list = r.array(rec.workloads, `${field}.workloads`, limitsAt('spec.serviceAccounts.workloads')) ?? [];
  const seen = new Map<string, number>();
  const workloads: WorkloadServiceAccount[] = [];
  list.forEach((w, i) => {
    const f = `${field}.workloads[${String(i)}]`;
    const sa = r.record(w, f);
    if (sa === undefined) return;
    const name = r.string(sa.name, `${f}.name`, limitsAt('spec.serviceAccounts.workloads[].name'));
    if (name !== undefined) {
      if (!DNS_LABEL.test(name)) r.fail(`${f}.name`, `${JSON.stringify(name)} is not a valid name (lowercase letters, digits and '-', at most 63)`);
      if (name === 'default') r.fail(`${f}.name`, 'must not be "default": set disableDefaultTokenMount for the default ServiceAccount');
      const prev = seen.get(name);
      if (prev !== undefined) r.fail(`${f}.name`, `duplicates workloads[${String(prev)}].name ${JSON.stringify(name)}`);
      seen.set(name, i);
    }
    const automount = r.bool(sa.automountServiceAccountToken, `${f}.automountServiceAccountToken`, false);
    const rules = sa.rules === undefined ? undefined : (r.array(sa.rules, `${f}.rules`, limitsAt('spec.serviceAccounts.workloads[].rules')) ?? []).flatMap((rule, j) => policyRule(r, rule, `${f}.rules[${String(j)}]`) ?? []);
    if (name !== undefined) workloads.push({ name, automountServiceAccountToken: automount, ...(rules === undefined ? {} : { rules }) });
  });
  return { disableDefaultTokenMount, workloads };
}

function podSecurity(r: Reader, v: unknown, field: string): PodSecuritySpec | undefined {
  const rec = r.record(v, field);
  if (rec === undefined) return undefined;
  const level = (k: 'enforce' | 'audit' | 'warn'): Partial<Record<typeof k, PodSecurityLevel>> =>
    rec[k] === undefined ? {} : ((l) => (l === undefined ? {} : { [k]: l }))(r.oneOf(rec[k], `${field}.${k}`, LEVELS));
  const version = (k: 'enforceVersion' | 'auditVersion' | 'warnVersion'): string => {
    if (rec[k] === undefined) return 'latest';
    const s = r.string(rec[k], `${field}.${k}`);
    if (s !== undefined && !PSA_VERSION.test(s)) r.fail(`${field}.${k}`, `${shown(s)} is not a Pod Security version: use "latest" or "v1.N"`);
    return s ?? 'latest';
  };
  return {
    ...level('enforce'), enforceVersion: version('enforceVersion'),
    ...level('audit'), auditVersion: version('auditVersion'),
    ...level('warn'), warnVersion: version('warnVersion'),
  };
}

function networkPolicy(r: Reader, v: unknown, field: string): NetworkPolicySpec {
  const rec = v === undefined ? {} : r.record(v, field) ?? {};
  return {
    denyIngress: r.bool(rec.denyIngress, `${field}.denyIngress`, true),
    denyEgress: r.bool(rec.denyEgress, `${field}.denyEgress`, true),
    allowDNS: r.bool(rec.allowDNS, `${field}.allowDNS`, true),
    allowSameNamespace: r.bool(rec.allowSameNamespace, `${field}.allowSameNamespace`, false),
  };
}

function spec(r: Reader, v: unknown): SecurityBaselineSpec {
  const rec = r.record(v, 'spec') ?? {};
  const mode = r.oneOf<Mode>(rec.mode, 'spec.mode', ['Enforce', 'Audit'], 'Enforce') ?? 'Enforce';
  const deletionPolicy = r.oneOf<DeletionPolicy>(rec.deletionPolicy, 'spec.deletionPolicy', ['Delete', 'Orphan'], 'Delete') ?? 'Delete';
  let priority = 0;
  if (rec.priority !== undefined) {
    if (typeof rec.priority !== 'number' || !Number.isInteger(rec.priority)) r.fail('spec.priority', 'must be a whole number');
    else if (rec.priority < PRIORITY.minimum || rec.priority > PRIORITY.maximum) r.fail('spec.priority', `must be between ${String(PRIORITY.minimum)} and ${String(PRIORITY.maximum)}`);
    else priority = rec.priority;
  }
  const out: {
    -readonly [K in keyof SecurityBaselineSpec]: SecurityBaselineSpec[K]
  } = { mode, priority, deletionPolicy, networkPolicy: networkPolicy(r, rec.networkPolicy, 'spec.networkPolicy') };
  if (rec.namespaceSelector !== undefined) {
    const s = selector(r, rec.namespaceSelector, 'spec.namespaceSelector');
    if (s !== undefined) out.namespaceSelector = s;
  }
  if (rec.excludeNamespaces !== undefined) {
    const globs = r.strings(rec.excludeNamespaces, 'spec.excludeNamespaces', { list: limitsAt('spec.excludeNamespaces'), item: limitsAt('spec.excludeNamespaces[]') }, (s, f) => {
      if (!GLOB.test(s)) r.fail(f, `${JSON.stringify(s)} is not a namespace glob (lowercase letters, digits, '-', '*' and '?', at most 63)`);
    });
    if (globs !== undefined) out.excludeNamespaces = globs;
  }
  if (rec.limitRange !== undefined) {
    const lr = r.record(rec.limitRange, 'spec.limitRange');
    const list = lr === undefined ? undefined : r.array(lr.limits, 'spec.limitRange.limits', limitsAt('spec.limitRange.limits'));
    if (list !== undefined) out.limitRange = { limits: list.flatMap((item, i) => limitRangeItem(r, item, `spec.limitRange.limits[${String(i)}]`) ?? []) };
  }
  if (rec.resourceQuota !== undefined) {
    const rq = r.record(rec.resourceQuota, 'spec.resourceQuota');
    const hard = rq === undefined ? undefined : r.resourceList(rq.hard, 'spec.resourceQuota.hard', limitsAt('spec.resourceQuota.hard'));
    if (hard !== undefined) {
      for (const res of Object.keys(hard)) {
        const isHugePages = /^(requests\.)?hugepages-/.test(res);
        if (!res.includes('/') && !QUOTA_RESOURCES.has(res) && !isHugePages) {
          r.fail(`spec.resourceQuota.hard[${res}]`, `${shown(res)} is not a resource Kubernetes can quota (for example pods, requests.cpu, limits.memory, count/deployments.apps)`);
        }
      }
      out.resourceQuota = { hard };
    }
  }
  if (rec.serviceAccounts !== undefined) {
    const sa = serviceAccounts(r, rec.serviceAccounts, 'spec.serviceAccounts');
    if (sa !== undefined) out.serviceAccounts = sa;
  }
  if (rec.podSecurity !== undefined) {
    const ps = podSecurity(r, rec.podSecurity, 'spec.podSecurity');
    if (ps !== undefined) out.podSecurity = ps;
  }
  return out;
}

/**
 * Parses and validates a SecurityBaseline, applying the CRD's defaults.
 * Never throws: every problem comes back as a {@link FieldError}.
 */
export function parseSecurityBaseline(input: unknown): ParseResult {
  const r = new Reader();
  const obj = r.record(input, '(document)');
  if (obj === undefined) return { ok: false, errors: r.errors };
  if (obj.apiVersion !== API_VERSION) r.fail('apiVersion', `must be ${API_VERSION}, not ${shown(obj.apiVersion)}`);
  if (obj.kind !== KIND) r.fail('kind', `must be ${KIND}, not ${shown(obj.kind)}`);
  const meta = r.record(obj.metadata, 'metadata') ?? {};
  const name = r.string(meta.name, 'metadata.name');
  if (name !== undefined && (name.length > 253 || !DNS_SUBDOMAIN.test(name))) r.fail('metadata.name', `${shown(name)} is not a valid object name`);
  const s = spec(r, obj.spec);
  if (r.errors.length > 0 || name === undefined) return { ok: false, errors: r.errors };
  const generation = typeof meta.generation === 'number' ? meta.generation : 0;
  return {
    ok: true,
    baseline: {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name,
        uid: typeof meta.uid === 'string' ? meta.uid : '',
        generation,
        ...(typeof meta.deletionTimestamp === 'string' ? { deletionTimestamp: meta.deletionTimestamp } : {}),
        ...(typeof meta.resourceVersion === 'string' ? { resourceVersion: meta.resourceVersion } : {}),
      },
      spec: s,
    },
  };
}

/** "spec.mode: must be one of Enforce, Audit, not "Sometimes"; …" for a status message or CLI. */
export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
