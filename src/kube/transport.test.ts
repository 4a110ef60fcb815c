import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ApiError, settleOnce, throttledRetryDelay, Transport, warningTexts, WriteRefused, type RequestRecord } from './transport.ts';

/** A plain-HTTP server answering from a script, one entry per request. */
async function scripted(
  answers: readonly { status: number; retryAfter?: string }[],
): Promise<{ server: Server; url: string; seen: () => number }> {
  let seen = 0;
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    const a = answers[Math.min(seen, answers.length - 1)] ?? { status: 200 };
    seen += 1;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (a.retryAfter !== undefined) headers['retry-after'] = a.retryAfter;
    res.writeHead(a.status, headers);
    res.end(
      JSON.stringify(
        a.status < 400
          ? { kind: 'Namespace', metadata: { name: 'a' } }
          : { kind: 'Status', reason: a.status === 429 ? 'TooManyRequests' : 'InternalError', message: `answer ${String(seen)}` },
      ),
    );
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return { server, url: `http://127.0.0.1:${String(port)}`, seen: () => seen };
}

const access = (server: string): ConstructorParameters<typeof Transport>[0] => ({
  getCurrentCluster: () => ({ server }),
  applyToHTTPSOptions: async () => {
    /* plain HTTP, no credentials */
  },
});

describe('throttledRetryDelay', () => {
  const throttled = (status: number, retryAfter?: number): ApiError => new ApiError(status, '', 'x', {}, retryAfter);
  const noJitter = (): number => 0;

  it('honours Retry-After, grows with each retry and stops at the cap', () => {
    expect(throttledRetryDelay(throttled(429, 1), 0, 6, noJitter)).toBe(1000);
    expect(throttledRetryDelay(throttled(429, 1), 3, 6, noJitter)).toBe(2000);
    expect(throttledRetryDelay(throttled(429), 0, 6, noJitter)).toBe(250);
    expect(throttledRetryDelay(throttled(429, 3600), 0, 6, noJitter)).toBe(10_000);
    expect(throttledRetryDelay(throttled(429, 1), 0, 6, () => 1)).toBe(1200);
  });

  it('retries only what the apiserver turned away unprocessed, and only so often', () => {
    expect(throttledRetryDelay(throttled(429, 1), 6, 6)).toBeUndefined();
    expect(throttledRetryDelay(throttled(503, 1), 0, 6)).toBeDefined();
    expect(throttledRetryDelay(throttled(503), 0, 6)).toBeUndefined();
    expect(throttledRetryDelay(throttled(500), 0, 6)).toBeUndefined();
    expect(throttledRetryDelay(throttled(409, 1), 0, 6)).toBeUndefined();
    expect(throttledRetryDelay(new Error('ECONNRESET'), 0, 6)).toBeUndefined();
  });
});

describe('Transport', () => {
  it('sends a throttled request again after the wait Retry-After asks for, recording every attempt', async () => {
    const { server, url, seen } = await scripted([{ status: 429, retryAfter: '1' }, { status: 429, retryAfter: '2' }, { status: 200 }]);
    const waits: number[] = [];
    const records: RequestRecord[] = [];
    const rest = new Transport(access(url), {
      sleep: async (ms) => {
        waits.push(ms);
      },
      onRequest: (r) => records.push(r),
    });
    try {
      expect(await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'a' } } })).toMatchObject({
        metadata: { name: 'a' },
      });
      expect(seen()).toBe(3);
      expect(waits).toHaveLength(2);
      expect(waits[0]).toBeGreaterThanOrEqual(1000);
      expect(waits[0]).toBeLessThanOrEqual(1200);
      expect(waits[1]).toBeGreaterThanOrEqual(2000);
      expect(records.map((r) => r.status)).toEqual([429, 429, 200]);
    } finally {
      rest.close();
      server.close();
    }
  });

  it('gives up after its retries with the last refusal, and never retries other errors', async () => {
    const { server, url, seen } = await scripted([{ status: 429, retryAfter: '1' }]);
    const rest = new Transport(access(url), {
      maxThrottledRetries: 2,
      sleep: async () => {
        /* no wait */
      },
    });
    try {
      await expect(rest.request('GET', '/api/v1/namespaces/a')).rejects.toMatchObject({
        status: 429,
        retryAfterSeconds: 1,
        message: 'answer 3',
      });
      expect(seen()).toBe(3);
    } finally {
      rest.close();
      server.close();
    }
    const failing = await scripted([{ status: 500 }]);
    const rest2 = new Transport(access(failing.url), {
      sleep: async () => {
        /* no wait */
      },
    });
    try {
      await expect(rest2.request('GET', '/api/v1/namespaces/a')).rejects.toMatchObject({ status: 500 });
      expect(failing.seen()).toBe(1);
    } finally {
      rest2.close();
      failing.server.close();
    }
  });

  it('asks mayWrite right before each write and sends nothing it refuses; reads always go', async () => {
    const { server, url, seen } = await scripted([{ status: 200 }]);
    let leader = true;
    const rest = new Transport(access(url), { mayWrite: () => leader });
    try {
      await rest.request('PATCH', '/api/v1/namespaces/a', { body: {} });
      leader = false;
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        await expect(rest.request(method, '/api/v1/namespaces/a', { body: {} })).rejects.toBeInstanceOf(WriteRefused);
      }
      await rest.request('GET', '/api/v1/namespaces/a');
      expect(seen()).toBe(2);
    } finally {
      rest.close();
      server.close();
    }
  });

  /**
   * Two writes over one connection: the server holds the first until released (then closes the
   * connection, with `close`, so the second needs a new one); leadership goes while the second
   * waits. It must not be sent.
   */
  async function leadershipLostWhileQueued(close: boolean): Promise<void> {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let seen = 0;
    const server = createServer((_req, res) => {
      seen += 1;
      void held.then(() => {
        res.writeHead(200, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) }).end('{}');
      });
    });
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    const addr = server.address();
    const url = `http://127.0.0.1:${String(typeof addr === 'object' && addr !== null ? addr.port : 0)}`;
    let leader = true;
    const rest = new Transport(access(url), { mayWrite: () => leader, maxSockets: 1 });
    try {
      const first = rest.request('PATCH', '/api/v1/namespaces/a', { body: {} });
      const second = rest.request('PATCH', '/api/v1/namespaces/b', { body: {} });
      while (seen < 1) await new Promise((r) => setTimeout(r, 5));
      // Both passed the check when made; the lease is lost while the second waits.
      leader = false;
      release();
      await first;
      await expect(second).rejects.toBeInstanceOf(WriteRefused);
      expect(seen).toBe(1);
    } finally {
      rest.close();
      server.close();
    }
  }

  it('asks mayWrite again when a queued write gets a kept-alive connection, and sends nothing if leadership went meanwhile', async () => {
    await leadershipLostWhileQueued(false);
  });

  it('asks mayWrite again once a new connection is ready', async () => {
    await leadershipLostWhileQueued(true);
  });
});

