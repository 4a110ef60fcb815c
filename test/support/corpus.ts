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
    networkPolicy: {
      denyIngress: true,
      denyEgress: true,
      allowDNS: true,
      allowSameNamespace: false,
      dns: { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ protocol: 'UDP', port: 53 }] },
      additional: [
        {
          name: 'from-ingress',
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
                  podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['controller'] }] },
                },
              ],
              ports: [{ protocol: 'TCP', port: 8080, endPort: 8090 }],
            },
          ],
        },
        {
          name: 'to-api',
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'https' }] }],
        },
      ],
    },
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

  // Every field given values of two wrong types (a number is a quantity too, and a NetworkPolicy port
  // is a number or a name).
  const numberOrString = (path: readonly (string | number)[]): boolean =>
    ['default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio', 'hard'].includes(String(path[path.length - 2])) ||
    path[path.length - 1] === 'port';
  for (const [path, v] of leaves(base)) {
    for (const w of numberOrString(path) ? [true, { an: 'object' }] : wrongTypes(v))
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
    [['podSecurity', 'rollout'], 'Gradual'],
    [['podSecurity', 'rollout'], 'whenClean'],
    [['podSecurity', 'rollout'], true],
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

  networkPolicyCases(mutate);

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

type Mutate = (name: string, path: (string | number)[], value: Json | undefined, field?: string) => void;

/** spec.networkPolicy.additional and dns (issue 15): what Kubernetes refuses on a NetworkPolicy, and kubeposture's own rules. */
function networkPolicyCases(mutate: Mutate): void {
  const add = ['networkPolicy', 'additional'];
  const first = [...add, 0];
  const rule = [...first, 'ingress', 0];
  const egress = ['networkPolicy', 'additional', 1, 'egress', 0];
  const field = (path: (string | number)[]): string =>
    `spec.${path
      .map((p) => (typeof p === 'number' ? `[${String(p)}]` : `.${p}`))
      .join('')
      .replace(/^\./, '')
      .replace(/\.\[/g, '[')}`;
  for (const reserved of ['default-deny', 'allow-dns', 'allow-same-namespace']) {
    mutate(`additional policy named ${reserved}`, [...first, 'name'], reserved);
  }
  mutate('two additional policies of one name', [...add, 1, 'name'], 'from-ingress', 'spec.networkPolicy.additional[1]');
  for (const name of ['From-Ingress', 'from.ingress', 'from_ingress', '-from', 'from-', '', 'a'.repeat(52)]) {
    mutate(`additional policy name ${JSON.stringify(name)}`, [...first, 'name'], name);
  }
  mutate('an additional policy without a name', [...first, 'name'], undefined);
  for (const [name, types] of [
    ['an unknown policy type', ['Sideways']],
    ['a lowercase policy type', ['ingress']],
    ['a policy type twice', ['Ingress', 'Ingress']],
    ['three policy types', ['Ingress', 'Egress', 'Ingress']],
  ] as [string, Json][]) {
    mutate(name, [...first, 'policyTypes'], types, field([...first, 'policyTypes']));
  }
  const port = [...rule, 'ports', 0];
  for (const [name, value, at] of [
    ['protocol ICMP', { protocol: 'ICMP', port: 80 }, 'protocol'],
    ['protocol tcp', { protocol: 'tcp', port: 80 }, 'protocol'],
    ['port 0', { port: 0 }, 'port'],
    ['port 65536', { port: 65536 }, 'port'],
    ['port -1', { port: -1 }, 'port'],
    ['port "80" (a number as a name)', { port: '80' }, 'port'],
    ['a port name too long', { port: 'a-very-long-port-name' }, 'port'],
    ['a port name with two dashes', { port: 'web--http' }, 'port'],
    ['a port name with capitals', { port: 'HTTP' }, 'port'],
    ['endPort below port', { port: 9000, endPort: 8000 }, 'endPort'],
    ['endPort with a named port', { port: 'http', endPort: 9000 }, 'endPort'],
    ['endPort without port', { endPort: 9000 }, 'endPort'],
    ['endPort 70000', { port: 80, endPort: 70000 }, 'endPort'],
  ] as [string, Json, string][]) {
    mutate(`ingress ${name}`, port, value, field([...port, at]));
  }
  const peer = [...rule, 'from', 0];
  for (const [name, value, at] of [
    ['an empty peer', {}, undefined],
    ['ipBlock with a namespaceSelector', { ipBlock: { cidr: '10.0.0.0/8' }, namespaceSelector: {} }, undefined],
    ['ipBlock with a podSelector', { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, undefined],
    ['a CIDR with prefix 33', { ipBlock: { cidr: '10.0.0.0/33' } }, 'ipBlock.cidr'],
    ['a CIDR without prefix', { ipBlock: { cidr: '10.0.0.1' } }, 'ipBlock.cidr'],
    ['an empty CIDR', { ipBlock: { cidr: '' } }, 'ipBlock.cidr'],
    ['a CIDR with a leading zero', { ipBlock: { cidr: '010.0.0.0/8' } }, 'ipBlock.cidr'],
    ['an IPv6 CIDR with prefix 129', { ipBlock: { cidr: '2001:db8::/129' } }, 'ipBlock.cidr'],
    ['a host name as CIDR', { ipBlock: { cidr: 'example.com/32' } }, 'ipBlock.cidr'],
    ['an ipBlock without cidr', { ipBlock: { except: ['10.0.0.0/16'] } }, 'ipBlock.cidr'],
    ['an except outside the cidr', { ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }, 'ipBlock.except[0]'],
    ['an except equal to the cidr', { ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }, 'ipBlock.except[0]'],
    ['an except of the other family', { ipBlock: { cidr: '10.0.0.0/8', except: ['fd00::/8'] } }, 'ipBlock.except[0]'],
    ['a selector operator Equals', { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } }, 'podSelector'],
    ['a selector In without values', { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }, 'namespaceSelector'],
    ['a selector label value with spaces', { podSelector: { matchLabels: { app: 'a b' } } }, 'podSelector'],
    ['a selector label key with spaces', { namespaceSelector: { matchLabels: { 'bad key': 'x' } } }, 'namespaceSelector'],
  ] as [string, Json, string | undefined][]) {
    mutate(`ingress peer: ${name}`, peer, value, at === undefined ? field(peer) : `${field(peer)}.${at}`);
  }
  mutate('egress to an empty peer', [...egress, 'to', 0], {}, field([...egress, 'to', 0]));
  mutate('egress port 0', [...egress, 'ports', 0], { port: 0 }, field([...egress, 'ports', 0, 'port']));
  mutate(
    'a pod selector with a bad operator',
    [...first, 'podSelector'],
    { matchExpressions: [{ key: 'a', operator: 'Near' }] },
    field([...first, 'podSelector']),
  );
  const dns = ['networkPolicy', 'dns'];
  for (const [name, value, at] of [
    ['dns.to empty (egress to everywhere)', { to: [] }, 'to'],
    ['dns.ports empty (every port)', { ports: [] }, 'ports'],
    ['dns.to an empty peer', { to: [{}] }, 'to[0]'],
    ['dns.to a bad CIDR', { to: [{ ipBlock: { cidr: '169.254.20.10/40' } }] }, 'to[0].ipBlock.cidr'],
    ['dns.ports port 0', { ports: [{ port: 0 }] }, 'ports[0].port'],
    ['dns.ports protocol ICMP', { ports: [{ protocol: 'ICMP', port: 53 }] }, 'ports[0].protocol'],
    ['dns.ports endPort below port', { ports: [{ port: 53, endPort: 52 }] }, 'ports[0].endPort'],
  ] as [string, Json, string][]) {
    mutate(name, dns, value, `spec.networkPolicy.dns.${at}`);
  }
  const many = (n: number, make: (i: number) => Json): Json[] => Array.from({ length: n }, (_, i) => make(i));
  mutate(
    '21 additional policies',
    add,
    many(21, (i) => ({ name: `p${String(i)}` })),
    'spec.networkPolicy.additional',
  );
  mutate(
    '51 ingress rules',
    [...first, 'ingress'],
    many(51, () => ({})),
    'spec.networkPolicy.additional[0].ingress',
  );
  mutate(
    '51 peers',
    [...rule, 'from'],
    many(51, () => ({ podSelector: {} })),
    'spec.networkPolicy.additional[0].ingress[0].from',
  );
  mutate(
    '51 ports',
    [...rule, 'ports'],
    many(51, (i) => ({ port: i + 1 })),
    'spec.networkPolicy.additional[0].ingress[0].ports',
  );
  mutate(
    '21 DNS peers',
    [...dns, 'to'],
    many(21, () => ({ podSelector: {} })),
    'spec.networkPolicy.dns.to',
  );
  mutate(
    '21 DNS ports',
    [...dns, 'ports'],
    many(21, (i) => ({ port: i + 1 })),
    'spec.networkPolicy.dns.ports',
  );
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

/** A bad SecurityBaselineException, and what refusing it (the apiserver) or judging it (the operator) must say. */
export interface BadException {
  readonly name: string;
  readonly manifest: Record<string, unknown>;
  /** The field the refusal or the Invalid condition must name. */
  readonly field: string;
  /** What the operator's condition says when the apiserver admits it: Invalid, or Expired (a time already past). */
  readonly judged: 'Invalid' | 'Expired';
}

/**
 * Exceptions made by mutating a valid one for `baseline` (which has the additional policy
 * `from-ingress` and the workload `app`) that lifts parts in `namespace`: what the CRD refuses,
 * and what only the operator can judge (an unknown baseline or part, an expiry past the horizon
 * or already past). `now` is the time the operator will judge them at, near enough.
 */
export function badExceptionCorpus(prefix: string, baseline: string, namespace: string, now: number): BadException[] {
  const base: Record<string, Json> = {
    baseline,
    namespaces: [namespace],
    exempt: ['networkPolicy.denyEgress', 'resourceQuota'],
    reason: 'vendor agent needs egress to its licence server (SEC-1234)',
    expires: new Date(now + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const cases: { name: string; spec: Json; field: string; judged?: 'Expired' }[] = [];
  const mutate = (name: string, path: (string | number)[], value: Json | undefined, field = fieldOf(path), judged?: 'Expired'): void => {
    const spec = clone(base);
    setAt(spec, path, value);
    cases.push({ name, spec, field, ...(judged === undefined ? {} : { judged }) });
  };
  for (const [path, v] of leaves(base)) for (const w of wrongTypes(v)) mutate(`exception: a ${typeof w} at ${path.join('.')}`, path, w);
  for (const key of Object.keys(base)) mutate(`exception without ${key}`, [key], undefined);
  mutate('exception: an unknown field in spec', ['surprise'], 'boo', 'spec.surprise');
  for (const [name, v] of [
    ['a baseline that is no name', 'Not_A_Name'],
    ['an empty baseline', ''],
  ] as [string, Json][])
    mutate(`exception: ${name}`, ['baseline'], v);
  mutate('exception: no namespaces', ['namespaces'], []);
  for (const g of ['Team-A', 'a/b', '', 'a b', 'ä*', 'a.b', 'x'.repeat(64)])
    mutate(`exception: namespace ${JSON.stringify(g)}`, ['namespaces', 0], g);
  mutate(
    'exception: 101 namespaces',
    ['namespaces'],
    Array.from({ length: 101 }, (_, i) => `n${String(i)}`),
  );
  mutate('exception: no parts', ['exempt'], []);
  for (const part of [
    'networkPolicy.allowDNS',
    'podSecurity.warn',
    'podSecurity',
    'serviceAccounts',
    'networkPolicy.additional.',
    'networkPolicy.additional.Bad_Name',
    'serviceAccounts.workloads.a.b',
    'limitrange',
    '',
  ])
    mutate(`exception: part ${JSON.stringify(part)}`, ['exempt', 0], part);
  mutate('exception: a part twice', ['exempt'], ['resourceQuota', 'resourceQuota'], 'spec.exempt[1]');
  mutate(
    'exception: 21 parts',
    ['exempt'],
    Array.from({ length: 21 }, (_, i) => `serviceAccounts.workloads.w${String(i)}`),
  );
  mutate('exception: a blank reason', ['reason'], '   ');
  mutate('exception: an empty reason', ['reason'], '');
  mutate('exception: a reason too long', ['reason'], 'r'.repeat(1025));
  for (const e of [
    'tomorrow',
    '2027-02-30T00:00:00Z',
    '2027-01-31',
    '2027-01-31T00:00:00',
    '2027-13-01T00:00:00Z',
    '2027-01-31T25:00:00Z',
    '',
  ])
    mutate(`exception: expires ${JSON.stringify(e)}`, ['expires'], e);
  // Only the operator can judge these: the apiserver admits them, the exception lifts nothing.
  mutate('exception for a baseline that does not exist', ['baseline'], `${baseline}-nope`);
  mutate('exception of an additional policy the baseline lacks', ['exempt', 1], 'networkPolicy.additional.nope', 'spec.exempt[1]');
  mutate('exception of a workload the baseline lacks', ['exempt', 0], 'serviceAccounts.workloads.web', 'spec.exempt[0]');
  mutate('exception expiring past the horizon', ['expires'], new Date(now + 91 * 86_400_000).toISOString());
  mutate('exception expiring in ten years', ['expires'], '2036-12-01T00:00:00Z');
  mutate('exception that expired yesterday', ['expires'], new Date(now - 86_400_000).toISOString(), 'spec.expires', 'Expired');
  mutate('exception that expired in 1970', ['expires'], '1970-01-01T00:00:00Z', 'spec.expires', 'Expired');
  return cases.map((c, i) => ({
    name: c.name,
    field: c.field,
    judged: c.judged ?? 'Invalid',
    manifest: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SecurityBaselineException',
      metadata: { name: `${prefix}-${String(i)}` },
      spec: c.spec,
    },
  }));
}
