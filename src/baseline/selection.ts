/**
 * Which namespaces a baseline selects, and which baseline wins a namespace.
 * Pure: label selector semantics exactly as Kubernetes defines them
 * (metav1.LabelSelectorAsSelector), glob excludes, and the namespaces no
 * baseline may ever touch.
 */
import type { LabelSelector, LabelSelectorRequirement, SecurityBaseline } from '../api/types.ts';
import { remembered } from '../lib/memo.ts';

/** What selection needs to know of a namespace. */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** True once the namespace has a deletionTimestamp or phase Terminating. */
  readonly terminating: boolean;
}

/** Namespaces that no baseline selects, whatever its selector says. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

function requirementMatches(req: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
      return has && value !== undefined && (req.values ?? []).includes(value);
    case 'NotIn':
      return !has || value === undefined || !(req.values ?? []).includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/**
 * Kubernetes LabelSelector semantics: an absent or empty selector matches
 * everything; otherwise every matchLabels pair and every expression must hold.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => requirementMatches(req, labels));
}

/** Shell-style glob: `*` matches any run of characters (also none), `?` exactly one. */
export function globMatches(pattern: string, name: string): boolean {
  // Iterative matcher with backtracking to the last `*`: linear in practice, no regex built from input.
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc !== undefined && (pc === '?' || pc === name[n])) {
      p++;
      n++;
    } else if (pc === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Why a baseline does not select a namespace, or 'selected'. */
export type SelectionResult = 'selected' | 'system' | 'operator' | 'terminating' | 'excluded' | 'not-matched';

/**
 * Whether `baseline` selects `ns`. System namespaces, the operator's own
 * namespace and terminating namespaces are never selected.
 */
export function selects(baseline: SecurityBaseline, ns: NamespaceInfo, operatorNamespace: string | undefined): SelectionResult {
  if (SYSTEM_NAMESPACES.includes(ns.name)) return 'system';
  if (operatorNamespace !== undefined && ns.name === operatorNamespace) return 'operator';
  if (ns.terminating) return 'terminating';
  if ((baseline.spec.excludeNamespaces ?? []).some((glob) => globMatches(glob, ns.name))) return 'excluded';
  return selectorMatches(baseline.spec.namespaceSelector, ns.labels) ? 'selected' : 'not-matched';
}

/** Orders baselines by precedence: higher priority first, then the lexically smaller name. */
export function byPrecedence(a: SecurityBaseline, b: SecurityBaseline): number {
  if (a.spec.priority !== b.spec.priority) return b.spec.priority - a.spec.priority;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** The baseline that governs a namespace, and those that also select it but lose. */
export interface Resolution {
  readonly winner: SecurityBaseline | undefined;
  readonly superseded: readonly SecurityBaseline[];
}

/**
 * Resolves which of `baselines` governs `ns`: among those that select it, the
 * highest priority wins and a tie goes to the lexically smallest name.
 * Baselines being deleted never win (their cleanup is under way).
 *
 * Reads only the baselines that could select `ns` (selectionIndex): with 100 baselines
 * over disjoint sets of namespaces, a namespace event checks the one or two whose selector
 * its labels meet, not all 100. The list is indexed once and the index kept while the same
 * list is passed (the controller's caches pass one list until a baseline changes).
 */
export function resolve(baselines: readonly SecurityBaseline[], ns: NamespaceInfo, operatorNamespace: string | undefined): Resolution {
  const candidates = selectionIndex(baselines)
    .candidates(ns.labels)
    .filter((b) => selects(b, ns, operatorNamespace) === 'selected')
    .sort(byPrecedence);
  const [winner, ...superseded] = candidates;
  return { winner, superseded };
}

/**
 * The baselines that may select a namespace, found from its labels. Each live baseline is
 * filed under one label pair a namespace must carry to be selected by it: its first
 * `matchLabels` pair, or else each value of its first `In` expression (a namespace carries one
 * value of a key, so it meets the baseline under one of them at most). A baseline whose
 * selector requires no label (none, empty, or only NotIn, Exists and DoesNotExist) is a
 * candidate for every namespace. The candidates are a superset of those that select the
 * namespace, each once; `selects` decides.
 */
export interface SelectionIndex {
  candidates(labels: Readonly<Record<string, string>>): SecurityBaseline[];
}

const indexes = new WeakMap<readonly SecurityBaseline[], SelectionIndex>();

export function selectionIndex(baselines: readonly SecurityBaseline[]): SelectionIndex {
  return remembered(indexes, baselines, buildIndex);
}

/** A label pair as one key (a NUL in either could only add a candidate, which `selects` then turns away). */
const pairKey = (key: string, value: string): string => `${key}\0${value}`;

function buildIndex(baselines: readonly SecurityBaseline[]): SelectionIndex {
  const always: SecurityBaseline[] = [];
  const byPair = new Map<string, SecurityBaseline[]>();
  const file = (key: string, b: SecurityBaseline): void => {
    const list = byPair.get(key);
    if (list === undefined) byPair.set(key, [b]);
    else list.push(b);
  };
  for (const b of baselines) {
    if (b.metadata.deletionTimestamp !== undefined) continue;
    const selector = b.spec.namespaceSelector;
    const first = Object.entries(selector?.matchLabels ?? {})[0];
    const inExpr = (selector?.matchExpressions ?? []).find((r) => r.operator === 'In');
    if (first !== undefined) file(pairKey(first[0], first[1]), b);
    else if (inExpr !== undefined) for (const v of new Set(inExpr.values ?? [])) file(pairKey(inExpr.key, v), b);
    else always.push(b);
  }
  return {
    candidates(labels) {
      const out = [...always];
      if (byPair.size === 0) return out;
      for (const key in labels) {
        if (!Object.hasOwn(labels, key)) continue;
        const value = labels[key];
        if (value === undefined) continue;
        const filed = byPair.get(pairKey(key, value));
        if (filed !== undefined) out.push(...filed);
      }
      return out;
    },
  };
}
