/**
 * `kubeposture run` as a user starts it: a child process with flags, JSON logs,
 * the same work done, and a clean exit on SIGTERM.
 */
import { eventually, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { startRun } from '../support/run-process.ts';
import {
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  managedIn,
  readBaseline,
  timed,
  user,
  waitReady,
} from '../support/world.ts';

/** Health and plain-HTTP metrics on free local ports, one process. */
const LOCAL = ['--health-addr', '127.0.0.1:0', '--metrics-addr', '127.0.0.1:0', '--metrics-secure=false', '--leader-elect=false'];

beforeAll(async () => {
  await installCrd(kc);
});
afterAll(() => {
  user.close();
});

describe('kubeposture run', () => {
  it('reconciles as a child process, logs JSON lines, and exits 0 on SIGTERM', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('run', 1, { 'kp-test': group });
    const child = startRun([
      '--kubeconfig',
      process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '',
      '--workers',
      '2',
      '--status-interval',
      '100ms',
      '--log-level',
      'debug',
      ...LOCAL,
    ]);
    try {
      const { port, metricsPort } = await eventually(async () => {
        const starting =
          child
            .output()
            .split('\n')
            .find((l) => l.includes('"Starting kubeposture"')) ?? '{}';
        const ports = JSON.parse(starting) as { healthPort?: number; metricsPort?: number };
        if (ports.healthPort === undefined || ports.metricsPort === undefined) throw new Error('no ports logged yet');
        return { port: ports.healthPort, metricsPort: ports.metricsPort };
      });
      await eventually(async () => {
        expect((await fetch(`http://127.0.0.1:${String(port)}/readyz`)).status).toBe(200);
      });
      expect((await fetch(`http://127.0.0.1:${String(port)}/healthz`)).status).toBe(200);
      const name = await createBaseline(baselineManifest(group, { resourceQuota: { hard: { pods: '4' } } }));
      await timed(async () => {
        expect(await managedIn(ns)).toEqual([
          'NetworkPolicy/kubeposture-allow-dns',
          'NetworkPolicy/kubeposture-default-deny',
          'ResourceQuota/kubeposture-quota',
        ]);
      }, 20_000);
      await waitReady(name);
      const scraped = await (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text();
      const value = (series: string): number =>
        Number(new RegExp(`^${series.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(scraped)?.[1] ?? 'NaN');
      expect(value('kubeposture_reconciles_total{result="done"}')).toBeGreaterThan(0);
      expect(value('kubeposture_api_requests_total{verb="PATCH",code="200"}')).toBeGreaterThan(0);
      expect(value('kubeposture_drift_found_total{kind="ResourceQuota",reason="Missing"}')).toBeGreaterThan(0);
      expect(value('kubeposture_leader')).toBe(1);
      expect(value('kubeposture_queue_depth')).toBeGreaterThanOrEqual(0);
      expect(value('kubeposture_reports_pending')).toBeGreaterThanOrEqual(0);
      expect(value('kubeposture_reconcile_duration_seconds_count')).toBeGreaterThan(0);
      // The caches, sampled at the scrape: at least this test's namespace, its quota and its baseline.
      expect(value('kubeposture_cache_objects{cache="Namespace"}')).toBeGreaterThanOrEqual(1);
      expect(value('kubeposture_cache_objects{cache="ResourceQuota"}')).toBeGreaterThanOrEqual(1);
      expect(value('kubeposture_cache_objects{cache="SecurityBaseline"}')).toBeGreaterThanOrEqual(1);
      expect(value('kubeposture_cache_objects{cache="namespace-results"}')).toBeGreaterThanOrEqual(1);
      expect(scraped).toContain('kubeposture_queue_wait_seconds_bucket');
      expect(scraped).toContain('kubeposture_process_cpu_seconds_total');
      await deleteBaseline(name);
      await timed(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    const lines = child.output().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const messages = new Set(lines.map((l) => (JSON.parse(l) as { message: string }).message));
    for (const m of [
      'Starting kubeposture',
      'Started controller',
      'Created object',
      'Removed finalizer after cleanup',
      'Shutting down',
      'Stopped controller',
    ]) {
      expect({ m, logged: messages.has(m) }).toEqual({ m, logged: true });
    }
  });

  it('collects on its own above --memory-soft-limit, counts it, and backs off and says so when the limit is below the live data', async () => {
    // 1 MiB: below anything node can live in, so every collection leaves it above the limit.
    const child = startRun(['--kubeconfig', process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '', ...LOCAL, '--memory-soft-limit', '1'], {
      nodeArgs: ['--expose-gc'],
    });
    try {
      const metricsPort = await eventually(async () => {
        const starting =
          child
            .output()
            .split('\n')
            .find((l) => l.includes('"Starting kubeposture"')) ?? '{}';
        const port = (JSON.parse(starting) as { metricsPort?: number }).metricsPort;
        if (port === undefined) throw new Error('no port logged yet');
        return port;
      });
      await eventually(async () => {
        const scraped = await (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text();
        const n = Number(/^kubeposture_memory_limit_collections_total (\S+)$/m.exec(scraped)?.[1] ?? '0');
        expect(n).toBeGreaterThanOrEqual(1);
        expect(Number(/^kubeposture_memory_limit_collection_seconds_total (\S+)$/m.exec(scraped)?.[1] ?? '0')).toBeGreaterThan(0);
        // Each of those collections is a full one: the heap after it is known.
        expect(Number(/^kubeposture_heap_after_gc_bytes (\S+)$/m.exec(scraped)?.[1] ?? '0')).toBeGreaterThan(2 ** 20);
      }, 15_000);
      expect(child.output()).toContain('Memory is above the soft limit even after a full collection: raise the limit');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    // Said once, however many collections ran.
    expect(child.output().split('even after a full collection').length - 1).toBe(1);
  });

  it.each<[string[], RegExp]>([
    [['--workers', '0'], /--workers "0" must be a whole number from 1 to 256/],
    [['--resync-period', 'soon'], /--resync-period "soon" is not a duration/],
    [['--log-level', 'loud'], /--log-level "loud" must be one of error, warn, info, debug/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--health-addr', 'localhost'], /--health-addr "localhost" must be host:port or :port/],
    [['--metrics-secure', 'no'], /--metrics-secure "no" must be true or false/],
    [['--metrics-secure=false', '--metrics-cert-dir', '/tls'], /--metrics-cert-dir needs --metrics-secure=true/],
    [['--leader-elect', 'true'], /--leader-elect needs the operator's namespace for its Lease/],
    [
      ['--namespace', 'x', '--lease-duration', '5s', '--renew-deadline', '10s'],
      /--retry-period must be shorter than --renew-deadline, and that shorter than --lease-duration/,
    ],
  ])('refuses bad flags %j with exit 2, naming the flag', async (args, message) => {
    const child = startRun(args);
    expect(await child.exited).toBe(2);
    expect(child.output()).toMatch(message);
  });
});
