/**
 * The reconciler's scenarios on the real control plane: selection, scope changes,
 * spec changes, priorities, deletion policies, conflicts, Audit mode and a quiet
 * steady state. Run twice: as admin (reconciler.test.ts) and with nothing but the
 * operator's own ServiceAccount (reconciler-rbac.test.ts), the proof that its
 * ClusterRole is enough.
 */
import { FIELD_MANAGER } from '../../src/api/constants.ts';
import { createTestNamespace, uniqueName } from './cluster.ts';
import { installCrd } from './crd.ts';
import type { TestOperator } from './operator.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import {
  RESTRICTED_OBJECTS,
  RESTRICTED_SPEC,
  baselineManifest,
  core,
  createBaseline,
  createNamespaces,
  defaultAutomount,
  deleteBaseline,
  kc,
  labelNamespace,
  managedIn,
  patchBaselineSpec,
  readBaseline,
  readNamespace,
  timed,
  user,
  waitReady,
} from './world.ts';

/**
 * Defines every scenario against an operator that `start` runs. `restricted`: the objects a
 * namespace holds under RESTRICTED_SPEC with that operator (under its ServiceAccount, the
 * grantor RoleBinding too).
 */
export function reconcilerScenarios(start: () => Promise<TestOperator>, restricted: readonly string[] = RESTRICTED_OBJECTS): void {
  let op: TestOperator;

  beforeAll(async () => {
    await installCrd(kc);
    op = await start();
  });
  afterAll(async () => {
    await op.stop();
    user.close();
  });

  const PSA = 'pod-security.kubernetes.io/enforce';

  describe('a baseline applied to a cluster of 20 namespaces', () => {
    const group = uniqueName('g');
    let selected: string[];
    let excluded: string[];
    let unlabelled: string[];
    let name: string;

    beforeAll(async () => {
      selected = await createNamespaces('sel', 15, { 'kp-test': group });
      excluded = await Promise.all([
        createTestNamespace(core, 'sandbox', { 'kp-test': group }),
        createTestNamespace(core, 'sandbox', { 'kp-test': group }),
      ]);
      unlabelled = await createNamespaces('other', 3, {});
      name = await createBaseline(baselineManifest(group, { ...RESTRICTED_SPEC, excludeNamespaces: ['sandbox-*'] }));
      await waitReady(name);
    });
    afterAll(async () => {
      await deleteBaseline(name);
    });

    it('makes every selected namespace hold exactly the desired objects', async () => {
      for (const ns of selected) expect({ ns, objects: await managedIn(ns) }).toEqual({ ns, objects: restricted });
      for (const ns of selected.slice(0, 3)) {
        expect((await readNamespace(ns)).metadata.labels?.[PSA]).toBe('restricted');
        expect(await defaultAutomount(ns)).toBe(false);
      }
    });

    it('leaves excluded, unselected and system namespaces untouched', async () => {
      for (const ns of [...excluded, ...unlabelled, 'kube-system', 'default']) {
        expect({ ns, objects: await managedIn(ns) }).toEqual({ ns, objects: [] });
        expect((await readNamespace(ns)).metadata.labels?.[PSA]).toBeUndefined();
        expect(await defaultAutomount(ns)).toBeUndefined();
      }
    });

    it('counts them in status, and the first rollout as no repair', async () => {
      const b = await readBaseline(name);
      expect(b?.status?.namespaces).toEqual({ selected: 15, compliant: 15, drifted: 0, superseded: 0, failed: 0, excepted: 0 });
      expect(b?.status?.repairs).toEqual({ total: 0 });
    });
  });

  describe('namespaces that come and go', () => {
    const group = uniqueName('g');
    let name: string;
    beforeAll(async () => {
      name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
      await waitReady(name);
    });
    afterAll(async () => {
      await deleteBaseline(name);
    });

    it('brings a namespace created afterwards to the baseline within 2 seconds', async () => {
      const ns = uniqueName('late');
      await core.createNamespace({ body: { metadata: { name: ns, labels: { 'kp-test': group } } } });
      const ms = await timed(async () => {
        expect(await managedIn(ns)).toEqual(restricted);
      });
      expect(ms).toBeLessThan(2000);
    });

    it('brings a namespace relabelled into scope to the baseline within 2 seconds', async () => {
      const [ns = ''] = await createNamespaces('relabel', 1, {});
      expect(await managedIn(ns)).toEqual([]);
      await labelNamespace(ns, { 'kp-test': group });
      const ms = await timed(async () => {
        expect(await managedIn(ns)).toEqual(restricted);
      });
      expect(ms).toBeLessThan(2000);
    });

    it('removes the objects and gives back shared fields when a namespace leaves scope (Delete)', async () => {
      const [ns = ''] = await createNamespaces('leave', 1, { 'kp-test': group });
      await timed(async () => {
        expect(await managedIn(ns)).toEqual(restricted);
      });
      await labelNamespace(ns, { 'kp-test': null });
      await timed(async () => {
        expect(await managedIn(ns)).toEqual([]);
        expect((await readNamespace(ns)).metadata.labels?.[PSA]).toBeUndefined();
        expect(await defaultAutomount(ns)).toBeUndefined();
      });
    });
  });

  describe('deletionPolicy Orphan', () => {
    it('leaves objects in place, released, when a namespace leaves scope', async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, { deletionPolicy: 'Orphan', resourceQuota: { hard: { pods: '5' } } }));
      const [ns = ''] = await createNamespaces('orphan', 1, { 'kp-test': group });
      await timed(async () => {
        expect(await managedIn(ns)).toContain('ResourceQuota/kubeposture-quota');
      });
      await labelNamespace(ns, { 'kp-test': null });
      await timed(async () => {
        expect(await managedIn(ns)).toEqual([]);
      });
      const quota = (await user.get('ResourceQuota', ns, 'kubeposture-quota')) as
        | {
            metadata: { labels?: Record<string, string>; ownerReferences?: unknown[]; managedFields?: { manager: string }[] };
            spec: unknown;
          }
        | undefined;
      expect(quota?.spec).toEqual({ hard: { pods: '5' } });
      expect(quota?.metadata.labels ?? {}).toEqual({});
      expect(quota?.metadata.ownerReferences ?? []).toEqual([]);
      expect((quota?.metadata.managedFields ?? []).map((f) => f.manager)).not.toContain(FIELD_MANAGER);
      await deleteBaseline(name);
    });

    it('releases the objects when the baseline is deleted, and the baseline goes away', async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, { deletionPolicy: 'Orphan' }));
      const [ns = ''] = await createNamespaces('orphan-del', 1, { 'kp-test': group });
      await timed(async () => {
        expect(await managedIn(ns)).toHaveLength(2);
      });
      await deleteBaseline(name);
      await timed(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
      expect(await managedIn(ns)).toEqual([]);
      expect(await user.get('NetworkPolicy', ns, 'kubeposture-default-deny')).toBeDefined();
    });
  });

  describe('deleting a baseline (Delete)', () => {
    it('removes its objects and shared fields everywhere, then the baseline goes away', async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
      const namespaces = await createNamespaces('del', 3, { 'kp-test': group });
      await waitReady(name);
      expect((await readBaseline(name))?.metadata.finalizers).toEqual(['kubeposture.io/cleanup']);
      await deleteBaseline(name);
      await timed(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
      for (const ns of namespaces) {
        expect(await managedIn(ns)).toEqual([]);
        expect((await readNamespace(ns)).metadata.labels?.[PSA]).toBeUndefined();
        expect(await defaultAutomount(ns)).toBeUndefined();
        // Deleted together, the grantor too (a delete needs no grant), as a client doing the
        // same by hand would: one at a time, a baseline's deletion took 2.85 times such a
        // client's at 5,000 namespaces; with the grantor after the rest, 1.41 times at 10,000.
        const together = restricted.length;
        expect({ ns, deletesAtOnce: op.mostAtOnce('DELETE', ns) >= together }).toEqual({ ns, deletesAtOnce: true });
      }
    });
  });

  describe('a baseline whose cleanup cannot finish', () => {
    it('stays, says in status what it waits for, and goes once the object goes', async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group));
      const [ns = ''] = await createNamespaces('stuck', 1, { 'kp-test': group });
      await timed(async () => {
        expect(await managedIn(ns)).toHaveLength(2);
      });
      // Someone else's finalizer holds one of kubeposture's objects.
      await user.mergePatch('NetworkPolicy', ns, 'kubeposture-default-deny', { metadata: { finalizers: ['example.com/hold'] } });
      await deleteBaseline(name);
      await timed(async () => {
        const b = await readBaseline(name);
        const ready = b?.status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready).toMatchObject({ status: 'False', reason: 'Terminating' });
        expect(ready?.message).toContain(`still there: ${ns}/NetworkPolicy/kubeposture-default-deny`);
      });
      await user.mergePatch('NetworkPolicy', ns, 'kubeposture-default-deny', { metadata: { finalizers: null } });
      await timed(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
    });
  });

  describe('changing a baseline', () => {
    it('updates every namespace with one apply each, and removes a quota key once the baseline drops it', async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, { resourceQuota: { hard: { pods: '10', 'requests.cpu': '2' } } }));
      const namespaces = await createNamespaces('change', 4, { 'kp-test': group });
      await waitReady(name);
      await op.controller.idle();
      type Quota = WireObject & { spec: { hard: Record<string, string> } };
      const quotas = async (): Promise<Quota[]> =>
        Promise.all(namespaces.map(async (ns) => (await user.get('ResourceQuota', ns, 'kubeposture-quota')) as Quota));
      // A value changes: the created quotas' fields are still under the create's Update entry,
      // and a forced apply takes the changed one over without reading or patching it first.
      op.resetRequests();
      await patchBaselineSpec(name, { resourceQuota: { hard: { pods: '20' } } });
      await timed(async () => {
        expect((await quotas()).map((q) => q.spec.hard)).toEqual(namespaces.map(() => ({ pods: '20', 'requests.cpu': '2' })));
      });
      await op.controller.idle();
      const quotaRequests = op.requests.filter((r) => r.path.includes('/resourcequotas/'));
      expect(quotaRequests.map((r) => r.method)).toEqual(namespaces.map(() => 'PATCH'));
      // A key goes: the create's entry is taken over first, so the apply can remove it.
      await patchBaselineSpec(name, { resourceQuota: { hard: { pods: '30', 'requests.cpu': null } } });
      await timed(async () => {
        expect((await quotas()).map((q) => q.spec.hard)).toEqual(namespaces.map(() => ({ pods: '30' })));
      });
      const entries = (await quotas()).map((q) =>
        (q.metadata.managedFields ?? []).filter((e) => e.manager === FIELD_MANAGER).map((e) => e.operation),
      );
      expect(entries).toEqual(namespaces.map(() => ['Apply']));
      await deleteBaseline(name);
    });
  });

  describe('two baselines on one namespace', () => {
    it('resolves by priority, and moves the namespace cleanly when priorities change', async () => {
      const group = uniqueName('g');
      const a = await createBaseline(baselineManifest(group, { priority: 10, resourceQuota: { hard: { pods: '1' } } }));
      const b = await createBaseline(
        baselineManifest(group, { priority: 5, limitRange: { limits: [{ type: 'Container', max: { cpu: '1' } }] } }),
      );
      const [ns = ''] = await createNamespaces('prio', 1, { 'kp-test': group });
      const quotaOwner = async (): Promise<string | undefined> =>
        ((await user.get('NetworkPolicy', ns, 'kubeposture-default-deny')) as { metadata: { labels?: Record<string, string> } } | undefined)
          ?.metadata.labels?.['kubeposture.io/baseline'];
      await timed(async () => {
        expect(await managedIn(ns)).toEqual([
          'NetworkPolicy/kubeposture-allow-dns',
          'NetworkPolicy/kubeposture-default-deny',
          'ResourceQuota/kubeposture-quota',
        ]);
        expect(await quotaOwner()).toBe(a);
      });
      await timed(async () => {
        expect((await readBaseline(b))?.status?.namespaces?.superseded).toBe(1);
      });

      op.resetRequests();
      await patchBaselineSpec(b, { priority: 20 });
      await timed(async () => {
        expect(await managedIn(ns)).toEqual([
          'LimitRange/kubeposture-limits',
          'NetworkPolicy/kubeposture-allow-dns',
          'NetworkPolicy/kubeposture-default-deny',
        ]);
        expect(await quotaOwner()).toBe(b);
      });
      const np = (await user.get('NetworkPolicy', ns, 'kubeposture-default-deny')) as WireObject & {
        metadata: { ownerReferences: readonly { name: string }[] };
      };
      expect(np.metadata.ownerReferences.map((r) => r.name)).toEqual([b]);
      // Each NetworkPolicy moved in one write, unread: a JSON patch swapping the reference.
      await op.controller.idle();
      const moves = op.requests.filter((r) => r.path.includes(`/namespaces/${ns}/networkpolicies`));
      expect(moves.map((r) => r.method)).toEqual(['PATCH', 'PATCH']);
      await deleteBaseline(a);
      await deleteBaseline(b);
    });

    it('moves every object of a namespace to a baseline with other workload rules at once, the grantor, the Role and its RoleBinding with them', async () => {
      const group = uniqueName('g');
      const a = await createBaseline(baselineManifest(group, { ...RESTRICTED_SPEC, priority: 10 }));
      // As a tier switch: the workload's Role gets other rules, and its RoleBinding moves.
      const otherRules = [{ apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['get', 'list'] }];
      const b = await createBaseline(
        baselineManifest(group, {
          ...RESTRICTED_SPEC,
          priority: 5,
          serviceAccounts: {
            ...(RESTRICTED_SPEC.serviceAccounts as Record<string, unknown>),
            workloads: [{ name: 'app', rules: otherRules }],
          },
        }),
      );
      const [ns = ''] = await createNamespaces('move-all', 1, { 'kp-test': group });
      await waitReady(a);
      await patchBaselineSpec(b, { priority: 20 });
      await timed(async () => {
        expect((await readBaseline(b))?.status?.namespaces?.compliant).toBe(1);
      });
      await op.controller.idle();
      // The grantor, only moved, grants nothing new, so it does not go first on its own; the
      // RoleBinding binds a Role that is there already, so it does not wait for the Role's new
      // rules (under kubeposture's own ServiceAccount, the apiserver's escalation check passes
      // on either rules, both held through the grantor).
      expect({ ns, patchesAtOnce: op.mostAtOnce('PATCH', ns) >= restricted.length }).toEqual({ ns, patchesAtOnce: true });
      expect(await managedIn(ns)).toEqual(restricted);
      const role = (await user.get('Role', ns, 'kubeposture-app')) as WireObject & { rules: unknown };
      expect(role.rules).toEqual(otherRules);
      await deleteBaseline(a);
      await deleteBaseline(b);
    });
  });

  describe('objects kubeposture did not create', () => {
    it("never modifies a user's NetworkPolicy, nor one with a managed name, and reports the Conflict", async () => {
      const group = uniqueName('g');
      const [ns = ''] = await createNamespaces('conflict', 1, { 'kp-test': group });
      const own = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-web', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
      };
      const squatter = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'kubeposture-default-deny', namespace: ns },
        spec: { podSelector: { matchLabels: { app: 'x' } } },
      };
      await user.request('POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, { body: own });
      await user.request('POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, { body: squatter });
      const before = await Promise.all(['allow-web', 'kubeposture-default-deny'].map((n) => user.get('NetworkPolicy', ns, n)));

      const name = await createBaseline(baselineManifest(group));
      await timed(async () => {
        const b = await readBaseline(name);
        expect(b?.status?.namespaces?.drifted).toBe(1);
      });
      await patchBaselineSpec(name, { resourceQuota: { hard: { pods: '3' } } });
      await timed(async () => {
        expect(await managedIn(ns)).toContain('ResourceQuota/kubeposture-quota');
      });
      const after = await Promise.all(['allow-web', 'kubeposture-default-deny'].map((n) => user.get('NetworkPolicy', ns, n)));
      expect(after).toEqual(before);
      await deleteBaseline(name);
      await timed(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
      expect(await Promise.all(['allow-web', 'kubeposture-default-deny'].map((n) => user.get('NetworkPolicy', ns, n)))).toEqual(before);
    });
  });

  describe('Audit mode', () => {
    it('writes nothing to namespaces, whatever happens to them', async () => {
      const group = uniqueName('g');
      const namespaces = await createNamespaces('audit', 3, { 'kp-test': group });
      const versions = async (): Promise<(string | undefined)[]> =>
        Promise.all(namespaces.map(async (n) => (await readNamespace(n)).metadata.resourceVersion));
      const before = await versions();
      op.resetRequests();
      const name = await createBaseline(baselineManifest(group, { mode: 'Audit', ...RESTRICTED_SPEC }));
      await waitReady(name);
      const [late = ''] = await createNamespaces('audit-late', 1, { 'kp-test': group });
      await patchBaselineSpec(name, { resourceQuota: { hard: { pods: '7' } } });
      await labelNamespace(namespaces[0] ?? '', { 'kp-test': null });
      await waitReady(name);
      await op.controller.idle();
      expect(op.namespaceWrites()).toEqual([]);
      for (const ns of [...namespaces, late]) expect(await managedIn(ns)).toEqual([]);
      const afterVersions = await versions();
      // Only the test's own relabel changed a namespace.
      expect(afterVersions.slice(1)).toEqual(before.slice(1));
      const b = await readBaseline(name);
      expect(b?.status?.namespaces?.drifted).toBe(3);
      await deleteBaseline(name);
    });
  });

  describe('steady state', () => {
    it('makes no API request at all for 50 compliant namespaces on a full resync', async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
      await createNamespaces('steady', 50, { 'kp-test': group });
      await waitReady(name);
      await op.controller.settle();
      op.resetRequests();
      op.controller.resync();
      await op.controller.idle();
      // Longer than the status interval: a status write, if any were due, would have happened.
      await new Promise((r) => setTimeout(r, 300));
      await op.controller.settle();
      expect(op.requests).toEqual([]);
      await deleteBaseline(name);
    });

    it("reconciles nothing when only a ResourceQuota's status changes (the quota controller counting pods)", async () => {
      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
      const [ns = ''] = await createNamespaces('quota-status', 1, { 'kp-test': group });
      await waitReady(name);
      await op.controller.settle();
      const before = op.reconcilesOf(ns);
      expect(before).toBeGreaterThan(0);
      const quota = (await user.get('ResourceQuota', ns, 'kubeposture-quota')) as WireObject & { status?: unknown };
      // As the quota controller does; it then puts its own count back, a second status-only change.
      await user.request('PUT', `/api/v1/namespaces/${ns}/resourcequotas/kubeposture-quota/status`, {
        body: { ...quota, status: { hard: { pods: '50' }, used: { pods: '7' } } },
      });
      await timed(async () => {
        const now = await user.get('ResourceQuota', ns, 'kubeposture-quota');
        expect(now?.metadata.resourceVersion).not.toBe(quota.metadata.resourceVersion);
      });
      await new Promise((r) => setTimeout(r, 500));
      await op.controller.idle();
      expect(op.reconcilesOf(ns)).toBe(before);
      await deleteBaseline(name);
    });
  });
}
