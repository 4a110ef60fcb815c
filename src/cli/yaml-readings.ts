/**
 * How each YAML reader resolves a plain scalar, and where the two differ: js-yaml's YAML 1.2
 * core schema (what `render` reads) and go-yaml v2's YAML 1.1 resolver (what kubectl reads,
 * through sigs.k8s.io/yaml), the latter transcribed from go.yaml.in/yaml/v2 resolve.go and kept
 * whole so that it can be checked against it. Pure. yaml.ts walks a document and asks here
 * about every plain scalar and key.
 */
import { CORE_SCHEMA, NOT_RESOLVED } from 'js-yaml';

/** How a YAML reader resolved a plain scalar. Integers as bigint, exact as go-yaml reads them. */
export type Reading =
  | { readonly kind: 'null' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string };

const str = (value: string): Reading => ({ kind: 'string', value });
const bool = (value: boolean): Reading => ({ kind: 'bool', value });
const float = (value: number): Reading => ({ kind: 'float', value });

/** go-yaml v2's resolveMap: the spellings it looks up before anything else. */
const KUBECTL_WORDS = new Map<string, Reading>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s): [string, Reading] => [s, bool(true)]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s): [string, Reading] => [s, bool(false)]),
  ...['', '~', 'null', 'Null', 'NULL'].map((s): [string, Reading] => [s, { kind: 'null' }]),
  ...['.nan', '.NaN', '.NAN'].map((s): [string, Reading] => [s, float(Number.NaN)]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s): [string, Reading] => [s, float(Number.POSITIVE_INFINITY)]),
  ...['-.inf', '-.Inf', '-.INF'].map((s): [string, Reading] => [s, float(Number.NEGATIVE_INFINITY)]),
]);
/** go-yaml v2's yamlStyleFloat. */
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What Go's strconv.ParseInt(s, 0, 64) accepts: a sign, then 0x, 0o, 0b, a leading 0 (octal) or decimal. */
const GO_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseInt(s, 0, 64), or ParseUint(s, 0, 64) when `unsigned` (no sign then). */
function goParseInt(s: string, unsigned: boolean): bigint | undefined {
  const m = GO_INT.exec(s);
  const [sign, body] = [m?.[1] ?? '', m?.[2] ?? ''];
  if (m === null || (unsigned && sign !== '')) return undefined;
  const magnitude = /^0[xXoObB]/.test(body)
    ? BigInt(`0${body.charAt(1).toLowerCase()}${body.slice(2)}`)
    : /^0[0-7]/.test(body)
      ? BigInt(`0o${body.slice(1)}`) // a leading 0 is octal to Go
      : BigInt(body);
  const v = sign === '-' ? -magnitude : magnitude;
  return (unsigned ? v <= UINT64_MAX : v >= INT64_MIN && v <= INT64_MAX) ? v : undefined;
}

