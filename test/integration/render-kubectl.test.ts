/**
 * `kubeposture render` and kubectl read a manifest the same way, or render
 * refuses it (issue 13, class 11). The build's real kubectl applies manifests
 * whose plain scalars YAML 1.1 (kubectl, through sigs.k8s.io/yaml) and YAML 1.2
 * (js-yaml, what render used to read) read differently; what the apiserver
 * stored is read back, and render refuses exactly those scalars, naming each
 * field and the reading the apiserver stored, while it renders the unambiguous
 * spellings. With `priority: 0100` the operator (under its own ServiceAccount)
 * governs the namespace by another baseline than the YAML 1.2 reading would
 * pick. kubectl cannot send `.inf` at all; render refuses it too.
 */
import { load } from 'js-yaml';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUP, VERSION } from '../../src/api/constants.ts';
import { render } from '../../src/cli/render.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import { kubectl, kubectlRun } from '../support/kubectl.ts';
import type { TestOperator } from '../support/operator.ts';
import { createNamespaces, deleteBaseline, readBaseline } from '../support/world.ts';

let op: TestOperator;
let dir: string;
const applied: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kp-render-kubectl-'));
  await installDefaultConfig();
  op = await startAsOperator();
});
afterAll(async () => {
  for (const name of applied) await deleteBaseline(name).catch(() => undefined);
  await op.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `text` to a file and applies it with the real kubectl, as a reviewer's CI would after merging. */
async function apply(text: string, names: readonly string[]): Promise<string> {
  const file = join(dir, `${uniqueName('m')}.yaml`);
  writeFileSync(file, text);
  applied.push(...names);
  await kubectl('apply', '-f', file);
  return file;
}

const doc = (name: string, spec: string): string =>
  `apiVersion: ${GROUP}/${VERSION}\nkind: SecurityBaseline\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const renderIn = (text: string, group: string): ReturnType<typeof render> =>
  render({ source: 'pr.yaml', text, namespace: 'team-a', labels: { 'kp-test': group } });

describe('render and kubectl read a manifest alike', () => {
  it('kubectl stores the YAML 1.1 reading; render refuses exactly the scalars read otherwise, naming each field and what the apiserver stored', async () => {
    const group = uniqueName('g');
    const name = uniqueName('yaml11');
    const text = doc(
      name,
      [
        '  mode: Audit',
        '  priority: 0100',
        `  namespaceSelector: {matchLabels: {kp-test: ${group}}}`,
        '  networkPolicy: {allowSameNamespace: on}',
        '  resourceQuota:',
        '    hard: {pods: 0X1F, requests.cpu: 1_000, limits.cpu: 0x10}',
        '',
      ].join('\n'),
    );
    await apply(text, [name]);
    const stored = await readBaseline(name);
    expect(stored?.spec).toMatchObject({
      priority: 64,
      networkPolicy: { allowSameNamespace: true },
      resourceQuota: { hard: { pods: 31, 'requests.cpu': 1000, 'limits.cpu': 16 } },
    });

    const out = renderIn(text, group);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    const lines = out.stderr.trim().split('\n');
    // Exactly the four that differ (0x10 is 16 to both), each with the reading the apiserver stored, one a line.
    expect(lines).toEqual([
      'kubeposture render: pr.yaml: spec.priority: `0100` is 100 to render (YAML 1.2) but 64 to kubectl (YAML 1.1); write 100 or 64',
      'pr.yaml: spec.networkPolicy.allowSameNamespace: `on` is "on" to render (YAML 1.2) but true to kubectl (YAML 1.1); write "on" or true',
      'pr.yaml: spec.resourceQuota.hard.pods: `0X1F` is "0X1F" to render (YAML 1.2) but 31 to kubectl (YAML 1.1); write "0X1F" or 31',
      'pr.yaml: spec.resourceQuota.hard[requests.cpu]: `1_000` is "1_000" to render (YAML 1.2) but 1000 to kubectl (YAML 1.1); write "1_000" or 1000',
    ]);
  });

  it('the unambiguous spellings: kubectl stores what render reads, and render renders them', async () => {
    const group = uniqueName('g');
    const name = uniqueName('plain');
    const text = doc(
      name,
      [
        '  mode: Audit',
        '  priority: 100',
        `  namespaceSelector: {matchLabels: {kp-test: ${group}, answer: "yes"}}`,
        '  networkPolicy: {allowSameNamespace: true}',
        '  resourceQuota:',
        '    hard: {pods: "0100", requests.cpu: 1000, limits.cpu: 0x10}',
        '',
      ].join('\n'),
    );
    await apply(text, [name]);
    const stored = await readBaseline(name);
    expect(stored?.spec).toMatchObject({
      priority: 100,
      namespaceSelector: { matchLabels: { 'kp-test': group, answer: 'yes' } },
      networkPolicy: { allowSameNamespace: true },
      resourceQuota: { hard: { pods: '0100', 'requests.cpu': 1000, 'limits.cpu': 16 } },
    });
    const out = render({ source: 'pr.yaml', text, namespace: 'team-a', labels: { 'kp-test': group, answer: 'yes' } });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`# namespace team-a under SecurityBaseline ${name} (mode Audit)`);
    const quota = (
      load(out.stdout.split('---\n').find((d) => d.includes('kind: ResourceQuota')) ?? '') as { spec: { hard: Record<string, unknown> } }
    ).spec.hard;
    expect(quota).toEqual({ pods: '0100', 'requests.cpu': 1000, 'limits.cpu': 16 });
  });

  it('priority 0100: the operator governs the namespace by the other baseline, which YAML 1.2 would not pick; render refuses the file', async () => {
    const group = uniqueName('g');
    const [ns = ''] = await createNamespaces('render-yaml', 1, { 'kp-test': group });
    const [octal, eighty] = [uniqueName('octal'), uniqueName('eighty')];
    const selector = `  namespaceSelector: {matchLabels: {kp-test: ${group}}}\n`;
    const text = `${doc(octal, `  mode: Audit\n  priority: 0100\n${selector}`)}---\n${doc(eighty, `  mode: Audit\n  priority: 80\n${selector}`)}`;
    // What render used to read: 100 against 80, so it named the first.
    expect((load(text.split('---\n')[0] ?? '') as { spec: { priority: number } }).spec.priority).toBe(100);

    await apply(text, [octal, eighty]);
    // The cluster: 64 against 80, so the second governs and the first is superseded.
    await eventually(async () => {
      const [o, e] = [await readBaseline(octal), await readBaseline(eighty)];
      expect(o?.spec.priority).toBe(64);
      expect({ octal: o?.status?.namespaces, eighty: e?.status?.namespaces }).toMatchObject({
        octal: { selected: 0, superseded: 1 },
        eighty: { selected: 1, superseded: 0 },
      });
    }, 30_000);
    expect(ns).not.toBe('');

    const out = renderIn(text, group);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim()).toBe(
      'kubeposture render: pr.yaml (document 1): spec.priority: `0100` is 100 to render (YAML 1.2) but 64 to kubectl (YAML 1.1); write 100 or 64',
    );
  });

  it('.inf: kubectl cannot send it and stores nothing; render refuses it, naming the field', async () => {
    const name = uniqueName('inf');
    const text = doc(name, '  mode: Audit\n  priority: .inf\n');
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    const r = await kubectlRun('apply', '-f', file);
    expect(r.code).not.toBe(0);
    expect(await readBaseline(name)).toBeUndefined();
    const out = renderIn(text, 'x');
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toBe(
      'kubeposture render: pr.yaml: spec.priority: `.inf` is infinity, which kubectl cannot send (JSON has no infinity or NaN)',
    );
  });
});
