import { load } from 'js-yaml';
import type { DriftEntry, SecurityBaselineStatus } from '../api/types.ts';
import { failureMessage } from './status-read.ts';
import { format, namespaceView, overview, summarizeBaseline, table, type NamespaceInput, type WireBaseline } from './status.ts';

const NOW = Date.parse('2026-12-05T12:00:00Z');

function baseline(name: string, spec: Record<string, unknown>, status?: SecurityBaselineStatus): WireBaseline {
  return {
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaseline',
    metadata: { name, uid: `uid-${name}`, generation: 1 },
    spec: { mode: 'Enforce', priority: 0, deletionPolicy: 'Delete', networkPolicy: {}, ...spec },
    ...(status === undefined ? {} : { status }),
  };
}

const cond = (type: string, status: string, message = ''): NonNullable<SecurityBaselineStatus['conditions']>[number] => ({
  type: type as 'Ready',
  status: status as 'True',
  reason: 'R',
  message,
  lastTransitionTime: '2026-12-05T11:00:00Z',
});

const drift = (namespace: string, name: string, reason: DriftEntry['reason'] = 'Missing'): DriftEntry => ({
  namespace,
  kind: 'NetworkPolicy',
  name,
  reason,
  since: '2026-12-05T11:30:00Z',
});

const audit = baseline(
  'audit',
  { mode: 'Audit', namespaceSelector: { matchLabels: { team: 'a' } } },
  {
    conditions: [cond('Ready', 'True'), cond('Compliant', 'False')],
    namespaces: { selected: 6, compliant: 1, drifted: 5, superseded: 0, failed: 0, excepted: 1 },
    drift: [
      drift('team-a', 'kubeposture-default-deny'),
      drift('team-a', 'kubeposture-allow-dns'),
      { ...drift('team-b', 'kubeposture-quota', 'Modified'), kind: 'ResourceQuota', fields: ['spec.hard.pods'] },
      drift('team-c', 'kubeposture-default-deny'),
      drift('team-d', 'kubeposture-default-deny'),
    ],
    driftTruncated: true,
    findings: [
      { type: 'AllowAllIngress', namespace: 'team-a', kind: 'NetworkPolicy', name: 'open', message: 'admits ingress from everyone' },
      { type: 'AllowAllIngress', namespace: 'team-b', kind: 'NetworkPolicy', name: 'open', message: 'admits ingress from everyone' },
    ],
  },
);
const stalled = baseline('broken', {}, { conditions: [cond('Ready', 'False', 'spec.x: bad'), cond('Stalled', 'True', 'spec.x: bad')] });
const clean = baseline(
  'restricted',
  { priority: 10, namespaceSelector: { matchLabels: { tier: 'prod' } } },
  { conditions: [cond('Ready', 'True')], namespaces: { selected: 2, compliant: 2, drifted: 0, superseded: 0, failed: 0 } },
);

