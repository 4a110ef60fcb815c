/**
 * The end of every fault scenario: fresh LISTs of everything kubeposture
 * labels, checked namespace by namespace against what the baseline wants.
 * Each selected namespace must hold exactly its desired objects — none
 * missing, none extra or twice, every field the baseline sets as it sets it,
 * the shared fields (the `default` ServiceAccount, the Namespace's labels)
 * too — no namespace outside the selection may hold any, and the user's own
 * objects and labels must be as the user left them.
 */
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { desiredObjects } from '../../src/baseline/build.ts';
import { OWNED_KINDS } from '../../src/baseline/objects.ts';
import { compareObject } from '../../src/drift/compare.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { listAll } from '../bench/fixtures.ts';

/** An object of the user's own, as created. */
export interface UserObject {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
}

export interface Verdict {
  /** Selected namespaces checked. */
  readonly namespaces: number;
  /** Of those, how many hold exactly their desired objects, each as desired. */
  readonly complete: number;
  readonly missing: number;
  /** Managed objects no baseline wants there (a duplicate, a stray, one outside the selection). */
  readonly extra: number;
  /** Desired objects with a field the baseline sets not as it sets it. */
  readonly modified: number;
  readonly userObjects: number;
  /** User objects changed (another resourceVersion) or gone, and namespaces whose user labels changed. */
  readonly userObjectsTouched: number;
  /** How many problems in all, and the first few, each naming namespace, kind and name. */
  readonly problemCount: number;
  readonly problems: readonly string[];
}

const key = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;
const KEEP_PROBLEMS = 20;

/** Lists the cluster and judges it; `userLabels` are labels of the user's on every selected namespace. */
export async function verifyExact(
  rest: RestClient,
  baseline: SecurityBaseline,
  selected: readonly string[],
  userObjects: readonly UserObject[],
  userLabels: Readonly<Record<string, string>>,
): Promise<Verdict> {
  /** Namespace → "Kind/name" → how many such managed objects the LISTs returned. */
  const managed = new Map<string, Map<string, number>>();
  const live = new Map<string, WireObject>();
  for (const kind of OWNED_KINDS) {
    for (const o of await listAll(rest, resourcePath(kind), { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` })) {
      const ns = o.metadata.namespace ?? '';
      const inNs = managed.get(ns) ?? new Map<string, number>();
      managed.set(ns, inNs);
      inNs.set(`${kind}/${o.metadata.name}`, (inNs.get(`${kind}/${o.metadata.name}`) ?? 0) + 1);
      live.set(key(kind, ns, o.metadata.name), o);
    }
  }
  for (const o of await listAll(rest, resourcePath('ServiceAccount'), { fieldSelector: 'metadata.name=default' }))
    live.set(key('ServiceAccount', o.metadata.namespace ?? '', o.metadata.name), o);
  for (const o of await listAll(rest, resourcePath('Namespace'))) live.set(key('Namespace', o.metadata.name, o.metadata.name), o);

  const problems: string[] = [];
  let missing = 0;
  let extra = 0;
  let modified = 0;
  let complete = 0;
  let touched = 0;
  const problem = (text: string): void => {
    problems.push(text);
  };
  const selectedSet = new Set(selected);
  for (const ns of selected) {
    const before = problems.length;
    const desired = desiredObjects(baseline, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT);
    const wanted = new Set(desired.filter((d) => d.ownership === 'owned').map((d) => `${d.object.kind}/${d.object.metadata.name}`));
    const have = managed.get(ns) ?? new Map<string, number>();
    for (const w of wanted) {
      if (!have.has(w)) {
        missing += 1;
        problem(`${ns}: ${w} missing`);
      }
    }
    for (const [h, count] of have) {
      if (!wanted.has(h)) {
        extra += count;
        problem(`${ns}: ${h} not wanted`);
      } else if (count > 1) {
        extra += count - 1;
        problem(`${ns}: ${h} listed ${String(count)} times`);
      }
    }
    for (const d of desired) {
      const o = live.get(key(d.object.kind, ns, d.object.metadata.name));
      if (o === undefined) continue;
      const fields = compareObject(d.object, o);
      if (fields.length > 0) {
        modified += 1;
        problem(`${ns}: ${d.object.kind}/${d.object.metadata.name} differs at ${fields.join(', ')}`);
      }
    }
    const labels = live.get(key('Namespace', ns, ns))?.metadata.labels ?? {};
    for (const [k, v] of Object.entries(userLabels)) {
      if (labels[k] !== v) {
        touched += 1;
        problem(`${ns}: the user's label ${k}=${v} is now ${labels[k] ?? '(gone)'}`);
      }
    }
    if (problems.length === before) complete += 1;
  }
  for (const [ns, have] of managed) {
    if (selectedSet.has(ns)) continue;
    for (const [h, count] of have) {
      extra += count;
      problem(`${ns} (not selected): ${h}`);
    }
  }
  for (const u of userObjects) {
    const now = (await rest.get(u.kind, u.namespace, u.name)) as WireObject | undefined;
    if (now?.metadata.resourceVersion !== u.resourceVersion) {
      touched += 1;
      problem(
        `${u.namespace}: the user's ${u.kind}/${u.name} ${now === undefined ? 'is gone' : `changed (resourceVersion ${u.resourceVersion} → ${now.metadata.resourceVersion ?? ''})`}`,
      );
    }
  }
  return {
    namespaces: selected.length,
    complete,
    missing,
    extra,
    modified,
    userObjects: userObjects.length,
    userObjectsTouched: touched,
    problemCount: problems.length,
    problems: problems.slice(0, KEEP_PROBLEMS),
  };
}

/** The verdict's failures, as lines for a scenario's report (none when the state is exact). */
export function verdictFailures(v: Verdict): string[] {
  const out: string[] = [];
  if (v.complete !== v.namespaces)
    out.push(`only ${String(v.complete)} of ${String(v.namespaces)} namespaces hold exactly their desired objects`);
  if (v.missing > 0) out.push(`${String(v.missing)} desired objects missing`);
  if (v.extra > 0) out.push(`${String(v.extra)} managed objects not wanted (duplicates or strays)`);
  if (v.modified > 0) out.push(`${String(v.modified)} objects differ from the baseline`);
  if (v.userObjectsTouched > 0) out.push(`${String(v.userObjectsTouched)} of the user's objects or labels touched`);
  if (out.length > 0 && v.problems.length > 0) out.push(`first problems: ${v.problems.slice(0, 5).join('; ')}`);
  return out;
}
