/**
 * Reading a manifest file the way `kubectl apply` will send it, or refusing it.
 * Pure: text in, documents or problems out. `kubeposture render` runs on
 * untrusted pull requests, and must name the baseline the cluster will apply,
 * so it refuses two kinds of input before any value is built (issue 13):
 *
 * - Documents that grow huge once aliases are expanded (class 10, the "billion
 *   laughs"): js-yaml resolves an alias to the same object, so its tree stays
 *   small, but every later walk (the validator, JSON.stringify, dump) expands
 *   it. The parser's event stream is walked once, adding up what each alias
 *   would expand to, and a document over {@link MAX_NODES} is refused where the
 *   bound is crossed, before anything is expanded. So is an alias inside its
 *   own anchor (a cycle), which kubectl refuses too.
 * - Plain scalars that kubectl reads otherwise (class 11). js-yaml reads YAML
 *   1.2's core schema; kubectl reads YAML through sigs.k8s.io/yaml, that is
 *   go-yaml v2's YAML 1.1 resolver, where `0100` is 64 (octal), `yes`/`on`/`y`
 *   are true, `1_000` is 1000, `0b101` is 5, `0X1F` is 31 and a plain `<<` key
 *   merges a map. {@link kubectlReading} is that resolver, transcribed from
 *   go.yaml.in/yaml/v2 resolve.go; every plain scalar whose reading differs
 *   from js-yaml's (the CORE_SCHEMA's own resolvers decide that side) is
 *   refused naming its field and both readings. So are values kubectl cannot
 *   send at all (`.inf`, `.nan`: JSON has neither) and explicit tags other than
 *   `!!str`, `!!seq` and `!!map`. Quoted and block scalars are strings to both.
 *
 * Longer than most files on purpose: the event walk and the resolver transcription each need
 * the other's positions, and the transcription is kept whole so it can be checked line by line
 * against resolve.go.
 */
import {
  constructFromEvents, CORE_SCHEMA, EVENT_ID, getScalarValue, NOT_RESOLVED, parseEvents, SCALAR_STYLE, type Event,
} from 'js-yaml';

/**
 * Values (scalars, lists and maps, each key counted) one document may expand
 * to. A SecurityBaseline at every limit of its CRD holds under 500,000; the
 * apiserver takes at most 3 MiB a request, at least 2 bytes a value.
 */
export const MAX_NODES = 1_000_000;
/** Bytes of a manifest file render reads: the apiserver's 3 MiB request limit, and some room for several baselines. */
export const MAX_BYTES = 4 * 1024 * 1024;
/**
 * Nesting the parser allows. A SecurityBaseline nests 8 deep; deeper input (the
 * bad-input corpus nests 200) reaches the validator, which names the field where
 * a scalar or a short list was expected. js-yaml's default (100) would refuse it
 * as invalid YAML, naming only a line and column.
 */
const MAX_DEPTH = 1000;
/** Problems reported per file; past this, the first ones are enough to act on. */
const MAX_PROBLEMS = 50;

/** One problem: the document it is in (from 1), the field (`spec.priority`), what is wrong. */
export interface YamlProblem {
  readonly document: number;
  readonly field: string;
  readonly message: string;
}

/** What reading a manifest file gave. */
export type ManifestRead =
  | { readonly kind: 'documents'; readonly documents: readonly unknown[] }
  | { readonly kind: 'invalid'; readonly message: string }
  /** `documents`: how many the file holds, so that messages name one only when there are several. */
  | { readonly kind: 'refused'; readonly problems: readonly YamlProblem[]; readonly documents: number };

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
  const magnitude = /^0[xXoObB]/.test(body) ? BigInt(`0${body.charAt(1).toLowerCase()}${body.slice(2)}`)
    : /^0[0-7]/.test(body) ? BigInt(`0o${body.slice(1)}`) // a leading 0 is octal to Go
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
  const binary = plain.startsWith('0b') ? goParseBinary(plain.slice(2)) : plain.startsWith('-0b') ? goParseBinary(`-${plain.slice(3)}`) : undefined;
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
  return (a.kind === 'bool' && b.kind === 'bool' && a.value === b.value) || (a.kind === 'string' && b.kind === 'string' && a.value === b.value) || a.kind === 'null';
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
function keyString(r: Reading, reader: 'render' | 'kubectl'): string | undefined {
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
  if (theirs.kind === 'float' && !Number.isFinite(theirs.value)) return `\`${source}\` is ${spelled(theirs)}, which kubectl cannot send (JSON has no infinity or NaN)`;
  return undefined;
}

