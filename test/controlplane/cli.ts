/**
 * The local control plane from the command line.
 *
 *   node test/controlplane/cli.ts up     [--dir DIR]  build if needed, start in the background,
 *                                                     print the kubeconfig path
 *   node test/controlplane/cli.ts down   [--dir DIR]  stop it (by PID)
 *   node test/controlplane/cli.ts status [--dir DIR]  print state.json and whether each PID runs
 *   node test/controlplane/cli.ts bin                 build if needed, print the binaries' folder
 *
 * DIR defaults to .cache/cluster at the repository root.
 */
import { join, resolve } from 'node:path';
import { ensureBinaries, repoRoot } from './binaries.ts';
import { COMPONENTS, readState, runs, startControlPlane, stopFromState } from './controlplane.ts';
import { errorMessage } from '../../src/lib/errors.ts';

const say = (m: string): void => {
  process.stderr.write(`controlplane: ${m}\n`);
};

function dirArg(argv: readonly string[]): string {
  const i = argv.indexOf('--dir');
  const given = i >= 0 ? argv[i + 1] : undefined;
  return given === undefined ? join(repoRoot(), '.cache', 'cluster') : resolve(given);
}

function running(dir: string): boolean {
  const state = readState(dir);
  return (
    state !== undefined &&
    COMPONENTS.every((c) => {
      const pid = state.pids[c];
      return pid !== undefined && runs(pid, join(state.binDir, c));
    })
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const cmd = argv[0];
  const dir = dirArg(argv);
  switch (cmd) {
    case 'up': {
      if (running(dir)) {
        say('already running');
        process.stdout.write(`${join(dir, 'kubeconfig')}\n`);
        return 0;
      }
      await stopFromState(dir);
      const binDir = ensureBinaries();
      const plane = await startControlPlane({ binDir, workDir: dir, lifetime: 'detached', log: say });
      say(`Kubernetes ${plane.version} ready in ${String(plane.startMillis)}ms at ${plane.server}`);
      process.stdout.write(`${plane.kubeconfig}\n`);
      return 0;
    }
    case 'down': {
      const had = await stopFromState(dir);
      say(had ? 'stopped' : 'nothing recorded as running');
      return 0;
    }
    case 'status': {
      const state = readState(dir);
      if (state === undefined) {
        say('not running');
        return 1;
      }
      for (const c of COMPONENTS) {
        const pid = state.pids[c];
        process.stdout.write(`${c}\t${String(pid)}\t${pid !== undefined && runs(pid, join(state.binDir, c)) ? 'running' : 'gone'}\n`);
      }
      process.stdout.write(`kubeconfig\t${state.kubeconfig}\n`);
      return running(dir) ? 0 : 1;
    }
    case 'bin':
      process.stdout.write(`${ensureBinaries()}\n`);
      return 0;
    case undefined:
    default:
      say(`unknown command ${JSON.stringify(cmd ?? '')}; use up, down, status or bin`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(errorMessage(err));
    process.exitCode = 1;
  },
);
