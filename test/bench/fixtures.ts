/**
 * What the benchmark and the fault-injection suite (test/chaos) both do to a
 * cluster: make labelled namespaces in bulk, wait for the controller manager to
 * fill them, list a kind in full (page by page), and delete what may be gone already.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WireObject } from '../../src/kube/wire.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { pool } from './floor.ts';

/** Deletes the object `kind`/`name` (cluster-scoped, or a Namespace); one already gone is no error. */
export async function deleteIgnoringMissing(rest: RestClient, kind: ResourceKind, name: string): Promise<void> {
  try {
    await rest.request('DELETE', resourcePath(kind, undefined, name));
  } catch (err: unknown) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}

/** Every object in the collection at `path` (`resourcePath(kind)`: in every namespace) that the selectors match, page by page. */
export async function listAll(
  rest: RestClient,
  path: string,
  selectors: { readonly labelSelector?: string | undefined; readonly fieldSelector?: string | undefined } = {},
  pageSize = 1000,
): Promise<WireObject[]> {
  const out: WireObject[] = [];
  let cont: string | undefined;
  do {
    const page = (await rest.request('GET', path, { query: { ...selectors, limit: String(pageSize), continue: cont } })) as {
      items?: WireObject[];
      metadata?: { continue?: string };
    };
    out.push(...(page.items ?? []));
    cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
  } while (cont !== undefined);
  return out;
}

/** Creates the namespaces `names`, each with `labels` (or those `labels` gives its index), 16 at a time. */
export async function createNamespaces(
  rest: RestClient,
  names: readonly string[],
  labels: Readonly<Record<string, string>> | ((index: number) => Readonly<Record<string, string>>),
): Promise<void> {
  const indexOf = new Map(names.map((name, i) => [name, i] as const));
  await pool(names, 16, async (name) => {
    const own = typeof labels === 'function' ? labels(indexOf.get(name) ?? 0) : labels;
    await rest.request('POST', resourcePath('Namespace'), {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: own } },
    });
  });
}

/** Sets `labels` on each of the namespaces `names` (one merge patch each), `concurrency` at a time. */
export async function labelNamespaces(
  rest: RestClient,
  names: readonly string[],
  labels: Readonly<Record<string, string>>,
  concurrency = 16,
): Promise<void> {
  await pool(names, concurrency, async (name) => {
    await rest.mergePatch('Namespace', undefined, name, { metadata: { labels } });
  });
}

/** Waits until the controller manager has made every namespace's default ServiceAccount and root CA ConfigMap; resolves with the milliseconds waited. */
export async function waitForNamespaceDefaults(rest: RestClient, namespaces: readonly string[], timeoutMs = 900_000): Promise<number> {
  const started = Date.now();
  const want = new Set(namespaces);
  const count = async (path: string, fieldSelector: string): Promise<number> =>
    (await listAll(rest, path, { fieldSelector }, 5000)).filter((o) => want.has(o.metadata.namespace ?? '')).length;
  for (;;) {
    const sa = await count(resourcePath('ServiceAccount'), 'metadata.name=default');
    const cm = await count('/api/v1/configmaps', 'metadata.name=kube-root-ca.crt');
    if (sa >= want.size && cm >= want.size) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `the controller manager did not settle: ${String(sa)} ServiceAccounts, ${String(cm)} ConfigMaps of ${String(want.size)}`,
      );
    await sleep(2000);
  }
}
