/**
 * SecurityBaselineExceptions on the real control plane (issue 15), with the operator under its own
 * ServiceAccount and config/default installed (its ValidatingAdmissionPolicy included): an
 * exception stops a part being enforced or reported in the namespaces it names, is counted and
 * listed in the baseline's status, and when it expires (a short expiry here) the part is enforced
 * again within a second of `expires`, with an Event on both objects. Who may write one: not a
 * namespace admin, not whoever holds RBAC on exceptions alone, not the operator; whoever may
 * update the baseline.
 */
import { NAME_DEFAULT_DENY, NAME_QUOTA } from '../../src/api/constants.ts';
import type { SecurityBaselineExceptionStatus } from '../../src/api/exception.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, OPERATOR_NAMESPACE, startAsOperator } from '../support/identity.ts';
import { SlowRest, type TestOperator } from '../support/operator.ts';
import { kubectl } from '../support/kubectl.ts';
import { impersonating, namespaceAdmin } from '../support/tenant.ts';
import {
  baselineManifest,
  createBaseline,
  createNamespaces,
  managedIn,
  readBaseline,
  readNamespace,
  user,
  waitCompliant,
} from '../support/world.ts';

let op: TestOperator;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
}, 60_000);
afterAll(async () => {
  await op.stop();
});

const SPEC = {
  resourceQuota: { hard: { pods: '10' } },
  podSecurity: { enforce: 'restricted', warn: 'restricted' },
  networkPolicy: { additional: [{ name: 'from-ingress', ingress: [{ from: [{ namespaceSelector: {} }] }] }] },
};
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function exception(
  name: string,
  baseline: string,
  namespaces: string[],
  exempt: string[],
  expires: string,
): { metadata: { name: string } } & Record<string, unknown> {
  return {
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaselineException',
    metadata: { name },
    spec: { baseline, namespaces, exempt, reason: 'vendor agent needs egress (SEC-1234)', expires },
  };
}

