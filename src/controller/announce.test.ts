import { API_VERSION, KIND } from '../api/constants.ts';
import type { EventTarget } from '../kube/events.ts';
import { RecordingEvents, baselineObject, drift, namespaceObject, nsResult, withoutUid } from '../../test/support/controller-fakes.ts';
import { announce, type AnnounceDeps } from './announce.ts';
import type { BaselineObject, NamespaceObject } from './caches.ts';
import type { NamespaceResult } from './reconciler.ts';

const BASELINE: EventTarget = { apiVersion: API_VERSION, kind: KIND, name: 'sb', uid: 'uid-sb' };
const NAMESPACE: EventTarget = { apiVersion: 'v1', kind: 'Namespace', name: 'a', uid: 'uid-a' };

/** announce over caches holding `baselines` and `namespaces`; the Events it records, as "type reason kind: note". */
function announced(
  before: NamespaceResult | undefined,
  result: NamespaceResult | undefined,
  repairs: number,
  cached: { baselines?: BaselineObject[]; namespaces?: NamespaceObject[] } = {},
): RecordingEvents {
  const events = new RecordingEvents();
  const baselines = cached.baselines ?? [baselineObject('sb')];
  const namespaces = cached.namespaces ?? [namespaceObject('a')];
  const deps: AnnounceDeps = {
    events,
    caches: {
      baseline: (name) => baselines.find((b) => b.metadata.name === name),
      namespace: (name) => namespaces.find((n) => n.metadata.name === name),
    },
  };
  announce(deps, before, result, repairs);
  return events;
}

const lines = (events: RecordingEvents): string[] => events.recorded.map((e) => `${e.type} ${e.reason} ${e.target.kind}: ${e.note}`);

const quotaModified = drift('ResourceQuota', 'kubeposture-quota', 'Modified');
const conflict = (name: string): ReturnType<typeof drift> => drift('NetworkPolicy', name, 'Conflict');

describe('announce', () => {
  it('records DriftRepaired on the baseline and on the namespace when repairs were made', () => {
    const events = announced(nsResult('a', 'sb'), nsResult('a', 'sb', { repaired: [quotaModified] }), 1);
    expect(events.recorded).toEqual(
      [BASELINE, NAMESPACE].map((target) => ({
        target,
        type: 'Normal',
        reason: 'DriftRepaired',
        note: 'Repaired drift in namespace a: ResourceQuota kubeposture-quota (Modified)',
      })),
    );
  });

  it('records ConflictFound, a Warning on both, naming only conflicts not already known', () => {
    const before = nsResult('a', 'sb', { drift: [conflict('old'), drift('NetworkPolicy', 'was-missing', 'Missing')] });
    const result = nsResult('a', 'sb', { drift: [conflict('old'), conflict('was-missing'), conflict('new'), quotaModified] });
    const note = 'Left untouched in namespace a, not created by kubeposture: NetworkPolicy was-missing, NetworkPolicy new';
    expect(lines(announced(before, result, 0))).toEqual([
      `Warning ConflictFound ${KIND}: ${note}`,
      `Warning ConflictFound Namespace: ${note}`,
    ]);
  });

  it('records both when a reconcile repairs drift and finds a new conflict, repairs first', () => {
    const events = announced(nsResult('a', 'sb'), nsResult('a', 'sb', { repaired: [quotaModified], drift: [conflict('np')] }), 1);
    expect(events.recorded.map((e) => `${e.reason} ${e.target.kind}`)).toEqual([
      `DriftRepaired ${KIND}`,
      'DriftRepaired Namespace',
      `ConflictFound ${KIND}`,
      'ConflictFound Namespace',
    ]);
  });

  it.each<[string, NamespaceResult | undefined, NamespaceResult | undefined, number]>([
    ['the namespace is left alone (no result)', nsResult('a', 'sb'), undefined, 0],
    ['no baseline governs the namespace', nsResult('a', 'sb'), nsResult('a', undefined, { drift: [conflict('np')] }), 1],
    ['no repair and no conflict', nsResult('a', 'sb'), nsResult('a', 'sb', { drift: [quotaModified] }), 0],
    ['drift fixed that does not count as a repair (a first rollout)', undefined, nsResult('a', 'sb', { repaired: [quotaModified] }), 0],
    [
      'every conflict was already known',
      nsResult('a', 'sb', { drift: [conflict('np')] }),
      nsResult('a', 'sb', { drift: [conflict('np')] }),
      0,
    ],
  ])('records nothing when %s', (_case, before, result, repairs) => {
    expect(announced(before, result, repairs).recorded).toEqual([]);
  });

  it.each<[string, BaselineObject[], NamespaceObject[], EventTarget[]]>([
    ['the baseline is gone from the cache', [], [namespaceObject('a')], [NAMESPACE]],
    ['the namespace is gone from the cache', [baselineObject('sb')], [], [BASELINE]],
    ['neither has a uid', [withoutUid(baselineObject('sb'))], [withoutUid(namespaceObject('a'))], []],
  ])('records only on the targets it can name when %s', (_case, baselines, namespaces, targets) => {
    const events = announced(nsResult('a', 'sb'), nsResult('a', 'sb', { repaired: [quotaModified] }), 1, { baselines, namespaces });
    expect(events.recorded.map((e) => e.target)).toEqual(targets);
  });

  it.each<[number, string]>([
    [5, 'Role r1 (Missing), Role r2 (Missing), Role r3 (Missing), Role r4 (Missing), Role r5 (Missing)'],
    [7, 'Role r1 (Missing), Role r2 (Missing), Role r3 (Missing), Role r4 (Missing), Role r5 (Missing) and 2 more'],
  ])('names at most five objects of %i repaired, then how many more', (count, named) => {
    const repaired = Array.from({ length: count }, (_, i) => drift('Role', `r${String(i + 1)}`, 'Missing'));
    const events = announced(nsResult('a', 'sb'), nsResult('a', 'sb', { repaired }), count);
    expect(events.recorded[0]?.note).toBe(`Repaired drift in namespace a: ${named}`);
  });

  it('names at most five new conflicts, then how many more', () => {
    const result = nsResult('a', 'sb', { drift: Array.from({ length: 8 }, (_, i) => conflict(`np${String(i + 1)}`)) });
    expect(announced(undefined, result, 0).recorded[0]?.note).toBe(
      'Left untouched in namespace a, not created by kubeposture: NetworkPolicy np1, NetworkPolicy np2, NetworkPolicy np3, NetworkPolicy np4, NetworkPolicy np5 and 3 more',
    );
  });
});
