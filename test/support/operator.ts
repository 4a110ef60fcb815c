/**
 * Runs the real controller in the test process against the test control plane,
 * counting every API request it makes. Integration test files run one at a
 * time (jest maxWorkers 1): each starts its own operator, and two operators on
 * one cluster would fight.
 */
import { Controller, type ControllerConfig } from '../../src/controller/controller.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { serviceAccountOf, whoAmI } from '../../src/kube/identity.ts';
import { RestClient, type RestClientOptions } from '../../src/kube/rest.ts';
import type { RequestInit, RequestRecord } from '../../src/kube/transport.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { silentLogger, type Logger } from '../../src/lib/log.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { testKubeConfig } from './cluster.ts';

export interface TestOperator {
  readonly controller: Controller;
  /** Every request made since start (or the last reset). */
  readonly requests: RequestRecord[];
  /** Requests that change something (not GET, not a dry run), leaving out writes to SecurityBaselines. */
  namespaceWrites(): RequestRecord[];
  /** The most `method` requests to paths under `/namespaces/<namespace>/` in flight at once (with the default client). */
  mostAtOnce(method: string, namespace: string): number;
  resetRequests(): void;
  /** How many times `namespace` has been reconciled, whatever came of it (by the controller's "Reconciled namespace" log line). */
  reconcilesOf(namespace: string): number;
  stop(): Promise<void>;
}

/** The HTTP methods that write. */
export const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Makes the operator's client: a test may pass a RestClient subclass that injects faults. */
export type RestFactory = (kc: KubeConfig, opts: RestClientOptions) => RestClient;

/** The default client: counts, per method and namespace, the most requests in flight at once. */
class AtOnceRest extends RestClient {
  readonly most = new Map<string, number>();
  private readonly now = new Map<string, number>();

  override async request(method: string, path: string, init: RequestInit = {}): Promise<unknown> {
    const ns = /\/namespaces\/([^/]+)\//.exec(path)?.[1];
    const key = `${method} ${ns ?? ''}`;
    const n = (this.now.get(key) ?? 0) + 1;
    this.now.set(key, n);
    this.most.set(key, Math.max(n, this.most.get(key) ?? 0));
    try {
      return await super.request(method, path, init);
    } finally {
      this.now.set(key, (this.now.get(key) ?? 1) - 1);
    }
  }
}

/** A client whose requests `slow` picks answer `delayMs` late: a write that takes its time, for tests of what waits on it. */
export class SlowRest extends RestClient {
  private readonly slow: (method: string, path: string, init: RequestInit) => boolean;
  private readonly delayMs: number;

  constructor(
    kc: KubeConfig,
    opts: RestClientOptions,
    slow: (method: string, path: string, init: RequestInit) => boolean,
    delayMs: number,
  ) {
    super(kc, opts);
    this.slow = slow;
    this.delayMs = delayMs;
  }

  override async request(method: string, path: string, init: RequestInit = {}): Promise<unknown> {
    if (this.slow(method, path, init)) await new Promise((r) => setTimeout(r, this.delayMs));
    return super.request(method, path, init);
  }
}

/** Starts a controller and waits for its caches to sync and its first pass to finish. */
export async function startOperator(
  config: Partial<ControllerConfig> = {},
  kubeConfig: KubeConfig = testKubeConfig(),
  makeRest: RestFactory = (k, o) => new AtOnceRest(k, o),
): Promise<TestOperator> {
  const base: Logger = process.env.KUBEPOSTURE_TEST_LOG === 'debug' ? createLogger('debug') : silentLogger;
  const reconciled = new Map<string, number>();
  const log: Logger = {
    error: (m, f) => {
      base.error(m, f);
    },
    warn: (m, f) => {
      base.warn(m, f);
    },
    info: (m, f) => {
      base.info(m, f);
    },
    debug: (m, f) => {
      const ns = f?.namespace;
      if (m === 'Reconciled namespace' && typeof ns === 'string') reconciled.set(ns, (reconciled.get(ns) ?? 0) + 1);
      base.debug(m, f);
    },
  };
  const requests: RequestRecord[] = [];
  const rest = makeRest(kubeConfig, {
    userAgent: 'kubeposture-under-test',
    onRequest: (r) => {
      requests.push(r);
    },
  });
  // As `kubeposture run` does: under a ServiceAccount, the operator grants through grantor RoleBindings.
  const operatorServiceAccount = serviceAccountOf(await whoAmI(rest));
  requests.length = 0;
  const controller = new Controller({
    rest,
    log,
    clock: systemClock,
    config: {
      operatorNamespace: undefined,
      operatorServiceAccount,
      workers: 4,
      resyncPeriodMs: 600_000,
      statusIntervalMs: 100,
      conflictRecheckMs: 500,
      podSecurityRecheckMs: 500,
      ...config,
    },
  });
  await controller.start();
  await controller.idle();
  return {
    controller,
    requests,
    namespaceWrites: () => requests.filter((r) => WRITE.has(r.method) && r.dryRun !== true && !r.path.includes('/securitybaselines')),
    mostAtOnce: (method, namespace) => (rest instanceof AtOnceRest ? (rest.most.get(`${method} ${namespace}`) ?? 0) : 0),
    resetRequests: () => {
      requests.length = 0;
      if (rest instanceof AtOnceRest) rest.most.clear();
    },
    reconcilesOf: (namespace) => reconciled.get(namespace) ?? 0,
    stop: async () => {
      await controller.stop();
      rest.close();
    },
  };
}
