/**
 * A corpus of bad SecurityBaseline manifests, made by mutating valid ones: wrong
 * types at every field, missing required fields, unknown fields, huge strings and
 * lists, invalid quantities, selectors and globs, unicode, deep nesting, and specs
 * that only the operator's own rules refuse (LimitRange orderings, quota resource
 * names). Each case names the field a good answer must name. Deterministic: the
 * same corpus every run.
 */
import { GROUP, VERSION } from '../../src/api/constants.ts';

export interface BadCase {
  readonly name: string;
  readonly manifest: Record<string, unknown>;
  /** The field (`spec.limitRange.limits[0].max.cpu`) the refusal or the Stalled message must name. */
  readonly field: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A full spec: every section, so that every field can be mutated. */
export function fullSpec(selector: Record<string, string>): Record<string, Json> {
  return {
    mode: 'Enforce',
    priority: 10,
    namespaceSelector: { matchLabels: selector, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['system'] }] },
    excludeNamespaces: ['sandbox-*'],
    deletionPolicy: 'Delete',
    networkPolicy: { denyIngress: true, denyEgress: true, allowDNS: true, allowSameNamespace: false },
    limitRange: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '512Mi' },
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          max: { cpu: '2', memory: '2Gi' },
          min: { cpu: '10m' },
        },
      ],
    },
    resourceQuota: { hard: { pods: '50', 'requests.cpu': '10', 'limits.memory': '20Gi' } },
    serviceAccounts: {
      disableDefaultTokenMount: true,
      workloads: [
        {
          name: 'app',
          automountServiceAccountToken: false,
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
      ],
    },
    podSecurity: { enforce: 'restricted', enforceVersion: 'latest', audit: 'restricted', warn: 'baseline' },
  };
}

/** `a.b[key]` and `a.b.key` are the same field (the apiserver and the operator spell map keys differently). */
const dotted = (path: string): string => path.replace(/\[([^\]0-9][^\]]*)\]/g, '.$1');

/** True when `message` names `field`, or a path within it or around it (never just "spec" unless that is the field). */
export function namesField(message: string, field: string): boolean {
  if (message.includes(field)) return true;
  const want = dotted(field);
  const paths = (message.match(/spec(\.[A-Za-z0-9_-]+|\[[^\]]*\])*/g) ?? []).map(dotted);
  return paths.some((p) => p !== 'spec' && (want.startsWith(p) || p.startsWith(want)));
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Every path in `v` with its value, as [segments, value]; list items as numbers. */
function leaves(v: Json, path: (string | number)[] = []): [(string | number)[], Json][] {
  const here: [(string | number)[], Json][] = path.length > 0 ? [[path, v]] : [];
  if (Array.isArray(v)) return [...here, ...v.flatMap((x, i) => leaves(x, [...path, i]))];
  if (v !== null && typeof v === 'object') return [...here, ...Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]))];
  return here;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `spec.a.b[0].c`, with keys that are not identifiers (label names) left to the parent. */