describe('Warning headers', () => {
  it('reads each header on its own, unquoting the text, and skips what is not one', () => {
    expect(
      warningTexts([
        'Content-Type',
        'application/json',
        'Warning',
        '299 - "a (and 1 other pod): x != false, y"',
        'warning',
        '299 - "say \\"hi\\" \\\\ there"',
        'Warning',
        'not a warning',
      ]),
    ).toEqual(['a (and 1 other pod): x != false, y', 'say "hi" \\ there']);
  });

  it('hands the texts of an answer to the request that asked for them', async () => {
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Warning', ['299 - "first, with a comma"', '299 - "second"']);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    try {
      const t = new Transport(access(`http://127.0.0.1:${String(port)}`));
      const got: string[][] = [];
      await t.request('GET', '/x', { onWarnings: (w) => got.push([...w]) });
      await t.request('GET', '/x');
      expect(got).toEqual([['first, with a comma', 'second']]);
      t.close();
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  });
});

describe('what a finished request keeps', () => {
  it('settleOnce settles once, as a promise does', async () => {
    const p = new Promise<string>((resolve, reject) => {
      const s = settleOnce(resolve, reject);
      s.resolve('first');
      s.reject(new Error('too late'));
      s.resolve('second');
    });
    await expect(p).resolves.toBe('first');
  });

  // In a node of its own, with gc() exposed: over HTTPS the agent keeps the request that opened
  // a connection (and its response and listeners) while the connection stays open, so an answer
  // held by them would live as long as the connection.
  it('lets go of an answer once the caller has, though the connection that brought it stays open', () => {
    const script = `
      import { createServer } from 'node:https';
      import { Transport } from ${JSON.stringify(join(import.meta.dirname, 'transport.ts'))};
      import { selfSignedCertificate } from ${JSON.stringify(join(import.meta.dirname, '../lib/self-signed.ts'))};
      const pair = selfSignedCertificate(['localhost'], ['127.0.0.1']);
      const list = JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ metadata: { name: 'object-' + i } })) });
      const server = createServer({ cert: pair.cert, key: pair.key }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(list);
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = 'https://127.0.0.1:' + server.address().port;
      const t = new Transport({ getCurrentCluster: () => ({ server: url }), applyToHTTPSOptions: async (o) => { o.ca = pair.cert; } });
      let answer = await t.request('GET', '/api/v1/namespaces');
      const items = answer.items.length;
      const ref = new WeakRef(answer);
      answer = undefined;
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
      const open = await new Promise((resolve) => server.getConnections((_e, n) => resolve(n)));
      console.log(JSON.stringify({ items, kept: ref.deref() !== undefined, open }));
      t.close();
      server.close();
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { items: number; kept: boolean; open: number };
    expect(r).toEqual({ items: 2000, kept: false, open: 1 });
  });
});
