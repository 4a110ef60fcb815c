/**
 * config/guard/tamper.yaml on the real apiserver: a namespace admin (impersonated) may not
 * update, strip or delete an object kubeposture owns, nor take one of its reserved names; the
 * operator, under its own ServiceAccount, still repairs what a cluster admin changes; a
 * baseline writer may edit; the namespace controller still deletes a namespace. Ownership is
 * the record on the Namespace, not a label the tenant can copy.
 */
import { NAME_ALLOW_DNS, NAME_DEFAULT_DENY, NAME_GRANTOR } from '../../src/api/constants.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import { kubectl } from '../support/kubectl.ts';
import type { TestOperator } from '../support/operator.ts';
import { impersonating, namespaceAdmin } from '../support/tenant.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  timed,
  user,
  waitCompliant,
} from '../support/world.ts';

let op: TestOperator;
let baseline = '';
let ns = '';
let tenant: RestClient;
const group = uniqueName('g');

beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
  baseline = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
  [ns = ''] = await createNamespaces('tamper', 1, { 'kp-test': group });
  await waitCompliant(baseline, 1);
  tenant = (await namespaceAdmin(ns)).client;
});
afterAll(async () => {
  await kubectl('delete', '--ignore-not-found', '-f', 'config/guard/tamper.yaml');
  await deleteBaseline(baseline);
  await op.stop();
});

/** kubeposture's objects a namespace admin may write (LimitRange and ResourceQuota they may only read). */
const WRITABLE: readonly [ResourceKind, string][] = [
  ['NetworkPolicy', NAME_DEFAULT_DENY],
  ['NetworkPolicy', NAME_ALLOW_DNS],
  ['ServiceAccount', 'app'],
  ['Role', 'kubeposture-app'],
  ['RoleBinding', 'kubeposture-app'],
  ['RoleBinding', NAME_GRANTOR],
];

const denial = (kind: string, name: string, verb: 'change' | 'delete'): string =>
  `ValidatingAdmissionPolicy 'kubeposture-tamper' with binding 'kubeposture-tamper' denied request: ` +
  `${kind} "${name}" is kubeposture's (recorded on Namespace "${ns}"); only kubeposture and those who may update SecurityBaselines may ${verb} it`;

const dryRun = { dryRun: 'All' };

/** `as` deletes kubeposture's default-deny; kubeposture puts a new one there (another uid). */
async function deletedAndRepaired(as: RestClient): Promise<void> {
  const before = await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY);
  await as.request('DELETE', resourcePath('NetworkPolicy', ns, NAME_DEFAULT_DENY));
  await timed(async () => {
    const now = await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY);
    expect(now?.metadata.uid).toBeDefined();
    expect(now?.metadata.uid).not.toBe(before?.metadata.uid);
  }, 15_000);
}

