/**
 * `kubeposture run` as its own process, as it runs in a cluster: the benchmark
 * reads its CPU time and memory from /proc, its queue from its /metrics, and
 * stops it by PID; the fault-injection suite (test/chaos) also runs it with
 * leader election, kills, stops and continues it, and reads its /readyz.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAll } from 'js-yaml';
import { freePort, httpGet } from '../controlplane/controlplane.ts';
import { OPERATOR_NAMESPACE } from './identity.ts';

/** The environment the shipped Deployment gives the operator: its literal values (not those from the downward API). */
export function deploymentEnv(root: string): Record<string, string> {
  const docs = loadAll(readFileSync(join(root, 'config/manager/deployment.yaml'), 'utf8')) as {
    spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } };
  }[];
  const env = docs.flatMap((d) => d.spec?.template?.spec?.containers ?? []).flatMap((c) => c.env ?? []);
  return Object.fromEntries(env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value] as const])));
}

/** The Node flags the shipped Deployment gives the operator (its NODE_OPTIONS), so the benchmark measures what runs. */
export function deploymentNodeOptions(root: string): string[] {
  const value = deploymentEnv(root).NODE_OPTIONS;
  if (value === undefined) throw new Error('config/manager/deployment.yaml sets no NODE_OPTIONS');
  return value.split(' ').filter((f) => f !== '');
}

/** The operator's memory sizing: its V8 heap (`--max-old-space-size`) and soft limit, in MiB. */
export interface OperatorMemory {
  readonly heapMiB: number;
  readonly softLimitMiB: number;
}

const HEAP_FLAG = '--max-old-space-size=';

/**
 * Node flags and environment that size the operator's memory otherwise than the Deployment
 * does (a cluster that caches more objects than it is sized for, config/manager/deployment.yaml),
 * and the sizing it then runs with. The last `--max-old-space-size` wins: the Deployment's, then
 * `sizing`'s, then any in `nodeArgs` (flags given after these, `--node-args`).
 */
export function operatorMemory(
  root: string,
  sizing: Partial<OperatorMemory> | undefined,
  nodeArgs: readonly string[] = [],
): { readonly nodeArgs: string[]; readonly env: Record<string, string>; readonly memory: OperatorMemory } {
  const sizedArgs = sizing?.heapMiB === undefined ? [] : [`${HEAP_FLAG}${String(sizing.heapMiB)}`];
  const heapFlag = [...deploymentNodeOptions(root), ...sizedArgs, ...nodeArgs].findLast((f) => f.startsWith(HEAP_FLAG));
  const heapMiB = Number(heapFlag?.slice(HEAP_FLAG.length));
  const softLimitMiB = sizing?.softLimitMiB ?? Number(deploymentEnv(root).KUBEPOSTURE_MEMORY_SOFT_LIMIT ?? '0');
  if (!Number.isSafeInteger(heapMiB)) throw new Error('config/manager/deployment.yaml gives the operator no --max-old-space-size');
  return {
    nodeArgs: sizedArgs,
    env: sizing?.softLimitMiB === undefined ? {} : { KUBEPOSTURE_MEMORY_SOFT_LIMIT: String(sizing.softLimitMiB) },
    memory: { heapMiB, softLimitMiB },
  };
}

