/**
 * `kubeposture run`: the operator. Starts the controller against the configured
 * cluster and runs until SIGTERM or SIGINT, then stops watching, drains
 * in-flight work, writes pending status and resolves. SIGHUP re-checks every
 * namespace from cache at once, as the periodic resync does.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../config.ts';
import { Controller } from '../controller/controller.ts';
import { LeaderElector } from '../controller/leader.ts';
import { systemClock } from '../lib/clock.ts';
import { loadClusterAccess } from '../kube/access.ts';
import { serviceAccountOf, whoAmI } from '../kube/identity.ts';
import { RestClient } from '../kube/rest.ts';
import type { RequestRecord } from '../kube/transport.ts';
import { startHealthServer } from '../observability/health.ts';
import { createLogger } from '../observability/logger.ts';
import { apiReviewer } from '../kube/reviews.ts';
import type { Logger } from '../lib/log.ts';
import { Metrics, startMetricsServer, type MetricsServing } from '../observability/metrics.ts';
import { ScrapeAuthorizer } from '../observability/metrics-auth.ts';
import { compactingCollection, SoftMemoryLimit } from '../observability/memory-limit.ts';
import { HeapAfterGc } from '../observability/heap-after-gc.ts';
import { selfSignedCertificate, type KeyPair } from '../lib/self-signed.ts';
import { errorMessage } from '../lib/errors.ts';
import { AllowAllWebhook } from '../admission/server.ts';

/** The metrics server's certificate: from `certDir` (tls.crt, tls.key), else self-signed in memory. */
function metricsCertificate(certDir: string | undefined): KeyPair {
  if (certDir === undefined) return selfSignedCertificate(['localhost', hostname()], ['127.0.0.1', '::1']);
  const read = (file: string): string => {
    try {
      return readFileSync(join(certDir, file), 'utf8');
    } catch (err: unknown) {
      throw new Error(`--metrics-cert-dir ${JSON.stringify(certDir)}: cannot read ${file}: ${errorMessage(err)}`, { cause: err });
    }
  };
  return { cert: read('tls.crt'), key: read('tls.key') };
}

/** How to serve /metrics: reviews go through a client of their own (no leader check on its POSTs, no queueing behind the workers). */
function metricsServing(config: RunConfig, rest: RestClient | undefined, log: Logger): MetricsServing {
  if (config.metricsServing.kind === 'plain' || rest === undefined) {
    log.warn('Serving metrics over plain HTTP to anyone who can reach the port (--metrics-secure=false)');
    return { kind: 'plain' };
  }
  return {
    kind: 'secure',
    authorizer: new ScrapeAuthorizer(apiReviewer(rest), () => Date.now()),
    tls: metricsCertificate(config.metricsServing.certDir),
    log,
  };
}

