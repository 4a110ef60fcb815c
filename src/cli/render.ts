/**
 * `kubeposture render`: the objects a namespace would hold under the
 * SecurityBaselines in a file, as YAML, with no cluster. What a GitOps reviewer
 * runs before merging a baseline change. Pure: text in, text and exit code out.
 */
import { dump } from 'js-yaml';
import { labelKeyProblem, labelValueProblem } from '../api/field-reader.ts';
import { parseSecurityBaseline } from '../api/validate.ts';
import type { SecurityBaseline } from '../api/types.ts';
import type { Desired } from '../baseline/objects.ts';
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT } from '../api/constants.ts';
import { desiredObjects, isGrantor } from '../baseline/build.ts';
import { globMatches, resolve, selects, type NamespaceInfo } from '../baseline/selection.ts';
import { EXCEPTION_KIND, parseException, type SecurityBaselineException } from '../api/exception.ts';
import {
  DEFAULT_HORIZON_MS,
  ExemptionIndex,
  judgeException,
  NO_EXEMPTION,
  type Exemption,
  type Judgement,
} from '../baseline/exceptions.ts';
import { readManifests } from './yaml.ts';

/** What a command printed and how it ended. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface RenderInput {
  /** The file's name, for messages. */
  readonly source: string;
  readonly text: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The operator's own namespace, never selected. */
  readonly operatorNamespace?: string;
  /** A second file of SecurityBaselineExceptions (they may also be documents of `text`). */
  readonly exceptions?: { readonly source: string; readonly text: string };
  /** The time exceptions are judged at (epoch ms); without it, none is applied. */
  readonly now?: number;
  /** How far ahead an exception may expire (the operator's --exception-horizon). */
  readonly horizonMs?: number;
}

const fail = (message: string): CommandResult => ({ stdout: '', stderr: `kubeposture render: ${message}\n`, code: 1 });

/** Parses `key=value` label arguments; throws naming the bad one. */
export function parseLabels(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`--label ${JSON.stringify(arg)} must have the form key=value`);
    const [key, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem !== undefined) throw new Error(`--label: ${problem}`);
    out[key] = value;
  }
  return out;
}

/** The documents of one source, or the result that refuses it. */
function documentsOf(source: string, text: string): readonly unknown[] | CommandResult {
  // Read as kubectl will send it, with aliases bounded, before anything is built (src/cli/yaml.ts).
  const read = readManifests(text);
  switch (read.kind) {
    case 'invalid':
      return fail(`${source} is not valid YAML: ${read.message}`);
    case 'refused':
      return fail(
        read.problems
          .map((p) => `${read.documents > 1 ? `${source} (document ${String(p.document)})` : source}: ${p.field}: ${p.message}`)
          .join('\n'),
      );
    case 'documents':
      return read.documents;
  }
}

const isException = (doc: unknown): boolean =>
  typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === EXCEPTION_KIND;

/**
 * Renders the desired objects of one namespace under the baselines in `input.text`, without the
 * parts that active SecurityBaselineExceptions (in the same text or in `input.exceptions`) lift
 * there; the header says which exceptions apply, until when, and which match but lift nothing.
 */
