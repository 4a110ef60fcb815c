/**
 * A small version of the scale benchmark, in every test run: 100 namespaces
 * brought to a baseline with one request per object, then a full
 * resync that costs nothing. Request counts are exact figures, not timings, so a
 * regression that repeats work per namespace (or per pair of namespaces) fails
 * here on any machine.
 */
import { uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { startOperator, type TestOperator } from '../support/operator.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  readBaseline,
  timed,
  user,
  waitCompliant,
} from '../support/world.ts';

const N = 100;
/** Objects per namespace under RESTRICTED_SPEC: 7 owned, plus the default ServiceAccount and the Namespace labels. */
const WRITES_PER_NAMESPACE = 9;
/** The target of the performance issue: at most one request per object, plus one. */
const REQUESTS_PER_NAMESPACE_MAX = WRITES_PER_NAMESPACE + 1;

let op: TestOperator;
beforeAll(async () => {
  await installCrd(kc);
  op = await startOperator({ statusIntervalMs: 1000 });
});
afterAll(async () => {
  await op.stop();
  user.close();
});

describe(`${String(N)} namespaces`, () => {
  it('converge with a bounded number of requests each, and a resync then costs none', async () => {
    const group = uniqueName('g');
    await createNamespaces('scale', N, { 'kp-test': group });
    await op.controller.settle();
    op.resetRequests();
    const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
    await waitCompliant(name, N, 120_000);
    await op.controller.settle();

    const writes = op.requests.filter((r) => r.method !== 'GET' && !r.path.includes('/securitybaselines') && !r.path.includes('/events'));
    const gets = op.requests.filter((r) => r.method === 'GET');
    const perNamespace = op.requests.filter((r) => !r.path.includes('/securitybaselines') && !r.path.includes('/events')).length / N;
    const statusWrites = op.requests.filter((r) => r.path.endsWith('/status'));
    expect(writes.length).toBe(N * WRITES_PER_NAMESPACE);
    // Creation is one POST per object, which fails on a taken name: no name checks.
    expect(gets).toEqual([]);
    expect(perNamespace).toBeLessThanOrEqual(REQUESTS_PER_NAMESPACE_MAX);
    expect(op.requests.filter((r) => r.status >= 400)).toEqual([]);
    // Status under churn: a handful of writes for the whole rollout, not one per namespace.
    expect(statusWrites.length).toBeLessThan(20);

    op.resetRequests();
    const cpu = process.cpuUsage();
    op.controller.resync();
    await op.controller.settle();
    const used = process.cpuUsage(cpu);
    expect(op.requests).toEqual([]);
    // Loose sanity bound only (this machine is noisy): a resync of 100 cached namespaces is milliseconds.
    expect((used.user + used.system) / 1000).toBeLessThan(2000);

    await deleteBaseline(name);
    await timed(async () => {
      expect(await readBaseline(name)).toBeUndefined();
    }, 60_000);
  });
});
