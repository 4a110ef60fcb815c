/**
 * Events for what a reconcile of a namespace did that a person should hear of: drift repaired,
 * and names newly found held by someone else. Each goes on the baseline and on the namespace,
 * so `kubectl describe` of either shows it.
 */
import { API_VERSION, KIND } from '../api/constants.ts';
import type { EventSink, EventTarget } from '../kube/events.ts';
import type { Caches } from './caches.ts';
import type { NamespaceResult } from './reconciler.ts';
import { someOf } from './status.ts';

/** How many objects an Event's note names before "and N more". */
const NAMED_IN_EVENT = 5;

export interface AnnounceDeps {
  readonly events: EventSink;
  readonly caches: Pick<Caches, 'baseline' | 'namespace'>;
}

/** Records the Events for one reconcile: `repairs` repairs made, and conflicts not in `before`. */
export function announce(
  deps: AnnounceDeps,
  before: NamespaceResult | undefined,
  result: NamespaceResult | undefined,
  repairs: number,
): void {
  const b = result?.baseline;
  if (result === undefined || b === undefined) return;
  const sb = deps.caches.baseline(b.name);
  const ns = deps.caches.namespace(result.namespace);
  const targets: EventTarget[] = [];
  if (sb?.metadata.uid !== undefined) targets.push({ apiVersion: API_VERSION, kind: KIND, name: b.name, uid: sb.metadata.uid });
  if (ns?.metadata.uid !== undefined) targets.push({ apiVersion: 'v1', kind: 'Namespace', name: result.namespace, uid: ns.metadata.uid });
  const describe = (d: { kind: string; name: string; reason: string }): string => `${d.kind} ${d.name} (${d.reason})`;
  if (repairs > 0) {
    const note = `Repaired drift in namespace ${result.namespace}: ${someOf(result.repaired.map(describe), NAMED_IN_EVENT)}`;
    for (const t of targets) deps.events.record(t, 'Normal', 'DriftRepaired', note);
  }
  const known = new Set((before?.drift ?? []).filter((d) => d.reason === 'Conflict').map((d) => `${d.kind}/${d.name}`));
  const fresh = result.drift.filter((d) => d.reason === 'Conflict' && !known.has(`${d.kind}/${d.name}`));
  if (fresh.length > 0) {
    const note = `Left untouched in namespace ${result.namespace}, not created by kubeposture: ${someOf(
      fresh.map((d) => `${d.kind} ${d.name}`),
      NAMED_IN_EVENT,
    )}`;
    for (const t of targets) deps.events.record(t, 'Warning', 'ConflictFound', note);
  }
}
