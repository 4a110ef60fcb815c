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
 *   merges a map. `kubectlReading` (yaml-readings.ts) is that resolver, transcribed from
 *   go.yaml.in/yaml/v2 resolve.go; every plain scalar whose reading differs
 *   from js-yaml's (the CORE_SCHEMA's own resolvers decide that side) is
 *   refused naming its field and both readings. So are values kubectl cannot
 *   send at all (`.inf`, `.nan`: JSON has neither) and explicit tags other than
 *   `!!str`, `!!seq` and `!!map`. Quoted and block scalars are strings to both.
 */
import { constructFromEvents, CORE_SCHEMA, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import { keyProblem, keyString, renderReading, valueProblem } from './yaml-readings.ts';

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
    this.fail(
      fieldName(path),
      `${what} more than ${MAX_NODES.toLocaleString('en')} values once aliases are expanded (a SecurityBaseline at every limit of the CRD has under 500,000); refused before expanding it`,
    );
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
    if (tag !== allowed)
      this.fail(
        fieldName(path),
        `explicit tag ${tag}: kubectl and render may read it differently; remove it (only ${allowed} is allowed here)`,
      );
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
        if (isKey)
          this.fail(fieldName(path), `a ${kind === 'sequence' ? 'list' : 'map'} as a map key: kubectl refuses it; keys must be strings`);
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
const firstLine = (err: unknown): string => (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));

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
  if (walk.problems.length > 0)
    return { kind: 'refused', problems: walk.problems, documents: events.filter((e) => e.type === EVENT_ID.DOCUMENT).length };
  try {
    const documents = constructFromEvents(events, { source: text, schema: CORE_SCHEMA });
    return { kind: 'documents', documents: documents.filter((d) => d !== null && d !== undefined) };
  } catch (err: unknown) {
    return { kind: 'invalid', message: firstLine(err) };
  }
}
