import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { restrictedManifest } from '../../test/support/baselines.ts';
import { parseLabels, render } from './render.ts';

const text = (...docs: unknown[]): string => docs.map((d) => dump(d)).join('---\n');
const input = (t: string, namespace = 'team-a', labels: Record<string, string> = { team: 'payments' }): Parameters<typeof render>[0] => ({
  source: 'baseline.yaml',
  text: t,
  namespace,
  labels,
});

describe('render', () => {
  it('prints every desired object as YAML that parses back', () => {
    const out = render(input(text(restrictedManifest())));
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const docs = loadAll(out.stdout).filter((d) => d !== null) as { kind: string; metadata: { name: string } }[];
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'NetworkPolicy/kubeposture-default-deny',
      'NetworkPolicy/kubeposture-allow-dns',
      'LimitRange/kubeposture-limits',
      'ResourceQuota/kubeposture-quota',
      'ServiceAccount/app',
      'RoleBinding/kubeposture:grantor',
      'Role/kubeposture-app',
      'RoleBinding/kubeposture-app',
      'ServiceAccount/default',
      'Namespace/team-a',
    ]);
    // The grantor binds config/default's ServiceAccount, so that what render prints is what that operator writes.
    const grantor = docs.find((d) => d.metadata.name === 'kubeposture:grantor') as unknown as { subjects: unknown[] };
    expect(grantor.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubeposture', namespace: 'kubeposture-system' }]);
    expect(out.stdout).toContain("# kubeposture's own: lets its ServiceAccount (config/default's) write the workload Roles here");
    expect(out.stdout).toContain('# namespace team-a under SecurityBaseline restricted (mode Enforce)');
    expect(out.stdout).toContain('# shared object: kubeposture applies only these fields');
  });

  it('resolves several baselines in one file by priority and says which it superseded', () => {
    const low = restrictedManifest('low');
    const high = { ...restrictedManifest('high'), spec: { priority: 10, namespaceSelector: { matchLabels: { team: 'payments' } } } };
    const out = render(input(text(low, high)));
    expect(out.stdout).toContain('under SecurityBaseline high');
    expect(out.stdout).toContain('# supersedes SecurityBaseline low (priority 0)');
    expect(out.stdout).not.toContain('ResourceQuota');
  });

  it('says so when nothing selects the namespace', () => {
    expect(render(input(text(restrictedManifest()), 'sandbox-1')).stdout).toBe(
      '# namespace sandbox-1 is selected by no baseline (restricted: excluded)\n',
    );
    expect(render(input(text(restrictedManifest()), 'team-b', { team: 'other' })).stdout).toContain('restricted: not-matched');
    expect(render(input(text(restrictedManifest()), 'kube-system')).stdout).toContain('restricted: system');
  });

  it.each<[string, string, RegExp]>([
    ['not YAML', 'a: [', /baseline\.yaml is not valid YAML/],
    ['empty', '', /holds no SecurityBaseline/],
    [
      'wrong kind',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      /baseline\.yaml: kind: must be SecurityBaseline, not "ConfigMap"/,
    ],
    [
      'invalid spec',
      text({ ...restrictedManifest(), spec: { mode: 'Sometimes' } }),
      /baseline\.yaml: spec\.mode: must be one of Enforce, Audit/,
    ],
    [
      'invalid second document',
      text(restrictedManifest(), { ...restrictedManifest('b'), spec: { priority: -3 } }),
      /baseline\.yaml \(document 2\): spec\.priority: must be between 0/,
    ],
  ])('fails on %s, naming the field', (_name, t, message) => {
    const out = render(input(t));
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(message);
  });
});

describe('parseLabels', () => {
  it('parses key=value pairs; a value may be empty', () => {
    expect(parseLabels(['team=payments', 'example.com/tier=gold', 'empty='])).toEqual({
      team: 'payments',
      'example.com/tier': 'gold',
      empty: '',
    });
  });
  it('rejects what no namespace could carry as a label', () => {
    expect(() => parseLabels(['x=a=b'])).toThrow(/--label: label value "a=b" is not valid/);
    expect(() => parseLabels(['Bad Key=x'])).toThrow(/--label: label key "Bad Key" is not valid/);
  });
  it('rejects a pair without a key', () => {
    expect(() => parseLabels(['=x'])).toThrow(/--label "=x" must have the form key=value/);
  });
});