describe('overview', () => {
  it('names the worst namespaces by drift entries, most first, and how many more drift than it names', () => {
    const s = summarizeBaseline(audit);
    expect(s.worst).toEqual([
      { namespace: 'team-a', drift: 2 },
      { namespace: 'team-b', drift: 1 },
      { namespace: 'team-c', drift: 1 },
    ]);
    // team-d beyond the three shown, and one more the truncated list does not name (drifted: 5).
    expect(s.moreDrifted).toBe(2);
    expect(s.driftTruncated).toBe(true);
  });

  it('prints a kubectl-style table: aligned columns, Stalled over Ready, its message below', () => {
    const text = format(overview([clean, stalled, audit]), 'table', { color: false });
    expect(text).toBe(
      [
        'NAME         MODE      READY     SELECTED   COMPLIANT   DRIFTED   EXCEPTED   WORST NAMESPACES (DRIFT)',
        'audit        Audit     True      6          1           5         1          team-a(2), team-b(1), team-c(1), 2 more',
        'broken       Enforce   Stalled   0          0           0         0          -',
        'restricted   Enforce   True      2          2           0         0          -',
        '',
        'broken: spec.x: bad',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('\u001b[');
  });

  it('paints READY and DRIFTED on a terminal without moving the columns', () => {
    const text = format(overview([audit, stalled]), 'table', { color: true });
    expect(text).toContain('\u001b[31mStalled\u001b[0m');
    expect(text).toContain('\u001b[32mTrue\u001b[0m');
    const plain = text.replaceAll('\u001b[31m', '').replaceAll('\u001b[32m', '').replaceAll('\u001b[0m', '');
    expect(plain).toBe(format(overview([audit, stalled]), 'table', { color: false }));
  });

  it('says so when there are no baselines', () => {
    expect(format(overview([]), 'table', { color: false })).toBe('No SecurityBaselines found.\n');
  });

  it('prints the same view as JSON and YAML', () => {
    const view = overview([audit]);
    const json = JSON.parse(format(view, 'json', { color: false })) as unknown;
    expect(json).toEqual(load(format(view, 'yaml', { color: false })));
    expect(json).toMatchObject({
      kind: 'Baselines',
      baselines: [
        {
          name: 'audit',
          mode: 'Audit',
          priority: 0,
          ready: 'True',
          namespaces: { selected: 6, compliant: 1, drifted: 5, excepted: 1, superseded: 0, failed: 0 },
          worst: [
            { namespace: 'team-a', drift: 2 },
            { namespace: 'team-b', drift: 1 },
            { namespace: 'team-c', drift: 1 },
          ],
          moreDrifted: 2,
          driftTruncated: true,
          lastReconcileTime: null,
        },
      ],
    });
  });
});

function input(labels: Record<string, string>, over: Partial<NamespaceInput> = {}): NamespaceInput {
  return {
    namespace: {
      metadata: {
        name: 'team-a',
        labels,
        annotations: { 'kubeposture.io/holds': 'audit', 'kubeposture.io/owned': '{"audit":{"NetworkPolicy/x":"u"},"old":{}}' },
      },
    },
    baselines: [audit, clean, stalled],
    exceptions: [
      {
        metadata: { name: 'vendor' },
        spec: { baseline: 'audit', namespaces: ['team-*'], exempt: ['resourceQuota'], reason: 'SEC-1', expires: '2026-12-15T12:00:00Z' },
        status: { conditions: [{ ...cond('Active', 'True'), type: 'Active' }] },
      },
      {
        metadata: { name: 'elsewhere' },
        spec: { baseline: 'audit', namespaces: ['team-b'], exempt: ['limitRange'], reason: 'x', expires: '2026-12-15T12:00:00Z' },
      },
      {
        metadata: { name: 'other-baseline' },
        spec: { baseline: 'restricted', namespaces: ['*'], exempt: ['limitRange'], reason: 'x', expires: '2026-12-15T12:00:00Z' },
      },
    ],
    report: undefined,
    operatorNamespace: undefined,
    now: NOW,
    ...over,
  };
}

describe('namespaceView', () => {
  it('resolves the governing baseline as the operator does, and the losers', () => {
    const v = namespaceView(input({ team: 'a', tier: 'prod' }));
    expect(v.governance).toEqual({
      state: 'governed',
      baseline: 'restricted',
      mode: 'Enforce',
      priority: 10,
      superseded: ['audit', 'broken'],
    });
  });

  it("lists the winner's drift, findings and matching exceptions for this namespace only", () => {
    const v = namespaceView(input({ team: 'a' }));
    expect(v.governance).toMatchObject({ state: 'governed', baseline: 'audit', superseded: ['broken'] });
    expect(v.drift.map((d) => d.name)).toEqual(['kubeposture-default-deny', 'kubeposture-allow-dns']);
    expect(v.driftTruncated).toBe(true);
    expect(v.findings).toHaveLength(1);
    expect(v.exceptions).toEqual([
      {
        name: 'vendor',
        exempt: ['resourceQuota'],
        reason: 'SEC-1',
        expires: '2026-12-15T12:00:00Z',
        state: 'Active',
        expiresInSeconds: 10 * 86_400,
      },
    ]);
    expect(v.annotations).toEqual({ holds: 'audit', owned: ['audit', 'old'] });
  });

  it("never governs the operator's own namespace, as the operator resolves (--operator-namespace)", () => {
    expect(namespaceView(input({ team: 'a' }, { operatorNamespace: 'team-a' })).governance).toMatchObject({
      state: 'ungoverned',
      baselines: expect.arrayContaining([{ name: 'audit', why: 'operator' }]) as unknown,
    });
    expect(namespaceView(input({ team: 'a' }, { operatorNamespace: 'kubeposture-system' })).governance).toMatchObject({
      state: 'governed',
    });
  });

  it('says why each baseline does not govern an ungoverned namespace', () => {
    const v = namespaceView(input({}, { baselines: [audit, clean, { ...stalled, spec: { mode: 'Sometimes' } }] }));
    expect(v.governance).toEqual({
      state: 'ungoverned',
      baselines: [
        { name: 'audit', why: 'not-matched' },
        { name: 'broken', why: 'invalid' },
        { name: 'restricted', why: 'not-matched' },
      ],
    });
    expect(v.exceptions).toEqual([]);
    const text = format(v, 'table', { color: false });
    expect(text).toContain('Governed by:  none\n');
    expect(text).toContain('  broken: its spec is invalid (Stalled)\n');
    expect(text).not.toContain('Drift');
  });

  it('prints the Report when there is one, drift, findings and exceptions as sections', () => {
    const report = {
      metadata: { name: 'kubeposture', namespace: 'team-a' },
      summary: { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 },
      results: [
        {
          source: 'kubeposture',
          policy: 'audit',
          rule: 'networkPolicy.denyIngress',
          result: 'fail' as const,
          message: 'NetworkPolicy kubeposture-default-deny is missing',
          resources: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'kubeposture-default-deny', namespace: 'team-a' }],
        },
        { source: 'kubeposture', policy: 'audit', rule: 'podSecurity', result: 'pass' as const, message: 'ok' },
      ],
    };
    const text = format(namespaceView(input({ team: 'a' }, { report })), 'table', { color: false });
    expect(text).toBe(
      [
        'Namespace:    team-a',
        'Governed by:  SecurityBaseline audit (mode Audit, priority 0)',
        'Superseded:   broken',
        'Holds:        audit',
        'Owned record: audit, old',
        '',
        'Drift, from a truncated list (2):',
        '  KIND            NAME                       REASON    FIELDS   SINCE',
        '  NetworkPolicy   kubeposture-default-deny   Missing   -        2026-12-05T11:30:00Z',
        '  NetworkPolicy   kubeposture-allow-dns      Missing   -        2026-12-05T11:30:00Z',
        '',
        'Checks, Report kubeposture: 1 pass, 1 fail, 0 warn, 0 skip, 0 error (2):',
        '  RESULT   RULE                        RESOURCE                                 MESSAGE',
        '  fail     networkPolicy.denyIngress   NetworkPolicy/kubeposture-default-deny   NetworkPolicy kubeposture-default-deny is missing',
        '  pass     podSecurity                 -                                        ok',
        '',
        'Findings (1):',
        '  TYPE              OBJECT               MESSAGE',
        '  AllowAllIngress   NetworkPolicy/open   admits ingress from everyone',
        '',
        'Exceptions (1):',
        '  NAME     STATE    EXPIRES                         EXEMPT          REASON',
        '  vendor   Active   2026-12-15T12:00:00Z (in 10d)   resourceQuota   SEC-1',
        '',
      ].join('\n'),
    );
  });

  it('prints none for empty sections and the same view as JSON and YAML', () => {
    const v = namespaceView(input({ tier: 'prod' }, { exceptions: [] }));
    expect(format(v, 'table', { color: false })).toContain('\nDrift (0):\n  none\n\nFindings (0):\n  none\n\nExceptions (0):\n  none\n');
    const json = JSON.parse(format(v, 'json', { color: false })) as unknown;
    expect(load(format(v, 'yaml', { color: false }))).toEqual(json);
    expect(json).toMatchObject({ kind: 'Namespace', namespace: 'team-a', report: null, governance: { state: 'governed' } });
  });
});

describe('table', () => {
  it('pads every column but the last to its widest cell plus three spaces', () => {
    expect(
      table(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          ['', 'zz'],
        ],
        { color: false },
      ),
    ).toBe('A     BB\nxxx   y\n      zz\n');
  });
});

describe('failureMessage', () => {
  it.each<[Parameters<typeof failureMessage>[0], RegExp]>([
    [{ kind: 'namespace-not-found', namespace: 'x' }, /^namespace "x" not found$/],
    [{ kind: 'api-not-installed' }, /not installed.*securitybaselines\.kubeposture\.io.*kubectl apply -k config\/default/],
    [
      { kind: 'forbidden', verb: 'list', resource: 'securitybaselines.kubeposture.io', message: 'User "bob" cannot list' },
      /could not list securitybaselines\.kubeposture\.io: User "bob" cannot list/,
    ],
    [
      { kind: 'unreachable', server: 'https://127.0.0.1:1', message: 'connect ECONNREFUSED' },
      /cannot reach the apiserver at https:\/\/127\.0\.0\.1:1/,
    ],
  ])('%j', (failure, expected) => {
    expect(failureMessage(failure)).toMatch(expected);
  });
});
