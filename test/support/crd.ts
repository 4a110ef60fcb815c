/**
 * Installs the SecurityBaseline CRD from crds/ into the test control plane, by
 * server-side apply (idempotent, safe when several test files do it at once),
 * and waits until the apiserver serves it.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GROUP, PLURAL } from '../../src/api/constants.ts';
import { RestClient, resourcePath } from '../../src/kube/rest.ts';
import { eventually } from './cluster.ts';

/** The CRD file, relative to the repository root. */
export const CRD_PATH = join(import.meta.dirname, '..', '..', 'crds', `${PLURAL}.${GROUP}.yaml`);
const CRD_NAME = `${PLURAL}.${GROUP}`;

/**
 * Applies the CRD and resolves once it is Established and lists succeed. Through
 * our JSON client: client-node's typed serializer would drop `enum`, `default`
 * and `x-kubernetes-validations` (it spells them otherwise).
 */
export async function installCrd(kc: KubeConfig): Promise<void> {
  const crd = load(readFileSync(CRD_PATH, 'utf8')) as { metadata: { name: string } };
  const rest = new RestClient(kc, { userAgent: 'kubeposture-tests' });
  try {
    await rest.apply('CustomResourceDefinition', crd, { fieldManager: 'kubeposture-tests', force: true });
    await eventually(async () => {
      const live = (await rest.get('CustomResourceDefinition', undefined, CRD_NAME)) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
      const established = live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      if (!established) throw new Error(`${CRD_NAME} is not Established yet`);
      await rest.request('GET', resourcePath('SecurityBaseline'));
    });
  } finally {
    rest.close();
  }
}