describe('kubeposture render (the command)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeposture-render-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[]): { code: number; stdout: string; stderr: string } => {
    try {
      const stdout = execFileSync(process.execPath, [join(import.meta.dirname, 'main.ts'), ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { code: 0, stdout, stderr: '' };
    } catch (err: unknown) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('renders a file and exits 0', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, text(restrictedManifest()));
    const out = run(['render', '-f', file, '-n', 'team-a', '-l', 'team=payments']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('kind: NetworkPolicy');
  });

  it('exits 1 with the field named for an invalid baseline, and prints no objects', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text({ ...restrictedManifest(), spec: { excludeNamespaces: ['Bad/Glob'] } }));
    const out = run(['render', '-f', file, '-n', 'team-a']);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('spec.excludeNamespaces[0]');
  });

  it('exits 1 for a file that does not exist and 2 for missing flags', () => {
    expect(run(['render', '-f', join(dir, 'nope.yaml'), '-n', 'x']).code).toBe(1);
    expect(run(['render', '-f', join(dir, 'nope.yaml')]).stderr).toContain('render needs --namespace');
    expect(run(['render', '--bogus']).code).toBe(2);
  });
});

describe('render with exceptions', () => {
  const NOW = Date.UTC(2026, 11, 4);
  const exception = (spec: Record<string, unknown>): Record<string, unknown> => ({
    apiVersion: 'kubeposture.io/v1alpha1',
    kind: 'SecurityBaselineException',
    metadata: { name: 'legacy' },
    spec: {
      baseline: 'restricted',
      namespaces: ['team-*'],
      exempt: ['resourceQuota'],
      reason: 'SEC-1234',
      expires: '2027-01-31T00:00:00Z',
      ...spec,
    },
  });
  const kinds = (stdout: string): string[] =>
    (loadAll(stdout).filter((d) => d !== null) as { kind: string; metadata: { name: string } }[]).map(
      (d) => `${d.kind}/${d.metadata.name}`,
    );

  it('leaves out what an active exception in the same file lifts, and says until when', () => {
    const out = render({ ...input(text(restrictedManifest(), exception({}))), now: NOW });
    expect(out.code).toBe(0);
    expect(kinds(out.stdout)).not.toContain('ResourceQuota/kubeposture-quota');
    expect(out.stdout).toContain('# exception legacy lifts resourceQuota here until 2027-01-31T00:00:00Z: SEC-1234');
  });

  it('reads exceptions from --exceptions, and shows an expired or invalid one lifting nothing', () => {
    const exceptions = text(exception({ expires: '2026-01-01T00:00:00Z' }), {
      ...exception({ exempt: ['networkPolicy.additional.nope'] }),
      metadata: { name: 'typo' },
    });
    const out = render({ ...input(text(restrictedManifest())), exceptions: { source: 'x.yaml', text: exceptions }, now: NOW });
    expect(out.code).toBe(0);
    expect(kinds(out.stdout)).toContain('ResourceQuota/kubeposture-quota');
    expect(out.stdout).toContain('# exception legacy expired at 2026-01-01T00:00:00Z: lifts nothing');
    expect(out.stdout).toContain(
      '# exception typo is invalid (spec.exempt[0]: SecurityBaseline restricted has no additional policy "nope"): lifts nothing',
    );
  });

  it('ignores an exception of another namespace, and refuses a bad one naming the field', () => {
    expect(render({ ...input(text(restrictedManifest(), exception({ namespaces: ['other'] }))), now: NOW }).stdout).not.toContain(
      '# exception',
    );
    const bad = render({ ...input(text(restrictedManifest(), exception({ exempt: ['quota'] }))), now: NOW });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('baseline.yaml (document 2): spec.exempt[0]: "quota" is not a part');
  });
});
