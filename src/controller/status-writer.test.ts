import type { SecurityBaselineStatus } from '../api/types.ts';
import { parseSecurityBaseline } from '../api/validate.ts';
import { ApiError } from '../kube/transport.ts';
import { silentLogger } from '../lib/log.ts';
import { rfc3339 } from '../lib/time.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakeRest, baselineObject, drift, invalidBaselineObject, namespaceObject, nsResult } from '../../test/support/controller-fakes.ts';
import type { BaselineObject, NamespaceObject } from './caches.ts';
import type { PostureWatch } from './posture-watch.ts';
import type { NamespaceResult } from './reconciler.ts';
import { NamespaceResults } from './results.ts';
import { STATUS_BATCH_MS, StatusWriter, type StatusWriterDeps } from './status-writer.ts';

const INTERVAL = 1000;
const START = Date.parse('2026-01-01T00:00:00Z');

interface Write {
  readonly name: string;
  readonly at: number;
  readonly status: SecurityBaselineStatus;
}

interface Rig {
  readonly writer: StatusWriter;
  readonly clock: FakeClock;
  readonly rest: FakeRest;
  readonly results: NamespaceResults;
  readonly baselines: Map<string, BaselineObject>;
  readonly namespaces: Map<string, NamespaceObject>;
  /** What caches.affectedBy answers, per baseline. */
  readonly affected: Map<string, readonly string[]>;
  /** The statuses the fake apiserver took, oldest first. */
  readonly writes: Write[];
  leader: boolean;
}

/** A StatusWriter over in-memory caches holding the valid baseline `sb`; written statuses land on the cached baseline. */
function rig(): Rig {
  const clock = new FakeClock();
  clock.advance(START);
  const baselines = new Map([['sb', baselineObject('sb')]]);
  const writes: Write[] = [];
  const rest = new FakeRest((call) => {
    const obj = baselines.get(call.name);
    if (obj === undefined) return;
    const body = call.body as { readonly status: Readonly<Record<string, unknown>> };
    const status = Object.fromEntries(Object.entries(body.status).filter(([, v]) => v !== null)) as SecurityBaselineStatus;
    baselines.set(call.name, { ...obj, status });
    writes.push({ name: call.name, at: clock.now(), status });
  });
  const results = new NamespaceResults();
  const namespaces = new Map<string, NamespaceObject>();
  const affected = new Map<string, readonly string[]>();
  const caches: StatusWriterDeps['caches'] = {
    baseline: (name) => baselines.get(name),
    baselineObjectList: () => [...baselines.values()],
    baselines: () => ({
      valid: [...baselines.values()].flatMap((o) => {
        const p = parseSecurityBaseline(o);
        return p.ok ? [p.baseline] : [];
      }),
      stalled: new Set(),
    }),
    parse: (obj) => parseSecurityBaseline(obj),
    namespace: (name) => namespaces.get(name),
    objectsOf: () => [],
    affectedBy: (name) => new Set(affected.get(name) ?? []),
    posture: { findings: () => [] } as unknown as PostureWatch,
  };
  const r: Omit<Rig, 'writer'> = { clock, rest, results, baselines, namespaces, affected, writes, leader: true };
  const writer = new StatusWriter({
    rest: rest.client,
    clock,
    log: silentLogger,
    caches,
    results,
    operatorNamespace: undefined,
    statusIntervalMs: INTERVAL,
    mayWrite: () => r.leader,
  });
  return Object.assign(r, { writer });
}

/** Moves the fake time on and lets the writes it starts finish. */
async function pass(r: Rig, ms: number): Promise<void> {
  r.clock.advance(ms);
  await new Promise((resolve) => setImmediate(resolve));
}

/** A namespace reconciled to `result`, as the controller reports it. */
function reconcile(r: Rig, result: NamespaceResult): void {
  const before = r.results.get(result.namespace);
  r.results.set(result.namespace, result);
  r.writer.reconciled(result.namespace, before, result);
}

