import { appliedObjects, baselineWith } from '../../test/support/baselines.ts';
import type { ExemptPart, SecurityBaseline } from '../api/types.ts';
import { ExemptionIndex } from '../baseline/exceptions.ts';
import { desiredObjects } from '../baseline/build.ts';
import type { WireObject } from '../kube/wire.ts';
import { encodeRecord } from './ownership.ts';
import {
  holdsField,
  planNamespace,
  type Action,
  type Baselines,
  type CachedOwned,
  type NamespaceSnapshot,
  type OwnedKind,
} from './plan.ts';

const NS = 'team-a';
const nsObject = (
  labels: Record<string, string> = { team: 'a' },
  extra: Partial<WireObject['metadata']> = {},
): NamespaceSnapshot['namespace'] => ({ metadata: { name: NS, labels, ...extra } });
const snap = (
  owned: CachedOwned[] = [],
  ns = nsObject(),
  defaultServiceAccount?: NamespaceSnapshot['defaultServiceAccount'],
): NamespaceSnapshot => ({ namespace: ns, owned, defaultServiceAccount });
const set = (...valid: SecurityBaseline[]): Baselines => ({ valid, stalled: new Set() });
const summary = (actions: readonly Action[]): string[] =>
  actions.map((a) => {
    switch (a.type) {
      case 'create':
      case 'update':
      case 'applyShared':
        return `${a.type} ${a.object.kind}/${a.object.metadata.name}`;
      case 'delete':
      case 'orphan':
      case 'releaseShared':
        return `${a.type} ${a.kind}/${a.name}`;
    }
  });

/** What the cluster holds once a baseline was applied: its owned objects, as the cache keeps them. */
const applied = (b: SecurityBaseline): CachedOwned[] => appliedObjects(b, NS);

/** The Namespace with a record saying `owned` are kubeposture's, made for `baseline`. */
const recording = (owned: readonly CachedOwned[], baseline: string, labels?: Record<string, string>): NamespaceSnapshot['namespace'] =>
  nsObject(labels, {
    annotations: {
      'kubeposture.io/owned':
        encodeRecord(owned.map((c) => ({ kind: c.kind, name: c.object.metadata.name, uid: c.object.metadata.uid ?? '', baseline }))) ?? '',
    },
  });

const sel = { namespaceSelector: { matchLabels: { team: 'a' } } };
const ourFields = (fieldsV1: unknown): WireObject['metadata'] => ({
  name: 'x',
  managedFields: [{ manager: 'kubeposture', operation: 'Apply', fieldsV1 }],
});

