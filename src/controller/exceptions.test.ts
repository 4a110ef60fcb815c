import { FakeClock } from '../../test/support/fake-clock.ts';
import { baselineWith } from '../../test/support/baselines.ts';
import { silentLogger } from '../lib/log.ts';
import type { EventSink } from '../kube/events.ts';
import type { ExceptionObject } from './caches.ts';
import { ExceptionBook, type ExceptionBookDeps } from './exceptions.ts';
import type { NamespaceResult } from './reconciler.ts';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

interface World {
  readonly clock: FakeClock;
  readonly book: ExceptionBook;
  readonly events: { kind: string; name: string; reason: string; note: string }[];
  readonly patches: { name: string; body: unknown }[];
  readonly changes: { namespaces: string[]; baselines: string[] }[];
  readonly objects: ExceptionObject[];
}

function world(expiresAt: number, horizonMs = 90 * DAY, settled: () => boolean = () => true): World {
  const clock = new FakeClock();
  const objects: ExceptionObject[] = [
    {
      apiVersion: 'kubeposture.io/v1alpha1',
      kind: 'SecurityBaselineException',
      metadata: { name: 'legacy', uid: 'u-legacy', generation: 1, resourceVersion: '1' },
      spec: { baseline: 'b', namespaces: ['team-*'], exempt: ['resourceQuota'], reason: 'SEC-1', expires: iso(expiresAt) },
    },
  ];
  const results = new Map<string, NamespaceResult>();
  const result = (ns: string, exceptions?: string[]): NamespaceResult => ({
    namespace: ns,
    baseline: { name: 'b', generation: 1, mode: 'Enforce' },
    superseded: [],
    drift: [],
    repaired: [],
    ...(exceptions === undefined ? {} : { exceptions }),
  });
  results.set('team-a', result('team-a', ['legacy']));
  results.set('team-b', result('team-b', ['legacy']));
  results.set('other', result('other'));
  const events: { kind: string; name: string; reason: string; note: string }[] = [];
  const sink: EventSink = { record: (t, _type, reason, note) => events.push({ kind: t.kind, name: t.name, reason, note }) };
  const patches: { name: string; body: unknown }[] = [];
  const changes: { namespaces: string[]; baselines: string[] }[] = [];
  const book = new ExceptionBook({
    rest: {
      mergePatch: ((_kind: string, _ns: string | undefined, name: string, body: unknown) => {
        patches.push({ name, body });
        return Promise.resolve({ metadata: { name } });
      }) as ExceptionBookDeps['rest']['mergePatch'],
    },
    clock,
    log: silentLogger,
    events: sink,
    exceptions: () => objects,
    baselines: () => ({ valid: [baselineWith('b', { resourceQuota: { hard: { pods: '1' } } })], stalled: new Set() }),
    baselineUid: () => 'u-b',
    results,
    horizonMs,
    mayWrite: () => true,
    settled,
    onChange: (namespaces, baselines) => changes.push({ namespaces: [...namespaces].sort(), baselines: [...baselines] }),
  });
  return { clock, book, events, patches, changes, objects };
}