function fieldOf(path: readonly (string | number)[]): string {
  let out = 'spec';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${String(seg)}]`;
    else if (IDENT.test(seg)) out += `.${seg}`;
    else return out;
  }
  return out;
}

function setAt(obj: Record<string, Json>, path: readonly (string | number)[], value: Json | undefined): void {
  let node: Json = obj;
  for (const seg of path.slice(0, -1)) node = (node as Record<string | number, Json>)[seg] ?? null;
  const last = path[path.length - 1];
  if (last === undefined || node === null || typeof node !== 'object') return;
  if (value === undefined) {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
    else Reflect.deleteProperty(node, String(last));
  } else {
    (node as Record<string | number, Json>)[last] = value;
  }
}

/** Two values of other JSON types than `v`. */
function wrongTypes(v: Json): [Json, Json] {
  if (typeof v === 'string') return [12345, { an: 'object' }];
  if (typeof v === 'number') return ['twelve', true];
  if (typeof v === 'boolean') return ['yes', 1];
  if (Array.isArray(v)) return [{ not: 'a list' }, 'a string'];
  if (v !== null && typeof v === 'object') return [['not', 'an', 'object'], 7];
  return ['x', 1];
}

function nested(depth: number): Json {
  let v: Json = 'bottom';
  for (let i = 0; i < depth; i++) v = { deeper: v };
  return v;
}

/** The corpus: at least 200 cases, each for a namespace selector `selector`. */
export function badCorpus(selector: Record<string, string>, prefix: string): BadCase[] {
  const base = fullSpec(selector);
  const cases: { name: string; spec: Record<string, Json> | Json; field: string; manifest?: Record<string, unknown> }[] = [];
  const mutate = (name: string, path: (string | number)[], value: Json | undefined, field = fieldOf(path)): void => {
    const spec = clone(base);
    setAt(spec, path, value);
    cases.push({ name, spec, field });
  };

  // Every field given values of two wrong types (a number is a quantity too).
  const isQuantity = (path: readonly (string | number)[]): boolean =>
    ['default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio', 'hard'].includes(String(path[path.length - 2]));
  for (const [path, v] of leaves(base)) {
    for (const w of isQuantity(path) ? [true, { an: 'object' }] : wrongTypes(v))
      mutate(`${typeof w === 'object' ? (Array.isArray(w) ? 'a list' : 'an object') : `a ${typeof w}`} at ${path.join('.')}`, path, w);
  }
  // Required fields missing.
  mutate('a LimitRange item without type', ['limitRange', 'limits', 0, 'type'], undefined);
  mutate('a quota without hard', ['resourceQuota', 'hard'], undefined);
  mutate('a workload without a name', ['serviceAccounts', 'workloads', 0, 'name'], undefined);
  mutate('a rule without verbs', ['serviceAccounts', 'workloads', 0, 'rules', 0, 'verbs'], undefined);
  mutate('a rule without resources', ['serviceAccounts', 'workloads', 0, 'rules', 0, 'resources'], undefined);
  mutate('an expression without key', ['namespaceSelector', 'matchExpressions', 0, 'key'], undefined);
  mutate('an expression without operator', ['namespaceSelector', 'matchExpressions', 0, 'operator'], undefined);
  // Unknown fields, at every object (sent with strict field validation, as kubectl does).
  for (const [path, v] of [[[], base] as [(string | number)[], Json], ...leaves(base)]) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    if (
      path[path.length - 1] === 'matchLabels' ||
      ['default', 'defaultRequest', 'max', 'min', 'hard'].includes(String(path[path.length - 1]))
    )
      continue;
    mutate(`an unknown field in ${fieldOf(path)}`, [...path, 'surprise'], 'boo', `${fieldOf(path)}.surprise`);
  }
  // Huge strings and lists.
  const huge = 'x'.repeat(100_000);
  mutate('a huge glob', ['excludeNamespaces', 0], huge);
  mutate('a huge workload name', ['serviceAccounts', 'workloads', 0, 'name'], huge);
  mutate('a huge label value', ['namespaceSelector', 'matchLabels'], { team: huge }, 'spec.namespaceSelector.matchLabels');
  mutate('a huge expression key', ['namespaceSelector', 'matchExpressions', 0, 'key'], huge);
  mutate('a huge verb', ['serviceAccounts', 'workloads', 0, 'rules', 0, 'verbs', 0], huge);
  mutate('a huge quantity', ['resourceQuota', 'hard', 'pods'], '9'.repeat(10_000), 'spec.resourceQuota.hard.pods');
  mutate(
    'too many globs',
    ['excludeNamespaces'],
    Array.from({ length: 5000 }, (_, i) => `n${String(i)}`),
  );
  mutate(
    'too many workloads',
    ['serviceAccounts', 'workloads'],
    Array.from({ length: 500 }, (_, i) => ({ name: `w${String(i)}` })),
  );
  mutate(
    'too many LimitRange items',
    ['limitRange', 'limits'],
    Array.from({ length: 300 }, () => ({ type: 'Container' })),
  );
  mutate(
    'too many rules',
    ['serviceAccounts', 'workloads', 0, 'rules'],
    Array.from({ length: 1000 }, () => ({ resources: ['pods'], verbs: ['get'] })),
  );
  mutate(
    'too many expressions',
    ['namespaceSelector', 'matchExpressions'],
    Array.from({ length: 1000 }, (_, i) => ({ key: `k${String(i)}`, operator: 'Exists' })),
  );
  mutate(
    'too many quota entries',
    ['resourceQuota', 'hard'],
    Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`count/thing${String(i)}.example.com`, '1'])),
    'spec.resourceQuota.hard',
  );
  // Invalid quantities.
  const quantities = ['two', '-1', '1.5.5', '', '1e400', '5 pods', '0x10', '∞', '1Ki2', '--1', '1..0', 'NaN'];
  quantities.forEach((q, i) => {
    mutate(
      `quantity ${JSON.stringify(q)} in a LimitRange`,
      ['limitRange', 'limits', 0, 'max', 'cpu'],
      q,
      'spec.limitRange.limits[0].max.cpu',
    );
    if (i % 2 === 0)
      mutate(`quantity ${JSON.stringify(q)} in the quota`, ['resourceQuota', 'hard', 'pods'], q, 'spec.resourceQuota.hard.pods');
  });
  // Selectors.
  const expressions: [string, Json][] = [
    ['operator Equals', { key: 'a', operator: 'Equals', values: ['x'] }],
    ['In without values', { key: 'a', operator: 'In' }],
    ['NotIn with no values', { key: 'a', operator: 'NotIn', values: [] }],
    ['Exists with values', { key: 'a', operator: 'Exists', values: ['x'] }],
    ['DoesNotExist with values', { key: 'a', operator: 'DoesNotExist', values: ['x'] }],
    ['a key with spaces', { key: 'bad key', operator: 'Exists' }],
    ['a key with two slashes', { key: 'a/b/c', operator: 'Exists' }],
    ['an empty key', { key: '', operator: 'Exists' }],
    ['a value with spaces', { key: 'a', operator: 'In', values: ['a b'] }],
    ['a value too long', { key: 'a', operator: 'In', values: ['v'.repeat(64)] }],
    ['a lowercase operator', { key: 'a', operator: 'in', values: ['x'] }],
  ];
  for (const [name, e] of expressions)
    mutate(`selector: ${name}`, ['namespaceSelector', 'matchExpressions', 0], e, 'spec.namespaceSelector.matchExpressions[0]');
  for (const [name, labels] of [
    ['a key with spaces', { 'bad key': 'x' }],
    ['a value with spaces', { team: 'a b' }],
    ['a value ending in a dash', { team: 'a-' }],
    ['an empty key', { '': 'x' }],
    ['a key too long', { ['k'.repeat(64)]: 'x' }],
  ] as const) {
    mutate(`matchLabels: ${name}`, ['namespaceSelector', 'matchLabels'], labels, 'spec.namespaceSelector.matchLabels');
  }
  // Globs.
  for (const g of ['Sandbox-*', 'a/b', '', '-a', 'a-', 'a_b', 'a b', '**/x', 'ä*', 'a.b']) {
    mutate(`glob ${JSON.stringify(g)}`, ['excludeNamespaces', 0], g, 'spec.excludeNamespaces[0]');
  }
  mutate('a duplicate glob', ['excludeNamespaces'], ['a-*', 'a-*'], 'spec.excludeNamespaces[1]');
  // Unicode where names go.
  for (const u of ['äpp', 'app\u200b', '应用', 'app🙂', 'ａｐｐ', '\u202eppa']) {
    mutate(`workload name ${JSON.stringify(u)}`, ['serviceAccounts', 'workloads', 0, 'name'], u, 'spec.serviceAccounts.workloads[0].name');
    mutate(`label value ${JSON.stringify(u)}`, ['namespaceSelector', 'matchLabels'], { team: u }, 'spec.namespaceSelector.matchLabels');
  }
  // Deep nesting where scalars or flat maps go.
  for (const [where, path] of [
    ['matchLabels', ['namespaceSelector', 'matchLabels']],
    ['a quantity', ['resourceQuota', 'hard', 'pods']],
    ['a verb', ['serviceAccounts', 'workloads', 0, 'rules', 0, 'verbs', 0]],
    ['the mode', ['mode']],
  ] as [string, (string | number)[]][]) {
    mutate(
      `deep nesting in ${where}`,
      path,
      nested(200),
      path[path.length - 1] === 'pods' ? 'spec.resourceQuota.hard.pods' : fieldOf(path),
    );
  }
  // Enumerations.
  for (const [path, v] of [
    [['mode'], 'Sometimes'],
    [['deletionPolicy'], 'Keep'],
    [['limitRange', 'limits', 0, 'type'], 'Node'],
    [['podSecurity', 'enforce'], 'strict'],
    [['podSecurity', 'warn'], 'Restricted'],
    [['podSecurity', 'enforceVersion'], '1.30'],
    [['priority'], -1],
    [['priority'], 2_000_000],
    [['priority'], 1.5],
  ] as [(string | number)[], Json][]) {
    mutate(`${fieldOf(path)} = ${JSON.stringify(v)}`, path, v);
  }
  mutate('a workload named default', ['serviceAccounts', 'workloads', 0, 'name'], 'default');
  mutate('duplicate workloads', ['serviceAccounts', 'workloads'], [{ name: 'a' }, { name: 'a' }], 'spec.serviceAccounts.workloads[1]');
  // Only the operator's rules: admitted by the apiserver, Stalled by the operator.
  mutate('a LimitRange min above its max', ['limitRange', 'limits', 0, 'min'], { cpu: '3' }, 'spec.limitRange.limits[0]');
  mutate(
    'a LimitRange default above its max',
    ['limitRange', 'limits', 0, 'default'],
    { cpu: '4', memory: '512Mi' },
    'spec.limitRange.limits[0]',
  );
  mutate(
    'a default request above the default',
    ['limitRange', 'limits', 0, 'defaultRequest'],
    { cpu: '1', memory: '128Mi' },
    'spec.limitRange.limits[0]',
  );
  mutate('a quota on an unknown resource', ['resourceQuota', 'hard'], { bananas: '3' }, 'spec.resourceQuota.hard');

  const out: BadCase[] = cases.map((c, i) => ({
    name: c.name,
    field: c.field,
    manifest: { apiVersion: `${GROUP}/${VERSION}`, kind: 'SecurityBaseline', metadata: { name: `${prefix}-${String(i)}` }, spec: c.spec },
  }));
  // The spec itself wrong.
  const whole = (name: string, spec: Json | undefined): void => {
    out.push({
      name,
      field: 'spec',
      manifest: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'SecurityBaseline',
        metadata: { name: `${prefix}-${String(out.length)}` },
        ...(spec === undefined ? {} : { spec }),
      },
    });
  };
  whole('no spec', undefined);
  whole('spec as a string', 'enforce everything');
  whole('spec as a list', [base]);
  whole('spec null', null);
  return out;
}

/** A manifest file that is bad before it is a SecurityBaseline: its YAML. */
export interface BadYaml {
  readonly name: string;
  readonly text: string;
  /** The field render's refusal must name. */
  readonly field: string;
}

const header = (name: string): string => `apiVersion: ${GROUP}/${VERSION}\nkind: SecurityBaseline\nmetadata: {name: ${name}}\n`;
const repeat = (n: number, s: string): string => Array.from({ length: n }, () => s).join(', ');

/**
 * Bad YAML (issue 13, class 10): files of a few kilobytes that aliases expand to
 * billions of values, a cycle, a file larger than render reads, and a plain list
 * too long without any alias. Deterministic.
 */
export function badYaml(prefix: string): BadYaml[] {
  // The shape that crashed render: thousands of aliased rules, each with thousands of verbs, in every workload.
  const rules = `${header(`${prefix}-laughs`)}spec:\n  serviceAccounts:\n    workloads:\n    - name: w0\n      rules: &rules [&r {resources: [configmaps], verbs: [${repeat(1000, 'get')}]}, ${repeat(2000, '*r')}]\n${Array.from({ length: 49 }, (_, i) => `    - {name: w${String(i + 1)}, rules: *rules}\n`).join('')}`;
  // The classic: ten levels of ten aliases, 10^10 strings, in a field that takes a list of strings.
  const levels = [`x0: &x0 [${repeat(10, 'lol')}]`];
  for (let i = 1; i <= 10; i++) levels.push(`x${String(i)}: &x${String(i)} [${repeat(10, `*x${String(i - 1)}`)}]`);
  const block = (key: string, n: number): string =>
    `${key}:\n${levels
      .slice(0, n)
      .map((l) => `  ${l}\n`)
      .join('')}`;
  const classic = `${header(`${prefix}-classic`)}${block('lol', 10)}spec:\n  excludeNamespaces: [${repeat(10, '*x9')}]\n`;
  // The same in a scalar's place, where an error message would quote the value.
  const inKind = `apiVersion: ${GROUP}/${VERSION}\n${block('levels', 11)}kind: *x10\nmetadata: {name: ${prefix}-kind}\nspec: {}\n`;
  return [
    {
      name: 'thousands of aliased rules, each with thousands of verbs, in 50 workloads',
      text: rules,
      field: 'spec.serviceAccounts.workloads[0].rules',
    },
    { name: 'ten levels of ten aliases in excludeNamespaces', text: classic, field: 'lol.x' },
    { name: 'ten levels of ten aliases as the kind', text: inKind, field: 'levels.x' },
    {
      name: 'an alias inside its own anchor',
      text: `${header(`${prefix}-cycle`)}spec: &s\n  mode: Enforce\n  namespaceSelector: {matchExpressions: [*s]}\n`,
      field: 'spec.namespaceSelector.matchExpressions[0]',
    },
    {
      name: 'a million and one namespaces to exclude, no alias',
      text: `${header(`${prefix}-long`)}spec:\n  excludeNamespaces: [${'a,'.repeat(1_000_000)}a]\n`,
      field: 'spec.excludeNamespaces[',
    },
    { name: 'a file over 4 MiB', text: `${header(`${prefix}-big`)}spec: {}\n# ${'x'.repeat(4 * 1024 * 1024)}\n`, field: '(file)' },
  ];
}
