/**
 * Installs the SecurityBaseline CRD from crds/ into the test control plane, by
 * server-side apply (idempotent, safe when several test files do it at once),
 * and waits until the apiserver serves it.
 */
import { ApiextensionsV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { eventually } from './cluster.ts';

/** The CRD file, relative to the repository root. */
export const CRD_PATH = join(import.meta.dirname, '..', '..', 'crds', `${PLURAL}.${GROUP}.yaml`);
const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Applies the CRD and resolves once it is Established and lists succeed. */
export async function installCrd(kc: KubeConfig): Promise<void> {
  const crd = load(readFileSync(CRD_PATH, 'utf8')) as KubernetesObject;
  await KubernetesObjectApi.makeApiClient(kc).patch(crd, undefined, undefined, 'kubeposture-tests', true, PatchStrategy.ServerSideApply);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await eventually(async () => {
    const live = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    const established = live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    if (!established) throw new Error(`${CRD_NAME} is not Established yet`);
    await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
  });
}
