/**
 * The real helm CLI, built from the Go module proxy by test/helm/build.sh (once per version;
 * `make test` builds it first), and the chart under test.
 */
import { join } from 'node:path';
import { repoRoot, runBuildScript } from '../controlplane/binaries.ts';
import { command, type Command } from './command.ts';

/** The chart's folder. */
export const CHART = join(repoRoot(), 'charts', 'kubeposture');

/** Runs test/helm/build.sh, which returns at once when helm is built, and returns the binary's path. */
export function ensureHelm(): string {
  return runBuildScript(join(repoRoot(), 'test', 'helm', 'build.sh'));
}

/** helm keeping its cache and config under `home` (nothing of the user's is read or written), against `kubeconfig` when given. */
export function helmCli(home: string, kubeconfig?: string): Command {
  return command(ensureHelm(), [], {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    ...(kubeconfig === undefined ? {} : { KUBECONFIG: kubeconfig }),
  });
}
