/**
 * The unprotected window (`make bench-window`, issue 18): namespaces created with a pod at
 * once, as a GitOps sync does, each pod retried as a controller would until admitted; then,
 * by the one etcd's resourceVersions (every write is ordered), how many pods were stored
 * before their namespace's default-deny NetworkPolicy existed. Once without the guard (today)
 * and once with config/guard/pods.yaml installed (target 0), with the time from each
 * namespace's creation to its pod's admission, so the guard's cost in latency shows beside
 * what it closes.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { NAME_DEFAULT_DENY } from '../../src/api/constants.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { Bench, SET_LABEL, type BenchEnv, type BenchOptions } from './bench.ts';
import { listAll } from './fixtures.ts';
import { pool } from './floor.ts';
import { percentile } from './measure.ts';
import { compliantPod } from '../support/pods.ts';

export interface WindowPhase {
  readonly guard: boolean;
  readonly namespaces: number;
  /** Pods stored before their namespace's default-deny. */
  readonly podsBeforeDeny: number;
  /** Refused creates before each pod got in (the guard's, and the ServiceAccount admission's while `default` is not made yet). */
  readonly refusals: number;
  /** From the namespace's create to its pod's, in ms. */
  readonly podAdmittedP50Ms: number;
  readonly podAdmittedP99Ms: number;
}

export interface WindowResult {
  readonly off: WindowPhase;
  readonly on: WindowPhase;
}

const RETRY_MS = 20;
const GUARD_FILE = 'config/guard/pods.yaml';

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

export async function runWindowBench(env: BenchEnv, opts: BenchOptions, namespaces: number, cleanup: boolean): Promise<WindowResult> {
  const bench = new Bench(env, opts);
  const kubectl = (...args: string[]): string =>
    execFileSync('kubectl', ['--kubeconfig', env.kubeconfig, ...args], { encoding: 'utf8', cwd: env.root });
  try {
    await bench.startOperator('window');
    const set = bench.name('win');
    await bench.createBaseline('window', { [SET_LABEL]: set });
    const phase = async (guard: boolean): Promise<WindowPhase> => {
      const names = Array.from({ length: namespaces }, (_, i) => bench.name(`win-${guard ? 'on' : 'off'}-${String(i)}`));
      const admittedAfter: number[] = [];
      let refusals = 0;
      await pool(names, opts.workers, async (ns) => {
        const t0 = performance.now();
        await env.rest.request('POST', resourcePath('Namespace'), {
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [SET_LABEL]: set } } },
        });
        for (;;) {
          try {
            await env.rest.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: compliantPod('app') });
            break;
          } catch (err: unknown) {
            // Refused (the guard, or no `default` ServiceAccount yet, or a quota before its LimitRange): a controller would retry.
            if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 422)) throw err;
            refusals += 1;
            if (performance.now() - t0 > 120_000)
              throw new Error(`the pod in ${ns} was not admitted in 120 s: ${err.message}`, { cause: err });
            await sleep(RETRY_MS);
          }
        }
        admittedAfter.push(performance.now() - t0);
      });
      const want = new Set(names);
      // Every namespace's default-deny, then compare resourceVersions (one etcd: its revision orders every write).
      const denyRv = new Map<string, number>();
      for (let i = 0; denyRv.size < want.size; i++) {
        for (const np of await listAll(env.rest, resourcePath('NetworkPolicy'), { fieldSelector: `metadata.name=${NAME_DEFAULT_DENY}` })) {
          const ns = np.metadata.namespace ?? '';
          if (want.has(ns)) denyRv.set(ns, Number(np.metadata.resourceVersion));
        }
        if (i > 600) throw new Error(`only ${String(denyRv.size)} of ${String(want.size)} namespaces got their default-deny`);
        if (denyRv.size < want.size) await sleep(100);
      }
      let before = 0;
      for (const pod of await listAll(env.rest, '/api/v1/pods', { fieldSelector: 'metadata.name=app' })) {
        const ns = pod.metadata.namespace ?? '';
        const deny = denyRv.get(ns);
        if (deny !== undefined && Number(pod.metadata.resourceVersion) < deny) before += 1;
      }
      const result = {
        guard,
        namespaces,
        podsBeforeDeny: before,
        refusals,
        podAdmittedP50Ms: round(percentile(admittedAfter, 50)),
        podAdmittedP99Ms: round(percentile(admittedAfter, 99)),
      };
      env.log(
        `  guard ${guard ? 'on' : 'off'}: ${String(before)} of ${String(namespaces)} pods stored before their default-deny; ` +
          `pod admitted ${String(result.podAdmittedP50Ms)} ms (p50), ${String(result.podAdmittedP99Ms)} ms (p99) after its namespace; ${String(refusals)} refusals`,
      );
      return result;
    };
    env.log(`window: ${String(namespaces)} namespaces created with a pod at once, without and with the guard`);
    const off = await phase(false);
    kubectl('apply', '-f', GUARD_FILE);
    try {
      await guardInForce(env, bench, set);
      return { off, on: await phase(true) };
    } finally {
      kubectl('delete', '--ignore-not-found', '-f', GUARD_FILE);
    }
  } finally {
    if (cleanup) await bench.cleanup();
    else await bench.stop();
  }
}

/**
 * Waits until the apiserver enforces the guard (it loads policies and bindings asynchronously):
 * a namespace made outside the set (so nothing guards it) and given its `default`
 * ServiceAccount, then moved into the set, is asked at once for a pod with a dry run; in force,
 * the guard refuses it before the operator has marked the namespace (about 200 ms later).
 */
async function guardInForce(env: BenchEnv, bench: Bench, set: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ns = bench.name(`win-probe-${String(i)}`);
    await env.rest.request('POST', resourcePath('Namespace'), {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [SET_LABEL]: `${set}-probe` } } },
    });
    while ((await env.rest.get('ServiceAccount', ns, 'default')) === undefined) await sleep(50);
    await env.rest.mergePatch('Namespace', undefined, ns, { metadata: { labels: { [SET_LABEL]: set } } });
    try {
      await env.rest.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: compliantPod('probe'), query: { dryRun: 'All' } });
    } catch (err: unknown) {
      if (err instanceof ApiError && err.message.includes('kubeposture-guard')) return;
      // Refused for another reason (the operator won the race and its quota came before its LimitRange): try again.
    }
    await sleep(200);
  }
  throw new Error('the guard was not in force after 100 tries');
}

/** The figures as a few lines for people. */
export function renderWindow(r: WindowResult): string {
  const row = (p: WindowPhase): string =>
    `| ${p.guard ? 'on' : 'off'} | ${String(p.podsBeforeDeny)} of ${String(p.namespaces)} | ${String(p.podAdmittedP50Ms)} ms | ${String(p.podAdmittedP99Ms)} ms | ${String(p.refusals)} |`;
  return [
    '| guard | pods stored before their default-deny | pod admitted after its namespace, p50 | p99 | refused creates |',
    '|---|---|---|---|---|',
    row(r.off),
    row(r.on),
  ].join('\n');
}
