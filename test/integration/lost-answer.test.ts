/**
 * A create the apiserver handles but whose answer never reaches kubeposture (the apiserver
 * killed mid-request, a connection cut: the fault suite's apiserver-kill scenario found it).
 * The operator runs under its own ServiceAccount; its client sends the create to the real
 * apiserver and then throws the answer away. kubeposture must recognise the object its own
 * create made (by the create id it carried), and must not take a tenant's object that held
 * the name instead (impersonating a namespace admin, who can write any metadata they like).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ANNOTATION_CREATE_ID,
  ANNOTATION_OWNED,
  FIELD_MANAGER,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  NAME_DEFAULT_DENY,
} from '../../src/api/constants.ts';
import { OWNED_KINDS } from '../../src/baseline/objects.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { compactObject, ValuePool } from '../../src/kube/compact.ts';
import { packObject, unpackObject } from '../../src/kube/packed.ts';
import { packRecord, readRecord } from '../../src/controller/ownership.ts';
import { RestClient, type RestClientOptions, type Sendable } from '../../src/kube/rest.ts';
import type { ResourceKind, WireOf } from '../../src/kube/resources.ts';
import { uniqueName } from '../support/cluster.ts';
import { OPERATOR_NAMESPACE, installDefaultConfig, serviceAccountKubeConfig } from '../support/identity.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  readBaseline,
  readNamespace,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

type Policy = WireObject & { spec: { ingress?: unknown[]; podSelector?: unknown; policyTypes?: string[] } };

interface Loss {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
  /** Runs before the create is sent (a tenant taking the name first, say). */
  readonly before?: () => Promise<void>;
}

/** The operator's client: the create named in `lose` reaches the apiserver, its answer does not. */
class LosingRest extends RestClient {
  lose: Loss | undefined;
  lost = 0;

  override async create<K extends ResourceKind>(kind: K, obj: Sendable, fieldManager?: string): Promise<WireOf<K>> {
    const l = this.lose;
    const mine = l?.kind === kind && l.namespace === obj.metadata.namespace && l.name === obj.metadata.name;
    if (l === undefined || !mine) return super.create(kind, obj, fieldManager);
    this.lose = undefined;
    await l.before?.();
    // Stored or refused: either way, the answer is lost.
    await super.create(kind, obj, fieldManager).catch(() => undefined);
    this.lost += 1;
    throw new Error('socket hang up (the test threw this answer away)');
  }
}

let op: TestOperator;
let rest: LosingRest | undefined;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startOperator(
    { operatorNamespace: OPERATOR_NAMESPACE, statusIntervalMs: 100, conflictRecheckMs: 500 },
    await serviceAccountKubeConfig(),
    (kc: KubeConfig, opts: RestClientOptions) => {
      rest = new LosingRest(kc, opts);
      return rest;
    },
  );
});
afterAll(async () => {
  await op.stop();
});

function losing(): LosingRest {
  if (rest === undefined) throw new Error('the operator has no client');
  return rest;
}
beforeEach(() => {
  losing().lost = 0;
});

