/**
 * The previous release, to upgrade from: the tree of one commit of this repository,
 * unpacked with `git archive` into .cache/previous-release/<commit> (its own
 * config/default and src, run with this checkout's node_modules: the dependencies
 * did not change). Bump PREVIOUS_RELEASE when a release is cut.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The last commit before issue 13 changed how ownership is proven and which RBAC the operator holds. */
export const PREVIOUS_RELEASE = '7ca31ebd73d06e556676e35018653f46d93d7075';

/** The previous release's tree, unpacked once; returns its root. */
export function previousRelease(root: string, commit = PREVIOUS_RELEASE): string {
  const dir = join(root, '.cache', 'previous-release', commit);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', commit], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', tmp], { input: tar });
  symlinkSync(join(root, 'node_modules'), join(tmp, 'node_modules'));
  execFileSync('touch', [join(tmp, '.complete')]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
