import { parseAddress, startHealthServer } from './health.ts';

const get = async (port: number, path: string): Promise<number> => (await fetch(`http://127.0.0.1:${String(port)}${path}`)).status;

describe('health endpoints', () => {
  it('answer /readyz 503 until the caches synced, then 200; both 503 while draining', async () => {
    const source: { ready: boolean; notReadyBecause?: string } = { ready: false };
    const server = await startHealthServer(source, '127.0.0.1', 0);
    try {
      expect(await get(server.port, '/healthz')).toBe(200);
      expect(await get(server.port, '/readyz')).toBe(503);
      source.ready = true;
      expect(await get(server.port, '/readyz')).toBe(200);
      source.ready = false;
      source.notReadyBecause = 'watch of Namespace failing for 3s: connect ECONNREFUSED';
      const res = await fetch(`http://127.0.0.1:${String(server.port)}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.text()).toBe('watch of Namespace failing for 3s: connect ECONNREFUSED\n');
      source.ready = true;
      expect(await get(server.port, '/other')).toBe(503);
      server.draining();
      expect(await get(server.port, '/healthz')).toBe(503);
      expect(await get(server.port, '/readyz')).toBe(503);
    } finally {
      await server.close();
    }
  });
});

describe('parseAddress', () => {
  it.each([
    [':8081', undefined, 8081],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['[::1]:9000', '[::1]', 9000],
  ] as const)('%s', (text, host, port) => {
    expect(parseAddress('health-addr', text)).toEqual({ host, port });
  });
  it.each(['8081', 'localhost', ':99999', ':'])('rejects %j naming the flag', (text) => {
    expect(() => parseAddress('health-addr', text)).toThrow(/^--health-addr .* must be host:port or :port$/);
  });
});
