/**
 * The trust boundary for SecurityBaselines: turns an unknown value (a file, an
 * informer's cache entry) into a {@link SecurityBaseline} with the CRD's
 * defaults applied, or into errors that each name a field. It re-checks what
 * the CRD's schema and CEL rules enforce (the CRD may be an older one, the
 * input may never have met an apiserver) and adds what only makes sense with
 * Kubernetes' own rules in hand: LimitRange orderings, quota resource names.
 * A spec that fails here is reported `Stalled` and acted on nowhere.
 *
 * One reader per section of the spec, in the CRD's order, so it reads beside crds/; the reading
 * itself (field paths, the CRD's limits, label and name checks) is field-reader.ts.
 */
import { API_VERSION, KIND } from './constants.ts';
import { enforcedWrites, READ_VERBS } from './grants.ts';
import { limitsAt } from './limits.ts';
import { compareQuantities } from './quantity.ts';
import type {
  DeletionPolicy,
  LimitRangeItem,
  Mode,
  NetworkPolicySpec,
  PodSecurityLevel,
  PodSecuritySpec,
  PolicyRule,
  ResourceList,
  SecurityBaseline,
  SecurityBaselineSpec,
  ServiceAccountsSpec,
  WorkloadServiceAccount,
} from './types.ts';
import { ROLLOUTS } from './types.ts';
import { defaultLimitRangeItem } from './defaults.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, labelSelector, Reader, shown, type FieldError } from './field-reader.ts';
import { additionalPolicies, dnsSpec } from './network-policy.ts';

export type ParseResult =
  { readonly ok: true; readonly baseline: SecurityBaseline } | { readonly ok: false; readonly errors: readonly FieldError[] };

const GLOB = /^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/;
const PSA_VERSION = /^(latest|v1\.(0|[1-9][0-9]*))$/;
const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'] as const;
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];
/** core/v1 standard quota resources (IsStandardQuotaResourceName). */
const QUOTA_RESOURCES = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
]);
const PRIORITY = limitsAt('spec.priority');

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
    if (item.default !== undefined)
      r.fail(`${field}.default`, 'may not be set when type is Pod (Kubernetes applies defaults per container)');
    if (item.defaultRequest !== undefined)
      r.fail(`${field}.defaultRequest`, 'may not be set when type is Pod (Kubernetes applies defaults per container)');
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
    return rec[key] === undefined
      ? undefined
      : r.strings(rec[key], `${field}.${key}`, { list: limitsAt(`${rules}.${key}`), item: limitsAt(`${rules}.${key}[]`), noun });
  };
  const optional = (key: 'apiGroups' | 'resourceNames'): string[] | undefined =>
    rec[key] === undefined
      ? undefined
      : r.strings(rec[key], `${field}.${key}`, { list: limitsAt(`${rules}.${key}`), item: limitsAt(`${rules}.${key}[]`) });
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
    r.fail(
      `${field}.verbs`,
      `grants ${granted.map((v) => JSON.stringify(v)).join(', ')} on ${enforced.join(', ')}, which kubeposture enforces: a workload could undo its own baseline; rules may only get, list and watch these`,
    );
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
      if (!DNS_LABEL.test(name))
        r.fail(`${f}.name`, `${JSON.stringify(name)} is not a valid name (lowercase letters, digits and '-', at most 63)`);
      if (name === 'default') r.fail(`${f}.name`, 'must not be "default": set disableDefaultTokenMount for the default ServiceAccount');
      const prev = seen.get(name);
      if (prev !== undefined) r.fail(`${f}.name`, `duplicates workloads[${String(prev)}].name ${JSON.stringify(name)}`);
      seen.set(name, i);
    }
    const automount = r.bool(sa.automountServiceAccountToken, `${f}.automountServiceAccountToken`, false);
    const rules =
      sa.rules === undefined
        ? undefined
        : (r.array(sa.rules, `${f}.rules`, limitsAt('spec.serviceAccounts.workloads[].rules')) ?? []).flatMap(
            (rule, j) => policyRule(r, rule, `${f}.rules[${String(j)}]`) ?? [],
          );
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
    if (s !== undefined && !PSA_VERSION.test(s))
      r.fail(`${field}.${k}`, `${shown(s)} is not a Pod Security version: use "latest" or "v1.N"`);
    return s ?? 'latest';
  };
  return {
    ...level('enforce'),
    enforceVersion: version('enforceVersion'),
    ...level('audit'),
    auditVersion: version('auditVersion'),
    ...level('warn'),
    warnVersion: version('warnVersion'),
    rollout: rec.rollout === undefined ? 'Immediate' : (r.oneOf(rec.rollout, `${field}.rollout`, ROLLOUTS) ?? 'Immediate'),
  };
}

