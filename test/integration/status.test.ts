/**
 * `kubeposture status` as a user runs it, `node src/cli/main.ts status ...` against the real
 * control plane, the operator running in-process under its own ServiceAccount with OpenReports
 * installed: a baseline in Audit mode with a compliant and a drifting namespace, a governed
 * namespace with an exception and a tenant's allow-all NetworkPolicy, an ungoverned one; and
 * the bad cases with their messages and exit codes: an unknown namespace, a bad -o, a user with
 * no rights, an apiserver that is not there, and (on a fresh control plane of its own) a
 * cluster without the CRD.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { NAME_DEFAULT_DENY } from '../../src/api/constants.ts';
import type { NamespaceView, OverviewView } from '../../src/cli/status.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { writeKubeconfig } from '../bench/identity.ts';
import { ensureBinaries } from '../controlplane/binaries.ts';
import { freePort, startControlPlane } from '../controlplane/controlplane.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { command, type CommandResult } from '../support/command.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import type { TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import { installOpenReports, removeOpenReports } from '../support/upstream.ts';
import {
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  kc,
  patchBaselineSpec,
  readBaseline,
  user,
  waitCompliant,
} from '../support/world.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const KUBECONFIG = process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '';
/** A shell with no kubeconfig of its own: every run names one. */
const ENV: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: undefined, HOME: tmpdir() };
const cli = command(process.execPath, [join(ROOT, 'src', 'cli', 'main.ts'), 'status'], ENV);
/** An object to send, whatever else it holds. */
const sendable = (o: { metadata: { name: string; namespace?: string } } & Record<string, unknown>): typeof o => o;
const status = (kubeconfig: string, ...args: string[]): Promise<CommandResult> => cli.run('--kubeconfig', kubeconfig, ...args);

let op: TestOperator;
let work: string;
let baseline: string;
let compliant: string;
let drifting: string;
let outside: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kubeposture-status-'));
  await installDefaultConfig();
  await installOpenReports();
  op = await startAsOperator({ reports: 'auto' });

  // Enforce first, so both namespaces get the objects; then Audit, and one of them drifts.
  const group = uniqueName('g');
  [compliant = '', drifting = ''] = await createNamespaces('st', 2, { 'kp-test': group });
  [outside = ''] = await createNamespaces('st-out', 1, {});
  baseline = await createBaseline(baselineManifest(group, { resourceQuota: { hard: { pods: '10' } } }));
  await user.create(
    'SecurityBaselineException',
    sendable({
      apiVersion: 'kubeposture.io/v1alpha1',
      kind: 'SecurityBaselineException',
      metadata: { name: `${baseline}-vendor` },
      spec: {
        baseline,
        namespaces: [compliant],
        exempt: ['resourceQuota'],
        reason: 'vendor agent sizes its own pods (SEC-1234)',
        expires: new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    }),
    'kubeposture-tests',
  );
  await eventually(async () => {
    const b = await waitCompliant(baseline, 2);
    expect(b.status?.namespaces?.excepted).toBe(1);
  });
  await patchBaselineSpec(baseline, { mode: 'Audit' });
  await waitCompliant(baseline, 2);
  await user.request('DELETE', resourcePath('NetworkPolicy', drifting, NAME_DEFAULT_DENY));
  // A tenant's own allow-all policy: a finding, not drift.
  const tenant = await namespaceAdmin(compliant);
  await tenant.client.create(
    'NetworkPolicy',
    sendable({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'open', namespace: compliant },
      spec: { podSelector: {}, ingress: [{}] },
    }),
  );
  await eventually(async () => {
    const b = await readBaseline(baseline);
    expect(b?.status?.namespaces).toMatchObject({ selected: 2, compliant: 1, drifted: 1 });
    expect(b?.status?.findings?.some((f) => f.namespace === compliant && f.type === 'AllowAllIngress')).toBe(true);
    const report = (await user.get('Report', drifting, 'kubeposture')) as { summary?: { fail?: number } } | undefined;
    expect(report?.summary?.fail).toBe(1);
  }, 20_000);
}, 120_000);

afterAll(async () => {
  await user.request('DELETE', resourcePath('SecurityBaselineException', undefined, `${baseline}-vendor`));
  await deleteBaseline(baseline);
  await op.stop();
  await removeOpenReports();
  user.close();
  rmSync(work, { recursive: true, force: true });
}, 120_000);

