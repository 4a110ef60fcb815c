import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { RestClient } from './rest.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** A plain-HTTP server that records each request and answers `answer(request)` with its status. */
async function recording(
  answer: (seen: Seen) => { status: number; body?: unknown },
): Promise<{ rest: RestClient; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
    });
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${String(typeof addr === 'object' && addr !== null ? addr.port : 0)}`;
  const rest = new RestClient({
    getCurrentCluster: () => ({ server: url }),
    applyToHTTPSOptions: async () => {
      /* plain HTTP */
    },
  });
  return {
    rest,
    seen,
    close: () => {
      rest.close();
      server.close();
    },
  };
}

const lease = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'l', namespace: 'ns' },
  spec: { holderIdentity: 'me' },
};

describe('RestClient', () => {
  it("sends each verb to its kind's path, with its content type and query", async () => {
    const { rest, seen, close } = await recording((s) => ({ status: 200, body: { metadata: { name: 'l' }, echo: s.method } }));
    try {
      await rest.get('Lease', 'ns', 'l');
      await rest.list('NetworkPolicy', { labelSelector: 'a=b', continue: undefined });
      await rest.create('Lease', lease);
      await rest.create('Role', { metadata: { name: 'r', namespace: 'ns' } }, 'kubeposture');
      await rest.replace('Lease', lease);
      await rest.apply('Namespace', { metadata: { name: 'team-a' } }, { fieldManager: 'kubeposture', force: true });
      await rest.jsonPatch('SecurityBaseline', undefined, 'b', [{ op: 'remove', path: '/x' }], { subresource: 'status' });
      await rest.mergePatch('Event', 'ns', 'e', { series: { count: 2 } });
      expect(seen.map((s) => `${s.method} ${s.url} ${s.contentType ?? '-'}`)).toEqual([
        'GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/l -',
        'GET /apis/networking.k8s.io/v1/networkpolicies?labelSelector=a%3Db -',
        // No field manager given, none sent.
        'POST /apis/coordination.k8s.io/v1/namespaces/ns/leases application/json',
        'POST /apis/rbac.authorization.k8s.io/v1/namespaces/ns/roles?fieldManager=kubeposture application/json',
        'PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/l application/json',
        'PATCH /api/v1/namespaces/team-a?fieldManager=kubeposture&force=true application/apply-patch+yaml',
        'PATCH /apis/kubeposture.io/v1alpha1/securitybaselines/b/status application/json-patch+json',
        'PATCH /apis/events.k8s.io/v1/namespaces/ns/events/e application/merge-patch+json',
      ]);
    } finally {
      close();
    }
  });

  it('answers a get of a missing object with undefined, and passes other errors on', async () => {
    const { rest, close } = await recording((s) => ({
      status: s.url.endsWith('/gone') ? 404 : 403,
      body: { kind: 'Status', reason: 'x', message: 'no' },
    }));
    try {
      expect(await rest.get('Role', 'ns', 'gone')).toBeUndefined();
      await expect(rest.get('Role', 'ns', 'other')).rejects.toMatchObject({ status: 403 });
    } finally {
      close();
    }
  });

  it('deletes with the uid as a precondition: gone at once, pending on finalizers, or not there', async () => {
    const answers: Record<string, { status: number; body?: unknown }> = {
      now: { status: 200, body: { kind: 'Status', status: 'Success', metadata: {} } },
      held: {
        status: 200,
        body: { kind: 'Role', metadata: { name: 'held', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['x'] } },
      },
      missing: { status: 404 },
      replaced: { status: 409 },
    };
    const { rest, seen, close } = await recording((s) => answers[s.url.split('/').at(-1) ?? ''] ?? { status: 500 });
    try {
      expect(await rest.delete('Role', 'ns', 'now', 'u1')).toEqual({ state: 'gone', existed: true });
      expect(await rest.delete('Role', 'ns', 'held', 'u1')).toEqual({ state: 'pending', object: answers.held?.body });
      expect(await rest.delete('Role', 'ns', 'missing', 'u1')).toEqual({ state: 'gone', existed: false });
      expect(await rest.delete('Role', 'ns', 'replaced', 'u1')).toEqual({ state: 'gone', existed: false });
      expect(seen[0]?.body).toEqual({
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions: { uid: 'u1' },
        propagationPolicy: 'Background',
      });
    } finally {
      close();
    }
  });
});