const ready = (s: SecurityBaselineStatus | undefined): string | undefined => s?.conditions?.find((c) => c.type === 'Ready')?.reason;
const quotaModified = drift('ResourceQuota', 'kubeposture-quota', 'Modified');

describe('StatusWriter flush', () => {
  it('writes a change to the status subresource after a short pause', async () => {
    const r = rig();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS - 1);
    expect(r.rest.merges).toHaveLength(0);
    await pass(r, 1);
    expect(r.rest.merges.map((m) => `${m.kind} ${m.name} ${String(m.subresource)}`)).toEqual(['SecurityBaseline sb status']);
    expect(r.writes[0]?.status).toMatchObject({
      observedGeneration: 1,
      namespaces: { selected: 1, compliant: 1 },
      lastReconcileTime: rfc3339(START + STATUS_BATCH_MS),
    });
  });

  it('makes one write of a burst of changes', async () => {
    const r = rig();
    for (const ns of ['a', 'b', 'c', 'd', 'e']) reconcile(r, nsResult(ns, 'sb'));
    for (let i = 0; i < 10; i++) r.writer.markDirty('sb');
    await pass(r, STATUS_BATCH_MS);
    expect(r.writes).toHaveLength(1);
    expect(r.writes[0]?.status.namespaces?.selected).toBe(5);
  });

  it('writes at most once per interval while status keeps changing, and ends with the latest', async () => {
    const r = rig();
    // A namespace more every 100 ms for 3 s: every flush has something new to say. (In steps
    // of 50 ms, so that each write is answered at the fake time it was sent.)
    for (let i = 1; i <= 30; i++) {
      reconcile(r, nsResult(`ns-${String(i)}`, 'sb'));
      await pass(r, 50);
      await pass(r, 50);
    }
    expect(r.writes.map((w) => w.at - START)).toEqual([STATUS_BATCH_MS, STATUS_BATCH_MS + INTERVAL, STATUS_BATCH_MS + 2 * INTERVAL]);
    await pass(r, INTERVAL);
    expect(r.writes.map((w) => w.status.namespaces?.selected)).toEqual([1, 11, 21, 30]);
  });

  it('counts the interval from when the last write was answered, and starts none while one is under way', async () => {
    const r = rig();
    const release = r.rest.holdAnswers();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS);
    expect(r.rest.merges).toHaveLength(1);
    // The apiserver takes 1.5 s to answer, and meanwhile something else changes.
    reconcile(r, nsResult('b', 'sb'));
    await pass(r, 1500);
    expect(r.rest.merges).toHaveLength(1);
    release();
    await pass(r, 0);
    expect(r.writes.map((w) => w.at - START)).toEqual([STATUS_BATCH_MS + 1500]);
    await pass(r, INTERVAL - 1);
    expect(r.rest.merges).toHaveLength(1);
    await pass(r, 1);
    expect(r.writes.map((w) => w.at - START)).toEqual([STATUS_BATCH_MS + 1500, STATUS_BATCH_MS + 1500 + INTERVAL]);
    expect(r.writes[1]?.status.namespaces?.selected).toBe(2);
  });

  it('starts no write beside one flushNow started, and writes a change made meanwhile one interval after it', async () => {
    const r = rig();
    const release = r.rest.holdAnswers();
    reconcile(r, nsResult('a', 'sb'));
    const flushed = r.writer.flushNow();
    await pass(r, 0);
    expect(r.rest.merges).toHaveLength(1);
    reconcile(r, nsResult('b', 'sb'));
    await pass(r, 1500);
    expect(r.rest.merges).toHaveLength(1);
    release();
    await flushed;
    expect(r.writes.map((w) => w.at - START)).toEqual([1500]);
    await pass(r, INTERVAL);
    expect(r.writes.map((w) => w.at - START)).toEqual([1500, 1500 + INTERVAL]);
    expect(r.writes[1]?.status.namespaces?.selected).toBe(2);
  });

  it('writes what waits for its interval at once on flushNow', async () => {
    const r = rig();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS);
    reconcile(r, nsResult('a', 'sb', { drift: [quotaModified] }));
    await r.writer.flushNow();
    expect(r.writes.map((w) => w.status.namespaces?.drifted)).toEqual([0, 1]);
  });

  it('writes nothing while it may not, and what stayed dirty once it may', async () => {
    const r = rig();
    r.leader = false;
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, 10 * INTERVAL);
    await r.writer.flushNow();
    expect(r.rest.merges).toHaveLength(0);
    r.leader = true;
    r.baselines.set('sb2', baselineObject('sb2'));
    r.writer.markDirty('sb2');
    await pass(r, STATUS_BATCH_MS);
    expect(r.writes.map((w) => w.name).sort()).toEqual(['sb', 'sb2']);
  });

  it('does not write a status that would not change', async () => {
    const r = rig();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS);
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, 5 * INTERVAL);
    expect(r.rest.merges).toHaveLength(1);
    reconcile(r, nsResult('a', 'sb', { drift: [quotaModified] }));
    await pass(r, INTERVAL);
    expect(r.rest.merges).toHaveLength(2);
  });

  it('clears in its merge patch the fields the new status leaves out', async () => {
    const r = rig();
    r.baselines.set('sb', {
      ...baselineObject('sb'),
      status: { findings: [{ type: 'AllowAllIngress', message: 'old' }], findingsTruncated: false },
    });
    r.writer.markDirty('sb');
    await pass(r, STATUS_BATCH_MS);
    expect(r.rest.merges[0]?.body).toMatchObject({ status: { findings: null, findingsTruncated: null } });
    expect(r.writes[0]?.status.findings).toBeUndefined();
  });

  it('skips a baseline no longer in the cache', async () => {
    const r = rig();
    r.writer.markDirty('gone');
    await pass(r, STATUS_BATCH_MS);
    expect(r.rest.merges).toHaveLength(0);
  });

  it('writes the Stalled status of an invalid spec and the Terminating status of a deleted baseline', async () => {
    const r = rig();
    r.baselines.set('bad', invalidBaselineObject('bad'));
    r.baselines.set('sb', baselineObject('sb', { deletionTimestamp: '2026-01-01T00:00:00Z' }));
    r.writer.markDirty('bad');
    r.writer.markDirty('sb');
    await pass(r, STATUS_BATCH_MS);
    expect(Object.fromEntries(r.writes.map((w) => [w.name, ready(w.status)]))).toEqual({ bad: 'InvalidSpec', sb: 'Terminating' });
  });

  it('ignores a 404 on write (the baseline just went) and tries again after another error', async () => {
    const r = rig();
    r.rest.failures.push(new ApiError(404, 'NotFound', 'securitybaselines "sb" not found', {}));
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS);
    await pass(r, 10 * INTERVAL);
    expect(r.rest.merges).toHaveLength(1);

    r.rest.failures.push(new ApiError(500, 'InternalError', 'etcdserver: request timed out', {}), new Error('socket hang up'));
    reconcile(r, nsResult('a', 'sb', { drift: [quotaModified] }));
    await pass(r, STATUS_BATCH_MS);
    expect(r.rest.merges).toHaveLength(2);
    await pass(r, INTERVAL - 1);
    expect(r.rest.merges).toHaveLength(2);
    await pass(r, 1);
    await pass(r, INTERVAL);
    expect(r.rest.merges).toHaveLength(4);
    expect(r.writes).toHaveLength(1);
    expect(r.writes[0]?.status.namespaces?.drifted).toBe(1);
  });
});

