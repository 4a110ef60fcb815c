/**
 * Drift: found at once, repaired (Enforce) or reported (Audit), and shown in
 * status, Events and kubectl, with conditions well-formed by kstatus rules.
 */
import { kubectl } from '../support/kubectl.ts';
import type { DriftEntry, RepairEntry } from '../../src/api/types.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { kstatusProblems } from '../support/kstatus.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  condition,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  managedIn,
  patchBaselineSpec,
  readBaseline,
  readNamespace,
  timed,
  user,
  waitReady,
  type Baseline,
} from '../support/world.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';

let op: TestOperator;
const checked: string[] = [];

/** Reads a baseline and checks its conditions, for the test at the end that every scenario stayed well-formed. */
async function observe(name: string): Promise<Baseline | undefined> {
  const b = await readBaseline(name);
  // Before its first status write a baseline has nothing to check.
  if (b?.status !== undefined) checked.push(...kstatusProblems(b).map((p) => `${name}: ${p}`));
  return b;
}

/**
 * Lets the status interval pass since the last write, so that the next change is
 * an isolated one (a NetworkPolicy deleted at 3 a.m.), not part of churn.
 */
async function quiet(): Promise<void> {
  await op.controller.settle();
  await new Promise((r) => setTimeout(r, 1100));
}

beforeAll(async () => {
  await installCrd(kc);
  op = await startOperator({ statusIntervalMs: 1000 });
});
afterAll(async () => {
  await op.stop();
  user.close();
});

const OBJECTS: readonly [ResourceKind, string][] = [
  ['NetworkPolicy', 'kubeposture-default-deny'],
  ['NetworkPolicy', 'kubeposture-allow-dns'],
  ['LimitRange', 'kubeposture-limits'],
  ['ResourceQuota', 'kubeposture-quota'],
  ['ServiceAccount', 'app'],
  ['Role', 'kubeposture-app'],
  ['RoleBinding', 'kubeposture-app'],
];

