/**
 * The real helm CLI, built from the Go module proxy by test/helm/build.sh (once per version;
 * `make test` builds it first), and the chart under test.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, runBuildScript } from '../controlplane/binaries.ts';

/** The chart's folder. */
export const CHART = join(repoRoot(), 'charts', 'kubeposture');

/** Runs test/helm/build.sh, which returns at once when helm is built, and returns the binary's path. */
export function ensureHelm(): string {
  return runBuildScript(join(repoRoot(), 'test', 'helm', 'build.sh'));
}

/** What one helm command did. */
export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** helm with its own cache and config folders (nothing of the user's is read or written). */
export interface Helm {
  /** Resolves with the exit code and output, whatever the exit code. */
  run(...args: string[]): Promise<HelmResult>;
  /** Resolves with stdout; rejects with stderr if helm exits non-zero. */
  ok(...args: string[]): Promise<string>;
}

/** helm keeping its files under `home`, against `kubeconfig` when given. */
export function helmCli(home: string, kubeconfig?: string): Helm {
  const bin = ensureHelm();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    ...(kubeconfig === undefined ? {} : { KUBECONFIG: kubeconfig }),
  };
  const run = (...args: string[]): Promise<HelmResult> =>
    new Promise((resolve, reject) => {
      execFile(bin, args, { encoding: 'utf8', env, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') {
          reject(new Error(`helm did not run: ${err.message}`));
          return;
        }
        resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
      });
    });
  return {
    run,
    async ok(...args) {
      const r = await run(...args);
      if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${String(r.code)}: ${r.stderr.trim()}`);
      return r.stdout;
    },
  };
}
