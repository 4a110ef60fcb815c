import type { LabelSelector, SecurityBaseline } from '../api/types.ts';
import { baselineWith } from '../../test/support/baselines.ts';
import { random } from '../../test/support/random.ts';
import { byPrecedence, globMatches, resolve, selectionIndex, selectorMatches, selects, type NamespaceInfo } from './selection.ts';

const ns = (name: string, labels: Record<string, string> = {}, terminating = false): NamespaceInfo => ({ name, labels, terminating });

describe('selectorMatches (Kubernetes LabelSelector semantics)', () => {
  const labels = { team: 'payments', env: 'prod', tier: '' };
  it.each<[string, LabelSelector | undefined, boolean]>([
    ['absent selector matches everything', undefined, true],
    ['empty selector matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { team: 'payments' } }, true],
    ['matchLabels all must hold', { matchLabels: { team: 'payments', env: 'dev' } }, false],
    ['matchLabels missing key', { matchLabels: { owner: 'x' } }, false],
    ['matchLabels empty value matches empty label', { matchLabels: { tier: '' } }, true],
    ['In with the value', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }, true],
    ['In without the value', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, false],
    ['In on a missing key', { matchExpressions: [{ key: 'owner', operator: 'In', values: ['x'] }] }, false],
    ['NotIn with the value', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, false],
    ['NotIn without the value', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, true],
    ['NotIn on a missing key matches', { matchExpressions: [{ key: 'owner', operator: 'NotIn', values: ['x'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, true],
    ['Exists on an empty-valued label', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['Exists on a missing key', { matchExpressions: [{ key: 'owner', operator: 'Exists' }] }, false],
    ['DoesNotExist on a missing key', { matchExpressions: [{ key: 'owner', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist on a present key', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, false],
    [
      'labels and expressions are ANDed',
      { matchLabels: { team: 'payments' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
      false,
    ],
  ])('%s', (_name, selector, want) => {
    expect(selectorMatches(selector, labels)).toBe(want);
  });

  it('does not treat inherited object properties as labels', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, {})).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }, {})).toBe(true);
  });
});

describe('globMatches', () => {
  it.each<[string, string, boolean]>([
    ['sandbox-*', 'sandbox-1', true],
    ['sandbox-*', 'sandbox-', true],
    ['sandbox-*', 'sandbox', false],
    ['*-dev', 'team-a-dev', true],
    ['*-dev', 'team-a-dev2', false],
    ['team-?', 'team-a', true],
    ['team-?', 'team-ab', false],
    ['*', 'anything', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['**', '', true],
  ])('%s ~ %s is %s', (pattern, name, want) => {
    expect(globMatches(pattern, name)).toBe(want);
  });

  it('stays fast on patterns that make regex engines backtrack', () => {
    const start = process.hrtime.bigint();
    expect(globMatches('*a*a*a*a*a*a*a*a*b', 'a'.repeat(63))).toBe(false);
    // Loose sanity bound: a backtracking blow-up would take seconds.
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(500);
  });
});

describe('selects', () => {
  const b = baselineWith('b', { namespaceSelector: { matchLabels: { team: 'a' } }, excludeNamespaces: ['sandbox-*'] });
  const all = baselineWith('all', {});
  it.each<[string, NamespaceInfo, string]>([
    ['a matching namespace', ns('team-a', { team: 'a' }), 'selected'],
    ['a namespace the selector does not match', ns('team-b', { team: 'b' }), 'not-matched'],
    ['an excluded namespace, even when labels match', ns('sandbox-1', { team: 'a' }), 'excluded'],
    ['kube-system, even when labels match', ns('kube-system', { team: 'a' }), 'system'],
    ['kube-public', ns('kube-public', { team: 'a' }), 'system'],
    ['kube-node-lease', ns('kube-node-lease', { team: 'a' }), 'system'],
    ['the operator namespace', ns('kubeposture-system', { team: 'a' }), 'operator'],
    ['a terminating namespace', ns('team-a', { team: 'a' }, true), 'terminating'],
  ])('%s', (_name, namespace, want) => {
    expect(selects(b, namespace, 'kubeposture-system')).toBe(want);
  });

  it('selects every ordinary namespace when the selector is absent, but never system ones', () => {
    expect(selects(all, ns('default'), undefined)).toBe('selected');
    expect(selects(all, ns('kube-system'), undefined)).toBe('system');
  });
});

describe('resolve (which baseline wins a namespace)', () => {
  const target = ns('team-a', { team: 'a' });
  const mk = (name: string, priority: number, extra: Record<string, unknown> = {}): ReturnType<typeof baselineWith> =>
    baselineWith(name, { priority, ...extra });

  it('picks the highest priority', () => {
    const r = resolve([mk('low', 1), mk('high', 10), mk('mid', 5)], target, undefined);
    expect(r.winner?.metadata.name).toBe('high');
    expect(r.superseded.map((b) => b.metadata.name)).toEqual(['mid', 'low']);
  });

  it('breaks a priority tie by the lexically smallest name', () => {
    const r = resolve([mk('zeta', 3), mk('alpha', 3), mk('beta', 3)], target, undefined);
    expect(r.winner?.metadata.name).toBe('alpha');
    expect(r.superseded.map((b) => b.metadata.name)).toEqual(['beta', 'zeta']);
  });

  it('ignores baselines that do not select the namespace', () => {
    const r = resolve([mk('other', 100, { namespaceSelector: { matchLabels: { team: 'b' } } }), mk('mine', 0)], target, undefined);
    expect(r.winner?.metadata.name).toBe('mine');
    expect(r.superseded).toEqual([]);
  });

  it('never lets a baseline that is being deleted win', () => {
    const deleting = mk('deleting', 100);
    const gone = { ...deleting, metadata: { ...deleting.metadata, deletionTimestamp: '2026-11-24T10:00:00Z' } };
    expect(resolve([gone, mk('stays', 0)], target, undefined).winner?.metadata.name).toBe('stays');
  });

  it('has no winner when nothing selects the namespace', () => {
    expect(resolve([mk('x', 0)], ns('kube-system'), undefined).winner).toBeUndefined();
  });
});

describe('resolve through the selection index', () => {
  /** What resolve must give: every live baseline checked, none passed over. */
  const byScan = (baselines: readonly SecurityBaseline[], info: NamespaceInfo): string[] =>
    baselines
      .filter((b) => b.metadata.deletionTimestamp === undefined && selects(b, info, 'kubeposture-system') === 'selected')
      .sort(byPrecedence)
      .map((b) => b.metadata.name);

  it('finds exactly the baselines a scan of every one finds, for any selectors and labels', () => {
    const next = random(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const keys = ['team', 'tier', 'env', 'constructor'];
    const values = ['a', 'b', 'c', ''];
    const operators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
    const someLabels = (): Record<string, string> => Object.fromEntries(keys.filter(() => next() < 0.5).map((k) => [k, pick(values)]));
    const someSelector = (): LabelSelector | undefined => {
      if (next() < 0.1) return undefined;
      // As validation allows: In and NotIn name values, Exists and DoesNotExist none.
      const matchExpressions = Array.from({ length: Math.floor(next() * 3) }, () => {
        const operator = pick(operators);
        const some = values.filter(() => next() < 0.5);
        return { key: pick(keys), operator, values: operator === 'In' || operator === 'NotIn' ? [pick(values), ...some] : [] };
      });
      return { matchLabels: next() < 0.5 ? someLabels() : {}, matchExpressions };
    };
    let selected = 0;
    for (let round = 0; round < 200; round++) {
      const baselines = Array.from({ length: 1 + Math.floor(next() * 12) }, (_, i) => {
        const b = baselineWith(`b${String(i)}`, { priority: Math.floor(next() * 3), namespaceSelector: someSelector() });
        return next() < 0.1 ? { ...b, metadata: { ...b.metadata, deletionTimestamp: '2026-12-06T10:00:00Z' } } : b;
      });
      for (let j = 0; j < 20; j++) {
        const info = ns(pick(['team-a', 'kube-system', 'kubeposture-system', 'x']), someLabels(), next() < 0.05);
        const want = byScan(baselines, info);
        const got = resolve(baselines, info, 'kubeposture-system');
        expect([got.winner, ...got.superseded].filter((b) => b !== undefined).map((b) => b.metadata.name)).toEqual(want);
        selected += want.length;
      }
    }
    // The generator must reach namespaces that are selected, or the comparison says little.
    expect(selected).toBeGreaterThan(1000);
  });

  it('offers a namespace only the baselines filed under its labels, and those that need none', () => {
    const baselines = [
      ...Array.from({ length: 100 }, (_, i) =>
        baselineWith(`g${String(i)}`, { namespaceSelector: { matchLabels: { group: `g${String(i)}` } } }),
      ),
      baselineWith('by-in', { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold', 'silver'] }] } }),
      baselineWith('everyone', { namespaceSelector: { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] } }),
    ];
    const names = (labels: Record<string, string>): string[] =>
      selectionIndex(baselines)
        .candidates(labels)
        .map((b) => b.metadata.name);
    expect(names({ group: 'g7', tier: 'silver', other: 'x' }).sort()).toEqual(['by-in', 'everyone', 'g7']);
    expect(names({})).toEqual(['everyone']);
    // The same list is indexed once.
    expect(selectionIndex(baselines)).toBe(selectionIndex(baselines));
  });
});