describe('Enforce mode', () => {
  const group = uniqueName('g');
  let name: string;
  let ns: string;
  beforeAll(async () => {
    name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    [ns = ''] = await createNamespaces('drift', 1, { 'kp-test': group });
    await waitReady(name);
    await eventually(async () => {
      expect((await readBaseline(name))?.status?.namespaces?.compliant).toBe(1);
    });
  });
  afterAll(async () => {
    await deleteBaseline(name);
  });

  const lastRepair = async (): Promise<RepairEntry | undefined> => (await observe(name))?.status?.repairs?.recent?.[0];

  it.each(OBJECTS)('recreates a deleted %s %s within a second and records the repair', async (kind, objName) => {
    await quiet();
    const before = (await observe(name))?.status?.repairs?.total ?? 0;
    const old = (await user.get(kind, ns, objName)) as { metadata: { uid: string } };
    await user.request('DELETE', resourcePath(kind, ns, objName));
    const ms = await timed(async () => {
      const now = (await user.get(kind, ns, objName)) as { metadata: { uid: string } } | undefined;
      expect(now?.metadata.uid).toBeDefined();
      expect(now?.metadata.uid).not.toBe(old.metadata.uid);
      const b = await readBaseline(name);
      expect(b?.status?.repairs?.total).toBe(before + 1);
      expect(b?.status?.repairs?.recent?.[0]).toMatchObject({ namespace: ns, kind, name: objName, reason: 'Missing' });
    }, 5000);
    expect(ms).toBeLessThan(1000);
  });

  it.each<[string, ResourceKind, string, unknown, string]>([
    ['a quota value', 'ResourceQuota', 'kubeposture-quota', { spec: { hard: { pods: '500' } } }, 'spec.hard.pods'],
    [
      "a NetworkPolicy's policyTypes",
      'NetworkPolicy',
      'kubeposture-default-deny',
      { spec: { policyTypes: ['Ingress'] } },
      'spec.policyTypes',
    ],
    [
      "a workload ServiceAccount's token mount",
      'ServiceAccount',
      'app',
      { automountServiceAccountToken: true },
      'automountServiceAccountToken',
    ],
    [
      "the default ServiceAccount's token mount",
      'ServiceAccount',
      'default',
      { automountServiceAccountToken: true },
      'automountServiceAccountToken',
    ],
    [
      'a Pod Security label',
      'Namespace',
      '',
      { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
      'metadata.labels[pod-security.kubernetes.io/enforce]',
    ],
    [
      'a managed-by label',
      'LimitRange',
      'kubeposture-limits',
      { metadata: { labels: { 'kubeposture.io/baseline': 'someone-else' } } },
      'metadata.labels[kubeposture.io/baseline]',
    ],
  ])('reverts an edit to %s and names the field', async (_what, kind, objName, patch, field) => {
    const target = kind === 'Namespace' ? ns : objName;
    const namespace = kind === 'Namespace' ? undefined : ns;
    await quiet();
    const before = JSON.stringify(await user.get(kind, namespace, target));
    await user.mergePatch(kind, namespace, target, patch);
    const ms = await timed(async () => {
      const repair = await lastRepair();
      expect(repair).toMatchObject({ namespace: ns, kind, name: target, reason: 'Modified' });
      expect(repair?.fields).toContain(field);
    }, 5000);
    expect(ms).toBeLessThan(1000);
    const after = (await user.get(kind, namespace, target)) as WireObject & Record<string, unknown>;
    const original = JSON.parse(before) as Record<string, unknown>;
    expect(JSON.stringify((after as { spec?: unknown }).spec)).toBe(JSON.stringify((original as { spec?: unknown }).spec));
  });

  it('sees no drift and writes nothing when a field the baseline does not set changes', async () => {
    await op.controller.settle();
    const rv = (await readBaseline(name))?.metadata.resourceVersion;
    op.resetRequests();
    await user.mergePatch('NetworkPolicy', ns, 'kubeposture-default-deny', {
      metadata: { labels: { team: 'mine' }, annotations: { note: 'hi' } },
    });
    await user.mergePatch('Namespace', undefined, ns, { metadata: { labels: { owner: 'alice' } } });
    await new Promise((r) => setTimeout(r, 1500));
    await op.controller.settle();
    expect(op.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await readBaseline(name))?.metadata.resourceVersion).toBe(rv);
  });

  it('records a Conflict with an Event, and never touches the object', async () => {
    const [other = ''] = await createNamespaces('drift-conflict', 1, {});
    await user.request('POST', `/api/v1/namespaces/${other}/resourcequotas`, {
      body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'kubeposture-quota' }, spec: { hard: { pods: '99' } } },
    });
    await user.mergePatch('Namespace', undefined, other, { metadata: { labels: { 'kp-test': group } } });
    await timed(async () => {
      const drift = (await observe(name))?.status?.drift ?? [];
      expect(drift).toContainEqual(
        expect.objectContaining({ namespace: other, kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Conflict' }),
      );
    });
    expect(((await user.get('ResourceQuota', other, 'kubeposture-quota')) as WireObject & { spec: unknown }).spec).toEqual({
      hard: { pods: '99' },
    });
    const b = await observe(name);
    expect(condition(b, 'Compliant')).toMatchObject({ status: 'False', reason: 'DriftDetected' });
    expect(condition(b, 'Compliant')?.message).toContain(`${other} (ResourceQuota kubeposture-quota: Conflict)`);
    await eventually(async () => {
      expect(await kubectl('get', 'events', '-A', '--field-selector', 'reason=ConflictFound')).toContain(other);
    });
    await user.request('DELETE', `/api/v1/namespaces/${other}/resourcequotas/kubeposture-quota`);
    await timed(async () => {
      expect((await observe(name))?.status?.drift ?? []).toEqual([]);
    });
  });

  it('shows repairs and conditions in kubectl describe, and live numbers in kubectl get', async () => {
    const described = await kubectl('describe', 'securitybaseline', name);
    expect(described).toMatch(/Type:\s+Ready/);
    expect(described).toContain('DriftRepaired');
    const row = (await kubectl('get', 'sb', name, '--no-headers')).trim().split(/\s+/);
    expect(row.slice(0, 6)).toEqual([name, 'Enforce', '2', '2', '0', 'True']);
  });

  it('lets kubectl wait for a new generation to be Ready', async () => {
    await patchBaselineSpec(name, {
      resourceQuota: { hard: { pods: '60', 'requests.cpu': '10', 'requests.memory': '20Gi', 'limits.cpu': '20' } },
    });
    await kubectl('wait', '--for=condition=Ready', `securitybaseline/${name}`, '--timeout=30s');
    const b = await observe(name);
    expect(b?.status?.observedGeneration).toBe(b?.metadata.generation);
    expect(
      ((await user.get('ResourceQuota', ns, 'kubeposture-quota')) as WireObject & { spec: { hard: { pods: string } } }).spec.hard.pods,
    ).toBe('60');
  });
});

