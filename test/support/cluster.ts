/**
 * Helpers for integration tests against the real control plane that
 * global-setup started: a client, unique namespaces, and polling.
 */
import { randomBytes } from 'node:crypto';
import { ApiException, KubeConfig, type CoreV1Api } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../src/kube/transport.ts';
import { errorMessage } from '../../src/lib/errors.ts';

/** The kubeconfig of the run's control plane; throws outside an integration run. */
export function testKubeConfig(): KubeConfig {
  const file = process.env.KUBEPOSTURE_TEST_KUBECONFIG;
  if (file === undefined || file === '') {
    throw new Error('KUBEPOSTURE_TEST_KUBECONFIG is not set: run integration tests through jest (global setup starts the control plane)');
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** The HTTP status of a failed API call (client-node's or our RestClient's), or undefined if it was not an API error. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiError) return err.status;
  return err instanceof ApiException ? (err as ApiException<unknown>).code : undefined;
}

/** The apiserver's message for a failed API call ("" if none). */
export function messageOf(err: unknown): string {
  if (!(err instanceof ApiException)) return errorMessage(err);
  const body: unknown = (err as ApiException<unknown>).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      return typeof parsed.message === 'string' ? parsed.message : body;
    } catch {
      return body;
    }
  }
  return JSON.stringify(body);
}

/** Calls `fn`, expecting the apiserver to refuse it; returns the status and message. */
export async function refusal(fn: () => Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  try {
    await fn();
  } catch (err: unknown) {
    return { status: statusOf(err), message: messageOf(err) };
  }
  throw new Error('the apiserver accepted a request it should have refused');
}

/** Runs `fn` until it returns without throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err: unknown) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(intervalMs);
  }
}

/** A DNS-1123 name unique to this run: `prefix-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a namespace with a unique name and waits for its `default`
 * ServiceAccount (which the controller-manager creates, and pods need).
 */
export async function createTestNamespace(core: CoreV1Api, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels } } });
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }));
  return name;
}

/** Starts deleting a namespace and returns at once; the namespace controller finishes later. */
export async function deleteNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.deleteNamespace({ name });
}

/** Deletes a namespace and waits until it is gone (the namespace controller finishes). */
export async function deleteNamespaceAndWait(core: CoreV1Api, name: string, timeoutMs = 60_000): Promise<void> {
  await deleteNamespace(core, name);
  await eventually(
    async () => {
      try {
        await core.readNamespace({ name });
      } catch (err: unknown) {
        if (statusOf(err) === 404) return;
        throw err;
      }
      throw new Error(`namespace ${name} still exists`);
    },
    timeoutMs,
    250,
  );
}