describe('ExceptionBook', () => {
  it('lifts parts while active, and at expiry (a timer, not a resync) re-plans exactly the namespaces it lifted parts in', () => {
    const w = world(10_000);
    w.book.refresh();
    expect(w.book.exemptions().exemptionFor('b', 'team-a').exceptions).toEqual(['legacy']);
    expect(w.events.map((e) => `${e.kind}:${e.reason}`)).toEqual([
      'SecurityBaselineException:ExceptionActive',
      'SecurityBaseline:ExceptionActive',
    ]);
    w.changes.length = 0;
    w.clock.advance(9_999);
    expect(w.changes).toEqual([]);
    w.clock.advance(1);
    expect(w.book.exemptions().exemptionFor('b', 'team-a').exceptions).toEqual([]);
    expect(w.changes).toEqual([{ namespaces: ['team-a', 'team-b'], baselines: ['b'] }]);
    expect(w.events.slice(2).map((e) => `${e.kind}:${e.reason}`)).toEqual([
      'SecurityBaselineException:ExceptionExpired',
      'SecurityBaseline:ExceptionExpired',
    ]);
    expect(w.events[2]?.note).toMatch(/expired at 1970-01-01T00:00:10Z: SecurityBaseline b enforces resourceQuota again/);
  });

  it('reaches an expiry further away than a Node timer can wait, in steps', () => {
    const w = world(60 * DAY);
    w.book.refresh();
    w.changes.length = 0;
    w.clock.advance(60 * DAY - 1);
    expect(w.book.active('b')).toHaveLength(1);
    expect(w.changes).toEqual([]);
    w.clock.advance(1);
    expect(w.book.active('b')).toEqual([]);
    expect(w.changes).toHaveLength(1);
  });

  it('writes status: Active with the namespaces it lifts parts in, then Expired with none', async () => {
    const w = world(10_000);
    w.book.refresh();
    w.clock.advance(50);
    await Promise.resolve();
    expect(w.patches.at(-1)).toMatchObject({
      name: 'legacy',
      body: {
        status: {
          observedGeneration: 1,
          conditions: [{ type: 'Active', status: 'True', reason: 'Active' }],
          namespaces: ['team-a', 'team-b'],
          namespaceCount: 2,
          namespacesTruncated: false,
        },
      },
    });
    w.clock.advance(10_000);
    await Promise.resolve();
    expect(w.patches.at(-1)).toMatchObject({
      body: { status: { conditions: [{ status: 'False', reason: 'Expired' }], namespaces: [], namespaceCount: 0 } },
    });
  });

  it('writes no status until the first pass is done (the namespaces it lists come from it), then what is marked', async () => {
    let settled = false;
    const w = world(10_000, 90 * DAY, () => settled);
    w.book.refresh();
    w.book.markAllDirty();
    w.clock.advance(50);
    await Promise.resolve();
    expect(w.patches).toEqual([]);
    settled = true;
    w.book.flushSoon();
    w.clock.advance(50);
    await Promise.resolve();
    expect(w.patches.map((p) => p.name)).toEqual(['legacy']);
  });

  it('is Invalid, lifting nothing, past the horizon; with a Warning on the exception', () => {
    const w = world(100 * DAY);
    w.book.refresh();
    expect(w.book.active('b')).toEqual([]);
    expect(w.events).toEqual([
      expect.objectContaining({
        kind: 'SecurityBaselineException',
        reason: 'ExceptionInvalid',
        note: expect.stringMatching(/spec.expires: .* more than 90d ahead/) as unknown,
      }),
    ]);
  });

  it('announces nothing a status already reports for this generation (a restart)', () => {
    const w = world(10_000);
    Object.assign(w.objects[0] ?? {}, {
      status: {
        observedGeneration: 1,
        conditions: [{ type: 'Active', status: 'True', reason: 'Active', message: '', lastTransitionTime: iso(0) }],
      },
    });
    w.book.refresh();
    expect(w.events).toEqual([]);
  });
});

describe('ExceptionBook at an expiry a reconcile reaches first', () => {
  it('still announces it and re-plans its namespaces when the timer fires', () => {
    const w = world(10_000);
    // A reconcile at the very time of expiry, run before the book's own timer (set first, it fires first).
    let seen: readonly string[] | undefined;
    w.clock.setTimer(() => {
      seen = w.book.exemptions().exemptionFor('b', 'team-a').exceptions;
    }, 10_000);
    w.book.refresh();
    w.changes.length = 0;
    w.clock.advance(10_000);
    expect(seen).toEqual([]);
    expect(w.changes).toEqual([{ namespaces: ['team-a', 'team-b'], baselines: ['b'] }]);
    expect(w.events.map((e) => e.reason)).toContain('ExceptionExpired');
  });
});
