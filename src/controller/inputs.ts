/**
 * What a plan of a namespace is made from, as a few numbers (PlanInputs): while they stay the
 * same, so would the plan (plan.ts is pure), and a reconcile that found the namespace compliant
 * is not planned again. Also when a reconcile's own updates are the only change, and the
 * objects it wrote are cached as it wrote them (inputsAfterUpdates): the plan after them is
 * then known to find nothing.
 */
import type { ManagedObject } from '../baseline/objects.ts';
import { compareObject } from '../drift/compare.ts';
import type { WireObject } from '../kube/wire.ts';

/**
 * A plan's inputs, as numbers: the cached objects it reads (the Namespace, its default
 * ServiceAccount and kubeposture's objects there), how many and the sum of their versions
 * (caches.ts gives each cached object a number, new when what the cache keeps of it changes),
 * and the versions of the baselines and the exceptions. An object changed, added or removed
 * changes the pair: a change gives a higher version, and with as many added as removed the sum
 * rises, since a new object's version is above every older one's.
 */
export interface PlanInputs {
  readonly objects: number;
  readonly sum: number;
  readonly baselines: number;
  readonly exemptions: number;
}

export function sameInputs(a: PlanInputs | undefined, b: PlanInputs | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.objects === b.objects && a.sum === b.sum && a.baselines === b.baselines && a.exemptions === b.exemptions;
}

/** A cached object and the version the caches give it (caches.ts `version`). */
export interface CachedVersion {
  readonly version: number;
  readonly object: WireObject;
}

/** An update a reconcile wrote: the object it wanted, the cached one it planned from, and the cached one now. */
export interface WrittenUpdate {
  readonly desired: ManagedObject;
  readonly planned: CachedVersion | undefined;
  readonly now: CachedVersion | undefined;
}

/**
 * The inputs a plan of the namespace would start from now, when that plan is known to find
 * nothing without making it; undefined when that is not known. `planned`: the inputs the
 * reconcile planned from, which found only `writes` to make (every other object compliant);
 * `now`: the inputs as the caches have them after the writes. Known when each written object is
 * cached now as the same object (its uid) and complies with what was written (a mutating
 * webhook may have changed it), and the caches moved on by those objects alone: as many
 * objects, the same baselines and exceptions, and the sum of versions moved by exactly each
 * written object's. Anything else that changed meanwhile (a tenant's edit, an object deleted or
 * made) moves the sum otherwise, as sameInputs relies on, and the namespace is planned again.
 */
export function inputsAfterUpdates(
  planned: PlanInputs,
  now: PlanInputs | undefined,
  writes: readonly WrittenUpdate[],
): PlanInputs | undefined {
  if (now === undefined || writes.length === 0) return undefined;
  if (now.objects !== planned.objects || now.baselines !== planned.baselines || now.exemptions !== planned.exemptions) return undefined;
  let sum = planned.sum;
  for (const w of writes) {
    if (w.planned === undefined || w.now === undefined) return undefined;
    if (w.now.object.metadata.uid !== w.planned.object.metadata.uid) return undefined;
    if (compareObject(w.desired, w.now.object).length > 0) return undefined;
    sum += w.now.version - w.planned.version;
  }
  return now.sum === sum ? now : undefined;
}
