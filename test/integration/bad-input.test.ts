/**
 * Bad input changes nothing: over 400 SecurityBaseline manifests made by mutating a
 * valid one (test/support/corpus.ts) are each either refused by the apiserver
 * with a message naming the field, or admitted and reported Stalled by the
 * operator with such a message. The operator keeps running and writes nothing
 * to the namespaces the manifests select. The same for SecurityBaselineExceptions
 * of a valid baseline: refused, or admitted and reported Invalid (or Expired)
 * naming the field, lifting nothing in the namespace they name.
 */
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/api/constants.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { badCorpus, badExceptionCorpus, namesField, type BadCase, type BadException } from '../support/corpus.ts';
import { installCrd } from '../support/crd.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import { baselineManifest, condition, createBaseline, createNamespaces, kc, readBaseline, user, waitCompliant } from '../support/world.ts';

const group = uniqueName('g');
const corpus = badCorpus({ 'kp-test': group }, uniqueName('bad'));
let op: TestOperator;
let namespaces: string[] = [];
let before = '';

/**
 * Creates `body` with strict field validation, as kubectl sends it (unknown fields are errors,
 * not dropped); the apiserver's refusal, or undefined when it admitted it.
 */
async function postStrict(kind: 'SecurityBaseline' | 'SecurityBaselineException', body: unknown): Promise<ApiError | undefined> {
  try {
    await user.request('POST', resourcePath(kind), { body, query: { fieldValidation: 'Strict' } });
    return undefined;
  } catch (err: unknown) {
    if (!(err instanceof ApiError)) throw err;
    return err;
  }
}