/** What is wrong with plain scalar `source` as a map key, or undefined when both readers make the same string of it. */
export function keyProblem(source: string): string | undefined {
  if (source === '<<') return 'key `<<` merges a map into this one for kubectl (YAML 1.1) but is an ordinary key to render (YAML 1.2); write the keys out';
  const [mine, theirs] = [keyString(renderReading(source), 'render'), keyString(kubectlReading(source), 'kubectl')];
  if (theirs === undefined) return `key \`${source}\` is null to kubectl (YAML 1.1), which refuses a null key; quote it`;
  if (mine === theirs) return undefined;
  return `key \`${source}\` is ${JSON.stringify(mine)} to render (YAML 1.2) but ${JSON.stringify(theirs)} to kubectl (YAML 1.1); write ${JSON.stringify(mine)} or ${JSON.stringify(theirs)}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const child = (path: string, key: string): string => (IDENT.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${key}]`);
const fieldName = (path: string): string => (path === '' ? '(document)' : path);

/** A collection being walked: where it is, how much it expands to so far, and where its next child goes. */
interface Frame {
  readonly kind: 'document' | 'sequence' | 'mapping';
  readonly path: string;
  readonly anchor: string | undefined;
  size: number;
  index: number;
  key: string | undefined;
  awaitingKey: boolean;
}

class Walk {
  readonly problems: YamlProblem[] = [];
  private readonly stack: Frame[] = [];
  private anchors = new Map<string, number | 'open'>();
  private document = 0;
  private total = 0;
  /** Set once a document is over budget: nothing more is counted. */
  stopped = false;

  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  private fail(field: string, message: string): void {
    this.problems.push({ document: this.document, field, message });
    if (this.problems.length >= MAX_PROBLEMS) this.stopped = true;
  }

  private get top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** Where the next child of the top frame sits, and whether it is a key. */
  private slot(): { path: string; isKey: boolean } {
    const top = this.top;
    if (top === undefined || top.kind === 'document') return { path: '', isKey: false };
    if (top.kind === 'sequence') return { path: `${top.path}[${String(top.index)}]`, isKey: false };
    return top.awaitingKey ? { path: top.path, isKey: true } : { path: child(top.path, top.key ?? '?'), isKey: false };
  }

  /** Counts `size` more values at `path`; false (and a problem) once the document is over budget. */
  private grow(size: number, path: string, alias?: string): boolean {
    this.total += size;
    if (this.total <= MAX_NODES) return true;
    const what = alias === undefined ? 'the document holds' : `alias *${alias} makes the document`;
    this.fail(fieldName(path), `${what} more than ${MAX_NODES.toLocaleString('en')} values once aliases are expanded (a SecurityBaseline at every limit of the CRD has under 500,000); refused before expanding it`);
    this.stopped = true;
    return false;
  }

  /** A child of `size` values is complete in the top frame; `key` is its string when it was a key. */
  private completed(size: number, key?: string): void {
    const top = this.top;
    if (top === undefined) return;
    top.size += size;
    if (top.kind === 'sequence') top.index++;
    if (top.kind !== 'mapping') return;
    if (top.awaitingKey) top.key = key ?? '?';
    top.awaitingKey = !top.awaitingKey;
  }

  private tag(start: number, end: number, allowed: string, path: string): void {
    if (start < 0) return;
    const tag = this.text.slice(start, end);
    if (tag !== allowed) this.fail(fieldName(path), `explicit tag ${tag}: kubectl and render may read it differently; remove it (only ${allowed} is allowed here)`);
  }

