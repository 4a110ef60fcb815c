import { appliedObjects, baselineWith } from '../../test/support/baselines.ts';
import { silentLogger } from '../lib/log.ts';
import { planned } from './caches.ts';
import type { RestClient } from '../kube/rest.ts';
import { encodeRecord } from './ownership.ts';
import type { CachedOwned, NamespaceSnapshot } from './plan.ts';
import { Reconciler, sameResult, type NamespaceResult, type PlanInputs, type StateReader } from './reconciler.ts';

const NS = 'team-a';
const audit = baselineWith('audit', { namespaceSelector: { matchLabels: { team: 'a' } }, mode: 'Audit' });
const owned: CachedOwned[] = appliedObjects(audit, NS);
const namespace: NamespaceSnapshot['namespace'] = {
  metadata: {
    name: NS,
    labels: { team: 'a' },
    annotations: {
      'kubeposture.io/owned':
        encodeRecord(
          owned.map((c) => ({ kind: c.kind, name: c.object.metadata.name, uid: c.object.metadata.uid ?? '', baseline: 'audit' })),
        ) ?? '',
    },
  },
};

describe('a reconcile whose inputs did not change', () => {
  it('returns the last result without planning when that reconcile found the namespace compliant and did nothing', async () => {
    let snapshots = 0;
    let inputs: Omit<PlanInputs, 'exemptions'> = { objects: 3, sum: 42, baselines: 1 };
    const state: StateReader = {
      snapshot: () => {
        snapshots += 1;
        return { namespace, owned, defaultServiceAccount: undefined };
      },
      inputs: () => inputs,
      namespace: () => namespace,
      baselines: () => ({ valid: [audit], stalled: new Set() }),
    };
    const reconciler = new Reconciler({
      rest: {} as RestClient,
      cache: { written: () => undefined, removed: () => undefined },
      state,
      unrecorded: { get: () => [], set: () => undefined, uncertain: () => [], setUncertain: () => undefined },
      log: silentLogger,
      operatorNamespace: undefined,
      guarded: () => true,
      mayWrite: () => true,
    });
    const first = await reconciler.reconcile(NS);
    expect(first?.drift).toEqual([]);
    expect(first?.inputs).toEqual({ ...inputs, exemptions: 0 });
    expect(await reconciler.reconcile(NS, first)).toBe(first);
    expect(snapshots).toBe(1);
    // Any input changed (an object's resourceVersion here): planned again, an equal result.
    inputs = { ...inputs, sum: 43 };
    const third = await reconciler.reconcile(NS, first);
    expect(snapshots).toBe(2);
    expect(third).not.toBe(first);
    expect(sameResult(first, third)).toBe(false);
    expect(third?.inputs?.sum).toBe(43);
    // A result with drift carries no inputs, so it is never reused: what holds it back (a
    // Conflict: someone else's object, not cached) may change without an event.
    if (first === undefined) throw new Error('no result');
    const { inputs: _unused, ...rest } = first;
    const drifted: NamespaceResult = { ...rest, drift: [{ kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Conflict' }] };
    await reconciler.reconcile(NS, drifted);
    expect(snapshots).toBe(3);
  });
});

describe('what a plan reads of a baseline', () => {
  const obj = {
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaseline',
    metadata: { name: 'b', uid: 'u', generation: 1, resourceVersion: '5', finalizers: ['kubeposture.io/cleanup'] },
    spec: { mode: 'Enforce' },
  } as const;

  it('changes with its spec, generation, finalizers or deletion, not with its status or resourceVersion', () => {
    const key = planned(obj);
    expect(planned({ ...obj, metadata: { ...obj.metadata, resourceVersion: '6' }, status: { observedGeneration: 1 } })).toBe(key);
    expect(planned({ ...obj, spec: { mode: 'Audit' } })).not.toBe(key);
    expect(planned({ ...obj, metadata: { ...obj.metadata, generation: 2 } })).not.toBe(key);
    expect(planned({ ...obj, metadata: { ...obj.metadata, finalizers: [] } })).not.toBe(key);
    expect(planned({ ...obj, metadata: { ...obj.metadata, deletionTimestamp: '2026-12-04T00:00:00Z' } })).not.toBe(key);
  });
});