async function governed(prefix: string): Promise<{ ns: string; baseline: string; tenant: RestClient; old: Policy }> {
  const group = uniqueName('g');
  const [ns = ''] = await createNamespaces(prefix, 1, { 'kp-test': group });
  const tenant = (await namespaceAdmin(ns)).client;
  const baseline = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
  await waitReady(baseline, 30_000);
  await op.controller.settle();
  // Recorded on the Namespace: from here on a claim alone proves nothing.
  const live = await readNamespace(ns);
  expect(live.metadata.annotations?.[ANNOTATION_OWNED]).toBeDefined();
  // The record as the apiserver gives it back is one the Namespace cache packs, and reads the same packed.
  const packed = packRecord(live, new ValuePool());
  expect(packed.record).toBeDefined();
  expect(readRecord(packed).entries).toEqual(readRecord(live).entries);
  // kubeposture's objects as the apiserver gives them back: the caches hold them packed and give
  // them back exactly, the workload's RoleBinding (naming its own namespace) by a shared shape.
  const pool = new ValuePool();
  const compact = compactObject<WireObject>(pool, FIELD_MANAGER, { withFields: false, dropAnnotations: [ANNOTATION_CREATE_ID] });
  let relative = 0;
  let held = 0;
  for (const kind of OWNED_KINDS) {
    const page = await user.list(kind, {
      fieldSelector: `metadata.namespace=${ns}`,
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
    });
    for (const o of page.items ?? []) {
      const c = compact(o);
      const p = packObject(pool, c, undefined, () => 1);
      expect(unpackObject(p)).toStrictEqual(c);
      held += 1;
      if (p.shape.relative) relative += 1;
    }
  }
  expect(held).toBeGreaterThanOrEqual(6);
  expect(relative).toBeGreaterThanOrEqual(1);
  return { ns, baseline, tenant, old: (await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy };
}

const driftIn = async (baseline: string, ns: string): Promise<string[]> =>
  ((await readBaseline(baseline))?.status?.drift ?? []).filter((d) => d.namespace === ns).map((d) => `${d.kind}/${d.name} ${d.reason}`);

describe('a create whose answer is lost', () => {
  it('recognises the default-deny its own create made, records it and reports no Conflict', async () => {
    const { ns, baseline, tenant, old } = await governed('lost');
    losing().lose = { kind: 'NetworkPolicy', namespace: ns, name: NAME_DEFAULT_DENY };
    // The tenant deletes the default-deny; kubeposture creates it again, and never hears back.
    await tenant.delete('NetworkPolicy', ns, NAME_DEFAULT_DENY, old.metadata.uid ?? '');
    await timed(async () => {
      expect(losing().lost).toBe(1);
      const now = (await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy | undefined;
      expect(now?.metadata.uid).toBeDefined();
      expect(now?.metadata.uid).not.toBe(old.metadata.uid);
      expect(now?.metadata.labels?.[LABEL_MANAGED_BY]).toBe(MANAGED_BY_VALUE);
      // Its uid is in the record: kubeposture's from now on, whatever anyone writes on it.
      expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_OWNED]).toContain(
        `"NetworkPolicy/${NAME_DEFAULT_DENY}":"${now?.metadata.uid ?? ''}"`,
      );
      expect(await driftIn(baseline, ns)).toEqual([]);
    }, 20_000);
    // And repaired like any other of its objects.
    const uid = ((await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy).metadata.uid;
    await tenant.jsonPatch('NetworkPolicy', ns, NAME_DEFAULT_DENY, [{ op: 'add', path: '/spec/ingress', value: [{}] }]);
    await timed(async () => {
      const now = (await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy;
      expect(now.metadata.uid).toBe(uid);
      expect(now.spec.ingress ?? []).toEqual([]);
    }, 15_000);
    await deleteBaseline(baseline);
  });

  it("does not take the tenant's object that held the name when its own create was refused unheard, whatever id it carries", async () => {
    const { ns, baseline, tenant, old } = await governed('held');
    let forged: Policy | undefined;
    losing().lose = {
      kind: 'NetworkPolicy',
      namespace: ns,
      name: NAME_DEFAULT_DENY,
      // The tenant gets the name first, with everything kubeposture's object carries, a create id included.
      before: async () => {
        const copy: Policy = {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: {
            name: NAME_DEFAULT_DENY,
            namespace: ns,
            labels: old.metadata.labels ?? {},
            ownerReferences: old.metadata.ownerReferences ?? [],
            annotations: {
              [ANNOTATION_CREATE_ID]: old.metadata.annotations?.[ANNOTATION_CREATE_ID] ?? '00000000-0000-4000-8000-000000000000',
            },
          },
          spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
        };
        forged = (await tenant.create('NetworkPolicy', copy, 'tenant')) as Policy;
      },
    };
    await tenant.delete('NetworkPolicy', ns, NAME_DEFAULT_DENY, old.metadata.uid ?? '');
    await timed(async () => {
      expect(losing().lost).toBe(1);
      expect(await driftIn(baseline, ns)).toEqual([`NetworkPolicy/${NAME_DEFAULT_DENY} Conflict`]);
    }, 20_000);
    await op.controller.settle();
    const live = (await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy;
    expect(live.metadata.uid).toBe(forged?.metadata.uid);
    expect(live.metadata.resourceVersion).toBe(forged?.metadata.resourceVersion);
    expect((await readNamespace(ns)).metadata.annotations?.[ANNOTATION_OWNED]).not.toContain(forged?.metadata.uid ?? 'none');
    await deleteBaseline(baseline);
    // Reported, never touched: not deleted with the baseline either.
    expect(((await user.get('NetworkPolicy', ns, NAME_DEFAULT_DENY)) as Policy).metadata.uid).toBe(forged?.metadata.uid);
  });
});
