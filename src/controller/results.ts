/**
 * The latest result of every namespace, with the namespaces each baseline governs and those in
 * which it lost to another kept alongside, so that one baseline's status and ClusterReport
 * read its own namespaces rather than every namespace's result: with 100 baselines over
 * 10,000 namespaces a status flush that marks them all dirty would otherwise read a million
 * results. Pure bookkeeping; no I/O.
 */
import type { NamespaceResult } from './reconciler.ts';

/** What readers of the results (status, reports) may use: no writes. */
export interface ResultsView extends ReadonlyMap<string, NamespaceResult> {
  governedBy(baseline: string): IterableIterator<NamespaceResult>;
  supersededBy(baseline: string): IterableIterator<NamespaceResult>;
  concerning(baseline: string): IterableIterator<NamespaceResult>;
}

export class NamespaceResults implements ResultsView {
  private readonly all = new Map<string, NamespaceResult>();
  /** Baseline name → namespace → the result in which it governs. */
  private readonly governing = new Map<string, Map<string, NamespaceResult>>();
  /** Baseline name → namespace → the result in which it selects but loses. */
  private readonly losing = new Map<string, Map<string, NamespaceResult>>();

  get size(): number {
    return this.all.size;
  }

  get(namespace: string): NamespaceResult | undefined {
    return this.all.get(namespace);
  }

  has(namespace: string): boolean {
    return this.all.has(namespace);
  }

  /** A baseline that keeps the namespace keeps its place in that baseline's order, as in a Map. */
  set(namespace: string, result: NamespaceResult): this {
    const old = this.all.get(namespace);
    this.all.set(namespace, result);
    const was = old?.baseline?.name;
    const is = result.baseline?.name;
    if (was !== undefined && was !== is) drop(this.governing, was, namespace);
    if (is !== undefined) entry(this.governing, is).set(namespace, result);
    for (const s of old?.superseded ?? []) if (!result.superseded.includes(s)) drop(this.losing, s, namespace);
    for (const s of result.superseded) entry(this.losing, s).set(namespace, result);
    return this;
  }

  delete(namespace: string): boolean {
    const old = this.all.get(namespace);
    if (old === undefined) return false;
    if (old.baseline !== undefined) drop(this.governing, old.baseline.name, namespace);
    for (const s of old.superseded) drop(this.losing, s, namespace);
    return this.all.delete(namespace);
  }

  /** The results of the namespaces `baseline` governs. */
  governedBy(baseline: string): IterableIterator<NamespaceResult> {
    return (this.governing.get(baseline) ?? EMPTY).values();
  }

  /** The results of the namespaces `baseline` selects but another baseline governs. */
  supersededBy(baseline: string): IterableIterator<NamespaceResult> {
    return (this.losing.get(baseline) ?? EMPTY).values();
  }

  /** The results in which `baseline` governs or loses: all a baseline's status is made from. */
  *concerning(baseline: string): IterableIterator<NamespaceResult> {
    yield* this.governedBy(baseline);
    yield* this.supersededBy(baseline);
  }

  keys(): MapIterator<string> {
    return this.all.keys();
  }

  values(): MapIterator<NamespaceResult> {
    return this.all.values();
  }

  entries(): MapIterator<[string, NamespaceResult]> {
    return this.all.entries();
  }

  [Symbol.iterator](): MapIterator<[string, NamespaceResult]> {
    return this.all[Symbol.iterator]();
  }

  forEach(fn: (value: NamespaceResult, key: string, map: ReadonlyMap<string, NamespaceResult>) => void): void {
    for (const [k, v] of this.all) fn(v, k, this);
  }
}

const EMPTY: ReadonlyMap<string, NamespaceResult> = new Map();

function entry(index: Map<string, Map<string, NamespaceResult>>, baseline: string): Map<string, NamespaceResult> {
  let m = index.get(baseline);
  if (m === undefined) {
    m = new Map();
    index.set(baseline, m);
  }
  return m;
}

function drop(index: Map<string, Map<string, NamespaceResult>>, baseline: string, namespace: string): void {
  const m = index.get(baseline);
  if (m === undefined) return;
  m.delete(namespace);
  if (m.size === 0) index.delete(baseline);
}
