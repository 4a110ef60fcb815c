/**
 * `kubeposture version`: the build's version (package.json's, and the git commit when it runs
 * from a checkout) and the API version it serves.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a build is. */
export interface BuildInfo {
  /** package.json's version. */
  readonly version: string;
  /** The commit checked out, when running from a git checkout (the image has none). */
  readonly commit: string | undefined;
}

/** What `kubeposture version` prints: `key: value` lines, a commit line only when one is known. */
export function versionText(build: BuildInfo, apiVersion: string): string {
  return [`version: ${build.version}`, ...(build.commit === undefined ? [] : [`commit: ${build.commit}`]), `apiVersion: ${apiVersion}`]
    .map((l) => `${l}\n`)
    .join('');
}

/**
 * The build found at `root` (the folder holding package.json: the checkout, or /app in the image).
 * `git` runs git with arguments and returns its output, or undefined when it cannot.
 */
export function readBuildInfo(root: string, git: (args: readonly string[]) => string | undefined = runGit): BuildInfo {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${join(root, 'package.json')} has no version`);
  // Only the checkout's own .git: a dist folder inside some other repository is not that commit.
  const commit = existsSync(join(root, '.git')) ? git(['-C', root, 'rev-parse', '--short=12', 'HEAD'])?.trim() : undefined;
  return { version, commit: commit === '' ? undefined : commit };
}

function runGit(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
  } catch {
    // No git, or not a repository after all: the version alone.
    return undefined;
  }
}
