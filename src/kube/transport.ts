/**
 * The transport under the REST verbs (rest.ts): JSON requests to one apiserver,
 * with what every request needs whatever it is about. Credentials per request and
 * TLS material in one keep-alive agent; a request the apiserver throttled (429,
 * or a 5xx with Retry-After) sent again after the wait it asks for; one sent on a
 * kept-alive connection the server had just closed sent once more; a write asked
 * "may I?" (the lease check) right before it leaves; watch streams read line by
 * line. It knows paths, not kinds (resources.ts has the table), and answers with
 * the parsed JSON as `unknown`: rest.ts says what type it is, in one place.
 *
 * Why not client-node's typed calls for writes: its serializer maps objects
 * onto generated model classes and silently drops fields it spells otherwise
 * (a NetworkPolicy rule's `from`, a LimitRangeItem's `default`), which for a
 * security operator turns "allow from these pods" into "allow from everywhere".
 *
 * Longer than most files on purpose: the retry rules (throttling, stale connections, the lease
 * check) wrap one request and one stream, and are only right when read together with them.
 */
import type { ClusterAccess } from './access.ts';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

/** An error answer from the apiserver: its HTTP status, reason and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: unknown;
  /** The answer's Retry-After header, in seconds, when it had one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, reason: string, message: string, body: unknown, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // not JSON (a proxy's error page, say): keep the text
    return text;
  }
}

function apiError(method: string, path: string, status: number, body: unknown, retryAfter?: string | string[]): ApiError {
  const s = (typeof body === 'object' && body !== null ? body : {}) as { reason?: unknown; message?: unknown };
  // Only the delta-seconds form: the apiserver never sends an HTTP date.
  const seconds = typeof retryAfter === 'string' && /^\d{1,6}$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return new ApiError(
    status,
    typeof s.reason === 'string' ? s.reason : '',
    typeof s.message === 'string' ? s.message : `${method} ${path}: HTTP ${String(status)}`,
    body,
    seconds,
  );
}

/**
 * How long to wait before sending again a request the apiserver turned away
 * unprocessed, or undefined when it must not be sent again. As client-go: a 429
 * (max-requests-inflight, API Priority and Fairness) or a 5xx that carries
 * Retry-After; the wait honours the header, grows with each retry (250 ms
 * doubling) and is capped at 10 s, with up to 20% jitter so throttled workers
 * do not come back in step.
 */
export function throttledRetryDelay(
  err: unknown,
  retry: number,
  maxRetries: number,
  random: () => number = Math.random,
): number | undefined {
  if (!(err instanceof ApiError) || retry >= maxRetries) return undefined;
  if (err.status !== 429 && !(err.status >= 500 && err.retryAfterSeconds !== undefined)) return undefined;
  const base = Math.min(10_000, Math.max((err.retryAfterSeconds ?? 0) * 1000, 250 * 2 ** retry));
  return Math.round(base * (1 + 0.2 * random()));
}

/**
 * `resolve` and `reject` that let go of the promise once either is called. Node's https Agent
 * keeps the request that opened a connection reachable for as long as the connection lives (a
 * closure of its TLS session cache holds the callback that holds the request), and the request
 * its response and their listeners. Had those held the promise's own functions, they would hold
 * the promise and so its answer: every informer's first LIST page, 500 objects as the apiserver
 * sent them (parsed and raw), for as long as the operator runs (heap snapshot, docs/performance.md).
 */
export function settleOnce<T>(
  resolve: (value: T) => void,
  reject: (err: unknown) => void,
): { readonly resolve: (value: T) => void; readonly reject: (err: unknown) => void } {
  let pending: { readonly resolve: (value: T) => void; readonly reject: (err: unknown) => void } | undefined = { resolve, reject };
  const take = (): typeof pending => {
    const p = pending;
    pending = undefined;
    return p;
  };
  return {
    resolve: (value) => {
      take()?.resolve(value);
    },
    reject: (err) => {
      take()?.reject(err);
    },
  };
}

/** A reused keep-alive connection the server had closed: the request never reached it. */
class StaleConnection extends Error {}

/** What a request carries besides its method and path: query parameters (undefined ones left out), a JSON body and its content type. */
export interface RequestInit {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  /**
   * Given the texts of the answer's `Warning` headers, when it has any: what admission said
   * about a write it let through (Pod Security's verdict on a namespace's pods, say).
   */
  readonly onWarnings?: (warnings: readonly string[]) => void;
}

/**
 * The texts of an answer's `Warning` headers, in order, from its raw header list (where
 * each header is its own entry: the joined form would run texts with commas together).
 * The apiserver sends `299 - "text"`, the text a quoted-string (RFC 7234).
 */
export function warningTexts(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] ?? '').toLowerCase() !== 'warning') continue;
    const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec((rawHeaders[i + 1] ?? '').trim());
    if (m !== null) out.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
  }
  return out;
}

