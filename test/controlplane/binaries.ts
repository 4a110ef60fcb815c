/** Finds (building once per version) the control-plane binaries that build.sh makes. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
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
  return runBuildScript(join(here, 'build.sh'));
}

/** Runs a build script that prints, last, the path of what it built (test/helm/build.sh too); returns that path. */
export function runBuildScript(script: string): string {
  const out = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const path = out.trim().split('\n').pop();
  if (path === undefined || path === '') throw new Error(`${script} printed no path`);
  return path;
}

/** Where a command-line run (`make bench`, `make test-chaos`) works. */
export interface RunFolder {
  readonly root: string;
  /** `.cache/<name>` at the repository root: the latest figures go here. */
  readonly outDir: string;
  /** A fresh `run-XXXXXX` folder in it for this run's clusters and logs. */
  readonly workDir: string;
  readonly binDir: string;
}

/** Makes `.cache/<name>/run-XXXXXX`, builds the control plane if needed and puts its binaries first on PATH (kubectl). */
export function prepareRun(name: string): RunFolder {
  const root = repoRoot();
  const outDir = join(root, '.cache', name);
  mkdirSync(outDir, { recursive: true });
  const workDir = mkdtempSync(join(outDir, 'run-'));
  const binDir = ensureBinaries();
  process.env.PATH = `${binDir}:${process.env.PATH ?? ''}`;
  return { root, outDir, workDir, binDir };
}
