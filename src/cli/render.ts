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
import { resolve, selects, type NamespaceInfo } from '../baseline/selection.ts';
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

/** Renders the desired objects of one namespace under the baselines in `input.text`. */
export function render(input: RenderInput): CommandResult {
  // Read as kubectl will send it, with aliases bounded, before anything is built (src/cli/yaml.ts).
  const read = readManifests(input.text);
  switch (read.kind) {
    case 'invalid':
      return fail(`${input.source} is not valid YAML: ${read.message}`);
    case 'refused':
      return fail(
        read.problems
          .map((p) => `${read.documents > 1 ? `${input.source} (document ${String(p.document)})` : input.source}: ${p.field}: ${p.message}`)
          .join('\n'),
      );
    case 'documents':
      break;
  }
  const docs = read.documents;
  if (docs.length === 0) return fail(`${input.source} holds no SecurityBaseline`);
  const baselines: SecurityBaseline[] = [];
  const problems: string[] = [];
  docs.forEach((doc, i) => {
    const parsed = parseSecurityBaseline(doc);
    const where = docs.length > 1 ? `${input.source} (document ${String(i + 1)})` : input.source;
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
  if (problems.length > 0) return fail(problems.join('\n'));
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
  const header = [
    `# namespace ${input.namespace} under SecurityBaseline ${winner.metadata.name} (mode ${winner.spec.mode})`,
    ...superseded.map((b) => `# supersedes SecurityBaseline ${b.metadata.name} (priority ${String(b.spec.priority)})`),
  ].join('\n');
  const note = (d: Desired): string => {
    if (d.ownership === 'shared') return '# shared object: kubeposture applies only these fields\n';
    return isGrantor(d.object.kind, d.object.metadata.name)
      ? "# kubeposture's own: lets its ServiceAccount (config/default's) write the workload Roles here\n"
      : '';
  };
  const body = desiredObjects(winner, input.namespace, DEFAULT_OPERATOR_SERVICE_ACCOUNT)
    .map((d) => `---\n${note(d)}${dump(d.object, { noRefs: true, lineWidth: -1 })}`)
    .join('');
  return { stdout: `${header}\n${body}`, stderr: '', code: 0 };
}
