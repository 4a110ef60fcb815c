import { API_VERSION, FINALIZER, KIND } from '../api/constants.ts';
import { parseSecurityBaseline } from '../api/validate.ts';
import { ApiError } from '../kube/transport.ts';
import type { JsonPatchOp } from '../kube/rest.ts';
import { silentLogger } from '../lib/log.ts';
import { FakeRest, RecordingEvents, baselineObject, invalidBaselineObject, withoutUid } from '../../test/support/controller-fakes.ts';
import type { BaselineObject } from './caches.ts';
import { CLEANUP_RECHECK_MS, reconcileFinalizer, type FinalizerDeps } from './finalizer.ts';
import type { Outcome } from './queue.ts';

const DELETED = '2026-01-01T00:00:00Z';

interface Rig {
  readonly rest: FakeRest;
  readonly events: RecordingEvents;
  /** What the status writer was told, in order: "markDirty sb", "cleanedUp sb". */
  readonly told: string[];
  readonly run: () => Promise<Outcome>;
}

/** reconcileFinalizer for `sb` over fakes: the cache holds `obj`; the status writer waits on `waiting` namespaces; `left` objects remain. */
function rig(obj: BaselineObject | undefined, waiting = 0, left: readonly string[] = []): Rig {
  const rest = new FakeRest();
  const events = new RecordingEvents();
  const told: string[] = [];
  const deps: FinalizerDeps = {
    rest: rest.client,
    log: silentLogger,
    events,
    caches: {
      baseline: (name) => (name === obj?.metadata.name ? obj : undefined),
      parse: (o) => parseSecurityBaseline(o),
      objectsOf: () => [...left],
    },
    status: {
      waitingOn: () => waiting,
      cleanedUp: (name) => {
        told.push(`cleanedUp ${name}`);
      },
      markDirty: (name) => {
        told.push(`markDirty ${name}`);
      },
    },
  };
  return { rest, events, told, run: () => reconcileFinalizer('sb', deps) };
}

const deleted = (finalizers: readonly string[]): BaselineObject => baselineObject('sb', { deletionTimestamp: DELETED, finalizers });
const patches = (r: Rig): (readonly JsonPatchOp[])[] => r.rest.jsonPatches.map((p) => p.ops);

describe('reconcileFinalizer on a live baseline', () => {
  it('adds the finalizer as the first, guarded by the resourceVersion it read', async () => {
    const r = rig(baselineObject('sb', { resourceVersion: '42' }));
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(r.rest.jsonPatches.map((p) => `${p.kind} ${p.name}`)).toEqual(['SecurityBaseline sb']);
    expect(patches(r)).toEqual([
      [
        { op: 'test', path: '/metadata/resourceVersion', value: '42' },
        { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] },
      ],
    ]);
  });

  it('adds it again to the baseline as read when the cached one was behind (a 422 from the resourceVersion test)', async () => {
    const r = rig(baselineObject('sb', { resourceVersion: '42' }));
    r.rest.failures.push(new ApiError(422, '', 'the server rejected our request due to an error in our request', {}));
    r.rest.objects.set('sb', baselineObject('sb', { resourceVersion: '43' }));
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(patches(r).map((ops) => ops[0])).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'test', path: '/metadata/resourceVersion', value: '43' },
    ]);
  });

  it('fails as before when the baseline was not behind, or the second try fails too', async () => {
    const same = rig(baselineObject('sb', { resourceVersion: '42' }));
    same.rest.failures.push(new ApiError(422, '', 'refused', {}));
    same.rest.objects.set('sb', baselineObject('sb', { resourceVersion: '42' }));
    await expect(same.run()).rejects.toThrow('refused');
    const twice = rig(baselineObject('sb', { resourceVersion: '42' }));
    twice.rest.failures.push(new ApiError(422, '', 'first', {}), new ApiError(422, '', 'second', {}));
    twice.rest.objects.set('sb', baselineObject('sb', { resourceVersion: '43' }));
    await expect(twice.run()).rejects.toThrow('second');
  });

  it('appends the finalizer to those others put there', async () => {
    const r = rig(baselineObject('sb', { finalizers: ['example.com/keep'] }));
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(patches(r)).toEqual([
      [
        { op: 'test', path: '/metadata/resourceVersion', value: '7' },
        { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER },
      ],
    ]);
  });

  it.each([
    ['it already has the finalizer', baselineObject('sb', { finalizers: ['example.com/keep', FINALIZER] })],
    ['it is gone from the cache', undefined],
    ['it is being deleted without the finalizer', deleted(['example.com/keep'])],
  ])('does nothing when %s', async (_case, obj) => {
    const r = rig(obj, 3, ['a/Role/r']);
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(r.rest.jsonPatches).toEqual([]);
    expect(r.told).toEqual([]);
    expect(r.events.recorded).toEqual([]);
  });

  it('does nothing more when the baseline is gone by the time it is read again', async () => {
    const r = rig(baselineObject('sb'));
    r.rest.failures.push(new ApiError(422, 'Invalid', 'the server rejected our request: test operation failed', {}));
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(r.rest.jsonPatches).toHaveLength(1);
  });
});

