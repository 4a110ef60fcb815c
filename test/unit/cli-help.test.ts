/**
 * `--help`, `-h` and `version` as a user runs them: the `kubeposture` process itself, from the
 * checkout (node src/cli/main.ts) and, for version, as the image lays it out (dist/, no .git).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImageLayout } from '../support/image-layout.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

function kubeposture(args: readonly string[], main = MAIN): { code: number | null; stdout: string; stderr: string } {
  // No cluster, no namespace: help and version need neither.
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: '' };
  delete env.POD_NAMESPACE;
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 30_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kubeposture --help', () => {
  it.each<[string[], RegExp]>([
    [['--help'], /^usage: kubeposture <command> \[flags\]\n/],
    [['-h'], /^usage: kubeposture <command> \[flags\]\n/],
    [['help'], /^usage: kubeposture <command> \[flags\]\n/],
    [['run', '--help'], /^usage: kubeposture run \[flags\]\n[^]*--leader-election-namespace NAME/],
    [['run', '-h'], /^usage: kubeposture run \[flags\]\n/],
    // Help wins over flags that would be refused, and over a missing namespace or cluster.
    [['run', '--workers', '0', '--leader-elect=true', '-h'], /^usage: kubeposture run \[flags\]\n/],
    [['render', '--help'], /^usage: kubeposture render \[flags\]\n[^]*-f, --file FILE/],
    [['render', '-h'], /^usage: kubeposture render \[flags\]\n/],
    [['render', '-f', 'missing.yaml', '-h'], /^usage: kubeposture render \[flags\]\n/],
    [['version', '--help'], /^usage: kubeposture version\n/],
    [['version', '-h'], /^usage: kubeposture version\n/],
    [['help', 'render'], /^usage: kubeposture render \[flags\]\n/],
    // No cluster is reached for help, and a bad -o does not win over it.
    [['status', '--help'], /^usage: kubeposture status \[flags\]\n[^]*-o, --output FORMAT/],
    [['status', '-n', 'team-a', '-o', 'wide', '-h'], /^usage: kubeposture status \[flags\]\n/],
    [['help', 'status'], /^usage: kubeposture status \[flags\]\n/],
  ])('%j prints its usage on stdout and exits 0', (args, usage) => {
    const r = kubeposture(args);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(usage);
    expect(r.stdout).toMatch(/-h, --help +print this usage and exit|'kubeposture <command> --help'/);
  });

  it.each<[string[], RegExp]>([
    [['help', 'frobnicate'], /help takes one command \(run, render, status, version\), not "frobnicate"/],
    [['render', '-n', '-h'], /Option '-n' argument is ambiguous/],
    [['version', 'now'], /version takes no arguments, not "now"\nusage: kubeposture version\n/],
  ])('%j is refused with exit 2 and the usage on stderr', (args, message) => {
    const r = kubeposture(args);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
  });
});

describe('kubeposture version', () => {
  it("prints package.json's version, the checkout's commit and the API version", () => {
    const commit = existsSync(join(ROOT, '.git'))
      ? execFileSync('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim()
      : undefined;
    const r = kubeposture(['version']);
    expect(r).toEqual({
      code: 0,
      stdout: `version: ${version}\n${commit === undefined ? '' : `commit: ${commit}\n`}apiVersion: kubeposture.io/v1alpha1\n`,
      stderr: '',
    });
  });

  it('prints the version alone as the image runs it (dist/ beside package.json, no .git)', () => {
    const main = buildImageLayout(ROOT, mkdtempSync(join(tmpdir(), 'kp-app-')));
    const r = kubeposture(['version'], main);
    expect(r).toEqual({ code: 0, stdout: `version: ${version}\napiVersion: kubeposture.io/v1alpha1\n`, stderr: '' });
  }, 60_000);
});
