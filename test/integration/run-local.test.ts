/**
 * The README's local run command as written, `node src/cli/main.ts run --kubeconfig FILE` from
 * the repository's top folder with no other flag, outside a cluster (no $POD_NAMESPACE, no
 * mounted ServiceAccount): it starts without leader election, on the default ports, and
 * reconciles. Asked for a Lease (--leader-election-namespace), it takes one and leads.
 */
import { eventually, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { startingLine, startRun, type RunProcess } from '../support/run-process.ts';
import {
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  managedIn,
  readBaseline,
  user,
  waitCompliant,
} from '../support/world.ts';

const KUBECONFIG = process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '';
/** A developer's shell outside a cluster: no $POD_NAMESPACE. */
const SHELL: NodeJS.ProcessEnv = { POD_NAMESPACE: undefined };

beforeAll(async () => {
  await installCrd(kc);
});
afterAll(() => {
  user.close();
});

/**
 * The exit code once SIGTERM was sent, or (after `ms`) a failure that quotes the last log lines:
 * one CI run waited out jest's 120 s here, and said nothing of which shutdown step held it.
 */
async function exitAfterTerm(child: RunProcess, ms = 60_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new Error(
          `kubeposture run still running ${String(ms / 1000)} s after SIGTERM; its last lines:\n${child.output().split('\n').slice(-15).join('\n')}`,
        ),
      );
    }, ms);
  });
  try {
    return await Promise.race([child.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the README's local run command", () => {
  it('runs without leader election outside a cluster and reconciles, until SIGTERM', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('local', 1, { 'kp-test': group });
    const child = startRun(['--kubeconfig', KUBECONFIG], { env: SHELL });
    try {
      const line = await startingLine(child);
      expect(line).toMatchObject({ leaderElection: 'off', healthPort: 8081, metricsPort: 8443, metricsSecure: true });
      // Reconciled: the baseline's objects made in its one namespace and reported compliant.
      const name = await createBaseline(baselineManifest(group));
      await waitCompliant(name, 1);
      expect(await managedIn(ns)).toContain('NetworkPolicy/kubeposture-default-deny');
      // And its finalizer honoured, so no baseline outlives this operator waiting for one.
      await deleteBaseline(name);
      await eventually(async () => {
        expect(await readBaseline(name)).toBeUndefined();
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitAfterTerm(child)).toBe(0);
  });

  it('takes the Lease in --leader-election-namespace when asked, and leads', async () => {
    const [lockNs = ''] = await createNamespaces('locks', 1, {});
    const child = startRun(
      ['--kubeconfig', KUBECONFIG, '--leader-election-namespace', lockNs, '--health-addr', '127.0.0.1:0', '--metrics-addr', '127.0.0.1:0'],
      { env: { ...SHELL, POD_NAME: 'laptop-1' } },
    );
    try {
      expect(await startingLine(child)).toMatchObject({
        leaderElection: `Lease ${lockNs}/kubeposture-leader`,
      });
      await eventually(async () => {
        const lease = (await user.get('Lease', lockNs, 'kubeposture-leader')) as { spec?: { holderIdentity?: string } } | undefined;
        expect(lease?.spec?.holderIdentity).toBe('laptop-1');
      }, 20_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitAfterTerm(child)).toBe(0);
  });
});