describe('reconcileFinalizer on a deleted baseline', () => {
  it.each<[string, number, readonly string[]]>([
    ['namespaces are still to be reconciled', 2, []],
    ['objects it made are still there', 0, ['a/Role/r']],
    ['both', 1, ['a/Role/r', 'b/RoleBinding/rb']],
  ])('waits while %s: checks again soon and refreshes status', async (_case, waiting, left) => {
    const r = rig(deleted([FINALIZER]), waiting, left);
    expect(await r.run()).toEqual({ kind: 'requeueAfter', delayMs: CLEANUP_RECHECK_MS });
    expect(r.told).toEqual(['markDirty sb']);
    expect(r.rest.jsonPatches).toEqual([]);
    expect(r.events.recorded).toEqual([]);
  });

  it('removes the finalizer at its index, tested first, once cleanup is done, and says so', async () => {
    const r = rig(deleted(['example.com/first', FINALIZER, 'example.com/last']));
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(patches(r)).toEqual([
      [
        { op: 'test', path: '/metadata/finalizers/1', value: FINALIZER },
        { op: 'remove', path: '/metadata/finalizers/1' },
      ],
    ]);
    expect(r.told).toEqual(['cleanedUp sb']);
    expect(r.events.recorded).toEqual([
      {
        target: { apiVersion: API_VERSION, kind: KIND, name: 'sb', uid: 'uid-sb' },
        type: 'Normal',
        reason: 'CleanupDone',
        note: 'Cleanup finished (deletionPolicy honoured); finalizer removed',
      },
    ]);
  });

  it('removes the finalizer of an invalid spec at once, leaving its objects to the garbage collector', async () => {
    const r = rig(invalidBaselineObject('sb', { deletionTimestamp: DELETED, finalizers: [FINALIZER] }), 4, ['a/Role/r']);
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(patches(r)).toEqual([
      [
        { op: 'test', path: '/metadata/finalizers/0', value: FINALIZER },
        { op: 'remove', path: '/metadata/finalizers/0' },
      ],
    ]);
    expect(r.told).toEqual(['cleanedUp sb']);
    expect(r.events.recorded.map((e) => e.note)).toEqual([
      'Cleanup finished (deletionPolicy left to the garbage collector: the spec was invalid); finalizer removed',
    ]);
  });

  it('records no Event for a baseline without a uid', async () => {
    const r = rig(withoutUid(deleted([FINALIZER])));
    expect(await r.run()).toEqual({ kind: 'done' });
    expect(r.rest.jsonPatches).toHaveLength(1);
    expect(r.events.recorded).toEqual([]);
  });

  it('keeps waiting on its cleanup when the removal fails', async () => {
    const r = rig(deleted([FINALIZER]));
    r.rest.failures.push(new ApiError(422, 'Invalid', 'test operation failed', {}));
    await expect(r.run()).rejects.toThrow('test operation failed');
    expect(r.told).toEqual([]);
    expect(r.events.recorded).toEqual([]);
  });
});
