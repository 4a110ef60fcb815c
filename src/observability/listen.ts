/** Binding a small HTTP server, and closing it with its keep-alive connections. */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface Listening {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (all interfaces when host is undefined). */
export async function listen(server: Server | HttpsServer, host: string | undefined, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