function networkPolicy(r: Reader, v: unknown, field: string): NetworkPolicySpec {
  const rec = v === undefined ? {} : (r.record(v, field) ?? {});
  const dns = rec.dns === undefined ? undefined : dnsSpec(r, rec.dns, `${field}.dns`);
  const additional = rec.additional === undefined ? undefined : additionalPolicies(r, rec.additional, `${field}.additional`);
  return {
    denyIngress: r.bool(rec.denyIngress, `${field}.denyIngress`, true),
    denyEgress: r.bool(rec.denyEgress, `${field}.denyEgress`, true),
    allowDNS: r.bool(rec.allowDNS, `${field}.allowDNS`, true),
    allowSameNamespace: r.bool(rec.allowSameNamespace, `${field}.allowSameNamespace`, false),
    ...(dns === undefined ? {} : { dns }),
    ...(additional === undefined ? {} : { additional }),
  };
}

function spec(r: Reader, v: unknown): SecurityBaselineSpec {
  const rec = r.record(v, 'spec') ?? {};
  const mode = r.oneOf<Mode>(rec.mode, 'spec.mode', ['Enforce', 'Audit'], 'Enforce') ?? 'Enforce';
  const deletionPolicy = r.oneOf<DeletionPolicy>(rec.deletionPolicy, 'spec.deletionPolicy', ['Delete', 'Orphan'], 'Delete') ?? 'Delete';
  let priority = 0;
  if (rec.priority !== undefined) {
    if (typeof rec.priority !== 'number' || !Number.isInteger(rec.priority)) r.fail('spec.priority', 'must be a whole number');
    else if (rec.priority < PRIORITY.minimum || rec.priority > PRIORITY.maximum)
      r.fail('spec.priority', `must be between ${String(PRIORITY.minimum)} and ${String(PRIORITY.maximum)}`);
    else priority = rec.priority;
  }
  const out: {
    -readonly [K in keyof SecurityBaselineSpec]: SecurityBaselineSpec[K];
  } = { mode, priority, deletionPolicy, networkPolicy: networkPolicy(r, rec.networkPolicy, 'spec.networkPolicy') };
  if (rec.namespaceSelector !== undefined) {
    const s = labelSelector(r, rec.namespaceSelector, 'spec.namespaceSelector');
    if (s !== undefined) out.namespaceSelector = s;
  }
  if (rec.excludeNamespaces !== undefined) {
    const globs = r.strings(
      rec.excludeNamespaces,
      'spec.excludeNamespaces',
      { list: limitsAt('spec.excludeNamespaces'), item: limitsAt('spec.excludeNamespaces[]') },
      (s, f) => {
        if (!GLOB.test(s))
          r.fail(f, `${JSON.stringify(s)} is not a namespace glob (lowercase letters, digits, '-', '*' and '?', at most 63)`);
      },
    );
    if (globs !== undefined) out.excludeNamespaces = globs;
  }
  if (rec.limitRange !== undefined) {
    const lr = r.record(rec.limitRange, 'spec.limitRange');
    const list = lr === undefined ? undefined : r.array(lr.limits, 'spec.limitRange.limits', limitsAt('spec.limitRange.limits'));
    if (list !== undefined)
      out.limitRange = { limits: list.flatMap((item, i) => limitRangeItem(r, item, `spec.limitRange.limits[${String(i)}]`) ?? []) };
  }
  if (rec.resourceQuota !== undefined) {
    const rq = r.record(rec.resourceQuota, 'spec.resourceQuota');
    const hard = rq === undefined ? undefined : r.resourceList(rq.hard, 'spec.resourceQuota.hard', limitsAt('spec.resourceQuota.hard'));
    if (hard !== undefined) {
      for (const res of Object.keys(hard)) {
        const isHugePages = /^(requests\.)?hugepages-/.test(res);
        if (!res.includes('/') && !QUOTA_RESOURCES.has(res) && !isHugePages) {
          r.fail(
            `spec.resourceQuota.hard[${res}]`,
            `${shown(res)} is not a resource Kubernetes can quota (for example pods, requests.cpu, limits.memory, count/deployments.apps)`,
          );
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
  if (name !== undefined && (name.length > 253 || !DNS_SUBDOMAIN.test(name)))
    r.fail('metadata.name', `${shown(name)} is not a valid object name`);
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
