/** Finds (building once per version) the control-plane binaries that build.sh makes. */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository's top folder. */
export function repoRoot(): string {
  return resolve(here, '..', '..');
}

/**
 * Runs build.sh, which returns at once when the binaries for the pinned version
 * are cached, and returns the folder holding etcd, kube-apiserver,
 * kube-controller-manager and kubectl. Build progress goes to stderr.
 */
export function ensureBinaries(): string {
  const out = execFileSync('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const bin = out.trim().split('\n').pop();
  if (bin === undefined || bin === '') throw new Error('build.sh printed no binary folder');
  return bin;
}
