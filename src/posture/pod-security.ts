/**
 * What Pod Security admission said about a namespace's existing pods. When a write
 * changes a namespace's `pod-security.kubernetes.io/enforce` level (or a dry run of that
 * write), the apiserver evaluates the pods already there against the new level and
 * answers with `Warning` headers, in this order (k8s.io/pod-security-admission,
 * `EvaluatePodsInNamespace`):
 *
 *   new PodSecurity enforce level only checked against the first 3000 of 4000 existing pods
 *   existing pods in namespace "x" violate the new PodSecurity enforce level "restricted:latest"
 *   web-1 (and 2 other pods): allowPrivilegeEscalation != false, runAsNonRoot != true
 *   debug: privileged (container "box" must not set securityContext.privileged=true)
 *
 * or `failed to list pods while checking new PodSecurity enforce level` alone. One line per
 * distinct reason, named after the first pod (by name) that has it. Pure: the lines in, a
 * verdict out. A verdict is clean only when nothing was refused and every pod was judged.
 */
import { FindingType, type Finding } from '../api/types.ts';

/** One distinct reason the new level refuses pods: the first pod by name, how many more share it. */
export interface PodViolation {
  readonly pod: string;
  readonly others: number;
  /** The failed checks, as the apiserver words them ("allowPrivilegeEscalation != false, ..."). */
  readonly reasons: string;
}

/** Why a verdict covers only some pods, or none: the apiserver's own line. */
export type PartialCheck =
  | { readonly type: 'limited'; readonly checked: number; readonly total: number; readonly message: string }
  | { readonly type: 'failed'; readonly message: string };

export interface PodSecurityVerdict {
  /** The level as the apiserver names it ("restricted:latest"), when some pod violates it. */
  readonly level: string | undefined;
  readonly violations: readonly PodViolation[];
  /** Set when not every pod was judged: such a verdict is never clean. */
  readonly partial: PartialCheck | undefined;
}

export const CLEAN: PodSecurityVerdict = { level: undefined, violations: [], partial: undefined };

