/**
 * The allow-all webhook: an HTTPS endpoint the apiserver calls (config/guard/allow-all.yaml)
 * for NetworkPolicy creates and updates in every namespace, which refuses those that admit
 * everyone past kubeposture's default-deny (allow-all.ts). Served by every replica, leader or
 * not, only while the webhook configuration exists, with the certificate certificates.ts keeps.
 *
 * Each review reads the Namespace (its ownership record) and, where the record names a
 * default-deny, that policy: two GETs, on a client of its own (no queueing behind the workers).
 * A review that cannot read them admits the write and counts an error, as the configuration's
 * failurePolicy Ignore would: the webhook never stands between a tenant and the apiserver when
 * kubeposture cannot judge, and status still reports the finding afterwards.
 *
 * Anyone who can reach the port may post a review, so bodies are bounded (the apiserver's own
 * request limit) and so are reviews in flight.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RestClient } from '../kube/rest.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { KeyPair } from '../lib/self-signed.ts';
import { listen, type Listening } from '../observability/listen.ts';
import { denyFrom, judgeNetworkPolicy, recordedDeny } from './allow-all.ts';
import { keepCertificate } from './certificates.ts';
import { parseReview, reviewResponse, type Verdict } from './review.ts';
import { NAME_DEFAULT_DENY } from '../api/constants.ts';

/** The path config/guard/allow-all.yaml sends reviews to. */
export const ALLOW_ALL_PATH = '/validate-networkpolicy';
/** An AdmissionReview carries the object and the old one: twice the apiserver's 1.5 MiB object limit, and some. */
const MAX_BODY_BYTES = 4 * 2 ** 20;
const MAX_IN_FLIGHT = 32;

export type ReviewOutcome = 'admitted' | 'refused' | 'error';

export interface AllowAllDeps {
  readonly rest: Pick<RestClient, 'get'>;
  readonly log: Logger;
  readonly onReview?: (outcome: ReviewOutcome) => void;
}

/** Answers one AdmissionReview body: the HTTP status and the body to send. */
export async function answerReview(deps: AllowAllDeps, body: unknown): Promise<{ readonly status: number; readonly body: unknown }> {
  const parsed = parseReview(body);
  if (!parsed.ok) return { status: 400, body: { error: parsed.error } };
  const req = parsed.request;
  let verdict: Verdict = { allowed: true };
  let outcome: ReviewOutcome = 'admitted';
  if (req.kind.group === 'networking.k8s.io' && req.kind.kind === 'NetworkPolicy' && req.namespace !== undefined) {
    try {
      const ns = await deps.rest.get('Namespace', undefined, req.namespace);
      // The policy is read only where the record names a deny of kubeposture's.
      const recorded = recordedDeny(ns);
      const deny =
        recorded === undefined ? undefined : denyFrom(recorded, await deps.rest.get('NetworkPolicy', req.namespace, NAME_DEFAULT_DENY));
      verdict = judgeNetworkPolicy(req, deny);
      if (!verdict.allowed) {
        outcome = 'refused';
        deps.log.info('Refused a NetworkPolicy that admits everyone past the default-deny', {
          namespace: req.namespace,
          user: req.username,
          operation: req.operation,
        });
      }
    } catch (err: unknown) {
      outcome = 'error';
      deps.log.warn('Admitted a NetworkPolicy write without judging it: its namespace could not be read', {
        namespace: req.namespace,
        error: errorMessage(err),
      });
    }
  }
  deps.onReview?.(outcome);
  return { status: 200, body: reviewResponse(req.uid, verdict) };
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve('too-large');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface AllowAllWebhookDeps extends AllowAllDeps {
  /** A client of its own, not gated on leadership: it writes the certificate's Secret and the caBundle. */
  readonly rest: Pick<RestClient, 'get' | 'create' | 'replace' | 'jsonPatch'>;
  readonly namespace: string;
  readonly clock: Clock;
  readonly host: string | undefined;
  readonly port: number;
  /** How often to check the configuration and the certificate. */
  readonly periodMs: number;
}

/** Serves the webhook while its configuration exists: the certificate kept, the port open. */
export class AllowAllWebhook {
  private readonly deps: AllowAllWebhookDeps;
  private server: { readonly https: Server; readonly listening: Listening; cert: string } | undefined;
  private inFlight = 0;
  private cancelTimer: (() => void) | undefined;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(deps: AllowAllWebhookDeps) {
    this.deps = deps;
  }

  /** The port served on, while serving. */
  get port(): number | undefined {
    return this.server?.listening.port;
  }

  /** Runs the first pass now and one every period after. */
  start(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.pass = keepCertificate({ ...this.deps, onServe: (pair) => this.serve(pair) }).then(
      () => {
        this.schedule(this.deps.periodMs);
      },
      (err: unknown) => {
        this.deps.log.warn('Could not keep the allow-all webhook certificate; trying again', { error: errorMessage(err) });
        this.schedule(Math.min(5000, this.deps.periodMs));
      },
    );
  }

  private schedule(ms: number): void {
    if (!this.stopped)
      this.cancelTimer = this.deps.clock.setTimer(() => {
        this.tick();
      }, ms);
  }

  /** Opens the port with `pair`, swaps to a renewed one, or closes it when the webhook is gone. */
  private async serve(pair: KeyPair | undefined): Promise<void> {
    const current = this.server;
    if (pair === undefined) {
      if (current === undefined) return;
      this.server = undefined;
      await current.listening.close();
      this.deps.log.info('Stopped serving the allow-all webhook: its configuration is gone');
      return;
    }
    if (current !== undefined) {
      if (current.cert !== pair.cert) {
        current.https.setSecureContext({ cert: pair.cert, key: pair.key });
        current.cert = pair.cert;
        this.deps.log.info('Serving the allow-all webhook with a renewed certificate');
      }
      return;
    }
    if (this.stopped) return;
    const https = createServer({ cert: pair.cert, key: pair.key }, (req, res) => {
      void this.handle(req, res);
    });
    const listening = await listen(https, this.deps.host, this.deps.port);
    this.server = { https, listening, cert: pair.cert };
    this.deps.log.info('Serving the allow-all webhook', { port: listening.port, path: ALLOW_ALL_PATH });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== ALLOW_ALL_PATH) {
      send(res, 404, { error: `POST ${ALLOW_ALL_PATH} only` });
      return;
    }
    if (this.inFlight >= MAX_IN_FLIGHT) {
      send(res, 503, { error: 'too many reviews in flight' });
      return;
    }
    this.inFlight++;
    try {
      const raw = await readBody(req);
      if (raw === 'too-large') {
        send(res, 413, { error: `the body is over ${String(MAX_BODY_BYTES)} bytes` });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        send(res, 400, { error: 'the body is not JSON' });
        return;
      }
      const answer = await answerReview(this.deps, body);
      send(res, answer.status, answer.body);
    } catch (err: unknown) {
      if (!res.headersSent) send(res, 500, { error: errorMessage(err) });
    } finally {
      this.inFlight--;
    }
  }

  /** Stops the passes and closes the port. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.pass;
    const current = this.server;
    this.server = undefined;
    await current?.listening.close();
  }
}