describe('Audit mode', () => {
  it('reports edits in status.drift with reason and fields, and clears them when put back', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('audit-drift', 1, { 'kp-test': group });
    // Objects an earlier Enforce generation made, then the baseline switches to Audit.
    const name = await createBaseline(baselineManifest(group, { resourceQuota: { hard: { pods: '5' } } }));
    await timed(async () => {
      expect(await managedIn(ns)).toHaveLength(3);
    });
    await waitReady(name);
    await patchBaselineSpec(name, { mode: 'Audit' });
    await waitReady(name);
    await user.mergePatch('ResourceQuota', ns, 'kubeposture-quota', { spec: { hard: { pods: '9' } } });
    await user.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/kubeposture-allow-dns`);
    await timed(async () => {
      const b = await observe(name);
      expect(b?.status?.drift?.map((d) => ({ kind: d.kind, name: d.name, reason: d.reason, fields: d.fields }))).toEqual([
        { kind: 'NetworkPolicy', name: 'kubeposture-allow-dns', reason: 'Missing', fields: undefined },
        { kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Modified', fields: ['spec.hard.pods'] },
      ]);
      expect(condition(b, 'Compliant')).toMatchObject({ status: 'False', reason: 'DriftDetected' });
      expect(condition(b, 'Compliant')?.message).toBe(
        `1 of 1 namespaces drift: ${ns} (NetworkPolicy kubeposture-allow-dns: Missing, ResourceQuota kubeposture-quota: Modified)`,
      );
    });
    expect(
      ((await user.get('ResourceQuota', ns, 'kubeposture-quota')) as WireObject & { spec: { hard: { pods: string } } }).spec.hard.pods,
    ).toBe('9');
    await user.mergePatch('ResourceQuota', ns, 'kubeposture-quota', { spec: { hard: { pods: '5' } } });
    await timed(async () => {
      const b = await observe(name);
      expect(b?.status?.drift?.map((d) => d.name)).toEqual(['kubeposture-allow-dns']);
    });
    await deleteBaseline(name);
  });

  it('keeps status capped, sorted and counted with 200 drifting namespaces', async () => {
    const group = uniqueName('g');
    const namespaces = await createNamespaces('many', 200, { 'kp-test': group });
    const name = await createBaseline(baselineManifest(group, { mode: 'Audit' }));
    await waitReady(name, 60_000);
    const b = await eventually(async () => {
      const got = await observe(name);
      expect(got?.status?.namespaces).toEqual({ selected: 200, compliant: 0, drifted: 200, superseded: 0, failed: 0, excepted: 0 });
      return got;
    }, 60_000);
    const drift = b?.status?.drift ?? [];
    expect(drift).toHaveLength(50);
    expect(b?.status?.driftTruncated).toBe(true);
    const sorted = [...drift].sort(
      (x: DriftEntry, y: DriftEntry) =>
        x.namespace.localeCompare(y.namespace) || x.kind.localeCompare(y.kind) || x.name.localeCompare(y.name),
    );
    expect(drift).toEqual(sorted);
    expect(drift[0]?.namespace).toBe([...namespaces].sort()[0]);
    expect(JSON.stringify(b?.status).length).toBeLessThan(64 * 1024);
    expect(condition(b, 'Compliant')?.message).toMatch(/^200 of 200 namespaces drift: .* and 197 more$/);
    await deleteBaseline(name);
  });
});

describe('status writes', () => {
  it('writes no status when the same spec is applied again or on a resync', async () => {
    const group = uniqueName('g');
    await createNamespaces('quiet', 2, { 'kp-test': group });
    const manifest = baselineManifest(group, { resourceQuota: { hard: { pods: '3' } } });
    const name = await createBaseline(manifest);
    await waitReady(name);
    await op.controller.settle();
    const apply = async (): Promise<unknown> =>
      user.apply('SecurityBaseline', manifest as { metadata: { name: string } }, { fieldManager: 'kubeposture-tests', force: true });
    // The first apply adds the test's field manager to metadata; the second changes nothing.
    await apply();
    await op.controller.settle();
    const rv = (await readBaseline(name))?.metadata.resourceVersion;
    await apply();
    op.controller.resync();
    await op.controller.idle();
    await new Promise((r) => setTimeout(r, 1200));
    await op.controller.settle();
    expect((await readBaseline(name))?.metadata.resourceVersion).toBe(rv);
    await deleteBaseline(name);
  });
});

describe('an admitted but unworkable spec', () => {
  it('is Stalled with a message naming the field, and nothing is applied anywhere', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('stalled', 1, { 'kp-test': group });
    const name = await createBaseline(
      baselineManifest(group, { limitRange: { limits: [{ type: 'Container', default: { cpu: '3' }, max: { cpu: '2' } }] } }),
    );
    await timed(async () => {
      const b = await observe(name);
      expect(condition(b, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
      expect(condition(b, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
      expect(condition(b, 'Stalled')?.message).toContain('spec.limitRange.limits[0].default[cpu]: 3 is greater than max 2');
    });
    await op.controller.settle();
    expect(await managedIn(ns)).toEqual([]);
    expect((await readNamespace(ns)).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBeUndefined();
    // Fixing the spec clears Stalled and applies it.
    await patchBaselineSpec(name, { limitRange: { limits: [{ type: 'Container', default: { cpu: '1' }, max: { cpu: '2' } }] } });
    await waitReady(name);
    const b = await observe(name);
    expect(condition(b, 'Stalled')).toBeUndefined();
    expect(await managedIn(ns)).toContain('LimitRange/kubeposture-limits');
    await deleteBaseline(name);
  });
});

describe('conditions in every scenario above', () => {
  it('were well-formed by kstatus rules each time they were read', () => {
    expect(checked).toEqual([]);
  });
});