const HEADER = /^existing pods in namespace "(?:[^"\\]|\\.)*" violate the new PodSecurity enforce level "([^"]*)"$/;
const LIMITED = /^new PodSecurity enforce level only checked against the first (\d+) of (\d+) existing pods$/;
const FAILED = 'failed to list pods while checking new PodSecurity enforce level';
// A pod's name is a DNS subdomain; "(and 1 other pod)" or "(and N other pods)" when several share the reason.
const VIOLATION = /^([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?: \(and (\d+) other pods?\))?: (.+)$/;

/** The verdict in a write's warnings; warnings about other things are left out. */
export function podSecurityVerdict(warnings: readonly string[]): PodSecurityVerdict {
  let partial: PartialCheck | undefined;
  let level: string | undefined;
  const violations: PodViolation[] = [];
  for (let i = 0; i < warnings.length; i++) {
    const line = warnings[i] ?? '';
    const limited = LIMITED.exec(line);
    if (limited !== null) {
      partial = { type: 'limited', checked: Number(limited[1]), total: Number(limited[2]), message: line };
      continue;
    }
    if (line.startsWith(FAILED)) {
      partial = { type: 'failed', message: line };
      continue;
    }
    const header = HEADER.exec(line);
    if (header === null || level !== undefined) continue;
    level = header[1] ?? '';
    // The pods' lines follow the header, together; the first line that is not one ends them.
    for (; i + 1 < warnings.length; i++) {
      const v = VIOLATION.exec(warnings[i + 1] ?? '');
      if (v === null) break;
      violations.push({ pod: v[1] ?? '', others: Number(v[2] ?? '0'), reasons: v[3] ?? '' });
    }
  }
  if (level === undefined && partial === undefined) return CLEAN;
  return { level, violations, partial };
}

/** True when the level refuses no existing pod and every pod was judged. */
export function isClean(v: PodSecurityVerdict): boolean {
  return v.violations.length === 0 && v.level === undefined && v.partial === undefined;
}

/** How many pods the verdict names as refused (each line's pod and the others sharing its reason). */
export function refusedPods(v: PodSecurityVerdict): number {
  return v.violations.reduce((n, x) => n + 1 + x.others, 0);
}

/** One line for people: "3 pods would be refused by restricted:latest (web-1: runAsNonRoot != true; ...)", and what was not judged. */
export function describeVerdict(v: PodSecurityVerdict, maxPods = 3): string {
  const parts: string[] = [];
  if (v.violations.length > 0) {
    const n = refusedPods(v);
    const named = v.violations
      .slice(0, maxPods)
      .map((x) => `${x.pod}${x.others > 0 ? ` and ${String(x.others)} more` : ''}: ${x.reasons}`)
      .join('; ');
    const rest = v.violations.length - maxPods;
    const more = rest > 0 ? `; ${String(rest)} more ${rest === 1 ? 'reason' : 'reasons'}` : '';
    parts.push(`${String(n)} existing ${n === 1 ? 'pod' : 'pods'} would be refused by ${v.level ?? 'the new level'} (${named}${more})`);
  } else if (v.level !== undefined) {
    parts.push(`existing pods would be refused by ${v.level}`);
  }
  if (v.partial !== undefined) {
    parts.push(
      v.partial.type === 'limited'
        ? `only ${String(v.partial.checked)} of ${String(v.partial.total)} pods were checked, so the rest are not known to pass`
        : 'the apiserver could not list the pods, so none is known to pass',
    );
  }
  return parts.join('; ');
}

/**
 * The verdict as findings about `namespace`: one per reason (about its first pod, with how many
 * more share it), and one when not every pod was judged. `use` says what the verdict was asked
 * for. `enforced` (PodSecurityViolations): the level is in force, and these pods run on until
 * they are next created (a rollout, a drain, a crash), then are refused. `pending`
 * (PodSecurityPending): a WhenClean rollout holds the level back because of them. `preview`
 * (PodSecurityViolations): an Audit-mode baseline wants the level, and enforcing it would refuse
 * them when next created.
 */
export function verdictFindings(
  namespace: string,
  v: PodSecurityVerdict,
  use: 'enforced' | 'pending' | 'preview' = 'enforced',
  /** The level asked for (`restricted:latest`), named when the apiserver's answer does not name it (a partial check without violations). */
  asked?: string,
): Finding[] {
  const level = v.level ?? asked ?? 'the new enforce level';
  const type = use === 'pending' ? FindingType.PodSecurityPending : FindingType.PodSecurityViolations;
  const consequence = CONSEQUENCE[use](level);
  const out: Finding[] = v.violations.map((x) => ({
    type,
    namespace,
    kind: 'Pod',
    name: x.pod,
    message: `pod ${x.pod}${x.others > 0 ? ` and ${String(x.others)} more ${x.others === 1 ? 'pod' : 'pods'}` : ''} ${consequence}: ${x.reasons}`,
  }));
  if (v.partial !== undefined) {
    out.push({
      type,
      namespace,
      kind: 'Namespace',
      name: namespace,
      message:
        v.partial.type === 'limited'
          ? `the apiserver checked only ${String(v.partial.checked)} of ${String(v.partial.total)} pods against ${level}: the others are not known to pass`
          : `the apiserver could not list the pods to check them against ${level}: none is known to pass`,
    });
  }
  return out;
}

const CONSEQUENCE: Readonly<Record<'enforced' | 'pending' | 'preview', (level: string) => string>> = {
  enforced: (level) => `would be refused by ${level} when next created`,
  pending: (level) => `holds enforce back from ${level} (rollout WhenClean)`,
  preview: (level) => `would be refused by ${level} if it were enforced (the baseline is in Audit mode)`,
};

const RANK: Readonly<Record<string, number>> = { privileged: 0, baseline: 1, restricted: 2 };

/**
 * Whether Pod Security admission judges the existing pods when a namespace's enforce label
 * goes from `before` to `after` (each `level:version`, undefined for no label): only for a
 * tightening (a stricter level at the same version) or a new version, and never for
 * `privileged`, which every pod passes. After any other change its silence means nothing:
 * the pods were not looked at. A namespace without the label is taken to have been privileged
 * (the apiserver's default unless its admission configuration says otherwise).
 */
export function apiserverJudges(before: string | undefined, after: string): boolean {
  const [level = '', version = ''] = after.split(':');
  if (level === 'privileged') return false;
  if (before === undefined) return true;
  const [oldLevel = '', oldVersion = ''] = before.split(':');
  return oldVersion !== version || (RANK[level] ?? 0) > (RANK[oldLevel] ?? 0);
}