describe('StatusWriter warming', () => {
  it("holds a baseline's status until the last namespace it waits for is reconciled", async () => {
    const r = rig();
    r.namespaces.set('a', namespaceObject('a'));
    r.namespaces.set('b', namespaceObject('b'));
    // "gone" is no longer in the cache: nothing waits for it.
    r.affected.set('sb', ['a', 'b', 'gone']);
    r.baselines.set('idle', baselineObject('idle'));
    r.writer.beginWarming();
    await pass(r, STATUS_BATCH_MS);
    expect(r.writes.map((w) => w.name)).toEqual(['idle']);
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, 5 * INTERVAL);
    expect(r.writes.map((w) => w.name)).toEqual(['idle']);
    reconcile(r, nsResult('b', 'sb', { error: 'forbidden' }));
    await pass(r, STATUS_BATCH_MS);
    expect(r.writes.map((w) => w.name)).toEqual(['idle', 'sb']);
    expect(r.writes[1]?.status.namespaces).toMatchObject({ selected: 2, failed: 1 });
  });
});

describe('StatusWriter pending', () => {
  it.each<[string, number, NamespaceResult | undefined]>([
    ['reconciled cleanly', 1, nsResult('a', 'sb')],
    ['reconciled with drift left', 1, nsResult('a', 'sb', { mode: 'Audit', drift: [quotaModified] })],
    ['left alone (no result)', 1, undefined],
    ['failed', 2, nsResult('a', 'sb', { error: 'forbidden' })],
    ['waiting for the finalizer', 2, nsResult('a', 'sb', { waitingForFinalizer: true })],
  ])('a namespace %s of two pending leaves the baseline waiting on %i', (_case, waiting, result) => {
    const r = rig();
    r.writer.baselineChanged('sb', new Set(['a', 'b']));
    expect(r.writer.waitingOn('sb')).toBe(2);
    r.writer.reconciled('a', undefined, result);
    expect(r.writer.waitingOn('sb')).toBe(waiting);
  });

  it('says Progressing while namespaces are pending, and Reconciled once none are', async () => {
    const r = rig();
    r.writer.baselineChanged('sb', new Set(['a']));
    r.writer.markDirty('sb');
    await pass(r, STATUS_BATCH_MS);
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, INTERVAL);
    expect(r.writes.map((w) => ready(w.status))).toEqual(['Progressing', 'Reconciled']);
  });

  it('counts a namespace a baseline now wins as pending for it until reconciled under it', () => {
    const r = rig();
    r.writer.trackNewlySelected(namespaceObject('a'));
    expect(r.writer.waitingOn('sb')).toBe(1);
    r.writer.trackNewlySelected(namespaceObject('elsewhere', { team: 'b' }));
    expect(r.writer.waitingOn('sb')).toBe(1);
    r.results.set('c', nsResult('c', 'sb'));
    r.writer.trackNewlySelected(namespaceObject('c'));
    expect(r.writer.waitingOn('sb')).toBe(1);
  });

  it('waits for nothing once a deleted baseline is cleaned up', () => {
    const r = rig();
    r.writer.baselineChanged('sb', new Set(['a']));
    r.writer.cleanedUp('sb');
    expect(r.writer.waitingOn('sb')).toBe(0);
  });
});

