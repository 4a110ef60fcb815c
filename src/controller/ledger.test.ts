import type { RepairEntry, SecurityBaselineStatus } from '../api/types.ts';
import { DriftLedger, RECENT_REPAIRS, driftKey } from './ledger.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';

const repair = (name: string, repairedAt = T1): RepairEntry => ({
  namespace: 'team-a',
  kind: 'NetworkPolicy',
  name,
  reason: 'Modified',
  repairedAt,
});
const quotaKey = driftKey('team-a', 'ResourceQuota', 'kubeposture-quota', 'Modified');
const limitsKey = driftKey('team-a', 'LimitRange', 'kubeposture-limits', 'Missing');

const previous: SecurityBaselineStatus = {
  drift: [{ namespace: 'team-a', kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Modified', since: T0 }],
  repairs: { total: 12, recent: [repair('old')] },
};

describe('driftKey', () => {
  const base: Parameters<typeof driftKey> = ['team-a', 'ResourceQuota', 'q', 'Modified'];
  it.each<[string, Parameters<typeof driftKey>]>([
    ['namespace', ['team-b', 'ResourceQuota', 'q', 'Modified']],
    ['kind', ['team-a', 'LimitRange', 'q', 'Modified']],
    ['name', ['team-a', 'ResourceQuota', 'r', 'Modified']],
    ['reason', ['team-a', 'ResourceQuota', 'q', 'Missing']],
  ])('tells two drifts apart by %s', (_component, other) => {
    expect(driftKey(...other)).not.toBe(driftKey(...base));
  });

  it('gives the same drift the same key', () => {
    expect(driftKey(...base)).toBe(driftKey('team-a', 'ResourceQuota', 'q', 'Modified'));
  });

  it('cannot be fooled by a component that contains what joins them', () => {
    expect(driftKey('a-b', 'c', 'd', 'Modified')).not.toBe(driftKey('a', 'b-c', 'd', 'Modified'));
    expect(driftKey('a/b', 'c', 'd', 'Modified')).not.toBe(driftKey('a', 'b/c', 'd', 'Modified'));
  });
});

describe('DriftLedger', () => {
  it('keeps the since times and the repairs of the status it was seeded from', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', previous);
    expect(ledger.since('sb', quotaKey, T2)).toBe(T0);
    expect(ledger.repairs('sb')).toEqual({ total: 12, recent: [repair('old')] });
  });

  it('does not let a second seed overwrite what the first said', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', previous);
    ledger.seed('sb', {
      drift: [{ namespace: 'team-a', kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Modified', since: T1 }],
      repairs: { total: 99 },
    });
    expect(ledger.since('sb', quotaKey, T2)).toBe(T0);
    expect(ledger.repairs('sb').total).toBe(12);
  });

  it('does not let a seed overwrite what was learnt before it', () => {
    const ledger = new DriftLedger();
    ledger.repaired('sb', [repair('first')]);
    ledger.seed('sb', previous);
    expect(ledger.repairs('sb')).toEqual({ total: 1, recent: [repair('first')] });
  });

  it('starts a baseline never seen with no drift and no repairs', () => {
    const ledger = new DriftLedger();
    expect(ledger.repairs('sb')).toEqual({ total: 0 });
    expect(ledger.since('sb', quotaKey, T1)).toBe(T1);
  });

  it('keeps each baseline apart', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', previous);
    expect(ledger.since('other', quotaKey, T2)).toBe(T2);
    expect(ledger.repairs('other')).toEqual({ total: 0 });
  });

  it('gives a new drift the time it was first seen, and keeps that time', () => {
    const ledger = new DriftLedger();
    expect(ledger.since('sb', limitsKey, T1)).toBe(T1);
    expect(ledger.since('sb', limitsKey, T2)).toBe(T1);
  });

  it('forgets drift no longer present, so that if it comes back it counts from then', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', previous);
    ledger.since('sb', limitsKey, T1);
    ledger.keepOnly('sb', new Set([limitsKey]));
    expect(ledger.since('sb', limitsKey, T2)).toBe(T1);
    expect(ledger.since('sb', quotaKey, T2)).toBe(T2);
  });

  it('adds repairs to the total and lists them newest first', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', previous);
    ledger.repaired('sb', [repair('a'), repair('b')]);
    expect(ledger.repairs('sb')).toEqual({ total: 14, recent: [repair('b'), repair('a'), repair('old')] });
  });

  it('changes nothing for no repairs', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', { repairs: { total: 3 } });
    ledger.repaired('sb', []);
    expect(ledger.repairs('sb')).toEqual({ total: 3 });
  });

  it(`keeps only the ${String(RECENT_REPAIRS)} most recent repairs, while the total counts all`, () => {
    const ledger = new DriftLedger();
    const names = Array.from({ length: RECENT_REPAIRS + 3 }, (_, i) => `np-${String(i)}`);
    ledger.repaired(
      'sb',
      names.slice(0, 4).map((n) => repair(n)),
    );
    ledger.repaired(
      'sb',
      names.slice(4).map((n) => repair(n)),
    );
    const { total, recent } = ledger.repairs('sb');
    expect(total).toBe(RECENT_REPAIRS + 3);
    expect(recent?.map((r) => r.name)).toEqual([...names].reverse().slice(0, RECENT_REPAIRS));
  });

  it('forgets a baseline: its times and repairs, and a later seed takes again', () => {
    const ledger = new DriftLedger();
    ledger.seed('sb', previous);
    ledger.repaired('sb', [repair('a')]);
    ledger.forget('sb');
    expect(ledger.since('sb', quotaKey, T2)).toBe(T2);
    expect(ledger.repairs('sb')).toEqual({ total: 0 });
    ledger.forget('sb');
    ledger.seed('sb', previous);
    expect(ledger.since('sb', quotaKey, T2)).toBe(T0);
    expect(ledger.repairs('sb').total).toBe(12);
  });
});