/** One finished request, for metrics and tests. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  readonly millis: number;
  /** A write the apiserver only judged and did not store (`dryRun=All`). */
  readonly dryRun?: true;
}

/** How a {@link Transport} sends: its user agent, retries, the write check and its connections. */
export interface TransportOptions {
  readonly userAgent?: string;
  /** Called after every request (watch streams when they end), each retry included. */
  readonly onRequest?: (e: RequestRecord) => void;
  /** How often a throttled request is sent again (default 6: about 20 s of waiting). */
  readonly maxThrottledRetries?: number;
  /** Waits between throttled retries (tests pass their own). */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Asked right before each write (any method but GET) leaves the process;
   * false refuses it with {@link WriteRefused}. Leader election passes "the lease
   * is still mine": a leader frozen past its lease (SIGSTOP, a long pause) and
   * resumed sends nothing, whatever step of which reconcile it was in.
   */
  readonly mayWrite?: () => boolean;
  /** Connections kept to the apiserver (default 64); more requests wait for one. */
  readonly maxSockets?: number;
}

/** A write this client refused to send: see {@link TransportOptions.mayWrite}. */
export class WriteRefused extends Error {
  constructor(method: string, path: string) {
    super(`${method} ${path} not sent: this replica is not the leader`);
    this.name = 'WriteRefused';
  }
}

/** JSON requests to one apiserver with the credentials of a {@link ClusterAccess}; answers are `unknown` (rest.ts types them). */
export class Transport {
  private readonly kc: ClusterAccess;
  private readonly server: URL;
  private agent: HttpAgent | undefined;
  private readonly maxSockets: number;
  /** Sent with every request, so the apiserver's metrics and audit log can tell us apart. */
  readonly userAgent: string;

  private readonly onRequest: ((e: RequestRecord) => void) | undefined;
  private readonly maxThrottledRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly mayWrite: (() => boolean) | undefined;

  constructor(kc: ClusterAccess, opts: TransportOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    this.kc = kc;
    this.server = new URL(cluster.server);
    this.userAgent = opts.userAgent ?? 'kubeposture';
    this.onRequest = opts.onRequest;
    this.maxThrottledRetries = opts.maxThrottledRetries ?? 6;
    this.sleep =
      opts.sleep ??
      ((ms) =>
        new Promise((resolve) => {
          setTimeout(resolve, ms);
        }));
    this.mayWrite = opts.mayWrite;
    this.maxSockets = opts.maxSockets ?? 64;
  }

