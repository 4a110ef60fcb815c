/**
 * The benchmark's SecurityBaselineExceptions (issue 20's memory figure is taken "with reports,
 * two additional policies and 100 exceptions"): at each size, `count` exceptions, each lifting
 * one part of that size's baseline in one of its namespaces, spread evenly over them, expiring
 * well inside the horizon an exception may run. What they lift in a namespace is found with the
 * operator's own pure functions (judgeException, ExemptionIndex), for the checker's
 * expectations; the floor skips the same parts in its namespace of the same index (the same
 * exceptions mirrored onto its baseline and names, never written to the cluster), so that both
 * sides make the same objects.
 */
import { GROUP, VERSION } from '../../src/api/constants.ts';
import { EXCEPTION_KIND, parseException, type SecurityBaselineException } from '../../src/api/exception.ts';
import type { ExemptPart, SecurityBaseline } from '../../src/api/types.ts';
import { formatErrors } from '../../src/api/validate.ts';
import { DEFAULT_HORIZON_MS, ExemptionIndex, judgeException } from '../../src/baseline/exceptions.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { deleteIgnoringMissing } from './fixtures.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { rfc3339 } from '../../src/lib/time.ts';

/** What active exceptions lift in a namespace under a baseline (by name). */
export type ExemptFor = (baseline: string, namespace: string) => ReadonlySet<ExemptPart>;

const NONE: ReadonlySet<ExemptPart> = new Set();

/** Nothing lifted anywhere. */
export const NOTHING_EXEMPT: ExemptFor = () => NONE;

/**
 * The parts the exceptions lift in turn, each one or more owned objects of the bench's baseline
 * (BENCH_SPEC): the quota, one of the two additional policies, the workload (its ServiceAccount,
 * Role, RoleBinding and the grantor with them), the LimitRange.
 */
export const EXEMPT_CYCLE: readonly ExemptPart[] = [
  'resourceQuota',
  'networkPolicy.additional.from-ingress',
  'serviceAccounts.workloads.app',
  'limitRange',
];

/** How far ahead the exceptions expire: ten days inside the default horizon (90 days). */
export const EXPIRES_AHEAD_MS = DEFAULT_HORIZON_MS - 10 * 86_400_000;

/**
 * `count` exceptions over `n` namespaces: the i-th lifts EXEMPT_CYCLE[i mod 4] in the namespace
 * at index ⌊(i + ½)·n / count⌋ (evenly spread; two in one namespace when count > n). Pure.
 */
export function planExceptions(count: number, n: number): { readonly index: number; readonly part: ExemptPart }[] {
  return Array.from({ length: n === 0 ? 0 : count }, (_, i) => ({
    index: Math.floor(((i + 0.5) * n) / count),
    part: EXEMPT_CYCLE[i % EXEMPT_CYCLE.length] ?? 'resourceQuota',
  }));
}

/** The manifest of an exception lifting `part` of `baseline` in `namespace` until `expires`. */
export function exceptionManifest(name: string, baseline: string, namespace: string, part: ExemptPart, expires: string): object {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: EXCEPTION_KIND,
    metadata: { name },
    spec: { baseline, namespaces: [namespace], exempt: [part], reason: 'kubeposture bench: a namespace with a waiver', expires },
  };
}

/** A baseline's name and its namespaces. */
interface Side {
  readonly baseline: string;
  readonly namespaces: readonly string[];
}

/** The exceptions a run made, and the floor's mirror of them. */
export class BenchExceptions {
  private readonly created: SecurityBaselineException[] = [];
  private readonly mirrored: SecurityBaselineException[] = [];
  private index = new ExemptionIndex([]);

  /**
   * Creates `count` exceptions (named `<prefix><i>`) to the operator's baseline, which need not
   * exist yet, over its namespaces; and mirrors each onto the floor's baseline and its namespace
   * of the same index. Both sides: the baseline's name and the namespaces, in index order.
   */
  async create(
    rest: RestClient,
    prefix: string,
    count: number,
    sides: { readonly operator: Side; readonly floor: Side },
    now: number,
  ): Promise<void> {
    const { operator, floor } = sides;
    const expires = rfc3339(now + EXPIRES_AHEAD_MS);
    for (const [i, { index, part }] of planExceptions(count, operator.namespaces.length).entries()) {
      const name = `${prefix}${String(i)}`;
      const manifest = exceptionManifest(name, operator.baseline, operator.namespaces[index] ?? '', part, expires);
      const parsed = parseException(await rest.request('POST', resourcePath('SecurityBaselineException'), { body: manifest }));
      if (!parsed.ok) throw new Error(`bench exception ${name} invalid: ${formatErrors(parsed.errors)}`);
      const exception = parsed.exception;
      this.created.push(exception);
      this.mirrored.push({
        ...exception,
        metadata: { ...exception.metadata, name: `${name}-floor`, uid: '' },
        spec: { ...exception.spec, baseline: floor.baseline, namespaces: [floor.namespaces[index] ?? ''] },
      });
    }
    this.index = new ExemptionIndex([...this.created, ...this.mirrored]);
  }

  /** Throws unless every exception made for `baseline` is Active against it at `now`, as the operator judges them. */
  confirm(baseline: SecurityBaseline, now: number): void {
    for (const e of this.created.filter((x) => x.spec.baseline === baseline.metadata.name)) {
      const judged = judgeException(e, { valid: [baseline], stalled: new Set() }, now, DEFAULT_HORIZON_MS);
      if (judged.state !== 'Active')
        throw new Error(`bench exception ${e.metadata.name} is ${judged.state}${judged.state === 'Invalid' ? `: ${judged.message}` : ''}`);
    }
  }

  /** What the exceptions (or their mirror, for the floor's baseline) lift in `namespace` under `baseline`. */
  readonly exempt: ExemptFor = (baseline, namespace) => this.index.exemptionFor(baseline, namespace).parts;

  /** The exceptions made for `baseline` (by name). */
  count(baseline: string): number {
    return this.created.filter((e) => e.spec.baseline === baseline).length;
  }

  /**
   * Deletes the exceptions made for `baseline` (by name) from the cluster, once the baseline is
   * gone; what they lifted stays known (the name is not used again).
   */
  async remove(rest: RestClient, baseline: string): Promise<void> {
    for (const e of this.created.filter((x) => x.spec.baseline === baseline)) {
      await deleteIgnoringMissing(rest, 'SecurityBaselineException', e.metadata.name);
    }
  }

  /** The names of every exception made, for the cleanup. */
  names(): string[] {
    return this.created.map((e) => e.metadata.name);
  }
}