/** The line of `name` in a table. */
const row = (text: string, name: string): string => text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';

describe('kubeposture status', () => {
  it('prints each baseline as a table: mode, namespaces, Ready and the worst namespaces', async () => {
    const r = await status(KUBECONFIG);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [header = ''] = r.stdout.split('\n');
    expect(header).toMatch(/^NAME +MODE +READY +SELECTED +COMPLIANT +DRIFTED +EXCEPTED +WORST NAMESPACES \(DRIFT\)$/);
    expect(row(r.stdout, baseline).split(/ {3,}/)).toEqual([baseline, 'Audit', 'True', '2', '1', '1', '1', `${drifting}(1)`]);
    // Columns line up: the MODE column starts at the same offset in the header and the row.
    expect(row(r.stdout, baseline).indexOf('Audit')).toBe(header.indexOf('MODE'));
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('prints the same as JSON and YAML', async () => {
    const json = JSON.parse((await status(KUBECONFIG, '-o', 'json')).stdout) as OverviewView;
    const yaml = load((await status(KUBECONFIG, '--output=yaml')).stdout) as OverviewView;
    const mine = json.baselines.find((b) => b.name === baseline);
    expect(mine).toMatchObject({
      mode: 'Audit',
      ready: 'True',
      namespaces: { selected: 2, compliant: 1, drifted: 1, excepted: 1 },
      worst: [{ namespace: drifting, drift: 1 }],
      moreDrifted: 0,
      driftTruncated: false,
    });
    expect(yaml.baselines.find((b) => b.name === baseline)).toEqual({ ...mine, lastReconcileTime: expect.any(String) as unknown });
  });

  it('-n: the governing baseline, the drift and the Report failing it', async () => {
    const r = await status(KUBECONFIG, '-n', drifting);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`Governed by:  SecurityBaseline ${baseline} (mode Audit, priority 0)\n`);
    expect(r.stdout).toContain(`Holds:        ${baseline}\n`);
    expect(r.stdout).toMatch(
      /\nDrift \(1\):\n {2}KIND +NAME +REASON +FIELDS +SINCE\n {2}NetworkPolicy +kubeposture-default-deny +Missing /,
    );
    expect(r.stdout).toMatch(
      /\n {2}fail +\S+ +NetworkPolicy\/kubeposture-default-deny +NetworkPolicy kubeposture-default-deny is missing\n/,
    );
    expect(r.stdout).toContain('\nExceptions (0):\n  none\n');
  });

  it('-n: a finding and an exception in a compliant namespace, in JSON', async () => {
    const v = JSON.parse((await status(KUBECONFIG, '--namespace', compliant, '-o', 'json')).stdout) as NamespaceView;
    expect(v.governance).toEqual({ state: 'governed', baseline, mode: 'Audit', priority: 0, superseded: [] });
    expect(v.annotations).toEqual({ holds: baseline, owned: [baseline] });
    expect(v.drift).toEqual([]);
    expect(v.findings).toEqual([expect.objectContaining({ type: 'AllowAllIngress', kind: 'NetworkPolicy', name: 'open' })]);
    expect(v.exceptions).toEqual([
      expect.objectContaining({
        name: `${baseline}-vendor`,
        state: 'Active',
        exempt: ['resourceQuota'],
        reason: 'vendor agent sizes its own pods (SEC-1234)',
      }),
    ]);
    expect(v.exceptions[0]?.expiresInSeconds).toBeGreaterThan(29 * 86_400);
    // The Report: a skip for the lifted quota, a warn for the finding, no failure.
    expect(v.report?.summary).toMatchObject({ fail: 0, skip: 1, warn: 1 });
    const table = (await status(KUBECONFIG, '-n', compliant)).stdout;
    expect(table).toMatch(/\nFindings \(1\):\n {2}TYPE +OBJECT +MESSAGE\n {2}AllowAllIngress +NetworkPolicy\/open /);
    expect(table).toMatch(
      new RegExp(`\\nExceptions \\(1\\):\\n.*\\n {2}${baseline}-vendor +Active +\\S+ \\(in (29|30)d\\) +resourceQuota `),
    );
  });

  it('-n: an ungoverned namespace, and why each baseline passes it by', async () => {
    const r = await status(KUBECONFIG, '-n', outside);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Governed by:  none\n');
    expect(r.stdout).toContain(`  ${baseline}: namespaceSelector does not match its labels\n`);
    const v = load((await status(KUBECONFIG, '-n', outside, '-o', 'yaml')).stdout) as NamespaceView;
    expect(v).toMatchObject({ kind: 'Namespace', namespace: outside, annotations: { holds: null, owned: [] }, report: null });
    expect(v.governance.state).toBe('ungoverned');
  });
});

describe('kubeposture status refuses clearly', () => {
  it('an unknown namespace: exit 1', async () => {
    const r = await status(KUBECONFIG, '-n', 'no-such-namespace');
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'kubeposture status: namespace "no-such-namespace" not found\n' });
  });

  it('a bad -o or namespace name: exit 2 with the usage', async () => {
    const r = await status(KUBECONFIG, '-o', 'wide');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kubeposture: -o "wide": use one of table, json, yaml\nusage: kubeposture status \[flags\]/);
    expect((await status(KUBECONFIG, '-n', 'Not_A_Name')).code).toBe(2);
  });

  it('a user without rights: exit 1, naming the verb, the resource and the user', async () => {
    const [ns = ''] = await createNamespaces('st-nobody', 1, {});
    const sa = 'nobody';
    await user.create('ServiceAccount', sendable({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } }));
    const answer = (await user.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    })) as { status: { token: string } };
    const file = kubeconfigFile('nobody', { token: answer.status.token });
    const who = `system:serviceaccount:${ns}:${sa}`;
    const r = await status(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('kubeposture status: access denied: could not list securitybaselines.kubeposture.io: ');
    expect(r.stderr).toContain(`User "${who}" cannot list resource "securitybaselines" in API group "kubeposture.io"`);
    const n = await status(file, '-n', ns);
    expect(n.code).toBe(1);
    expect(n.stderr).toContain(`could not get namespaces: namespaces "${ns}" is forbidden: User "${who}" cannot get resource "namespaces"`);

    // What the README says status needs is enough; without reports, the Report is left out.
    const role = uniqueName('status-reader');
    await user.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules: [
          { apiGroups: ['kubeposture.io'], resources: ['securitybaselines', 'securitybaselineexceptions'], verbs: ['get', 'list'] },
          { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] },
        ],
      },
    });
    await user.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      },
    });
    try {
      const v = await eventually(async () => {
        const r = await status(file, '-n', drifting, '-o', 'json');
        expect(r).toMatchObject({ code: 0, stderr: '' });
        return JSON.parse(r.stdout) as NamespaceView;
      });
      expect(v).toMatchObject({
        governance: { state: 'governed', baseline },
        report: null,
        drift: [{ name: NAME_DEFAULT_DENY, reason: 'Missing' }],
      });
    } finally {
      await user.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`);
      await user.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`);
    }
  });

  it('an apiserver that is not there: exit 1, naming the address', async () => {
    const server = `https://127.0.0.1:${String(await freePort())}`;
    const r = await status(kubeconfigFile('gone', { token: 'x' }, server));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^kubeposture status: cannot reach the apiserver at ${server}: .*ECONNREFUSED`));
  });

  it('a cluster without the CRD: exit 1, naming the CRD and how to install it', async () => {
    const plane = await startControlPlane({ binDir: ensureBinaries(), workDir: join(work, 'plane'), lifetime: 'owned' });
    try {
      for (const args of [[], ['-n', 'default']]) {
        const r = await status(plane.kubeconfig, ...args);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          /^kubeposture status: the SecurityBaseline API is not installed on this cluster: no CustomResourceDefinition securitybaselines\.kubeposture\.io serves kubeposture\.io\/v1alpha1/,
        );
        expect(r.stderr).toContain('helm install kubeposture charts/kubeposture, or kubectl apply -k config/default');
      }
    } finally {
      await plane.stop();
    }
  }, 120_000);
});

/** A kubeconfig file with the test cluster's CA (and `server`, by default the test cluster's) and `user`. */
function kubeconfigFile(name: string, userEntry: Record<string, string>, server?: string): string {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in the test kubeconfig');
  const file = join(work, `${name}.kubeconfig`);
  writeKubeconfig(file, { ...cluster, server: server ?? cluster.server }, name, userEntry);
  return file;
}