/** strconv.ParseInt(s, 2, 64): a sign allowed, binary digits. */
function goParseBinary(s: string): bigint | undefined {
  const m = /^([+-]?)([01]+)$/.exec(s);
  if (m === null) return undefined;
  const v = (m[1] === '-' ? -1n : 1n) * BigInt(`0b${m[2] ?? ''}`);
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

/** strconv.ParseFloat(s, 64) for go-yaml's float spellings: undefined where Go reports a range error. */
const goParseFloat = (s: string): number | undefined => {
  const f = Number(s);
  return GO_FLOAT.test(s) && Number.isFinite(f) ? f : undefined;
};

/**
 * How kubectl (sigs.k8s.io/yaml, go-yaml v2's `resolve` for an untagged plain
 * scalar) reads `source`. Timestamps stay strings there (go-yaml v2 keeps them
 * so when decoding into interface{}), so they need no case of their own.
 */
export function kubectlReading(source: string): Reading {
  const c = source.charAt(0);
  const hint = source === '' ? 'N' : /[-+]/.test(c) ? 'S' : /[0-9]/.test(c) ? 'D' : /[yYnNtTfFoO~]/.test(c) ? 'M' : c === '.' ? '.' : '';
  if (hint === '') return str(source);
  const word = KUBECTL_WORDS.get(source);
  if (word !== undefined) return word;
  if (hint === '.') {
    const f = goParseFloat(source);
    return f === undefined ? str(source) : float(f);
  }
  if (hint !== 'D' && hint !== 'S') return str(source);
  const plain = source.replaceAll('_', '');
  const int = goParseInt(plain, false) ?? goParseInt(plain, true);
  if (int !== undefined) return { kind: 'int', value: int };
  const f = goParseFloat(plain);
  if (f !== undefined) return float(f);
  const binary = plain.startsWith('0b')
    ? goParseBinary(plain.slice(2))
    : plain.startsWith('-0b')
      ? goParseBinary(`-${plain.slice(3)}`)
      : undefined;
  return binary === undefined ? str(source) : { kind: 'int', value: binary };
}

const IMPLICIT = CORE_SCHEMA.tags.filter((t) => t.nodeKind === 'scalar' && t.implicit);

/** How js-yaml's core schema (what render and the validator see) reads the plain scalar `source`. */
export function renderReading(source: string): Reading {
  for (const tag of IMPLICIT) {
    if (tag.nodeKind !== 'scalar') continue;
    const v = tag.resolve(source, false, tag.tagName) as unknown;
    if (v === NOT_RESOLVED) continue;
    if (v === null) return { kind: 'null' };
    if (typeof v === 'boolean') return bool(v);
    if (typeof v === 'number') return Number.isInteger(v) && tag.tagName.endsWith(':int') ? { kind: 'int', value: BigInt(v) } : float(v);
    if (typeof v === 'string') return str(v);
  }
  return str(source);
}

/** True when the two readings give the apiserver the same JSON value. */
function sameValue(a: Reading, b: Reading): boolean {
  const num = (r: Reading): number | bigint | undefined => (r.kind === 'int' || r.kind === 'float' ? r.value : undefined);
  const [x, y] = [num(a), num(b)];
  if (x !== undefined && y !== undefined) {
    if (typeof x === 'bigint' && typeof y === 'bigint') return x === y;
    const f = typeof x === 'number' ? x : y;
    const other = typeof x === 'number' ? y : x;
    if (typeof other === 'number') return Object.is(f, other) || f === other;
    return Number.isInteger(f) && BigInt(f) === other;
  }
  if (a.kind !== b.kind) return false;
  return (
    (a.kind === 'bool' && b.kind === 'bool' && a.value === b.value) ||
    (a.kind === 'string' && b.kind === 'string' && a.value === b.value) ||
    a.kind === 'null'
  );
}

/** A reading as YAML that every reader reads the same way. */
function spelled(r: Reading): string {
  switch (r.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return String(r.value);
    case 'int':
      return r.value.toString();
    case 'float':
      return Number.isFinite(r.value) ? String(r.value) : Number.isNaN(r.value) ? 'NaN' : `${r.value < 0 ? '-' : ''}infinity`;
    case 'string':
      return JSON.stringify(r.value.length > 80 ? `${r.value.slice(0, 80)}…` : r.value);
  }
}

/**
 * Go's strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses to
 * turn a float map key into a string (".inf", "-.inf", ".nan" for the others).
 */
export function goFloat32Key(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (!Number.isFinite(f)) return f > 0 ? '.inf' : '-.inf';
  const x = Math.fround(f);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(x);
  let shortest = abs.toExponential(8);
  for (let digits = 1; digits <= 9; digits++) {
    const s = abs.toExponential(digits - 1);
    if (Math.fround(Number(s)) === abs) {
      shortest = s;
      break;
    }
  }
  const [mantissa = '', e = '0'] = shortest.split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(e);
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    return `${sign}${digits.charAt(0)}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fraction = digits.slice(exp + 1);
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** The string key a map key becomes: js-yaml's `String(value)`, sigs.k8s.io/yaml's conversion (undefined: refused). */
export function keyString(r: Reading, reader: 'render' | 'kubectl'): string | undefined {
  switch (r.kind) {
    case 'string':
      return r.value;
    case 'bool':
      return String(r.value);
    case 'int':
      return r.value.toString();
    case 'null':
      return reader === 'render' ? 'null' : undefined;
    case 'float':
      return reader === 'render' ? String(r.value) : goFloat32Key(r.value);
  }
}

/** What is wrong with plain scalar `source` as a value, or undefined when both readers agree and kubectl can send it. */
export function valueProblem(source: string): string | undefined {
  const [mine, theirs] = [renderReading(source), kubectlReading(source)];
  if (!sameValue(mine, theirs)) {
    return `\`${source}\` is ${spelled(mine)} to render (YAML 1.2) but ${spelled(theirs)} to kubectl (YAML 1.1); write ${spelled(mine)} or ${spelled(theirs)}`;
  }
  if (theirs.kind === 'float' && !Number.isFinite(theirs.value))
    return `\`${source}\` is ${spelled(theirs)}, which kubectl cannot send (JSON has no infinity or NaN)`;
  return undefined;
}

/** What is wrong with plain scalar `source` as a map key, or undefined when both readers make the same string of it. */
export function keyProblem(source: string): string | undefined {
  if (source === '<<')
    return 'key `<<` merges a map into this one for kubectl (YAML 1.1) but is an ordinary key to render (YAML 1.2); write the keys out';
  const [mine, theirs] = [keyString(renderReading(source), 'render'), keyString(kubectlReading(source), 'kubectl')];
  if (theirs === undefined) return `key \`${source}\` is null to kubectl (YAML 1.1), which refuses a null key; quote it`;
  if (mine === theirs) return undefined;
  return `key \`${source}\` is ${JSON.stringify(mine)} to render (YAML 1.2) but ${JSON.stringify(theirs)} to kubectl (YAML 1.1); write ${JSON.stringify(mine)} or ${JSON.stringify(theirs)}`;
}