export function render(input: RenderInput): CommandResult {
  const sources = [{ source: input.source, text: input.text }, ...(input.exceptions === undefined ? [] : [input.exceptions])];
  const baselines: SecurityBaseline[] = [];
  const exceptions: SecurityBaselineException[] = [];
  const problems: string[] = [];
  for (const [s, { source, text }] of sources.entries()) {
    const docs = documentsOf(source, text);
    if (!Array.isArray(docs)) return docs as CommandResult;
    docs.forEach((doc: unknown, i) => {
      const where = docs.length > 1 ? `${source} (document ${String(i + 1)})` : source;
      if (isException(doc) || s > 0) {
        const parsed = parseException(doc);
        if (parsed.ok) exceptions.push(parsed.exception);
        else problems.push(...parsed.errors.map((e) => `${where}: ${e.field}: ${e.message}`));
        return;
      }
      const parsed = parseSecurityBaseline(doc);
      if (parsed.ok)
        baselines.push({
          ...parsed.baseline,
          metadata: {
            ...parsed.baseline.metadata,
            uid: parsed.baseline.metadata.uid || `<uid of SecurityBaseline ${parsed.baseline.metadata.name}>`,
          },
        });
      else problems.push(...parsed.errors.map((e) => `${where}: ${e.field}: ${e.message}`));
    });
  }
  if (problems.length > 0) return fail(problems.join('\n'));
  if (baselines.length === 0) return fail(`${input.source} holds no SecurityBaseline`);
  const ns: NamespaceInfo = {
    name: input.namespace,
    labels: { ...input.labels, 'kubernetes.io/metadata.name': input.namespace },
    terminating: false,
  };
  const { winner, superseded } = resolve(baselines, ns, input.operatorNamespace);
  if (winner === undefined) {
    const why = baselines.map((b) => `${b.metadata.name}: ${selects(b, ns, input.operatorNamespace)}`).join(', ');
    return { stdout: `# namespace ${input.namespace} is selected by no baseline (${why})\n`, stderr: '', code: 0 };
  }
  const { exemption, lines } = exceptionsHere(winner, exceptions, baselines, input);
  const header = [
    `# namespace ${input.namespace} under SecurityBaseline ${winner.metadata.name} (mode ${winner.spec.mode})`,
    ...superseded.map((b) => `# supersedes SecurityBaseline ${b.metadata.name} (priority ${String(b.spec.priority)})`),
    ...lines,
  ].join('\n');
  const note = (d: Desired): string => {
    if (d.ownership === 'shared') return '# shared object: kubeposture applies only these fields\n';
    return isGrantor(d.object.kind, d.object.metadata.name)
      ? "# kubeposture's own: lets its ServiceAccount (config/default's) write the workload Roles here\n"
      : '';
  };
  const body = desiredObjects(winner, input.namespace, DEFAULT_OPERATOR_SERVICE_ACCOUNT, exemption.parts)
    .map((d) => `---\n${note(d)}${dump(d.object, { noRefs: true, lineWidth: -1 })}`)
    .join('');
  return { stdout: `${header}\n${body}`, stderr: '', code: 0 };
}

/** What the exceptions of `winner` that name this namespace lift here, and a header line for each. */
function exceptionsHere(
  winner: SecurityBaseline,
  exceptions: readonly SecurityBaselineException[],
  baselines: readonly SecurityBaseline[],
  input: RenderInput,
): { exemption: Exemption; lines: string[] } {
  const mine = exceptions.filter(
    (e) => e.spec.baseline === winner.metadata.name && e.spec.namespaces.some((g) => globMatches(g, input.namespace)),
  );
  if (mine.length === 0) return { exemption: NO_EXEMPTION, lines: [] };
  const now = input.now;
  const lines: string[] = [];
  const active: SecurityBaselineException[] = [];
  for (const e of mine) {
    const j: Judgement =
      now === undefined
        ? { state: 'Invalid', field: '(render)', message: 'no time to judge it at' }
        : judgeException(e, { valid: baselines, stalled: new Set() }, now, input.horizonMs ?? DEFAULT_HORIZON_MS);
    switch (j.state) {
      case 'Active':
        active.push(e);
        lines.push(
          `# exception ${e.metadata.name} lifts ${e.spec.exempt.join(', ')} here until ${e.spec.expires}: ${oneLine(e.spec.reason)}`,
        );
        break;
      case 'Expired':
        lines.push(`# exception ${e.metadata.name} expired at ${e.spec.expires}: lifts nothing`);
        break;
      case 'Invalid':
        lines.push(`# exception ${e.metadata.name} is invalid (${j.field}: ${j.message}): lifts nothing`);
        break;
    }
  }
  return { exemption: new ExemptionIndex(active).exemptionFor(winner.metadata.name, input.namespace), lines };
}

/** A reason on one comment line. */
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