describe('StatusWriter.recordRepairs', () => {
  const repaired = [quotaModified, drift('LimitRange', 'kubeposture-limits', 'Missing')];
  const result = nsResult('a', 'sb', { generation: 2, repaired });

  it.each<[string, NamespaceResult | undefined, NamespaceResult, number]>([
    ['held this generation', nsResult('a', 'sb', { generation: 2 }), result, 2],
    [
      'held this generation with only conflicts left',
      nsResult('a', 'sb', { generation: 2, drift: [drift('Role', 'r', 'Conflict')] }),
      result,
      2,
    ],
    ['was never reconciled', undefined, result, 0],
    ['held the previous generation', nsResult('a', 'sb', { generation: 1 }), result, 0],
    ['held another baseline', nsResult('a', 'other', { generation: 2 }), result, 0],
    ['had failed part-way', nsResult('a', 'sb', { generation: 2, error: 'forbidden' }), result, 0],
    ['waited for the finalizer', nsResult('a', 'sb', { generation: 2, waitingForFinalizer: true }), result, 0],
    ['had drift other than conflicts (Audit, now Enforce)', nsResult('a', 'sb', { generation: 2, drift: [quotaModified] }), result, 0],
    ['held it but nothing was repaired', nsResult('a', 'sb', { generation: 2 }), nsResult('a', 'sb', { generation: 2 }), 0],
  ])('a namespace that %s', (_case, before, after, counted) => {
    const r = rig();
    expect(r.writer.recordRepairs(before, after)).toBe(counted);
  });

  it('adds repairs to the total status already had, newest first, with when and at most 32 fields', async () => {
    const r = rig();
    const old = { namespace: 'z', kind: 'Role', name: 'r', reason: 'Missing' as const, repairedAt: '2025-12-01T00:00:00Z' };
    r.baselines.set('sb', { ...baselineObject('sb', { generation: 2 }), status: { repairs: { total: 5, recent: [old] } } });
    const wide = drift(
      'NetworkPolicy',
      'np',
      'Modified',
      Array.from({ length: 40 }, (_, i) => `spec.f${String(i)}`),
    );
    const before = nsResult('a', 'sb', { generation: 2 });
    const after = nsResult('a', 'sb', { generation: 2, repaired: [quotaModified, wide] });
    r.results.set('a', after);
    expect(r.writer.recordRepairs(before, after)).toBe(2);
    r.writer.markDirty('sb');
    await pass(r, STATUS_BATCH_MS);
    const repairs = r.writes[0]?.status.repairs;
    expect(repairs?.total).toBe(7);
    expect(repairs?.recent?.map((e) => `${e.namespace}/${e.kind}/${e.name}`)).toEqual([
      'a/NetworkPolicy/np',
      'a/ResourceQuota/kubeposture-quota',
      'z/Role/r',
    ]);
    expect(repairs?.recent?.[0]?.fields).toEqual(wide.fields?.slice(0, 32));
    expect(repairs?.recent?.[0]?.repairedAt).toBe(rfc3339(START));
    expect(repairs?.recent?.[1]).not.toHaveProperty('fields');
  });

  it("forgets a deleted baseline's repairs", async () => {
    const r = rig();
    r.results.set('a', nsResult('a', 'sb', { repaired: [quotaModified] }));
    r.writer.recordRepairs(nsResult('a', 'sb'), nsResult('a', 'sb', { repaired: [quotaModified] }));
    r.writer.baselineDeleted('sb');
    r.writer.markDirty('sb');
    await pass(r, STATUS_BATCH_MS);
    expect(r.writes[0]?.status.repairs).toEqual({ total: 0 });
  });
});

