import { appliedObjects, baselineWith } from '../../test/support/baselines.ts';
import { silentLogger } from '../lib/log.ts';
import { planned } from './caches.ts';
import type { RestClient } from '../kube/rest.ts';
import { encodeRecord } from './ownership.ts';
import type { CachedOwned, NamespaceSnapshot, OwnedKind } from './plan.ts';
import type { WireObject } from '../kube/wire.ts';
import { ANNOTATION_HOLDS, ANNOTATION_OWNED } from '../api/constants.ts';
import { Reconciler, sameResult, type NamespaceResult, type StateReader } from './reconciler.ts';
import type { PlanInputs } from './inputs.ts';

const NS = 'team-a';
/** A leader with nothing unrecorded, whose baselines carry the finalizer. */
const QUIET_DEPS = {
  unrecorded: { get: () => [], set: () => undefined, uncertain: () => [], setUncertain: () => undefined },
  log: silentLogger,
  operatorNamespace: undefined,
  guarded: () => true,
  mayWrite: () => true,
} as const;
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
      ownedObject: () => undefined,
      version: () => 0,
      baselines: () => ({ valid: [audit], stalled: new Set() }),
    };
    const reconciler = new Reconciler({
      rest: {} as RestClient,
      cache: { written: () => undefined, removed: () => undefined },
      state,
      ...QUIET_DEPS,
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

describe('a reconcile whose only writes were updates', () => {
  const before = baselineWith('sb', { namespaceSelector: { matchLabels: { team: 'a' } }, resourceQuota: { hard: { pods: '50' } } });
  const after = baselineWith('sb', { namespaceSelector: { matchLabels: { team: 'a' } }, resourceQuota: { hard: { pods: '60' } } });
  const held = appliedObjects(before, NS);
  const ns: NamespaceSnapshot['namespace'] = {
    metadata: {
      name: NS,
      labels: { team: 'a' },
      resourceVersion: '1',
      annotations: {
        [ANNOTATION_OWNED]:
          encodeRecord(
            held.map((c) => ({ kind: c.kind, name: c.object.metadata.name, uid: c.object.metadata.uid ?? '', baseline: 'sb' })),
          ) ?? '',
        [ANNOTATION_HOLDS]: 'sb',
      },
    },
  };

  /** The caches of one namespace, with inputs as caches.ts counts them; `answer` makes the apiserver's answer to an apply. */
  interface Setup {
    readonly reconciler: Reconciler;
    readonly sent: string[];
    readonly cached: Map<string, CachedOwned>;
    readonly snapshots: () => number;
  }
  function setup(answer: (sent: WireObject, rv: string) => WireObject): Setup {
    const cached = new Map(held.map((c) => [`${c.kind}/${c.object.metadata.name}`, c]));
    let snapshots = 0;
    let rv = 100;
    const inputs = (): Omit<PlanInputs, 'exemptions'> => {
      const objs = [ns, ...[...cached.values()].map((c) => c.object)];
      return { objects: objs.length, sum: objs.reduce((s, o) => s + Number(o.metadata.resourceVersion), 0), baselines: 1 };
    };
    const state: StateReader = {
      snapshot: () => {
        snapshots += 1;
        return { namespace: ns, owned: [...cached.values()], defaultServiceAccount: undefined };
      },
      inputs,
      namespace: () => ns,
      ownedObject: (kind, _ns, name) => cached.get(`${kind}/${name}`)?.object,
      version: (o) => Number(o.metadata.resourceVersion),
      baselines: () => ({ valid: [after], stalled: new Set() }),
    };
    const sent: string[] = [];
    const rest = {
      apply: (kind: string, obj: WireObject) => {
        sent.push(`${kind}/${obj.metadata.name}`);
        rv += 1;
        return Promise.resolve(answer(obj, String(rv)));
      },
    } as unknown as RestClient;
    const reconciler = new Reconciler({
      rest,
      cache: {
        written: (kind, obj) => {
          cached.set(`${kind}/${obj.metadata.name}`, { kind: kind as OwnedKind, object: obj });
        },
        removed: () => undefined,
      },
      state,
      ...QUIET_DEPS,
    });
    return { reconciler, sent, cached, snapshots: () => snapshots };
  }
  const asAnswered = (obj: WireObject, rv: string): WireObject => ({ ...obj, metadata: { ...obj.metadata, resourceVersion: rv } });

  it('carries the inputs after its writes when every answer is what it wrote and nothing else moved: its own write brings no second plan', async () => {
    const { reconciler, sent, snapshots } = setup(asAnswered);
    const first = await reconciler.reconcile(NS);
    expect(sent).toEqual(['ResourceQuota/kubeposture-quota']);
    expect(first?.repaired.map((d) => d.name)).toEqual(['kubeposture-quota']);
    expect(first?.drift).toEqual([]);
    expect(first?.inputs?.sum).toBeGreaterThan(0);
    // The event of its own write queues it again: no plan, nothing written, the repair not repeated.
    const second = await reconciler.reconcile(NS, first);
    expect(snapshots()).toBe(1);
    expect(sent).toHaveLength(1);
    expect(second?.repaired).toEqual([]);
    expect(second?.inputs).toEqual(first?.inputs);
    expect(await reconciler.reconcile(NS, second)).toBe(second);
  });

  it('carries none when an answer differs from what it wrote (a mutating webhook): the next reconcile plans, and writes again', async () => {
    const { reconciler, sent, snapshots } = setup((obj, rv) => {
      const answered = asAnswered(obj, rv) as WireObject & { spec: { hard: Record<string, string> } };
      return { ...answered, spec: { hard: { ...answered.spec.hard, pods: '70' } } };
    });
    const first = await reconciler.reconcile(NS);
    expect(first?.inputs).toBeUndefined();
    await reconciler.reconcile(NS, first);
    expect(snapshots()).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('carries none when another object moved while it wrote (a tenant edit): the next reconcile plans', async () => {
    const { reconciler, cached, snapshots } = setup((obj, rv) => {
      // Meanwhile a watch event brings another object's edit into the caches.
      const other = [...cached.entries()].find(([k]) => k.startsWith('NetworkPolicy/'));
      if (other !== undefined) {
        const [key, c] = other;
        cached.set(key, { ...c, object: { ...c.object, metadata: { ...c.object.metadata, resourceVersion: '99' } } });
      }
      return asAnswered(obj, rv);
    });
    const first = await reconciler.reconcile(NS);
    expect(first?.repaired).toHaveLength(1);
    expect(first?.inputs).toBeUndefined();
    await reconciler.reconcile(NS, first);
    expect(snapshots()).toBe(2);
  });
});