describe('planNamespace', () => {
  const enforce = baselineWith('enforce', { ...sel, resourceQuota: { hard: { pods: '5' } } });

  it("treats an object with kubeposture's labels but no ownerReference as someone else's: a Conflict, never touched or deleted", () => {
    const impostors = applied(enforce).map((c) => ({
      ...c,
      object: { ...c.object, metadata: { ...c.object.metadata, ownerReferences: [] } },
    }));
    const stray: CachedOwned = {
      kind: 'LimitRange',
      object: {
        metadata: {
          name: 'kubeposture-limits',
          namespace: NS,
          uid: 'u',
          labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'enforce' },
        },
      },
    };
    const plan = planNamespace(snap([...impostors, stray]), set(enforce), undefined);
    if (plan.state !== 'governed') throw new Error(plan.state);
    expect(plan.actions).toEqual([]);
    expect(plan.drift.map((d) => d.reason)).toEqual(impostors.map(() => 'Conflict'));
  });

  it('repairs its own object whose ownerReference someone removed, recognised by the uid the Namespace records', () => {
    const stripped = applied(enforce).map((c) => ({
      ...c,
      object: { ...c.object, metadata: { ...c.object.metadata, ownerReferences: [] } },
    }));
    const plan = planNamespace(snap(stripped, recording(stripped, 'enforce')), set(enforce), undefined);
    if (plan.state !== 'governed') throw new Error(plan.state);
    expect(plan.drift.map((d) => `${d.reason} ${(d.fields ?? []).join(',')}`)).toEqual(
      stripped.map(() => 'Modified metadata.ownerReferences'),
    );
    expect(summary(plan.actions)).toEqual(stripped.map((c) => `update ${c.kind}/${c.object.metadata.name}`));
    // A record of other uids proves nothing.
    const elsewhere = stripped.map((c) => ({ ...c, object: { ...c.object, metadata: { ...c.object.metadata, uid: 'uid-elsewhere' } } }));
    const other = planNamespace(snap(stripped, recording(elsewhere, 'enforce')), set(enforce), undefined);
    expect(other.state === 'governed' ? other.drift.map((d) => d.reason) : []).toEqual(stripped.map(() => 'Conflict'));
  });

  it('does not take a forged controller ownerReference for its own once the Namespace has a record, however many there are', () => {
    const real = applied(enforce);
    const forged = real.map((c) => ({
      ...c,
      object: { ...c.object, metadata: { ...c.object.metadata, uid: `forged-${c.object.metadata.name}` } },
    }));
    const decoys: CachedOwned[] = Array.from({ length: 500 }, (_, i) => ({
      kind: 'NetworkPolicy',
      object: {
        ...structuredClone(real[0]?.object ?? { metadata: { name: '' } }),
        metadata: { ...structuredClone(real[0]?.object.metadata ?? { name: '' }), name: `decoy-${String(i)}`, uid: `decoy-${String(i)}` },
      },
    }));
    const plan = planNamespace(snap([...forged, ...decoys], recording(real, 'enforce')), set(enforce), undefined);
    if (plan.state !== 'governed') throw new Error(plan.state);
    // Forgeries at kubeposture's names are Conflicts (the real objects, recorded, are gone: their
    // entries are dropped); the decoys are nobody's business, neither deleted nor recorded.
    expect(plan.drift.map((d) => d.reason)).toEqual(real.map(() => 'Conflict'));
    expect(plan.actions).toEqual([]);
    expect(plan.ownership.entries).toEqual([]);
  });

  it('hands an unrecorded object at a name whose create went unanswered to the create, which reads it; a Conflict otherwise', () => {
    const real = applied(enforce);
    const recreated = real.map((c) => ({
      ...c,
      object: { ...c.object, metadata: { ...c.object.metadata, uid: `new-${c.object.metadata.name}` } },
    }));
    const [first] = recreated;
    if (first === undefined) throw new Error('no objects');
    const uncertain = [{ kind: first.kind, name: first.object.metadata.name }];
    const plan = planNamespace({ ...snap(recreated, recording(real, 'enforce')), uncertain }, set(enforce), undefined);
    if (plan.state !== 'governed') throw new Error(plan.state);
    expect(plan.drift.map((d) => d.reason)).toEqual(real.map((_, i) => (i === 0 ? 'Missing' : 'Conflict')));
    expect(plan.actions).toEqual([
      { type: 'create', object: expect.objectContaining({ kind: first.kind }) as unknown, recorded: undefined, trustClaim: false },
    ]);
  });

  it('trusts a controller ownerReference once, where the Namespace has no record yet (an upgrade)', () => {
    const plan = planNamespace(snap(applied(enforce)), set(enforce), undefined);
    if (plan.state !== 'governed') throw new Error(plan.state);
    expect(plan.drift).toEqual([]);
    expect(plan.ownership.entries.map((e) => `${e.kind}/${e.name} ${e.uid} ${e.baseline}`)).toEqual(
      applied(enforce).map((c) => `${c.kind}/${c.object.metadata.name} ${c.object.metadata.uid ?? ''} enforce`),
    );
  });

  it('deletes a recorded object it no longer wants even when its labels were stripped (not cached), by uid', () => {
    const before = applied(enforce);
    const plan = planNamespace(
      snap(
        before.filter((c) => c.kind !== 'ResourceQuota'),
        recording(before, 'enforce'),
      ),
      set(baselineWith('enforce', sel)),
      undefined,
    );
    expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual(['delete ResourceQuota/kubeposture-quota']);
    expect(plan.state === 'governed' && plan.actions[0]).toMatchObject({ uid: 'uid-kubeposture-quota' });
  });

  it('passes the recorded uid to a create, so a stripped object is recognised when the name turns out taken', () => {
    const before = applied(enforce);
    const plan = planNamespace(snap([], recording(before, 'enforce')), set(enforce), undefined);
    if (plan.state !== 'governed') throw new Error(plan.state);
    expect(
      plan.actions.map((a) =>
        a.type === 'create' ? `${a.object.metadata.name} ${a.recorded?.uid ?? '-'} ${String(a.trustClaim)}` : a.type,
      ),
    ).toEqual(before.map((c) => `${c.object.metadata.name} ${c.object.metadata.uid ?? ''} false`));
  });

  it('creates everything in a fresh namespace', () => {
    const plan = planNamespace(snap(), set(enforce), undefined);
    expect(plan.state).toBe('governed');
    expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual([
      'create NetworkPolicy/kubeposture-default-deny',
      'create NetworkPolicy/kubeposture-allow-dns',
      'create ResourceQuota/kubeposture-quota',
    ]);
  });

  it('plans nothing, and finds no drift, where the namespace complies', () => {
    const plan = planNamespace(snap(applied(enforce)), set(enforce), undefined);
    expect(plan).toMatchObject({ state: 'governed', drift: [], actions: [] });
  });

  it('repairs a modified object, naming the fields', () => {
    const owned = applied(enforce);
    const quota = owned.find((o) => o.kind === 'ResourceQuota');
    if (quota === undefined) throw new Error('no quota');
    (quota.object as unknown as { spec: { hard: Record<string, string> } }).spec.hard = { pods: '500' };
    const plan = planNamespace(snap(owned), set(enforce), undefined);
    expect(plan.state === 'governed' && plan.drift).toEqual([
      { kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Modified', fields: ['spec.hard.pods'] },
    ]);
    expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual(['update ResourceQuota/kubeposture-quota']);
    // Written to that object only (its uid): an apply to a name deleted meanwhile would make a new one.
    expect(quota.object.metadata.uid).toEqual(expect.any(String));
    expect(plan.state === 'governed' && plan.actions[0]).toMatchObject({ type: 'update', uid: quota.object.metadata.uid });
  });

  it("writes an update as one apply where values change, one JSON patch where only another baseline's reference must go, and takes over the create's entry otherwise", () => {
    /** As a POST leaves them: kubeposture's fields under an Update entry (the cache keeps only manager and operation). */
    const created = (owned: CachedOwned[]): CachedOwned[] =>
      owned.map((c) => ({
        ...c,
        object: { ...c.object, metadata: { ...c.object.metadata, managedFields: [{ manager: 'kubeposture', operation: 'Update' }] } },
      }));
    const ways = (owned: CachedOwned[], ...baselines: SecurityBaseline[]): string[] => {
      const plan = planNamespace(snap(owned), set(...baselines), undefined);
      if (plan.state !== 'governed') throw new Error(plan.state);
      return plan.actions.flatMap((a) => (a.type === 'update' ? [`${a.object.kind} ${a.via.type}`] : []));
    };
    const wide = baselineWith('enforce', { ...sel, resourceQuota: { hard: { pods: '5', 'requests.cpu': '2' } } });
    const more = baselineWith('enforce', { ...sel, resourceQuota: { hard: { pods: '6', 'requests.cpu': '2' } } });
    const fewer = baselineWith('enforce', { ...sel, resourceQuota: { hard: { pods: '6' } } });
    // A value changes: the forced apply takes it over, one write.
    expect(ways(created(applied(wide)), more)).toEqual(['ResourceQuota apply']);
    // A key goes: only an Apply entry holding it lets the apply remove it.
    expect(ways(created(applied(wide)), fewer)).toEqual(['ResourceQuota takeOver']);
    expect(ways(applied(wide), fewer)).toEqual(['ResourceQuota apply']);
    // Another baseline takes the namespace: the old ownerReference must go, in the same write as the new values.
    const other = (b: SecurityBaseline): SecurityBaseline => ({
      ...b,
      metadata: { ...b.metadata, uid: '00000000-0000-4000-8000-000000000002' },
    });
    const gold = other(baselineWith('gold', { ...sel, priority: 9, resourceQuota: { hard: { pods: '50', 'requests.cpu': '2' } } }));
    expect(ways(created(applied(wide)), wide, gold)).toEqual(['NetworkPolicy move', 'NetworkPolicy move', 'ResourceQuota move']);
    // ... unless a key must go as well.
    const lean = other(baselineWith('lean', { ...sel, priority: 9, resourceQuota: { hard: { pods: '50' } } }));
    expect(ways(created(applied(wide)), wide, lean)).toEqual(['NetworkPolicy move', 'NetworkPolicy move', 'ResourceQuota takeOver']);
  });

  it('reports drift but plans no write in Audit mode', () => {
    const audit = baselineWith('audit', { ...sel, mode: 'Audit', resourceQuota: { hard: { pods: '5' } } });
    const plan = planNamespace(snap(), set(audit), undefined);
    expect(plan.state === 'governed' && plan.drift.map((d) => d.reason)).toEqual(['Missing', 'Missing', 'Missing']);
    expect(plan.state === 'governed' && plan.actions).toEqual([]);
  });

  it('removes what a baseline no longer wants (Unexpected) by its deletionPolicy', () => {
    const before = applied(enforce);
    const now = baselineWith('enforce', sel);
    const plan = planNamespace(snap(before), set(now), undefined);
    expect(plan.state === 'governed' && plan.drift).toEqual([{ kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Unexpected' }]);
    expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual(['delete ResourceQuota/kubeposture-quota']);
  });

  it('releases instead of deleting under Orphan, once the namespace leaves scope', () => {
    const orphan = baselineWith('keep', { ...sel, deletionPolicy: 'Orphan' });
    const plan = planNamespace(snap(applied(orphan), nsObject({})), set(orphan), undefined);
    expect(plan.state).toBe('unselected');
    expect(summary(plan.state === 'unselected' ? plan.actions : [])).toEqual([
      'orphan NetworkPolicy/kubeposture-default-deny',
      'orphan NetworkPolicy/kubeposture-allow-dns',
    ]);
  });

  it('deletes the grantor under either policy, and orphans the workload RBAC it made', () => {
    const operator = { namespace: 'kubeposture-system', name: 'kubeposture' };
    const workloads = {
      networkPolicy: { denyIngress: false, denyEgress: false },
      serviceAccounts: { workloads: [{ name: 'app', rules: [{ resources: ['pods'], verbs: ['get'] }] }] },
    };
    for (const policy of ['Orphan', 'Delete'] as const) {
      const b = baselineWith('b', { ...sel, ...workloads, deletionPolicy: policy });
      const owned = desiredObjects(b, NS, operator)
        .filter((d) => d.ownership === 'owned')
        .map((d) => ({
          kind: d.object.kind as OwnedKind,
          object: {
            ...structuredClone(d.object),
            metadata: { ...structuredClone(d.object.metadata), uid: `uid-${d.object.metadata.name}` },
          },
        }));
      const plan = planNamespace(snap(owned, nsObject({})), set(b), undefined, operator);
      const verb = policy === 'Orphan' ? 'orphan' : 'delete';
      expect(summary(plan.state === 'unselected' ? plan.actions : []).sort()).toEqual(
        [
          `${verb} Role/kubeposture-app`,
          `${verb} RoleBinding/kubeposture-app`,
          `${verb} ServiceAccount/app`,
          'delete RoleBinding/kubeposture:grantor',
        ].sort(),
      );
      // Governed still, but without rules: the grantor goes, whatever the policy.
      const bare = baselineWith('b', { ...sel, ...workloads, deletionPolicy: policy, serviceAccounts: { workloads: [{ name: 'app' }] } });
      const kept = planNamespace(snap(owned), set(bare), undefined, operator);
      expect(summary(kept.state === 'governed' ? kept.actions : [])).toContain('delete RoleBinding/kubeposture:grantor');
    }
  });

  it('leaves the objects of an Audit baseline where they are', () => {
    const audit = baselineWith('audit', { ...sel, mode: 'Audit' });
    const plan = planNamespace(snap(applied(audit), nsObject({})), set(audit), undefined);
    expect(plan.state === 'unselected' && plan.actions).toEqual([]);
  });

  it.each(['Delete', 'Orphan'] as const)('cleans up after an Audit baseline being deleted, by its deletionPolicy (%s)', (policy) => {
    const audit = baselineWith('audit', { ...sel, mode: 'Audit', deletionPolicy: policy });
    const deleted = { ...audit, metadata: { ...audit.metadata, deletionTimestamp: '2026-12-05T00:00:00Z' } };
    // A deleted baseline selects nothing: its namespaces are unselected, and its objects go as it says.
    const plan = planNamespace(snap(applied(audit), nsObject(sel.namespaceSelector.matchLabels)), set(deleted), undefined);
    expect(plan.state).toBe('unselected');
    expect(summary(plan.state === 'unselected' ? plan.actions : [])).toEqual([
      `${policy === 'Delete' ? 'delete' : 'orphan'} NetworkPolicy/kubeposture-default-deny`,
      `${policy === 'Delete' ? 'delete' : 'orphan'} NetworkPolicy/kubeposture-allow-dns`,
    ]);
  });

  it('moves a namespace to the higher-priority baseline: takes over shared names, deletes the rest', () => {
    const low = baselineWith('low', { ...sel, priority: 1, resourceQuota: { hard: { pods: '5' } } });
    const high = baselineWith('high', { ...sel, priority: 9 });
    const plan = planNamespace(snap(applied(low)), set(low, high), undefined);
    expect(plan.state === 'governed' && plan.baseline.metadata.name).toBe('high');
    expect(plan.state === 'governed' && plan.superseded).toEqual(['low']);
    expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual([
      'update NetworkPolicy/kubeposture-default-deny',
      'update NetworkPolicy/kubeposture-allow-dns',
      'delete ResourceQuota/kubeposture-quota',
    ]);
  });

  it('sets shared fields that differ, and gives them back when no baseline wants them', () => {
    const b = baselineWith('b', { ...sel, serviceAccounts: {}, podSecurity: { enforce: 'restricted' } });
    const governed = planNamespace(snap(applied(b), nsObject(), { metadata: { name: 'default', namespace: NS } }), set(b), undefined);
    expect(summary(governed.state === 'governed' ? governed.actions : [])).toEqual([
      'applyShared ServiceAccount/default',
      'applyShared Namespace/team-a',
    ]);

    const sa = {
      metadata: { ...ourFields({ 'f:automountServiceAccountToken': {} }), name: 'default', namespace: NS },
      automountServiceAccountToken: false,
    };
    const ns = nsObject(
      {},
      {
        managedFields: [
          {
            manager: 'kubeposture',
            operation: 'Apply',
            fieldsV1: { 'f:metadata': { 'f:labels': { 'f:pod-security.kubernetes.io/enforce': {} } } },
          },
        ],
      },
    );
    const released = planNamespace(snap([], ns, sa), set(b), undefined);
    expect(summary(released.state === 'unselected' ? released.actions : [])).toEqual([
      'releaseShared ServiceAccount/default',
      'releaseShared Namespace/team-a',
    ]);
  });

  describe('with parts lifted by an exception', () => {
    const lifting = (exempt: ExemptPart[]): ExemptionIndex =>
      new ExemptionIndex([
        {
          metadata: { name: 'legacy', uid: 'u', generation: 1 },
          spec: { baseline: 'enforce', namespaces: [NS], exempt, reason: 'r', expires: '2099-01-01T00:00:00Z' },
          expiresAt: Date.UTC(2099, 0, 1),
        },
      ]);

    it('removes the lifted objects by the deletionPolicy without calling them drift, and names the exception', () => {
      const recorded = applied(enforce);
      const plan = planNamespace(
        snap(recorded, recording(recorded, 'enforce')),
        set(enforce),
        undefined,
        undefined,
        lifting(['resourceQuota']),
      );
      expect(plan).toMatchObject({ state: 'governed', drift: [], exceptions: ['legacy'] });
      expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual(['delete ResourceQuota/kubeposture-quota']);
    });

    it('does not create what is lifted in a fresh namespace', () => {
      const plan = planNamespace(snap(), set(enforce), undefined, undefined, lifting(['networkPolicy']));
      expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual(['create ResourceQuota/kubeposture-quota']);
    });

    it('gives back the enforce labels, without drift, when podSecurity.enforce is lifted', () => {
      const b = baselineWith('enforce', { ...sel, podSecurity: { enforce: 'restricted', warn: 'baseline' } });
      const labels = {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'baseline',
        'pod-security.kubernetes.io/warn-version': 'latest',
      };
      const held = Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}]));
      const ns = nsObject(
        { team: 'a', ...labels },
        { managedFields: [{ manager: 'kubeposture', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': held } } }] },
      );
      const plan = planNamespace(snap(applied(b), ns), set(b), undefined, undefined, lifting(['podSecurity.enforce']));
      expect(plan).toMatchObject({ state: 'governed', drift: [] });
      expect(summary(plan.state === 'governed' ? plan.actions : [])).toEqual(['applyShared Namespace/team-a']);
      expect(plan.state === 'governed' && plan.ownership.namespaceLabels).toEqual({
        'pod-security.kubernetes.io/warn': 'baseline',
        'pod-security.kubernetes.io/warn-version': 'latest',
      });
      // Without the exception, the same labels held are compliant: nothing to do.
      expect(planNamespace(snap(applied(b), ns), set(b), undefined)).toMatchObject({ drift: [], actions: [] });
    });

    it('reports as drift an enforce label kubeposture set that the baseline no longer asks for', () => {
      const b = baselineWith('enforce', { ...sel, podSecurity: { warn: 'baseline' } });
      const ns = nsObject(
        {
          team: 'a',
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'baseline',
          'pod-security.kubernetes.io/warn-version': 'latest',
        },
        {
          managedFields: [
            {
              manager: 'kubeposture',
              operation: 'Apply',
              fieldsV1: {
                'f:metadata': { 'f:labels': { 'f:pod-security.kubernetes.io/enforce': {}, 'f:pod-security.kubernetes.io/warn': {} } },
              },
            },
          ],
        },
      );
      const plan = planNamespace(snap(applied(b), ns), set(b), undefined);
      expect(plan.state === 'governed' && plan.drift).toEqual([
        { kind: 'Namespace', name: NS, reason: 'Modified', fields: ['metadata.labels[pod-security.kubernetes.io/enforce]'] },
      ]);
    });
  });

  it('leaves alone a terminating namespace, and one whose record holds objects of a Stalled baseline', () => {
    expect(planNamespace(snap([], nsObject(undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' })), set(enforce), undefined)).toEqual({
      state: 'skipped',
      reason: 'namespace is terminating',
    });
    const frozen = planNamespace(
      snap(applied(enforce), recording(applied(enforce), 'enforce')),
      { valid: [], stalled: new Set(['enforce']) },
      undefined,
    );
    expect(frozen.state).toBe('skipped');
  });

  it('is not frozen by a label naming a Stalled baseline: anyone may write labels', () => {
    const other = baselineWith('other', sel);
    const labelled: CachedOwned = {
      kind: 'ServiceAccount',
      object: {
        metadata: {
          name: 'mine',
          namespace: NS,
          uid: 'tenant',
          labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'broken' },
          ownerReferences: [
            { apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'broken', uid: 'x', controller: true },
          ],
        },
      },
    };
    const stalled = { valid: [other], stalled: new Set(['broken']) };
    // Neither in a namespace with a record, nor in one without (where claims are trusted once).
    for (const ns of [recording(applied(other), 'other'), nsObject()]) {
      const plan = planNamespace(snap([...applied(other), labelled], ns), stalled, undefined);
      expect(plan.state).toBe('governed');
      expect(plan.state === 'governed' && plan.actions).toEqual([]);
    }
  });

  it("never selects the operator's own namespace", () => {
    expect(planNamespace(snap(), set(enforce), NS).state).toBe('unselected');
  });
});

describe('holdsField', () => {
  it.each<[string, WireObject['metadata'], readonly string[], boolean, boolean]>([
    ['a field we own', ourFields({ 'f:automountServiceAccountToken': {} }), ['automountServiceAccountToken'], false, true],
    ['a field we do not own', ourFields({ 'f:secrets': {} }), ['automountServiceAccountToken'], false, false],
    ['labels we own', ourFields({ 'f:metadata': { 'f:labels': { 'f:a': {} } } }), ['metadata', 'labels'], true, true],
    ['an empty labels map only', ourFields({ 'f:metadata': { 'f:labels': {} } }), ['metadata', 'labels'], true, false],
    [
      "another manager's fields",
      { name: 'x', managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:automountServiceAccountToken': {} } }] },
      ['automountServiceAccountToken'],
      false,
      false,
    ],
  ])('%s', (_name, metadata, path, children, want) => {
    expect(holdsField({ metadata }, path, children)).toBe(want);
  });
});
