/**
 * An informer stopped while its first list is on its way, its client then closed: the order of
 * `kubeposture run`'s shutdown (caches.stop(), then rest.close()) when SIGTERM comes while the
 * caches still list, as they do for seconds in a cluster of thousands of namespaces. close()
 * ends the connections it has, but the list goes on: sent again on a fresh connection (as if
 * the old one had gone stale) or, not sent yet, on the fresh one. Its answer used to be
 * followed by a watch that nothing aborted, open for its timeoutSeconds (5 to 6 minutes): the
 * stopped process waited for it, past jest's 120 s in one CI run of run-local.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Informer } from '../../src/kube/informer.ts';
import { RestClient } from '../../src/kube/rest.ts';
import type { RequestInit, RequestRecord } from '../../src/kube/transport.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { eventually, testKubeConfig } from '../support/cluster.ts';

/** A client that notes the watches it is asked to open. */
class WatchNotingClient extends RestClient {
  readonly watches: string[] = [];

  override stream(
    path: string,
    query: RequestInit['query'],
    onLine: (line: string) => void,
    onOpen?: () => void,
  ): { done: Promise<void>; abort: () => void } {
    this.watches.push(path);
    return super.stream(path, query, onLine, onOpen);
  }
}

it('opens no watch after stop(), when its list is answered after the client closed', async () => {
  const records: RequestRecord[] = [];
  const rest = new WatchNotingClient(testKubeConfig(), {
    userAgent: 'kubeposture-tests',
    onRequest: (r) => {
      records.push(r);
    },
  });
  try {
    // A kept-alive connection, as the operator's client has one by then (who it is, the Lease).
    await rest.list('Namespace', { limit: '1' });
    const informer = new Informer<WireObject>(rest, { kind: 'Namespace', clock: systemClock });
    const started = informer.start();
    informer.stop();
    rest.close();
    await expect(started).rejects.toThrow('Namespace informer stopped before it synced');
    // The informer's list, answered on a connection made after close().
    await eventually(() => {
      expect(records.filter((r) => r.path === '/api/v1/namespaces' && r.status === 200)).toHaveLength(2);
      return Promise.resolve();
    }, 20_000);
    await sleep(300);
    expect(rest.watches).toEqual([]);
  } finally {
    rest.close();
  }
});
