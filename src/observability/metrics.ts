/**
 * Prometheus metrics (prom-client), on their own registry and port. Names are
 * prefixed kubeposture_; label values come from closed sets (kinds, reasons,
 * verbs, codes), never from namespace or object names, so cardinality stays flat
 * at 10,000 namespaces.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { listen, type Listening } from './listen.ts';
import type { Logger } from '../lib/log.ts';
import { decisionStatus, type ScrapeAuthorizer } from './metrics-auth.ts';
import type { KeyPair } from '../lib/self-signed.ts';
import { errorMessage } from '../lib/errors.ts';

/** Where the gauges sampled at scrape time read: the controller gives the first three and the caches, `kubeposture run` the heap. */
export interface Samplers {
  readonly queueDepth?: () => number;
  readonly reportsPending?: () => number;
  readonly leader?: () => boolean;
  /** Bytes of V8 heap in use after the last full collection (heap-after-gc.ts); undefined before the first. */
  readonly heapAfterGc?: () => number | undefined;
  /** Objects per cache, by the cache's name (a closed set: kinds, never object names). */
  readonly cacheObjects?: () => Readonly<Record<string, number>>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'kubeposture_reconciles_total',
    help: 'Namespace reconciles by result (done, retry, requeue, skipped).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'kubeposture_reconcile_duration_seconds',
    help: 'Time to reconcile one namespace.',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  /** Read when Prometheus scrapes: values that are cheaper to sample than to track. */
  private samplers: Samplers = {};
  readonly queueDepth: Gauge = this.sampledGauge('kubeposture_queue_depth', 'Keys waiting, delayed or in flight in the work queue.', () =>
    this.samplers.queueDepth?.(),
  );
  readonly reportsPending: Gauge = this.sampledGauge(
    'kubeposture_reports_pending',
    'Reports and ClusterReports waiting to be looked at (held back while reconciles wait), written later by their interval, or in flight.',
    () => this.samplers.reportsPending?.(),
  );
  readonly heapAfterGc: Gauge = this.sampledGauge(
    'kubeposture_heap_after_gc_bytes',
    'V8 heap in use right after the last full (mark-compact) collection: the live data, without the garbage heap_size_used still counts.',
    () => this.samplers.heapAfterGc?.(),
  );
  readonly cacheObjects: Gauge<'cache'> = this.sampledGauges(
    'kubeposture_cache_objects',
    'Objects held by each cache (informer) of the operator, and namespace-results: the namespaces whose latest reconcile is kept.',
    'cache',
    () => this.samplers.cacheObjects?.(),
  );
  readonly queueWaitSeconds = new Histogram({
    name: 'kubeposture_queue_wait_seconds',
    help: 'Time a key waited in the queue before a worker took it.',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly driftFound = new Counter({
    name: 'kubeposture_drift_found_total',
    help: 'Drift found in reconciles, by kind and reason.',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly driftRepaired = new Counter({
    name: 'kubeposture_drift_repaired_total',
    help: 'Drift repaired (Enforce mode), by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'kubeposture_api_requests_total',
    help: 'Requests to the Kubernetes API, by verb and HTTP code (0: no answer).',
    labelNames: ['verb', 'code'] as const,
    registers: [this.registry],
  });
  readonly apiDryRuns = new Counter({
    name: 'kubeposture_api_dry_runs_total',
    help: 'The requests among kubeposture_api_requests_total that were dry runs (dryRun=All: judged, nothing stored), by verb and HTTP code.',
    labelNames: ['verb', 'code'] as const,
    registers: [this.registry],
  });
  readonly admissionReviews = new Counter({
    name: 'kubeposture_admission_reviews_total',
    help: 'NetworkPolicy writes the allow-all webhook judged, by verdict (admitted, refused; error: admitted because the namespace could not be read).',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly memoryLimitCollections = new Counter({
    name: 'kubeposture_memory_limit_collections_total',
    help: 'Full garbage collections run because resident memory passed --memory-soft-limit.',
    registers: [this.registry],
  });
  readonly memoryLimitSeconds = new Counter({
    name: 'kubeposture_memory_limit_collection_seconds_total',
    help: 'Time spent in those collections.',
    registers: [this.registry],
  });
  readonly leader: Gauge = this.sampledGauge(
    'kubeposture_leader',
    '1 while this process holds the leader lease (or runs without leader election).',
    () => {
      const leading = this.samplers.leader?.();
      return leading === undefined ? undefined : leading ? 1 : 0;
    },
  );
  readonly informerRestarts = new Counter({
    name: 'kubeposture_informer_restarts_total',
    help: 'Watches restarted after an error, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerRelists = new Counter({
    name: 'kubeposture_informer_relists_total',
    help: 'Full lists by kind and reason (initial; expired: the watch got 410 Gone).',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly reportsInstalled = new Gauge({
    name: 'kubeposture_reports_api_installed',
    help: "1 while a report API is installed and namespaces' reports are written (OpenReports, CRD reports.openreports.io; or the legacy policyreports.wgpolicyk8s.io); 0 otherwise, or with --reports=off.",
    registers: [this.registry],
  });
  readonly reportWrites = new Counter({
    name: 'kubeposture_report_writes_total',
    help: 'Report writes by outcome (create, apply, delete; reown: the patch that moves a report to its namespace’s new baseline; conflict: the name is someone else’s; error).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** A gauge set at scrape time from `read` (left as it is while `read` has nothing: before sample()). */
  private sampledGauge(name: string, help: string, read: () => number | undefined): Gauge {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        const value = read();
        if (value !== undefined) gauge.set(value);
      },
    });
    return gauge;
  }

  /** sampledGauge with one label: a series per key of what `read` returns (those it no longer returns dropped). */
  private sampledGauges<L extends string>(
    name: string,
    help: string,
    label: L,
    read: () => Readonly<Record<string, number>> | undefined,
  ): Gauge<L> {
    const gauge: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect: () => {
        const values = read();
        if (values === undefined) return;
        gauge.reset();
        for (const [key, value] of Object.entries(values)) gauge.set({ [label]: key } as Partial<Record<L, string>>, value);
      },
    });
    return gauge;
  }

  /** Tells the gauges sampled at scrape time where to read; each call adds to (or replaces) what earlier calls gave. */
  sample(samplers: Samplers): void {
    this.samplers = { ...this.samplers, ...samplers };
  }

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'kubeposture_' });
  }
}

/** How /metrics is served: HTTPS with TokenReview and SubjectAccessReview (the default), or plain HTTP to anyone (local use). */
export type MetricsServing =
  | { readonly kind: 'secure'; readonly authorizer: ScrapeAuthorizer; readonly tls: KeyPair; readonly log: Logger }
  | { readonly kind: 'plain' };

/** Serves GET /metrics on host:port; resolves with the bound port and a close function. */
export async function startMetricsServer(
  metrics: Metrics,
  host: string | undefined,
  port: number,
  serving: MetricsServing = { kind: 'plain' },
): Promise<Listening> {
  const render = (res: ServerResponse): void => {
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      },
      (err: unknown) => {
        res.writeHead(500).end(`${errorMessage(err)}\n`);
      },
    );
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('method not allowed\n');
      return;
    }
    if (serving.kind === 'plain') {
      render(res);
      return;
    }
    void serving.authorizer.decide(req.headers.authorization).then((d) => {
      const status = decisionStatus(d);
      switch (d.kind) {
        case 'allowed':
          render(res);
          return;
        case 'unauthenticated':
          serving.log.debug('Refused a metrics scrape', { status, reason: d.reason });
          res.writeHead(status, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' }).end('Unauthorized\n');
          return;
        case 'forbidden':
          serving.log.debug('Refused a metrics scrape', { status, user: d.username, reason: d.reason });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(`Authorization denied for user ${d.username}\n`);
          return;
        case 'throttled':
          res.writeHead(status, { 'retry-after': '1', 'content-type': 'text/plain' }).end('too many token reviews\n');
          return;
        case 'failed':
          serving.log.warn('Failed to review a metrics scraper', { error: d.message });
          res.writeHead(status, { 'content-type': 'text/plain' }).end('authentication failed\n');
          return;
      }
    });
  };
  const server =
    serving.kind === 'plain' ? createServer(handler) : createHttpsServer({ cert: serving.tls.cert, key: serving.tls.key }, handler);
  server.keepAliveTimeout = 5000;
  return listen(server, host, port);
}