/** A metric's value summed over its series (those whose labels include `having`, if given), from a Prometheus text exposition. */
export function metricSum(text: string, name: string, having?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (having !== undefined && !line.includes(having)) continue;
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** How to run `kubeposture run`. */
export interface OperatorOptions {
  readonly workers: number;
  /** Where its stdout and stderr (the JSON log) go; appended to. */
  readonly logFile: string;
  /** Flags for its node, after the Deployment's NODE_OPTIONS. */
  readonly nodeArgs?: readonly string[];
  /** The program node runs: the image's compiled `dist/cli/main.js` (support/image-layout.ts); default the checkout's `src/cli/main.ts`. */
  readonly main?: string;
  /** Default `warn`. */
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Leader election on (with these durations, as `--lease-duration` takes them: `4s`); off when absent. */
  readonly leaderElection?: { readonly leaseDuration: string; readonly renewDeadline: string; readonly retryPeriod: string };
  /** More flags for `kubeposture run`. */
  readonly flags?: readonly string[];
  /** Environment added to this process's (POD_NAME, say). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Serve /metrics as shipped (HTTPS, each scraper's token reviewed by the apiserver). Off by
   * default: the benchmark and the fault scenarios scrape over plain HTTP, so that no review
   * request adds to the API requests they count.
   */
  readonly secureMetrics?: boolean;
  /** A release from before `--metrics-secure` (test/chaos/previous-release.ts): the flag is not passed. */
  readonly previousRelease?: boolean;
  /** Resolve once /readyz answers 200 (default), or as soon as the process runs. */
  readonly waitReady?: boolean;
}

export class OperatorProcess {
  readonly pid: number;
  private readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Where its JSON log goes. */
  readonly logFile: string;
  private exited = false;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exit: Promise<number | null>;

  private constructor(child: ChildProcess, metricsPort: number, healthPort: number, logFile: string) {
    if (child.pid === undefined) throw new Error('kubeposture run did not start');
    this.child = child;
    this.logFile = logFile;
    this.pid = child.pid;
    this.metricsPort = metricsPort;
    this.healthPort = healthPort;
    this.exit = new Promise((resolve) => {
      child.on('exit', (code) => {
        this.exited = true;
        resolve(code);
      });
    });
  }

  /** Starts `kubeposture run` with the operator's namespace and, unless told otherwise, waits until it reports ready (every cache synced). */
  static async start(root: string, kubeconfig: string, opts: OperatorOptions): Promise<OperatorProcess> {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const le = opts.leaderElection;
    const fd = openSync(opts.logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        ...deploymentNodeOptions(root),
        ...(opts.nodeArgs ?? []),
        opts.main ?? join(root, 'src/cli/main.ts'),
        'run',
        '--kubeconfig',
        kubeconfig,
        '--workers',
        String(opts.workers),
        ...(le === undefined
          ? ['--leader-elect=false']
          : [
              '--leader-elect=true',
              '--lease-duration',
              le.leaseDuration,
              '--renew-deadline',
              le.renewDeadline,
              '--retry-period',
              le.retryPeriod,
            ]),
        '--metrics-addr',
        `127.0.0.1:${String(metricsPort)}`,
        ...(opts.previousRelease === true ? [] : [`--metrics-secure=${String(opts.secureMetrics ?? false)}`]),
        '--health-addr',
        `127.0.0.1:${String(healthPort)}`,
        '--resync-period',
        '1h',
        '--log-level',
        opts.logLevel ?? 'warn',
        '--namespace',
        OPERATOR_NAMESPACE,
        ...(opts.flags ?? []),
      ],
      // As the Deployment runs it (MALLOC_ARENA_MAX, say); its NODE_OPTIONS are passed as flags above.
      { stdio: ['ignore', fd, fd], env: { ...process.env, ...withoutNodeOptions(deploymentEnv(root)), ...opts.env } },
    );
    closeSync(fd);
    const op = new OperatorProcess(child, metricsPort, healthPort, opts.logFile);
    if (opts.waitReady === false) return op;
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (op.hasExited()) throw new Error(`kubeposture run exited during start; see ${opts.logFile}`);
      if ((await op.readyz()) === 200) return op;
      if (Date.now() > deadline) throw new Error(`kubeposture run not ready after 300 s; see ${opts.logFile}`);
      await sleep(100);
    }
  }

  /** The status /readyz answers now, or 0 when it does not answer. */
  async readyz(): Promise<number> {
    try {
      return (await httpGet(`http://127.0.0.1:${String(this.healthPort)}/readyz`, undefined, 5000)).status;
    } catch {
      return 0;
    }
  }

  async metrics(): Promise<string> {
    return (await httpGet(`http://127.0.0.1:${String(this.metricsPort)}/metrics`, undefined, 5000)).body;
  }

  /**
   * Resolves once no reconcile has finished for `quietMs`. Not "the queue is empty": keys
   * waiting on a timer (a Conflict is looked at again every 30 s) keep the queue's depth
   * above zero in a settled cluster.
   */
  async idle(quietMs = 1500, timeoutMs = 1_800_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietSince: number | undefined;
    let lastReconciles = -1;
    for (;;) {
      const reconciles = metricSum(await this.metrics(), 'kubeposture_reconciles_total');
      const now = Date.now();
      if (reconciles === lastReconciles) {
        quietSince ??= now;
        if (now - quietSince >= quietMs) return;
      } else {
        quietSince = undefined;
      }
      lastReconciles = reconciles;
      if (now > deadline) throw new Error('operator did not go idle');
      // Not more often: each scrape costs the operator about a millisecond of CPU.
      await sleep(250);
    }
  }

  /**
   * Resolves once no report is pending (kubeposture_reports_pending is 0): none waiting, none
   * held back by its interval (a ClusterReport of many pages: up to a minute at 10,000 namespaces).
   */
  async reportsWritten(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (metricSum(await this.metrics(), 'kubeposture_reports_pending') > 0) {
      if (Date.now() > deadline) throw new Error('reports still pending');
      await sleep(500);
    }
  }

  /** Asks for a full resync (SIGHUP). */
  resync(): void {
    this.child.kill('SIGHUP');
  }

  /** Sends a signal (the fault-injection suite's SIGKILL, SIGSTOP, SIGCONT); nothing once it has exited. */
  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** A method, not the field, so that the compiler does not narrow it across awaits. */
  hasExited(): boolean {
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    // A stopped process acts on SIGTERM only once continued.
    this.child.kill('SIGCONT');
    // An unreferenced timer: once the process is gone, nothing keeps this one waiting.
    await Promise.race([this.exit, sleep(30_000, undefined, { ref: false })]);
    if (!this.hasExited()) this.child.kill('SIGKILL');
  }
}

function withoutNodeOptions(env: Record<string, string>): Record<string, string> {
  const { NODE_OPTIONS: _flags, ...rest } = env;
  return rest;
}