  /** Credentials per request (tokens rotate); TLS material in one keep-alive agent, made once. */
  private async prepare(
    path: string,
    query: RequestInit['query'],
  ): Promise<{ url: URL; opts: RequestOptions; headers: OutgoingHttpHeaders }> {
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    this.agent ??=
      this.server.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true, maxSockets: this.maxSockets })
        : new HttpsAgent({
            keepAlive: true,
            maxSockets: this.maxSockets,
            ...(opts.ca === undefined ? {} : { ca: opts.ca }),
            ...(opts.cert === undefined ? {} : { cert: opts.cert }),
            ...(opts.key === undefined ? {} : { key: opts.key }),
            ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
          });
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    // Headers (the bearer token) come as an object, never as a raw list.
    const auth = Array.isArray(opts.headers) ? {} : (opts.headers as OutgoingHttpHeaders | undefined);
    const headers: OutgoingHttpHeaders = { ...auth, accept: 'application/json', 'user-agent': this.userAgent };
    return { url, opts, headers };
  }

  private send(
    url: URL,
    method: string,
    headers: OutgoingHttpHeaders,
    opts: RequestOptions,
    onResponse: (res: IncomingMessage) => void,
  ): ClientRequest {
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return send(
      url,
      {
        method,
        headers,
        ...(this.agent === undefined ? {} : { agent: this.agent }),
        ...(opts.auth === undefined ? {} : { auth: opts.auth }),
      },
      onResponse,
    );
  }

  /**
   * Sends one request and parses the JSON answer, untyped (the verbs in rest.ts type it);
   * a status >= 400 rejects with {@link ApiError}. A request the apiserver throttled is sent again after the
   * wait {@link throttledRetryDelay} gives; the last refusal is what rejects.
   */
  async request(method: string, path: string, init: RequestInit = {}): Promise<unknown> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await this.once(method, path, init);
      } catch (err: unknown) {
        const wait = throttledRetryDelay(err, retry, this.maxThrottledRetries);
        if (wait === undefined) throw err;
        await this.sleep(wait);
      }
    }
  }

  private async once(method: string, path: string, init: RequestInit): Promise<unknown> {
    try {
      return await this.attempt(method, path, init);
    } catch (err: unknown) {
      // The apiserver closes keep-alive connections idle for 90 s; a request that raced the
      // close on a reused connection was never read, so it is sent once more on a fresh one.
      if (!(err instanceof StaleConnection)) throw err;
      return this.attempt(method, path, init);
    }
  }

  private async attempt(method: string, path: string, init: RequestInit): Promise<unknown> {
    const started = Date.now();
    const { url, opts, headers } = await this.prepare(path, init.query);
    let status = 0;
    // Read out of init here: no listener below may hold it (see settleOnce).
    const dryRun = init.query?.dryRun === 'All';
    const onWarnings = init.onWarnings;
    const record = (): void => {
      this.onRequest?.({ method, path, status, millis: Date.now() - started, ...(dryRun ? { dryRun: true } : {}) });
    };
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    if (payload !== undefined) {
      headers['content-type'] = init.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const mayWrite = method === 'GET' ? undefined : this.mayWrite;
    if (mayWrite !== undefined && !mayWrite()) throw new WriteRefused(method, path);
    let refused = false;
    return new Promise((resolveOnce, rejectOnce) => {
      const { resolve, reject } = settleOnce(resolveOnce, rejectOnce);
      const req = this.send(url, method, headers, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          status = res.statusCode ?? 0;
          record();
          const raw = Buffer.concat(chunks);
          // The answer's bytes are garbage now, whoever still holds this listener.
          chunks.length = 0;
          const body = parseBody(raw.toString('utf8'));
          if (onWarnings !== undefined) {
            const warnings = warningTexts(res.rawHeaders);
            if (warnings.length > 0) onWarnings(warnings);
          }
          if (status >= 400) reject(apiError(method, path, status, body, res.headers['retry-after']));
          else resolve(body);
        });
      });
      req.on('error', (err: Error & { code?: string }) => {
        if (refused) {
          reject(err);
          return;
        }
        if (req.reusedSocket && err.code === 'ECONNRESET') {
          reject(new StaleConnection(err.message));
          return;
        }
        record();
        reject(err);
      });
      req.setTimeout(30_000, () => {
        req.destroy(new Error(`${method} ${path}: no answer within 30s`));
      });
      if (mayWrite === undefined) {
        req.end(payload);
        return;
      }
      // A write can wait for a connection (all maxSockets busy, or a new one's TLS handshake)
      // for as long as that takes, a pause of the process included: asked again once the
      // connection is ready. Nothing goes out before end(): the headers leave with the body.
      const decide = (): void => {
        if (!mayWrite()) {
          refused = true;
          req.destroy(new WriteRefused(method, path));
        } else {
          req.end(payload);
        }
      };
      req.once('socket', (socket) => {
        // A new connection (still connecting when handed over) is ready once connected, and
        // for TLS once its handshake is done; a kept-alive one is ready now.
        if (socket.connecting) socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', decide);
        else decide();
      });
    });
  }

  /**
   * GETs a streaming answer (a watch) and calls `onLine` for each line. `done`
   * resolves when the server ends the stream, rejects on an error status, a
   * broken connection or an exception from `onLine`; `abort` ends it early.
   * `onOpen` is called once the server has accepted the watch.
   */
  stream(
    path: string,
    query: RequestInit['query'],
    onLine: (line: string) => void,
    onOpen?: () => void,
  ): { done: Promise<void>; abort: () => void } {
    let req: ClientRequest | undefined;
    let aborted = false;
    const done = this.prepare(path, query).then(
      ({ url, opts, headers }) =>
        new Promise<void>((resolve, reject) => {
          if (aborted) {
            resolve();
            return;
          }
          req = this.send(url, 'GET', headers, opts, (res) => {
            const status = res.statusCode ?? 0;
            let buffer = '';
            res.setEncoding('utf8');
            if (status >= 400) {
              res.on('data', (c: string) => {
                buffer += c;
              });
              res.on('end', () => {
                reject(apiError('GET', path, status, parseBody(buffer)));
              });
              return;
            }
            onOpen?.();
            res.on('data', (c: string) => {
              buffer += c;
              let nl = buffer.indexOf('\n');
              while (nl >= 0) {
                const line = buffer.slice(0, nl).trim();
                buffer = buffer.slice(nl + 1);
                if (line !== '') {
                  try {
                    onLine(line);
                  } catch (err: unknown) {
                    req?.destroy();
                    reject(err instanceof Error ? err : new Error(String(err)));
                    return;
                  }
                }
                nl = buffer.indexOf('\n');
              }
            });
            res.on('end', () => {
              resolve();
            });
            res.on('error', (err) => {
              if (aborted) resolve();
              else reject(err);
            });
            res.on('aborted', () => {
              if (aborted) resolve();
              else reject(new Error(`GET ${path}: stream aborted`));
            });
          });
          req.on('error', (err) => {
            if (aborted) resolve();
            else reject(err);
          });
          req.end();
        }),
    );
    return {
      done,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