/** Runs until `stopSignal` resolves; resolves with the exit code. `onResyncRequest` hands over a function that resyncs now. */
export async function run(config: RunConfig, stopSignal: Promise<string>, onResyncRequest?: (resync: () => void) => void): Promise<number> {
  const log = createLogger(config.logLevel);
  const metrics = new Metrics();
  const heapAfterGc = new HeapAfterGc();
  heapAfterGc.start();
  metrics.sample({ heapAfterGc: () => heapAfterGc.bytes });
  // Refused before anything else when node cannot collect on request.
  const memoryLimit = softMemoryLimit(config, metrics, log);
  const kc = await loadClusterAccess(config.kubeconfig);
  // With leader election each replica names itself, so the apiserver's audit log tells replicas apart.
  const userAgent = config.leaderElection === undefined ? 'kubeposture' : `kubeposture/${config.leaderElection.identity}`;
  const onRequest = (r: RequestRecord): void => {
    metrics.apiRequests.inc({ verb: r.method, code: String(r.status) });
    if (r.dryRun === true) metrics.apiDryRuns.inc({ verb: r.method, code: String(r.status) });
  };
  const le = config.leaderElection;
  let elector: LeaderElector | undefined;
  // Every write of the controller is checked against the lease just before it is sent;
  // the elector has a client of its own (its Lease writes, and no queueing behind the workers).
  const rest = new RestClient(kc, { userAgent, onRequest, ...(le === undefined ? {} : { mayWrite: () => elector?.isLeader ?? false }) });
  const electionRest = le === undefined ? undefined : new RestClient(kc, { userAgent, onRequest });
  // Who the apiserver takes kubeposture for (a review, not a write: sent whoever leads). Its
  // ServiceAccount is bound, per namespace, to what baselines grant there (the grantor).
  const username = await whoAmI(electionRest ?? rest);
  const operatorServiceAccount = serviceAccountOf(username);
  const controller: Controller = new Controller({
    metrics,
    ...(le === undefined
      ? {}
      : {
          leadership: {
            get isLeader(): boolean {
              return elector?.isLeader ?? false;
            },
          },
        }),
    rest,
    log,
    clock: systemClock,
    config: {
      operatorNamespace: config.operatorNamespace,
      operatorServiceAccount,
      workers: config.workers,
      resyncPeriodMs: config.resyncPeriodMs,
      statusIntervalMs: config.statusIntervalMs,
      conflictRecheckMs: 30_000,
      podSecurityRecheckMs: 500,
      exceptionHorizonMs: config.exceptionHorizonMs,
      reports: config.reports,
    },
  });
  const health = await startHealthServer(controller, config.healthAddress.host, config.healthAddress.port);
  const reviewRest =
    config.metricsServing.kind === 'secure'
      ? new RestClient(kc, { userAgent, onRequest, maxSockets: 4, maxThrottledRetries: 1 })
      : undefined;
  const metricsServer = await startMetricsServer(
    metrics,
    config.metricsAddress.host,
    config.metricsAddress.port,
    metricsServing(config, reviewRest, log),
  );
  // The allow-all webhook, on every replica (the Service may send a review to any), once
  // config/guard/allow-all.yaml is installed; its client is its own (reads and the certificate's writes, whoever leads).
  const admitAt = config.admissionAddress;
  const admitNamespace = config.operatorNamespace;
  const admission =
    admitAt === undefined || admitNamespace === undefined
      ? undefined
      : ((): { readonly rest: RestClient; readonly webhook: AllowAllWebhook } => {
          const admissionRest = new RestClient(kc, { userAgent, onRequest, maxSockets: 4, maxThrottledRetries: 1 });
          const webhook = new AllowAllWebhook({
            rest: admissionRest,
            namespace: admitNamespace,
            clock: systemClock,
            log,
            host: admitAt.host,
            port: admitAt.port,
            periodMs: 60_000,
            onReview: (verdict) => {
              metrics.admissionReviews.inc({ verdict });
            },
          });
          return { rest: admissionRest, webhook };
        })();
  admission?.webhook.start();
  log.info('Starting kubeposture', {
    server: kc.getCurrentCluster()?.server,
    namespace: config.operatorNamespace,
    user: username,
    workers: config.workers,
    healthPort: health.port,
    metricsPort: metricsServer.port,
    metricsSecure: config.metricsServing.kind === 'secure',
    // Off by default outside a cluster (src/config.ts): say so, where a second copy would fight.
    leaderElection: le === undefined ? 'off' : `Lease ${le.namespace}/kubeposture-leader`,
  });
  if (operatorServiceAccount === undefined)
    log.warn(
      'Running as a user that is not a ServiceAccount: no grantor RoleBindings are made, so it must hold what baselines grant itself',
      { username },
    );
  if (le !== undefined) {
    // A leader that loses its lease (another took it, or the apiserver was out of reach past
    // the renew deadline) stops writing at once: every write is checked against the lease as
    // it is sent. It does not exit: it follows with warm caches and campaigns again, so an
    // apiserver outage costs no restart and no relist of every object.
    elector = new LeaderElector(
      electionRest ?? rest,
      { name: 'kubeposture-leader', ...le },
      systemClock,
      log,
      () => {
        controller.startedLeading();
      },
      () => undefined,
    );
    elector.start();
  }
  memoryLimit?.start();
  const started = controller.start();
  onResyncRequest?.(() => {
    log.info('Resyncing every namespace on request');
    controller.resync();
  });
  const signal = await Promise.race([stopSignal, started.then(() => stopSignal)]);
  log.info('Shutting down', { signal });
  health.draining();
  await elector?.stop();
  await controller.stop();
  await admission?.webhook.stop();
  memoryLimit?.stop();
  heapAfterGc.stop();
  await health.close();
  await metricsServer.close();
  rest.close();
  electionRest?.close();
  reviewRest?.close();
  admission?.rest.close();
  return 0;
}

/** The soft memory limit, when configured; node must run with --expose-gc for it (a collection it can ask for). */
function softMemoryLimit(config: RunConfig, metrics: Metrics, log: Logger): SoftMemoryLimit | undefined {
  const limitBytes = config.memorySoftLimitBytes;
  if (limitBytes === undefined) return undefined;
  const { gc } = globalThis;
  if (typeof gc !== 'function')
    throw new Error('--memory-soft-limit needs node started with --expose-gc (NODE_OPTIONS=--expose-gc), to collect on its own');
  return new SoftMemoryLimit({
    clock: systemClock,
    log,
    limitBytes,
    rss: () => process.memoryUsage.rss(),
    collect: compactingCollection(gc),
    onCollect: (ms) => {
      metrics.memoryLimitCollections.inc();
      metrics.memoryLimitSeconds.inc(ms / 1000);
    },
  });
}
