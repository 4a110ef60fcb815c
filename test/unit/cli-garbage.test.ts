/**
 * Every command given garbage exits non-zero with a message (no stack trace, no
 * output on stdout): the `kubeposture` process itself, spawned as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'kp-cli-'));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const valid = file(
  'valid.yaml',
  'apiVersion: kubeposture.io/v1alpha1\nkind: SecurityBaseline\nmetadata: {name: x}\nspec: {namespaceSelector: {matchLabels: {a: b}}}\n',
);
const binary = file('binary', randomBytes(4096));
const deployment = file('deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n');
const hugeGarbage = file('huge.yaml', `${'{'.repeat(100_000)}\n`);
const badKubeconfig = file('kubeconfig', 'this is: [not a kubeconfig');
const emptyKubeconfig = file('empty-kubeconfig', 'apiVersion: v1\nkind: Config\n');

function kubeposture(args: readonly string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, KUBECONFIG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kubeposture given garbage', () => {
  it.each<[string, string[], string | undefined, RegExp]>([
    ['no command', [], undefined, /a command is needed/],
    ['an unknown command', ['frobnicate'], undefined, /unknown command "frobnicate"/],
    ['render without flags', ['render'], undefined, /render needs --file/],
    ['render with an unknown flag', ['render', '--bogus'], undefined, /bogus/],
    ['render of a missing file', ['render', '-f', join(dir, 'nope.yaml'), '-n', 'a'], undefined, /cannot read .*nope\.yaml/],
    ['render of a binary file', ['render', '-f', binary, '-n', 'a'], undefined, /render: /],
    ['render of a Deployment', ['render', '-f', deployment, '-n', 'a'], undefined, /kind/],
    ['render of 100,000 open braces', ['render', '-f', hugeGarbage, '-n', 'a'], undefined, /not valid YAML/],
    ['render of garbage on stdin', ['render', '-f', '-', '-n', 'a'], '::: [[[ not yaml', /render: /],
    ['render of nothing on stdin', ['render', '-f', '-', '-n', 'a'], '', /holds no SecurityBaseline/],
    [
      'render for an invalid namespace name',
      ['render', '-f', valid, '-n', 'Not A Namespace!'],
      undefined,
      /--namespace: "Not A Namespace!" is not a namespace name/,
    ],
    ['render for a namespace name too long', ['render', '-f', valid, '-n', 'a'.repeat(64)], undefined, /is not a namespace name/],
    [
      'render with a label without a value',
      ['render', '-f', valid, '-n', 'a', '-l', 'novalue'],
      undefined,
      /--label "novalue" must have the form key=value/,
    ],
    [
      'render with an invalid label key',
      ['render', '-f', valid, '-n', 'a', '-l', 'bad key=x'],
      undefined,
      /--label: label key "bad key" is not valid/,
    ],
    [
      'render with an invalid label value',
      ['render', '-f', valid, '-n', 'a', '-l', 'team=a b'],
      undefined,
      /--label: label value "a b" is not valid/,
    ],
    ['version with arguments', ['version', 'please'], undefined, /version takes no arguments/],
    ['run with a bad worker count', ['run', '--workers', 'many'], undefined, /--workers "many"/],
    ['run with a bad duration', ['run', '--resync-period', 'soon'], undefined, /--resync-period "soon" is not a duration/],
    ['run with a bad log level', ['run', '--log-level', 'loud'], undefined, /--log-level "loud"/],
    ['run with a bad reports mode', ['run', '--reports', 'sometimes'], undefined, /--reports "sometimes" must be auto, on or off/],
    [
      'run with a soft memory limit in the wrong unit',
      ['run', '--memory-soft-limit', '256Mi'],
      undefined,
      /--memory-soft-limit "256Mi" must be a whole number of MiB/,
    ],
    [
      'run with a soft memory limit but no --expose-gc',
      ['run', '--leader-elect=false', '--memory-soft-limit', '256'],
      undefined,
      /--memory-soft-limit needs node started with --expose-gc/,
    ],
    ['run with an unknown flag', ['run', '--turbo'], undefined, /turbo/],
    ['run with a missing kubeconfig', ['run', '--leader-elect=false', '--kubeconfig', join(dir, 'none')], undefined, /ENOENT|no such file/],
    [
      'run with a garbage kubeconfig',
      ['run', '--leader-elect=false', '--kubeconfig', badKubeconfig],
      undefined,
      /kubeconfig|YAML|end of the stream|flow collection/i,
    ],
    [
      'run with a kubeconfig without a context',
      ['run', '--leader-elect=false', '--kubeconfig', emptyKubeconfig],
      undefined,
      /has no current-context/,
    ],
  ])('%s: exits non-zero with a message', (_name, args, input, message) => {
    const r = kubeposture(args, input);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });
});
