/**
 * Leader election between two `kubeposture run` processes: only the leader
 * writes; when it is killed, the other takes over within the lease duration
 * and reconciles what changed meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { RESTRICTED_OBJECTS, RESTRICTED_SPEC, baselineManifest, core, createBaseline, createNamespaces, deleteBaseline, kc, managedIn, readBaseline, timed, user } from '../support/world.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const LEASE_MS = 4000;
const RETRY_MS = 500;

interface Operator { readonly child: ChildProcess; readonly log: () => string[]; readonly exited: Promise<number | null> }

function start(namespace: string): Operator {
  const child = spawn(process.execPath, [
    MAIN, 'run', '--kubeconfig', process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '', '--namespace', namespace, '--health-addr', '127.0.0.1:0', '--metrics-addr', '127.0.0.1:0',
    '--lease-duration', `${String(LEASE_MS)}ms`, '--renew-deadline', '3s', '--retry-period', `${String(RETRY_MS)}ms`, '--status-interval', '100ms',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  return {
    child,
    log: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { message: string }).message),
    exited: new Promise((resolve) => { child.on('exit', (code) => { resolve(code); }); }),
  };
}

const writes = (o: Operator): number => o.log().filter((m) => ['Created object', 'Repaired object', 'Applied shared fields', 'Added finalizer'].includes(m)).length;

beforeAll(async () => { await installCrd(kc); });
afterAll(() => { user.close(); });

describe('two operators', () => {
  it('elect one writer, and the other takes over within the lease duration when it dies', async () => {
    const home = uniqueName('kp-home');
    await core.createNamespace({ body: { metadata: { name: home } } });
    const ops = [start(home), start(home)];
    try {
      const leader = await eventually(async () => {
        const leaders = ops.filter((o) => o.log().includes('Became leader'));
        expect(leaders).toHaveLength(1);
        const [one] = leaders;
        if (one === undefined) throw new Error('no leader');
        return one;
      }, 15_000);
      const follower = ops.find((o) => o !== leader);
      if (follower === undefined) throw new Error('no follower');

      const group = uniqueName('g');
      const name = await createBaseline(baselineManifest(group, RESTRICTED_SPEC));
      const [first = ''] = await createNamespaces('le', 1, { 'kp-test': group });
      await timed(async () => { expect(await managedIn(first)).toEqual(RESTRICTED_OBJECTS); });
      expect(writes(leader)).toBeGreaterThan(0);
      expect(writes(follower)).toBe(0);

      leader.child.kill('SIGKILL');
      const killedAt = Date.now();
      const [second = ''] = await createNamespaces('le-after', 1, { 'kp-test': group });
      await timed(async () => { expect(await managedIn(second)).toEqual(RESTRICTED_OBJECTS); }, 15_000);
      const takeover = Date.now() - killedAt;
      expect(follower.log()).toContain('Became leader');
      // Lease duration, plus one retry period to notice, plus the reconcile itself.
      expect(takeover).toBeLessThan(LEASE_MS + 2 * RETRY_MS + 1500);

      await deleteBaseline(name);
      await timed(async () => { expect(await readBaseline(name)).toBeUndefined(); });
      follower.child.kill('SIGTERM');
      expect(await follower.exited).toBe(0);
      // A leader that stops gives its lease up.
      const lease = (await user.get('Lease', home, 'kubeposture-leader')) as { spec: { holderIdentity?: string } };
      expect(lease.spec.holderIdentity ?? '').toBe('');
    } finally {
      for (const o of ops) o.child.kill('SIGKILL');
    }
  });
});
