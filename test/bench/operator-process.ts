/**
 * `kubeposture run` as its own process, as it runs in a cluster: the benchmark
 * reads its CPU time and memory from /proc, its queue from its /metrics, and
 * stops it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAll } from 'js-yaml';
import { freePort, httpGet } from '../controlplane/controlplane.ts';
import { OPERATOR_NAMESPACE } from './identity.ts';

/** The Node flags the shipped Deployment gives the operator (its NODE_OPTIONS), so the benchmark measures what runs. */
export function deploymentNodeOptions(root: string): string[] {
  const docs = loadAll(readFileSync(join(root, 'config/manager/deployment.yaml'), 'utf8')) as { spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } }[];
  const env = docs.flatMap((d) => d.spec?.template?.spec?.containers ?? []).flatMap((c) => c.env ?? []);
  const value = env.find((e) => e.name === 'NODE_OPTIONS')?.value;
  if (value === undefined) throw new Error('config/manager/deployment.yaml sets no NODE_OPTIONS');
  return value.split(' ').filter((f) => f !== '');
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

export class OperatorProcess {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly metricsPort: number;
  private exited = false;

  private constructor(child: ChildProcess, metricsPort: number) {
    if (child.pid === undefined) throw new Error('kubeposture run did not start');
    this.child = child;
    this.pid = child.pid;
    this.metricsPort = metricsPort;
    child.on('exit', () => { this.exited = true; });
  }

  /** Starts `kubeposture run` and waits until it reports ready (every cache synced). */
  static async start(root: string, kubeconfig: string, workers: number, logFile: string, nodeArgs: readonly string[] = []): Promise<OperatorProcess> {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [
      ...deploymentNodeOptions(root), ...nodeArgs, join(root, 'src/cli/main.ts'), 'run', '--kubeconfig', kubeconfig, '--leader-elect=false', '--workers', String(workers),
      '--metrics-addr', `127.0.0.1:${String(metricsPort)}`, '--health-addr', `127.0.0.1:${String(healthPort)}`,
      '--resync-period', '1h', '--log-level', 'warn', '--namespace', OPERATOR_NAMESPACE,
    ], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const op = new OperatorProcess(child, metricsPort);
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (op.hasExited()) throw new Error(`kubeposture run exited during start; see ${logFile}`);
      try {
        if ((await httpGet(`http://127.0.0.1:${String(healthPort)}/readyz`, undefined, 5000)).status === 200) return op;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`kubeposture run not ready after 300 s; see ${logFile}`);
      await sleep(100);
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

  /** Asks for a full resync (SIGHUP). */
  resync(): void {
    this.child.kill('SIGHUP');
  }

  /** A method, not the field, so that the compiler does not narrow it across awaits. */
  hasExited(): boolean {
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => { this.child.once('exit', () => { resolve(); }); });
    this.child.kill('SIGTERM');
    await Promise.race([gone, sleep(30_000)]);
    if (!this.hasExited()) this.child.kill('SIGKILL');
  }
}