  step(e: Event): void {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        this.document++;
        this.total = 0;
        this.anchors = new Map();
        this.stack.push({ kind: 'document', path: '', anchor: undefined, size: 0, index: 0, key: undefined, awaitingKey: false });
        return;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const { path, isKey } = this.slot();
        const kind = e.type === EVENT_ID.SEQUENCE ? 'sequence' : 'mapping';
        if (isKey) this.fail(fieldName(path), `a ${kind === 'sequence' ? 'list' : 'map'} as a map key: kubectl refuses it; keys must be strings`);
        this.tag(e.tagStart, e.tagEnd, kind === 'sequence' ? '!!seq' : '!!map', path);
        const anchor = e.anchorStart >= 0 ? this.text.slice(e.anchorStart, e.anchorEnd) : undefined;
        if (anchor !== undefined) this.anchors.set(anchor, 'open');
        this.stack.push({ kind, path, anchor, size: 1, index: 0, key: undefined, awaitingKey: true });
        this.grow(1, path);
        return;
      }
      case EVENT_ID.SCALAR: {
        const { path, isKey } = this.slot();
        const source = getScalarValue(this.text, e);
        this.tag(e.tagStart, e.tagEnd, '!!str', path);
        if (e.style === SCALAR_STYLE.PLAIN && e.tagStart < 0) {
          const problem = isKey ? keyProblem(source) : valueProblem(source);
          if (problem !== undefined) this.fail(fieldName(path), problem);
        }
        if (e.anchorStart >= 0) this.anchors.set(this.text.slice(e.anchorStart, e.anchorEnd), 1);
        const key = e.style === SCALAR_STYLE.PLAIN && e.tagStart < 0 ? keyString(renderReading(source), 'render') : source;
        if (this.grow(1, path)) this.completed(1, key);
        return;
      }
      case EVENT_ID.ALIAS: {
        const { path, isKey } = this.slot();
        const name = this.text.slice(e.anchorStart, e.anchorEnd);
        const size = this.anchors.get(name) ?? 1;
        if (isKey) this.fail(fieldName(path), `alias *${name} as a map key: write the key out`);
        if (size === 'open') {
          this.fail(fieldName(path), `alias *${name} is inside its own anchor (a cycle): kubectl refuses it`);
          this.stopped = true;
          return;
        }
        if (this.grow(size, path, name)) this.completed(size, `*${name}`);
        return;
      }
      case EVENT_ID.POP: {
        const done = this.stack.pop();
        if (done === undefined || done.kind === 'document') return;
        if (done.anchor !== undefined) this.anchors.set(done.anchor, done.size);
        this.completed(done.size);
        return;
      }
    }
  }
}

/** Why a file of `bytes` is not read. */
export const tooLarge = (bytes: number): string =>
  `is ${bytes.toLocaleString('en')} bytes; render reads at most ${MAX_BYTES.toLocaleString('en')} (the apiserver takes at most 3 MiB an object)`;

/** The YAML error's first line, without js-yaml's snippet. */
const firstLine = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err));

/**
 * Reads the documents of a manifest file as render must: refused when too
 * large, when aliases would expand it past {@link MAX_NODES} values, or where
 * kubectl would read a scalar otherwise; else built by js-yaml (YAML 1.2 core
 * schema), empty documents dropped.
 */
export function readManifests(text: string): ManifestRead {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BYTES) {
    return { kind: 'refused', problems: [{ document: 0, field: '(file)', message: tooLarge(bytes) }], documents: 0 };
  }
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: MAX_DEPTH });
  } catch (err: unknown) {
    return { kind: 'invalid', message: firstLine(err) };
  }
  const walk = new Walk(text);
  for (const e of events) {
    walk.step(e);
    if (walk.stopped) break;
  }
  if (walk.problems.length > 0) return { kind: 'refused', problems: walk.problems, documents: events.filter((e) => e.type === EVENT_ID.DOCUMENT).length };
  try {
    const documents = constructFromEvents(events, { source: text, schema: CORE_SCHEMA });
    return { kind: 'documents', documents: documents.filter((d) => d !== null && d !== undefined) };
  } catch (err: unknown) {
    return { kind: 'invalid', message: firstLine(err) };
  }
}
