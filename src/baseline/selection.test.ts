import type { LabelSelector } from '../api/types.ts';
import { baselineWith } from '../../test/support/baselines.ts';
import { globMatches, resolve, selectorMatches, selects, type NamespaceInfo } from './selection.ts';

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
