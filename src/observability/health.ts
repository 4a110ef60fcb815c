/**
 * Liveness and readiness over HTTP for the kubelet's probes:
 * - /healthz: 200 while the process serves, 503 once it is shutting down;
 * - /readyz: 200 once every informer cache has synced, 503 before and while
 *   any of them fails to list or watch (its cache may be stale), saying why.
 */
import { createServer, type Server } from 'node:http';
import { listen } from './listen.ts';

export interface HealthSource {
  /** True once the caches have synced, while they are kept up to date. */
  readonly ready: boolean;
  /** Why not ready, for the answer's body. */
  readonly notReadyBecause?: string | undefined;
}

export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Makes /healthz and /readyz answer 503 (shutting down). */
  draining(): void;
  close(): Promise<void>;
}

/** Parses "host:port" or ":port" (all interfaces); throws naming the flag. */
export function parseAddress(flag: string, text: string): { host: string | undefined; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port > 65535) throw new Error(`--${flag} ${JSON.stringify(text)} must be host:port or :port`);
  return { host: m[1] === '' ? undefined : m[1], port };
}

/** Starts the health endpoints on `host:port`. */
export async function startHealthServer(source: HealthSource, host: string | undefined, port: number): Promise<HealthServer> {
  let draining = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (ok: boolean, text: string): void => {
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    };
    if (path === '/healthz' || path === '/livez') answer(!draining, draining ? 'shutting down' : 'ok');
    else if (path === '/readyz')
      answer(!draining && source.ready, draining ? 'shutting down' : source.ready ? 'ok' : (source.notReadyBecause ?? 'caches not synced'));
    else answer(false, 'not found');
  });
  server.keepAliveTimeout = 5000;
  const bound = await listen(server, host, port);
  return {
    ...bound,
    draining: () => {
      draining = true;
    },
  };
}