describe('the tamper policy (config/guard/tamper.yaml)', () => {
  it("without it, a namespace admin deletes kubeposture's default-deny, and kubeposture repairs it", async () => {
    await deletedAndRepaired(tenant);
    await waitCompliant(baseline, 1);
  });

  it('once installed, refuses the namespace admin deleting, changing or stripping each object kubeposture owns', async () => {
    await kubectl('apply', '-f', 'config/guard/tamper.yaml');
    await eventually(
      async () => {
        const r = await refusal(() => tenant.request('DELETE', resourcePath('NetworkPolicy', ns, NAME_DEFAULT_DENY), { query: dryRun }));
        expect(r.message).toContain(denial('NetworkPolicy', NAME_DEFAULT_DENY, 'delete'));
      },
      30_000,
      200,
    );
    for (const [kind, name] of WRITABLE) {
      const path = resourcePath(kind, ns, name);
      const del = await refusal(() => tenant.request('DELETE', path));
      expect(del).toEqual({ status: 403, message: expect.stringContaining(denial(kind, name, 'delete')) as unknown });
      const edit = await refusal(() => tenant.mergePatch(kind, ns, name, { metadata: { annotations: { 'example.com/by': 'tenant' } } }));
      expect(edit.message).toContain(denial(kind, name, 'change'));
      // Stripped of what marks it as kubeposture's: still kubeposture's by the record, so still refused.
      const strip = await refusal(() => tenant.mergePatch(kind, ns, name, { metadata: { labels: null, ownerReferences: null } }));
      expect(strip.message).toContain(denial(kind, name, 'change'));
      expect(await user.get(kind, ns, name)).toBeDefined();
    }
    // An edit of a NetworkPolicy's rules: the one that would open it.
    const open = await refusal(() => tenant.mergePatch('NetworkPolicy', ns, NAME_DEFAULT_DENY, { spec: { ingress: [{}] } }));
    expect(open.message).toContain(denial('NetworkPolicy', NAME_DEFAULT_DENY, 'change'));
  });

  it("refuses kubeposture's reserved names, in governed namespaces and in others, and leaves the tenant's own objects alone", async () => {
    const allowAll = (name: string): Record<string, unknown> => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name },
      spec: { podSelector: {}, ingress: [{}] },
    });
    const [other = ''] = await createNamespaces('tamper-other', 1, { 'kp-test': uniqueName('none') });
    const otherTenant = (await namespaceAdmin(other)).client;
    for (const [client, where] of [
      [tenant, ns],
      [otherTenant, other],
    ] as const) {
      const taken = await refusal(() =>
        client.request('POST', resourcePath('NetworkPolicy', where), { body: allowAll('kubeposture-allow-all') }),
      );
      expect(taken).toEqual({
        status: 403,
        message: expect.stringContaining(
          'NetworkPolicy name "kubeposture-allow-all" is reserved for kubeposture (names beginning "kubeposture-" or "kubeposture:")',
        ) as unknown,
      });
      const role = await refusal(() =>
        client.request('POST', resourcePath('Role', where), {
          body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'kubeposture:sneaky' }, rules: [] },
        }),
      );
      expect(role.message).toContain('Role name "kubeposture:sneaky" is reserved for kubeposture');
    }
    // Their own objects, and the default ServiceAccount (kubeposture sets one field of it), stay theirs.
    await tenant.request('POST', resourcePath('NetworkPolicy', ns), { body: allowAll('team-web') });
    await tenant.mergePatch('NetworkPolicy', ns, 'team-web', { metadata: { labels: { app: 'web' } } });
    await tenant.request('DELETE', resourcePath('NetworkPolicy', ns, 'team-web'));
    await tenant.mergePatch('ServiceAccount', ns, 'default', { metadata: { labels: { team: 'web' } } });
    // Copying kubeposture's labels onto their own object makes it no more kubeposture's.
    await tenant.request('POST', resourcePath('NetworkPolicy', ns), {
      body: {
        ...allowAll('decoy'),
        metadata: { name: 'decoy', labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': baseline } },
      },
    });
    await tenant.request('DELETE', resourcePath('NetworkPolicy', ns, 'decoy'));
  });

  it('lets kubeposture repair what a cluster admin changed, and a baseline writer edit', async () => {
    await deletedAndRepaired(user);
    // Someone who may update SecurityBaselines (and edit this namespace) may change kubeposture's objects.
    const writer = uniqueName('platform');
    const rbac = 'rbac.authorization.k8s.io';
    await user.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      body: {
        apiVersion: `${rbac}/v1`,
        kind: 'ClusterRole',
        metadata: { name: writer },
        rules: [{ apiGroups: ['kubeposture.io'], resources: ['securitybaselines'], verbs: ['get', 'update'] }],
      },
    });
    await user.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      body: {
        apiVersion: `${rbac}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: writer },
        roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: writer },
        subjects: [{ apiGroup: rbac, kind: 'User', name: writer }],
      },
    });
    await user.request('POST', resourcePath('RoleBinding', ns), {
      body: {
        apiVersion: `${rbac}/v1`,
        kind: 'RoleBinding',
        metadata: { name: `${writer}-admin` },
        roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'admin' },
        subjects: [{ apiGroup: rbac, kind: 'User', name: writer }],
      },
    });
    const platform = impersonating(writer);
    await eventually(async () => {
      await platform.mergePatch('NetworkPolicy', ns, NAME_ALLOW_DNS, { metadata: { annotations: { 'example.com/by': 'platform' } } });
    }, 10_000);
    await user.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${writer}`);
    await user.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${writer}`);
  });

  it("does not stop the namespace controller deleting a namespace with kubeposture's objects in it", async () => {
    const [doomed = ''] = await createNamespaces('tamper-doomed', 1, { 'kp-test': group });
    await waitCompliant(baseline, 2);
    await user.request('DELETE', resourcePath('Namespace', undefined, doomed));
    await eventually(async () => {
      if ((await user.get('Namespace', undefined, doomed)) !== undefined) throw new Error(`${doomed} still there`);
    }, 60_000);
  });
});
