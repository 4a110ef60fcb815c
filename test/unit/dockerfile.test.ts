/**
 * The image cannot be built on these machines (no container engine), so the
 * Dockerfile's invariants are checked as text: what a reviewer would check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const lines = dockerfile
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = lines.filter((l) => l.startsWith('FROM '));
const finalStage = lines.slice(lines.lastIndexOf(stages.at(-1) ?? ''));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};
const installs = lines.filter((l) => /\bnpm ci\b/.test(l));

describe('the Dockerfile', () => {
  it('pins every base image to an exact version', () => {
    for (const from of stages) {
      const image = from.split(/\s+/)[1] ?? '';
      expect(image).not.toMatch(/:latest$/);
      // An exact release (x.y.z) or a digest; never a moving tag.
      expect(image).toMatch(/:\d+\.\d+\.\d+(-[\w.-]+)?$|@sha256:[0-9a-f]{64}$/);
    }
    expect(stages[0]).toContain(`node:${pkg.devDependencies.node ?? 'missing'}-`);
  });

  it('runs the same Node.js major as the tests', () => {
    const major = (pkg.devDependencies.node ?? '').split('.')[0];
    for (const from of stages) expect(from).toMatch(new RegExp(`node(js)?:?${major ?? 'x'}|nodejs${major ?? 'x'}`));
  });

  it('runs as a non-root numeric user in the final stage', () => {
    const user = finalStage.filter((l) => l.startsWith('USER '));
    expect(user).toHaveLength(1);
    const [uid = '', gid = ''] = (user[0] ?? '').slice(5).split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(gid === '' || Number(gid) > 0).toBe(true);
    expect(uid).toMatch(/^\d+$/);
  });

  it('ships production dependencies only', () => {
    // The build stage reinstalls without devDependencies after compiling...
    expect(dockerfile).toMatch(/tsc -p tsconfig\.build\.json[\s\S]*npm ci --omit=dev/);
    // ...and the final stage copies only the manifest, those modules and the compiled code.
    const copies = finalStage.filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/).slice(-2).join(' '));
    expect(copies).toEqual(['/src/package.json ./', '/src/node_modules ./node_modules', '/src/dist ./dist']);
    expect(finalStage.join('\n')).not.toMatch(/npm (install|ci)/);
  });

  it('installs for the image neither dev nor optional dependencies, and runs no install scripts', () => {
    // Two installs: everything, to compile; then the image's, which replaces it.
    expect(installs).toHaveLength(2);
    const flags = (installs[1] ?? '').split(/\s+/).filter((w) => w.startsWith('--'));
    expect(flags).toEqual(expect.arrayContaining(['--omit=dev', '--omit=optional', '--ignore-scripts']));
    expect(installs[0]).not.toContain('--omit');
  });

  it('leaves out @kubernetes/client-node, which only kubeconfigs outside a Pod need', () => {
    expect(pkg.optionalDependencies).toHaveProperty(['@kubernetes/client-node']);
    expect(pkg.dependencies).not.toHaveProperty(['@kubernetes/client-node']);
  });

  it('starts kubeposture run', () => {
    const entry = finalStage.find((l) => l.startsWith('ENTRYPOINT '));
    expect(JSON.parse(entry?.slice('ENTRYPOINT '.length) ?? '[]')).toEqual(['node', '/app/dist/cli/main.js', 'run']);
  });
});