type Exception = WireObject & { status?: SecurityBaselineExceptionStatus };
const readException = async (name: string): Promise<Exception | undefined> => await user.get('SecurityBaselineException', undefined, name);
const policyTypes = async (ns: string): Promise<string[] | undefined> =>
  ((await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as { spec?: { policyTypes?: string[] } } | undefined)?.spec?.policyTypes;

/** The Events about one object (events.k8s.io), by reason. */
async function eventReasons(kind: string, name: string): Promise<string[]> {
  const list = (await user.request('GET', resourcePath('Event', 'default'))) as {
    items: { reason?: string; regarding?: { kind?: string; name?: string } }[];
  };
  return list.items.filter((e) => e.regarding?.kind === kind && e.regarding.name === name).map((e) => e.reason ?? '');
}

describe('an exception', () => {
  it('lifts its parts where it says, is listed, and ends by itself within a second of expires', async () => {
    const group = uniqueName('g');
    const [lifted = '', other = ''] = await createNamespaces('exc', 2, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 2);
    const all = await managedIn(lifted);
    expect(all).toContain(`ResourceQuota/${NAME_QUOTA}`);

    const name = uniqueName('exc');
    const expiresAt = Math.ceil((Date.now() + 8000) / 1000) * 1000;
    await user.create(
      'SecurityBaselineException',
      exception(
        name,
        baseline,
        [lifted],
        ['resourceQuota', 'networkPolicy.denyEgress', 'podSecurity.enforce', 'networkPolicy.additional.from-ingress'],
        rfc3339(expiresAt),
      ),
      'kubeposture-tests',
    );
    // Lifted: the quota and the additional policy go (deletionPolicy Delete), the default-deny keeps ingress only, DNS
    // egress needs no allowance, enforce goes and warn stays. Not drift; the other namespace untouched.
    await eventually(async () => {
      expect(await managedIn(lifted)).toEqual(['NetworkPolicy/kubeposture-default-deny']);
      expect(await policyTypes(lifted)).toEqual(['Ingress']);
      const labels = (await readNamespace(lifted)).metadata.labels ?? {};
      expect(labels['pod-security.kubernetes.io/enforce']).toBeUndefined();
      expect(labels['pod-security.kubernetes.io/warn']).toBe('restricted');
    }, 10_000);
    expect(await managedIn(other)).toEqual(all);
    await eventually(async () => {
      const b = await readBaseline(baseline);
      expect(b?.status?.namespaces).toMatchObject({ selected: 2, compliant: 2, drifted: 0, excepted: 1 });
      expect(b?.status?.drift ?? []).toEqual([]);
      expect(b?.status?.exceptions).toEqual([
        expect.objectContaining({ name, reason: 'vendor agent needs egress (SEC-1234)', expires: rfc3339(expiresAt), namespaces: 1 }),
      ]);
      const x = await readException(name);
      expect(x?.status).toMatchObject({
        namespaces: [lifted],
        namespaceCount: 1,
        conditions: [{ type: 'Active', status: 'True', reason: 'Active' }],
      });
    }, 10_000);

    // Expiry: everything comes back within a second of expires.
    const wait = expiresAt - Date.now();
    expect(wait).toBeGreaterThan(0);
    await eventually(
      async () => {
        expect(await managedIn(lifted)).toEqual(all);
        expect(await policyTypes(lifted)).toEqual(['Ingress', 'Egress']);
        expect((await readNamespace(lifted)).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      },
      wait + 5000,
      50,
    );
    const late = Date.now() - expiresAt;
    expect(late).toBeLessThan(1000);
    await eventually(async () => {
      const x = await readException(name);
      expect(x?.status).toMatchObject({ namespaceCount: 0, conditions: [{ status: 'False', reason: 'Expired' }] });
      expect((await readBaseline(baseline))?.status?.namespaces?.excepted).toBe(0);
      expect(await eventReasons('SecurityBaselineException', name)).toContain('ExceptionExpired');
      expect(await eventReasons('SecurityBaseline', baseline)).toContain('ExceptionExpired');
    }, 10_000);
  }, 60_000);

  it('is Invalid, naming the field, for a part its baseline lacks or an expiry past the horizon, and lifts nothing', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('exc', 1, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 1);
    const before = await managedIn(ns);
    const cases: [string, string[], number, string][] = [
      [uniqueName('exc'), ['networkPolicy.additional.nope'], Date.now() + 3_600_000, 'spec.exempt[0]'],
      [uniqueName('exc'), ['resourceQuota'], Date.now() + 100 * 86_400_000, 'spec.expires'],
    ];
    for (const [name, exempt, expires] of cases) {
      await user.create('SecurityBaselineException', exception(name, baseline, [ns], exempt, rfc3339(expires)), 'kubeposture-tests');
    }
    for (const [name, , , field] of cases) {
      await eventually(async () => {
        const c = (await readException(name))?.status?.conditions?.[0];
        expect(c).toMatchObject({ type: 'Active', status: 'False', reason: 'Invalid' });
        expect(c?.message).toContain(field);
      }, 10_000);
      expect(await eventReasons('SecurityBaselineException', name)).toContain('ExceptionInvalid');
    }
    await op.controller.settle();
    expect(await managedIn(ns)).toEqual(before);
    expect((await readBaseline(baseline))?.status?.namespaces?.excepted).toBe(0);
  });
});

describe('a restart', () => {
  it("writes no exception's status again, though a namespace it lists is reconciled late (the first pass)", async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('exc-restart', 1, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    await waitCompliant(baseline, 1);
    const name = uniqueName('exc');
    await user.create(
      'SecurityBaselineException',
      exception(name, baseline, [ns], ['resourceQuota'], rfc3339(Date.now() + 3_600_000)),
      'kubeposture-tests',
    );
    await eventually(async () => {
      expect((await readException(name))?.status?.namespaces).toEqual([ns]);
    }, 10_000);
    await op.stop();
    // Drift while it is down: the new operator's repair of this namespace answers 1.5 s late,
    // long after the exception's status would have been written without it in the list.
    await user.request('DELETE', resourcePath('NetworkPolicy', ns, NAME_DEFAULT_DENY));
    op = await startAsOperator(
      {},
      (k, o) => new SlowRest(k, o, (method, path) => method === 'POST' && path.includes(`/namespaces/${ns}/`), 1500),
    );
    await op.controller.settle();
    await new Promise((r) => setTimeout(r, 300));
    expect(await policyTypes(ns)).toBeDefined();
    expect(op.requests.filter((r) => r.path.includes('/securitybaselineexceptions/')).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect((await readException(name))?.status?.namespaces).toEqual([ns]);
  }, 60_000);
});

describe('who may write an exception', () => {
  const denied = async (
    as: ReturnType<typeof impersonating>,
    body: ReturnType<typeof exception>,
  ): Promise<{ status: number | undefined; message: string }> => refusal(() => as.create('SecurityBaselineException', body, 'tenant'));

  it('not a namespace admin, not the operator, not RBAC on exceptions alone; whoever may update the baseline', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('exc', 1, { 'kp-test': group });
    const baseline = await createBaseline(baselineManifest(group, SPEC));
    const body = (name: string): ReturnType<typeof exception> =>
      exception(name, baseline, [ns], ['resourceQuota'], rfc3339(Date.now() + 86_400_000));

    const tenant = (await namespaceAdmin(ns)).client;
    expect((await denied(tenant, body(uniqueName('t')))).status).toBe(403);

    const operator = impersonating(`system:serviceaccount:${OPERATOR_NAMESPACE}:kubeposture`, [
      'system:serviceaccounts',
      `system:serviceaccounts:${OPERATOR_NAMESPACE}`,
    ]);
    expect((await denied(operator, body(uniqueName('o')))).status).toBe(403);

    // RBAC to write exceptions, but not to update this baseline: the admission policy refuses.
    const writer = uniqueName('writer');
    const role = uniqueName('exc-writer');
    await kubectl('create', 'clusterrole', role, '--verb=create,get,update', '--resource=securitybaselineexceptions.kubeposture.io');
    await kubectl('create', 'clusterrolebinding', role, `--clusterrole=${role}`, `--user=${writer}`);
    const asWriter = impersonating(writer);
    const name = uniqueName('w');
    await eventually(async () => {
      const r = await denied(asWriter, body(name));
      expect(r.status).toBe(403);
      expect(r.message).toContain(`only those who may update SecurityBaseline ${baseline}`);
    });

    // Given update on this one baseline, the same user may.
    const editor = uniqueName('sb-editor');
    await kubectl(
      'create',
      'clusterrole',
      editor,
      '--verb=update',
      '--resource=securitybaselines.kubeposture.io',
      `--resource-name=${baseline}`,
    );
    await kubectl('create', 'clusterrolebinding', editor, `--clusterrole=${editor}`, `--user=${writer}`);
    await eventually(async () => {
      await asWriter.create('SecurityBaselineException', body(name), 'tenant');
    });
    expect(await readException(name)).toBeDefined();
    for (const r of [role, editor]) await kubectl('delete', 'clusterrolebinding,clusterrole', r);
  });

  it('the operator may only read exceptions and write their status', async () => {
    const operator = impersonating(`system:serviceaccount:${OPERATOR_NAMESPACE}:kubeposture`, ['system:serviceaccounts']);
    const list = (await operator.request('GET', resourcePath('SecurityBaselineException'))) as { items: unknown[] };
    expect(Array.isArray(list.items)).toBe(true);
    const probe = uniqueName('p');
    const r = await refusal(() => operator.request('DELETE', resourcePath('SecurityBaselineException', undefined, probe)));
    expect(r.status).toBe(403);
  });
});
