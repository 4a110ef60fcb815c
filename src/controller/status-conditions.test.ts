import type { Condition, ConditionType, Finding, SecurityBaselineStatus } from '../api/types.ts';
import { drift, nsResult } from '../../test/support/controller-fakes.ts';
import { computeStatus, deletingStatus, mergeConditions, sameStatus, someOf, stalledStatus, type StatusInput } from './status.ts';
import type { NamespaceResult } from './reconciler.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';

function status(results: readonly NamespaceResult[], over: Partial<StatusInput> = {}): SecurityBaselineStatus {
  return computeStatus({
    name: 'sb',
    generation: 1,
    pending: 0,
    results,
    previous: undefined,
    now: T0,
    since: () => T0,
    repairs: { total: 0 },
    findings: [],
    ...over,
  });
}

/** Each condition as "Type=Status/Reason", in the order status holds them. */
const summary = (s: SecurityBaselineStatus): string[] => (s.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
const condition = (s: SecurityBaselineStatus, type: ConditionType): Condition | undefined => s.conditions?.find((c) => c.type === type);

const quotaModified = drift('ResourceQuota', 'kubeposture-quota', 'Modified', ['spec.hard.pods']);

describe('computeStatus conditions', () => {
  it.each<[string, readonly NamespaceResult[], Partial<StatusInput>, string[]]>([
    ['compliant', [nsResult('a', 'sb')], {}, ['Ready=True/Reconciled', 'Compliant=True/NoDrift']],
    [
      'drifting in Audit mode',
      [nsResult('a', 'sb', { mode: 'Audit', drift: [quotaModified] })],
      {},
      ['Ready=True/Reconciled', 'Compliant=False/DriftDetected'],
    ],
    [
      'drifting in Enforce mode (a conflict left)',
      [nsResult('a', 'sb', { drift: [drift('NetworkPolicy', 'np', 'Conflict')] })],
      {},
      ['Ready=True/Reconciled', 'Compliant=False/DriftDetected'],
    ],
    [
      'pending namespaces',
      [nsResult('a', 'sb')],
      { pending: 2 },
      ['Ready=False/Progressing', 'Compliant=True/NoDrift', 'Reconciling=True/Progressing'],
    ],
    [
      'a namespace still at the previous generation',
      [nsResult('a', 'sb', { generation: 1 })],
      { generation: 2 },
      ['Ready=False/Progressing', 'Compliant=True/NoDrift', 'Reconciling=True/Progressing'],
    ],
    [
      'a failing namespace',
      [nsResult('a', 'sb', { error: 'boom' }), nsResult('b', 'sb')],
      {},
      ['Ready=False/ReconcileFailed', 'Compliant=True/NoDrift'],
    ],
    [
      'a failing namespace while others are pending',
      [nsResult('a', 'sb', { error: 'boom' })],
      { pending: 1 },
      ['Ready=False/ReconcileFailed', 'Compliant=True/NoDrift', 'Reconciling=True/Progressing'],
    ],
    ['no namespace selected', [], {}, ['Ready=True/Reconciled', 'Compliant=True/NoDrift']],
  ])('%s', (_case, results, over, expected) => {
    expect(summary(status(results, over))).toEqual(expected);
  });

  it('reports drift the same way in Audit and Enforce mode', () => {
    const audit = status([nsResult('a', 'sb', { mode: 'Audit', drift: [quotaModified] })]);
    const enforce = status([nsResult('a', 'sb', { mode: 'Enforce', drift: [quotaModified] })]);
    expect(enforce).toEqual(audit);
    expect(condition(audit, 'Compliant')?.message).toBe('1 of 1 namespaces drift: a (ResourceQuota kubeposture-quota: Modified)');
  });

  it('says how many namespaces are to go, counting stale results when there are more of those', () => {
    expect(condition(status([nsResult('a', 'sb')], { generation: 3, pending: 2 }), 'Ready')?.message).toBe(
      'Reconciling generation 3: 2 namespaces to go',
    );
    const stale = [nsResult('a', 'sb'), nsResult('b', 'sb'), nsResult('c', 'sb')];
    expect(condition(status(stale, { generation: 3, pending: 1 }), 'Ready')?.message).toBe('Reconciling generation 3: 3 namespaces to go');
    expect(condition(status(stale, { generation: 3 }), 'Reconciling')?.message).toBe('Applying generation 3');
  });

  it('names the failing namespaces and their errors', () => {
    const s = status([nsResult('a', 'sb', { error: 'forbidden' }), nsResult('b', 'sb')]);
    expect(condition(s, 'Ready')?.message).toBe('1 of 2 namespaces failed: a (forbidden)');
  });

  it('names up to three drifting namespaces and two drifts of each', () => {
    const many = [drift('A', '1', 'Missing'), drift('B', '2', 'Modified'), drift('C', '3', 'Unexpected')];
    const results = ['n1', 'n2', 'n3', 'n4'].map((ns) => nsResult(ns, 'sb', { drift: many }));
    expect(condition(status(results), 'Compliant')?.message).toBe(
      '4 of 4 namespaces drift: n1 (A 1: Missing, B 2: Modified and 1 more), n2 (A 1: Missing, B 2: Modified and 1 more), n3 (A 1: Missing, B 2: Modified and 1 more) and 1 more',
    );
  });

  it('carries the generation on status and on every condition', () => {
    const s = status([nsResult('a', 'sb', { generation: 4 })], { generation: 4, pending: 1 });
    expect(s.observedGeneration).toBe(4);
    expect(s.conditions?.map((c) => c.observedGeneration)).toEqual([4, 4, 4]);
  });
});

describe('computeStatus contents', () => {
  it('counts selected, compliant, drifted, superseded and failed namespaces, and only its own', () => {
    const results = [
      nsResult('ok', 'sb'),
      nsResult('drifting', 'sb', { drift: [quotaModified] }),
      nsResult('failing', 'sb', { error: 'boom' }),
      nsResult('both', 'sb', { error: 'boom', drift: [quotaModified] }),
      nsResult('won-by-other', 'other', { superseded: ['sb'] }),
      nsResult('other-only', 'other'),
      nsResult('ungoverned', undefined),
    ];
    expect(status(results).namespaces).toEqual({ selected: 4, compliant: 1, drifted: 2, superseded: 1, failed: 2, excepted: 0 });
  });

  it('lists drift sorted by namespace, kind, name and reason, with the time each was first seen', () => {
    const results = [
      nsResult('b', 'sb', { drift: [drift('Role', 'r', 'Missing')] }),
      nsResult('a', 'sb', {
        drift: [drift('Role', 'r', 'Unexpected'), drift('Role', 'r', 'Missing'), quotaModified, drift('LimitRange', 'z', 'Missing')],
      }),
    ];
    const seen = new Map([['b', T1]]);
    const s = status(results, { since: (key) => seen.get(key.split('\u0000')[0] ?? '') ?? T0 });
    expect(s.drift).toEqual([
      { namespace: 'a', kind: 'LimitRange', name: 'z', reason: 'Missing', since: T0 },
      { namespace: 'a', kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Modified', fields: ['spec.hard.pods'], since: T0 },
      { namespace: 'a', kind: 'Role', name: 'r', reason: 'Missing', since: T0 },
      { namespace: 'a', kind: 'Role', name: 'r', reason: 'Unexpected', since: T0 },
      { namespace: 'b', kind: 'Role', name: 'r', reason: 'Missing', since: T1 },
    ]);
    expect(s.driftTruncated).toBe(false);
  });

  it('passes repairs through, and lists findings only when there are some', () => {
    const repairs = { total: 2, recent: [{ namespace: 'a', kind: 'Role', name: 'r', reason: 'Missing' as const, repairedAt: T0 }] };
    const finding: Finding = { type: 'AllowAllIngress', message: 'lets every pod in', namespace: 'a', kind: 'NetworkPolicy', name: 'open' };
    expect(status([], { repairs }).repairs).toEqual(repairs);
    expect(status([]).findings).toBeUndefined();
    expect(status([], { findings: [finding] }).findings).toEqual([finding]);
  });
});

describe('lastTransitionTime', () => {
  it('is kept while a condition keeps its status, and moves when it changes', () => {
    const first = status([nsResult('a', 'sb')], { now: T0 });
    const same = status([nsResult('a', 'sb')], { now: T1, previous: first });
    expect(same.conditions?.map((c) => c.lastTransitionTime)).toEqual([T0, T0]);
    const drifting = status([nsResult('a', 'sb', { drift: [quotaModified] })], { now: T1, previous: first });
    expect(condition(drifting, 'Ready')?.lastTransitionTime).toBe(T0);
    expect(condition(drifting, 'Compliant')?.lastTransitionTime).toBe(T1);
  });

  it('is kept when only the reason changes', () => {
    const progressing = status([nsResult('a', 'sb')], { now: T0, pending: 1 });
    const failing = status([nsResult('a', 'sb', { error: 'boom' })], { now: T1, previous: progressing });
    expect(condition(failing, 'Ready')?.reason).toBe('ReconcileFailed');
    expect(condition(failing, 'Ready')?.lastTransitionTime).toBe(T0);
  });

  it('starts anew for a condition that comes back', () => {
    const progressing = status([nsResult('a', 'sb')], { now: T0, pending: 1 });
    const done = status([nsResult('a', 'sb')], { now: T1, previous: progressing });
    expect(condition(done, 'Reconciling')).toBeUndefined();
    const again = status([nsResult('a', 'sb')], { now: '2026-01-01T00:09:00Z', previous: done, pending: 1 });
    expect(condition(again, 'Reconciling')?.lastTransitionTime).toBe('2026-01-01T00:09:00Z');
  });
});

describe('mergeConditions', () => {
  it('sorts conditions Ready, Compliant, Reconciling, Stalled whatever order they come in', () => {
    const merged = mergeConditions(
      undefined,
      [
        { type: 'Stalled', status: 'True', reason: 'r', message: 'm' },
        { type: 'Reconciling', status: 'True', reason: 'r', message: 'm' },
        { type: 'Compliant', status: 'True', reason: 'r', message: 'm' },
        { type: 'Ready', status: 'False', reason: 'r', message: 'm' },
      ],
      2,
      T0,
    );
    expect(merged.map((c) => c.type)).toEqual(['Ready', 'Compliant', 'Reconciling', 'Stalled']);
    expect(merged.every((c) => c.observedGeneration === 2 && c.lastTransitionTime === T0)).toBe(true);
  });

  it('takes the previous time only from the condition of the same type', () => {
    const previous: Condition[] = [{ type: 'Compliant', status: 'True', reason: 'NoDrift', message: '', lastTransitionTime: T0 }];
    const [ready] = mergeConditions(previous, [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: '' }], 1, T1);
    expect(ready?.lastTransitionTime).toBe(T1);
  });
});

describe('stalledStatus', () => {
  const problems = ['spec.mode: must be one of Enforce, Audit'];

  it('is Ready=False and Stalled=True for an invalid spec, naming the problems', () => {
    const s = stalledStatus(3, problems, undefined, T0);
    expect(summary(s)).toEqual(['Ready=False/InvalidSpec', 'Stalled=True/InvalidSpec']);
    expect(condition(s, 'Stalled')?.message).toBe('spec cannot be acted on: spec.mode: must be one of Enforce, Audit');
    expect(s.observedGeneration).toBe(3);
    expect(s.namespaces).toBeUndefined();
  });

  it("keeps the previous counts and Ready's time, and drops the previous drift", () => {
    const live = status([nsResult('a', 'sb', { drift: [quotaModified] })], { now: T0, pending: 1 });
    const s = stalledStatus(2, problems, live, T1);
    expect(s.namespaces).toEqual(live.namespaces);
    expect(s.drift).toBeUndefined();
    expect(condition(s, 'Ready')?.lastTransitionTime).toBe(T0);
    expect(condition(s, 'Stalled')?.lastTransitionTime).toBe(T1);
  });
});

describe('deletingStatus', () => {
  const input = { generation: 2, waiting: ['a', 'b'], failures: [], objectsLeft: [], previous: undefined, now: T0 };

  it('is Ready=False and Reconciling=True, saying what cleanup waits for', () => {
    const s = deletingStatus({
      ...input,
      objectsLeft: ['a/Role/r', 'a/RoleBinding/rb', 'b/Role/r', 'b/LimitRange/l'],
      failures: ['a (forbidden)'],
    });
    expect(summary(s)).toEqual(['Ready=False/Terminating', 'Reconciling=True/Terminating']);
    expect(condition(s, 'Ready')?.message).toBe(
      'Deleting: cleanup waits for 2 namespaces and 4 objects; still there: a/Role/r, a/RoleBinding/rb, b/Role/r and 1 more; failing: a (forbidden)',
    );
  });

  it('keeps what the previous status said besides the conditions', () => {
    const live = status([nsResult('a', 'sb', { drift: [quotaModified] })], { repairs: { total: 5 } });
    const s = deletingStatus({ ...input, previous: live });
    expect(s.namespaces).toEqual(live.namespaces);
    expect(s.drift).toEqual(live.drift);
    expect(s.repairs).toEqual({ total: 5 });
    expect(condition(s, 'Compliant')).toBeUndefined();
    expect(s.observedGeneration).toBe(2);
  });
});

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

describe('sameStatus', () => {
  const base = status([nsResult('a', 'sb', { drift: [quotaModified] })]);
  const { drift: _drift, ...withoutDrift } = base;
  const baseConditions = base.conditions ?? [];

  it('ignores lastReconcileTime', () => {
    expect(sameStatus({ ...base, lastReconcileTime: T0 }, { ...base, lastReconcileTime: T1 })).toBe(true);
    expect(sameStatus(base, { ...base, lastReconcileTime: T1 })).toBe(true);
  });

  it('ignores the order of keys, at every depth', () => {
    const reordered = reversedKeys(base) as SecurityBaselineStatus;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(base));
    expect(Object.keys(reordered.conditions?.[0] ?? {})).not.toEqual(Object.keys(base.conditions?.[0] ?? {}));
    expect(sameStatus(reordered, base)).toBe(true);
  });

  it.each<[string, SecurityBaselineStatus]>([
    ['a count', { ...base, namespaces: { selected: 1, compliant: 1, drifted: 0, superseded: 0, failed: 0 } }],
    ['a condition message', { ...base, conditions: baseConditions.map((c) => ({ ...c, message: `${c.message}!` })) }],
    ['a transition time', { ...base, conditions: baseConditions.map((c) => ({ ...c, lastTransitionTime: T1 })) }],
    ['the generation', { ...base, observedGeneration: 2 }],
    ['a field left out', withoutDrift],
  ])('sees a change of %s', (_what, changed) => {
    expect(sameStatus(base, changed)).toBe(false);
  });

  it('takes no status at all as different', () => {
    expect(sameStatus(undefined, base)).toBe(false);
    expect(sameStatus(undefined, {})).toBe(false);
  });
});

describe('someOf', () => {
  it.each<[readonly string[], number | undefined, string]>([
    [[], undefined, ''],
    [['a'], undefined, 'a'],
    [['a', 'b', 'c'], undefined, 'a, b, c'],
    [['a', 'b', 'c', 'd', 'e', 'f', 'g'], undefined, 'a, b, c and 4 more'],
    [['a', 'b', 'c'], 2, 'a, b and 1 more'],
    [['a', 'b'], 2, 'a, b'],
  ])('%j (max %s) reads %j', (items, max, expected) => {
    expect(someOf(items, max)).toBe(expected);
  });
});
