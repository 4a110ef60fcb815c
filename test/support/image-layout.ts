/**
 * The operator laid out as the image runs it (Dockerfile): `tsc -p tsconfig.build.json` into
 * `dist/`, package.json beside it, node_modules linked from the checkout. What runs in a Pod is
 * this compiled JavaScript, not the TypeScript sources: run from the sources, node loads its
 * type stripper (a WebAssembly build of swc) and keeps every source text, about 30 MB more
 * resident memory than the image (docs/performance.md), so the benchmark measures this.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Builds the layout in `dir` (emptied first) from the checkout at `root`; returns the path of its `dist/cli/main.js`. */
export function buildImageLayout(root: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    join(dir, 'dist'),
    '--sourceMap',
    'false',
  ]);
  writeFileSync(join(dir, 'package.json'), readFileSync(join(root, 'package.json')));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const main = join(dir, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`tsc wrote no ${main}`);
  return main;
}
