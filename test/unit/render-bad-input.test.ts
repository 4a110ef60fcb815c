/**
 * `kubeposture render` on untrusted input (issue 13, class 10): every case of
 * the bad-input corpus (test/support/corpus.ts), the mutated SecurityBaselines
 * as YAML and the bad YAML (alias bombs, a cycle, a list too long, a file too
 * large), is refused with a message naming the field, quickly, and the process
 * stays within a small heap: `kubeposture render` itself, spawned with
 * --max-old-space-size=256, exits 1 with the message, not out of memory.
 */
import { dump } from 'js-yaml';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { render } from '../../src/cli/render.ts';
import { readManifests } from '../../src/cli/yaml.ts';
import { badCorpus, badYaml, namesField, type BadYaml } from '../support/corpus.ts';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const HEAP_MB = 256;
const renderText = (text: string): ReturnType<typeof render> =>
  render({ source: 'pr.yaml', text, namespace: 'team-a', labels: { 'kp-test': 'g' } });

/**
 * Cases the apiserver refuses and render does not, by design: the validator
 * drops unknown fields as the apiserver's pruning does (kubectl's strict field
 * validation refuses them), and leaves duplicate globs to the CRD's list-type set.
 */
const apiserverOnly = (name: string): boolean => name.startsWith('an unknown field') || name === 'a duplicate glob';

describe('render refuses every case of the bad-input corpus, naming the field', () => {
  const corpus = badCorpus({ 'kp-test': 'g' }, 'bad').filter((c) => !apiserverOnly(c.name));

  it('holds most of the corpus', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it.each(corpus.map((c): [string, string, string] => [c.name, dump(c.manifest), c.field]))('%s', (_name, text, field) => {
    const started = Date.now();
    const out = renderText(text);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect({ field, stderr: out.stderr, named: namesField(out.stderr, field) }).toMatchObject({ named: true });
  });
});

describe('the bounds refuse nothing the apiserver would take', () => {
  it('a baseline at every list limit of the CRD is read and valid (MAX_NODES has room for it)', () => {
    const list = (n: number, item: (i: number) => string): string => `[${Array.from({ length: n }, (_, i) => item(i)).join(', ')}]`;
    const rule = `{apiGroups: ${list(32, (i) => `g${String(i)}.example.com`)}, resources: ${list(64, (i) => `r${String(i)}`)}, resourceNames: ${list(64, (i) => `n${String(i)}`)}, verbs: ${list(16, (i) => ['get', 'list', 'watch'][i % 3] ?? 'get')}}`;
    const workloads = Array.from(
      { length: 50 },
      (_, i) => `    - name: w${String(i)}\n      rules:\n${Array.from({ length: 50 }, () => `      - ${rule}\n`).join('')}`,
    ).join('');
    const text = `apiVersion: kubeposture.io/v1alpha1\nkind: SecurityBaseline\nmetadata: {name: widest}\nspec:\n  excludeNamespaces: ${list(100, (i) => `n${String(i)}`)}\n  serviceAccounts:\n    workloads:\n${workloads}`;
    const read = readManifests(text);
    expect(read.kind).toBe('documents');
    expect(read.kind === 'documents' && parseSecurityBaseline(read.documents[0]).ok).toBe(true);
  });
});

describe('render refuses bad YAML quickly, naming the field, in a small heap', () => {
  const cases = badYaml('bad');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kp-render-bad-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases.map((c): [string, BadYaml] => [c.name, c]))('%s (in-process)', (_name, c) => {
    const started = Date.now();
    const out = renderText(c.text);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`: ${c.field}`);
    expect(out.stderr.length).toBeLessThan(1_000);
  });

  it.each(cases.map((c, i): [string, BadYaml, number] => [c.name, c, i]))(
    `%s (the command, with a ${String(HEAP_MB)} MB heap)`,
    (_name, c, i) => {
      const file = join(dir, `case-${String(i)}.yaml`);
      writeFileSync(file, c.text);
      const r = spawnSync(process.execPath, [`--max-old-space-size=${String(HEAP_MB)}`, main, 'render', '-f', file, '-n', 'team-a'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ code: r.status, signal: r.signal, stderr: r.stderr.slice(0, 500) }).toMatchObject({ code: 1, signal: null });
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`: ${c.field}`);
    },
  );
});