/** What the selected namespaces hold that kubeposture could have written: their labels and managed objects. */
async function state(): Promise<string> {
  const out: unknown[] = [];
  for (const ns of namespaces) {
    const n = (await user.get('Namespace', undefined, ns)) as { metadata: { labels?: Record<string, string> } };
    out.push(n.metadata.labels);
    for (const kind of ['NetworkPolicy', 'LimitRange', 'ResourceQuota', 'Role', 'RoleBinding'] as const) {
      const list = (await user.request('GET', resourcePath(kind, ns), {
        query: { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` },
      })) as { items: unknown[] };
      out.push(list.items.length);
    }
    const sa = (await user.get('ServiceAccount', ns, 'default')) as { automountServiceAccountToken?: boolean } | undefined;
    out.push(sa?.automountServiceAccountToken);
  }
  return JSON.stringify(out);
}

beforeAll(async () => {
  await installCrd(kc);
  op = await startOperator({ statusIntervalMs: 100 });
  namespaces = await createNamespaces('bad-input', 2, { 'kp-test': group });
  await op.controller.settle();
  before = await state();
  op.resetRequests();
});

afterAll(async () => {
  await op.stop();
});

describe(`${String(corpus.length)} bad manifests`, () => {
  it('are at least 200', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it.each(corpus.map((c): [string, BadCase] => [c.name, c]))('%s: refused or Stalled, naming the field', async (_name, c) => {
    const refusal = await postStrict('SecurityBaseline', c.manifest);
    const name = (c.manifest.metadata as { name: string }).name;
    if (refusal !== undefined) {
      expect(refusal.status).toBeGreaterThanOrEqual(400);
      expect(refusal.status).toBeLessThan(500);
      expect({ field: c.field, message: refusal.message, named: namesField(refusal.message, c.field) }).toMatchObject({ named: true });
      return;
    }
    try {
      const stalled = await eventually(async () => {
        const b = await readBaseline(name);
        const s = condition(b, 'Stalled');
        if (s?.status !== 'True') throw new Error(`${name} not Stalled: ${JSON.stringify(b?.status)}`);
        return s;
      }, 10_000);
      expect({ field: c.field, message: stalled.message, named: namesField(stalled.message, c.field) }).toMatchObject({ named: true });
    } finally {
      await user.request('DELETE', resourcePath('SecurityBaseline', undefined, name));
      await eventually(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      }, 10_000);
    }
  });

  it('left the selected namespaces as they were, with no write to them, and the operator running', async () => {
    await op.controller.settle();
    const writes = op.namespaceWrites().filter((r) => namespaces.some((ns) => r.path.includes(`/namespaces/${ns}`)));
    expect(writes).toEqual([]);
    expect(await state()).toBe(before);
    expect(op.controller.ready).toBe(true);
  });
});

describe('bad SecurityBaselineExceptions', () => {
  const exceptionGroup = uniqueName('gx');
  const exceptionCorpus: BadException[] = [];
  let governed = '';
  let baseline = '';
  let stateBefore = '';
  /** The governed namespace's managed objects and labels. */
  const governedState = async (): Promise<string> => {
    const n = (await user.get('Namespace', undefined, governed)) as { metadata: { labels?: Record<string, string> } };
    const out: unknown[] = [n.metadata.labels];
    for (const kind of ['NetworkPolicy', 'LimitRange', 'ResourceQuota', 'ServiceAccount', 'Role', 'RoleBinding'] as const) {
      const list = (await user.request('GET', resourcePath(kind, governed), {
        query: { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` },
      })) as { items: { metadata: { name: string; uid: string } }[] };
      out.push(list.items.map((i) => `${i.metadata.name}/${i.metadata.uid}`).sort());
    }
    return JSON.stringify(out);
  };

  beforeAll(async () => {
    [governed = ''] = await createNamespaces('bad-exc', 1, { 'kp-test': exceptionGroup });
    baseline = await createBaseline(
      baselineManifest(exceptionGroup, {
        resourceQuota: { hard: { pods: '5' } },
        networkPolicy: { additional: [{ name: 'from-ingress', ingress: [{ from: [{ namespaceSelector: {} }] }] }] },
        serviceAccounts: { workloads: [{ name: 'app' }] },
      }),
    );
    await waitCompliant(baseline, 1);
    await op.controller.settle();
    stateBefore = await governedState();
    exceptionCorpus.push(...badExceptionCorpus(uniqueName('badx'), baseline, governed, Date.now()));
    op.resetRequests();
  });

  it('are at least 60', () => {
    expect(exceptionCorpus.length).toBeGreaterThanOrEqual(60);
  });

  it('each: refused naming the field, or Invalid (or Expired) naming it, lifting nothing', async () => {
    const outcomes: string[] = [];
    for (const c of exceptionCorpus) {
      const refusal = await postStrict('SecurityBaselineException', c.manifest);
      const name = (c.manifest.metadata as { name: string }).name;
      if (refusal !== undefined) {
        outcomes.push(
          `${c.name}: ${refusal.status >= 400 && refusal.status < 500 && namesField(refusal.message, c.field) ? 'ok' : refusal.message}`,
        );
        continue;
      }
      try {
        const cond = await eventually(async () => {
          const x = (await user.get('SecurityBaselineException', undefined, name)) as {
            status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
          };
          const active = x.status?.conditions?.find((k) => k.type === 'Active');
          if (active === undefined) throw new Error(`${name} has no Active condition yet`);
          return active;
        }, 10_000);
        const named = c.judged === 'Expired' || namesField(cond.message, c.field);
        outcomes.push(`${c.name}: ${cond.status === 'False' && cond.reason === c.judged && named ? 'ok' : JSON.stringify(cond)}`);
      } finally {
        await user.request('DELETE', resourcePath('SecurityBaselineException', undefined, name));
      }
    }
    expect(outcomes.filter((o) => !o.endsWith(': ok'))).toEqual([]);
    await op.controller.settle();
    const writes = op
      .namespaceWrites()
      .filter((r) => r.path.includes(`/namespaces/${governed}/`) || r.path.endsWith(`/namespaces/${governed}`));
    expect(writes).toEqual([]);
    expect(await governedState()).toBe(stateBefore);
    const b = await readBaseline(baseline);
    expect(b?.status?.namespaces?.excepted).toBe(0);
  });
});
