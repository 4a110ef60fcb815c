/**
 * Installs the SecurityBaseline CRD from crds/ into the test control plane, by
 * server-side apply (idempotent, safe when several test files do it at once),
 * and waits until the apiserver serves it.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { EXCEPTION_PLURAL } from '../../src/api/exception.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { eventually, statusOf } from './cluster.ts';

/** The CRD files, relative to the repository root. */
export const CRD_PATH = join(import.meta.dirname, '..', '..', 'crds', `${PLURAL}.${GROUP}.yaml`);
const CRD_NAME = `${PLURAL}.${GROUP}`;
export const EXCEPTION_CRD_PATH = join(import.meta.dirname, '..', '..', 'crds', `${EXCEPTION_PLURAL}.${GROUP}.yaml`);

/**
 * Applies the CRDs (SecurityBaseline and SecurityBaselineException) and resolves once each is
 * Established and lists succeed. Through our JSON client: client-node's typed serializer would
 * drop `enum`, `default` and `x-kubernetes-validations` (it spells them otherwise).
 */
export async function installCrd(kc: KubeConfig): Promise<void> {
  const rest = new RestClient(kc, { userAgent: 'kubeposture-tests' });
  try {
    for (const [path, kind] of [
      [CRD_PATH, 'SecurityBaseline'],
      [EXCEPTION_CRD_PATH, 'SecurityBaselineException'],
    ] as const) {
      const crd = load(readFileSync(path, 'utf8')) as { metadata: { name: string } };
      await rest.apply('CustomResourceDefinition', crd, { fieldManager: 'kubeposture-tests', force: true });
      await eventually(async () => {
        const live = (await rest.get('CustomResourceDefinition', undefined, crd.metadata.name)) as
          { status?: { conditions?: { type: string; status: string }[] } } | undefined;
        const established = live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
        if (!established) throw new Error(`${crd.metadata.name} is not Established yet`);
        await rest.request('GET', resourcePath(kind));
      });
    }
  } finally {
    rest.close();
  }
}

type Schema = { properties?: Record<string, Schema>; items?: Schema } & Record<string, unknown>;
interface Crd {
  metadata: { name: string };
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
}

/** The schema of one workload rule (an rbac/v1 PolicyRule), where the CEL rules on what a baseline may grant live. */
export function workloadRuleSchema(crd: Crd): Schema {
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
  const rule = spec?.properties?.serviceAccounts?.properties?.workloads?.items?.properties?.rules?.items;
  if (rule === undefined) throw new Error('the CRD has no spec.serviceAccounts.workloads[].rules[]');
  return rule;
}

/** Whether the apiserver, as it serves the CRD now, admits a baseline granting patch on networkpolicies (a dry run). */
async function admitsEnforcedWrite(rest: RestClient): Promise<boolean> {
  const body = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'SecurityBaseline',
    metadata: { name: 'kubeposture-tests-probe' },
    spec: {
      serviceAccounts: {
        workloads: [{ name: 'app', rules: [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['patch'] }] }],
      },
    },
  };
  try {
    await rest.request('POST', resourcePath('SecurityBaseline'), { body, query: { dryRun: 'All' } });
    return true;
  } catch (err: unknown) {
    if (statusOf(err) === 422) return false;
    throw err;
  }
}

/**
 * Runs `fn` while the apiserver serves the CRD without the CEL rules on workload rules, as
 * releases before issue 13 did (so `fn` can store a baseline those admitted), then puts back
 * the CRD from crds/ and waits until it refuses such baselines again. Replaces the CRD by
 * update, not apply: fields another field manager applied (config/default) would survive an apply.
 */
export async function withoutGrantRules<T>(kc: KubeConfig, fn: () => Promise<T>): Promise<T> {
  const rest = new RestClient(kc, { userAgent: 'kubeposture-tests' });
  try {
    const live = (await rest.get('CustomResourceDefinition', undefined, CRD_NAME)) as Crd | undefined;
    if (live === undefined) throw new Error(`${CRD_NAME} is not installed`);
    delete workloadRuleSchema(live)['x-kubernetes-validations'];
    await rest.request('PUT', resourcePath('CustomResourceDefinition', undefined, CRD_NAME), { body: live });
    await eventually(async () => {
      if (!(await admitsEnforcedWrite(rest))) throw new Error('the CRD still refuses grants');
    });
    try {
      return await fn();
    } finally {
      await installCrd(kc);
      await eventually(async () => {
        if (await admitsEnforcedWrite(rest)) throw new Error('the CRD does not refuse grants yet');
      });
    }
  } finally {
    rest.close();
  }
}
