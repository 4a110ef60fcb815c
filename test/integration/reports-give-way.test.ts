/**
 * Reports give way to waiting reconciles (src/controller/queue.ts, reports.ts), on the real
 * control plane: while namespaces wait in the reconciles' queue, no Report is written; once the
 * queue has none waiting, every governed namespace gets its Report. The order is read from the
 * operator's own requests, in the order their answers came, not from the clock: with two
 * reconcile workers, each object write answered 100 ms late (so that reconciles take their
 * time, as at scale) and 30 namespaces selected at once, only the two in flight when the queue
 * emptied may have objects written after the first Report write. With the give-way taken out of
 * reports.ts the check fails: 4 namespaces had objects written before the first Report write,
 * not 28 or more. (Without the delay it passed either way: 30 quick reconciles were all done
 * before a Report write came back.)
 */
import type { RequestRecord } from '../../src/kube/transport.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import { SlowRest, WRITE, type TestOperator } from '../support/operator.ts';
import { installOpenReports, removeOpenReports } from '../support/upstream.ts';
import { baselineManifest, createBaseline, createNamespaces, user, waitCompliant } from '../support/world.ts';

const COUNT = 30;
const WORKERS = 2;

let op: TestOperator;
beforeAll(async () => {
  await installDefaultConfig();
  await installOpenReports();
  // Each object write answered 100 ms late: reconciles that take their time, as at scale, so that
  // report workers left to themselves would write while namespaces still wait.
  op = await startAsOperator(
    { workers: WORKERS, reports: 'auto' },
    (kc, o) => new SlowRest(kc, o, (method, path) => WRITE.has(method) && path.includes('/namespaces/') && !path.includes('/reports'), 100),
  );
}, 120_000);
afterAll(async () => {
  await op.stop();
  await removeOpenReports();
}, 120_000);

/** The namespace a request's path is under (`/namespaces/<ns>/...`), or the namespace itself. */
const namespaceOf = (path: string): string | undefined => /\/namespaces\/([^/?]+)/.exec(path)?.[1];
const isReportWrite = (r: RequestRecord): boolean => WRITE.has(r.method) && /\/namespaces\/[^/]+\/reports/.test(r.path);
const isObjectWrite = (r: RequestRecord): boolean =>
  WRITE.has(r.method) && r.dryRun !== true && !isReportWrite(r) && !r.path.includes('/securitybaselines');

describe('Reports while namespaces converge', () => {
  it('are written once no reconcile waits, each governed namespace then getting its own', async () => {
    const group = uniqueName('gw');
    const namespaces = await createNamespaces('gw', COUNT, { 'kp-test': group });
    const ours = new Set(namespaces);
    op.resetRequests();
    // Every namespace enters the reconciles' queue at once, when the baseline appears.
    const baseline = await createBaseline(baselineManifest(group, { resourceQuota: { hard: { pods: '10' } } }));
    await waitCompliant(baseline, COUNT);
    await eventually(async () => {
      for (const ns of namespaces) expect((await user.get('Report', ns, 'kubeposture'))?.metadata.name).toBe('kubeposture');
    }, 30_000);

    const requests = op.requests.filter((r) => ours.has(namespaceOf(r.path) ?? ''));
    const firstReport = requests.findIndex(isReportWrite);
    expect(firstReport).toBeGreaterThan(0);
    const writtenIn = (rs: RequestRecord[]): Set<string | undefined> => new Set(rs.filter(isObjectWrite).map((r) => namespaceOf(r.path)));
    // Every namespace but those in flight when the queue emptied had its objects written first,
    const before = writtenIn(requests.slice(0, firstReport));
    expect(before.size).toBeGreaterThanOrEqual(COUNT - WORKERS);
    // and only those in flight had any written after.
    const after = writtenIn(requests.slice(firstReport));
    expect(after.size).toBeLessThanOrEqual(WORKERS);
    // And then every namespace's Report.
    const reportWrites = requests.filter(isReportWrite);
    expect(new Set(reportWrites.map((r) => namespaceOf(r.path))).size).toBe(COUNT);
  }, 120_000);
});