describe('StatusWriter.flushNow', () => {
  it('resolves only once a write the timer started has landed', async () => {
    const r = rig();
    const release = r.rest.holdAnswers();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS);
    expect(r.rest.merges).toHaveLength(1);
    let settled = false;
    const flushed = r.writer.flushNow().then(() => {
      settled = true;
    });
    await pass(r, 0);
    expect(settled).toBe(false);
    release();
    await flushed;
    expect(r.writes).toHaveLength(1);
  });
});

describe('StatusWriter.stop', () => {
  it('writes what is pending at once, and schedules no write for a later change', async () => {
    const r = rig();
    reconcile(r, nsResult('a', 'sb'));
    await r.writer.stop();
    expect(r.writes).toHaveLength(1);
    reconcile(r, nsResult('a', 'sb', { drift: [quotaModified] }));
    await pass(r, 10 * INTERVAL);
    expect(r.writes).toHaveLength(1);
  });

  it('schedules no write for a change after a stop that found nothing pending', async () => {
    const r = rig();
    await r.writer.stop();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, 10 * INTERVAL);
    expect(r.writes).toHaveLength(0);
  });

  it('does not try again a final write that fails', async () => {
    const r = rig();
    reconcile(r, nsResult('a', 'sb'));
    await pass(r, STATUS_BATCH_MS);
    reconcile(r, nsResult('a', 'sb', { drift: [quotaModified] }));
    r.rest.failures.push(new Error('socket hang up'));
    await r.writer.stop();
    await pass(r, 10 * INTERVAL);
    expect(r.rest.merges).toHaveLength(2);
  });
});
