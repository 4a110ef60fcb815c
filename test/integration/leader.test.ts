/**
 * Leader election between two `kubeposture run` processes: only the leader
 * writes; when it is killed, the other takes over within the lease duration
 * and reconciles what changed meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import {
  RESTRICTED_OBJECTS,
  RESTRICTED_SPEC,
  baselineManifest,
  core,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  managedIn,
  readBaseline,
  timed,
  user,
} from '../support/world.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const LEASE_MS = 4000;
const RETRY_MS = 500;

interface LogLine {
  readonly message: string;
  readonly timestamp: string;
}
interface Operator {
  readonly child: ChildProcess;
  readonly log: () => string[];
  readonly lines: () => LogLine[];
  readonly exited: Promise<number | null>;
}

function start(namespace: string): Operator {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'run',
      '--kubeconfig',
      process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '',
      '--namespace',
      namespace,
      // Outside a cluster election is off unless asked.
      '--leader-elect',
      '--health-addr',
      '127.0.0.1:0',
      '--metrics-addr',
      '127.0.0.1:0',
      '--lease-duration',
      `${String(LEASE_MS)}ms`,
      '--renew-deadline',
      '3s',
      '--retry-period',
      `${String(RETRY_MS)}ms`,
      '--status-interval',
      '100ms',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let out = '';
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const lines = (): LogLine[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  return {
    child,
    lines,
    log: () => lines().map((l) => l.message),
    exited: new Promise((resolve) => {
      child.on('exit', (code) => {
        resolve(code);
      });
    }),
  };
}

const writes = (o: Operator): number =>
  o.log().filter((m) => ['Created object', 'Repaired object', 'Applied shared fields', 'Added finalizer'].includes(m)).length;

beforeAll(async () => {
  await installCrd(kc);
});
afterAll(() => {
  user.close();
});

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
      await timed(async () => {
        expect(await managedIn(first)).toEqual(RESTRICTED_OBJECTS);
      });
      expect(writes(leader)).toBeGreaterThan(0);
      expect(writes(follower)).toBe(0);

      leader.child.kill('SIGKILL');
      const killedAt = Date.now();
      const [second = ''] = await createNamespaces('le-after', 1, { 'kp-test': group });
      const becameLeaderAt = await eventually(async () => {
        const line = follower.lines().find((l) => l.message === 'Became leader');
        if (line === undefined) throw new Error('the follower has not taken over yet');
        return Date.parse(line.timestamp);
      }, 15_000);
      // The lease runs out unrenewed, plus up to a retry period on each side to notice.
      expect(becameLeaderAt - killedAt).toBeLessThan(LEASE_MS + 2 * RETRY_MS + 500);
      // The new leader then reconciles what changed meanwhile (behind whatever else the
      // shared test cluster left for it to do, hence no tight bound here).
      await timed(async () => {
        expect(await managedIn(second)).toEqual(RESTRICTED_OBJECTS);
      }, 30_000);

      await deleteBaseline(name);
      await timed(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
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
