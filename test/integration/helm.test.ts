/**
 * The chart installed, upgraded and uninstalled by the real helm, on a control plane of its own:
 * a fresh cluster, as the README's `helm install` meets one (the shared control plane holds
 * config/default's objects, which Helm rightly refuses to take over). The commands are the
 * README's. No kubelet runs, so no Pod starts: the manager's Pod is checked as admission sees it,
 * by a server-side dry run of the live Deployment's template.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from '../controlplane/binaries.ts';
import { startControlPlane, type RunningControlPlane } from '../controlplane/controlplane.ts';
import { eventually } from '../support/cluster.ts';
import type { Command } from '../support/command.ts';
import { CHART, helmCli } from '../support/helm.ts';
import { kubectlWith } from '../support/kubectl.ts';
import { identity, parseManifests } from '../support/manifests.ts';

const NS = 'kubeposture-system';
/** The README's install command sets the image. */
const README_IMAGE = ['--set', 'image.repository=registry.example/kubeposture', '--set', 'image.tag=0.1.0'];
/** The README's upgrade turns on config/policy and config/guard. */
const README_OPT_INS = [
  '--set',
  'policy.enabled=true',
  '--set',
  'guard.pods=true',
  '--set',
  'guard.tamper=true',
  '--set',
  'guard.allowAll=true',
];
const WEBHOOK = 'validatingwebhookconfiguration.admissionregistration.k8s.io/kubeposture-allow-all';
const POLICIES = ['exception-writers', 'guard', 'namespace-records', 'selector-labels', 'tamper'].map(
  (p) => `validatingadmissionpolicy.admissionregistration.k8s.io/kubeposture-${p}`,
);
const CRDS = ['crd/securitybaselines.kubeposture.io', 'crd/securitybaselineexceptions.kubeposture.io'];
let plane: RunningControlPlane;
let work: string;
let helm: Command;
let kube: Command;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kubeposture-helm-cp-'));
  plane = await startControlPlane({ binDir: ensureBinaries(), workDir: join(work, 'plane'), lifetime: 'owned' });
  helm = helmCli(join(work, 'helm'), plane.kubeconfig);
  kube = kubectlWith(plane.kubeconfig);
});
afterAll(async () => {
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

interface PodTemplate {
  metadata: { generation: number };
  spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } & Record<string, unknown> } };
}
async function liveDeployment(): Promise<PodTemplate> {
  return JSON.parse(await kube.ok('get', 'deployment/kubeposture', '-n', NS, '-o', 'json')) as PodTemplate;
}
/** Whether admission (PodSecurity included) lets a Pod with this spec into the operator's namespace; stores nothing. */
async function admitted(spec: Record<string, unknown>): Promise<{ ok: boolean; stderr: string }> {
  const file = join(work, `pod-${String(Math.random()).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'manager-probe', namespace: NS }, spec }));
  const r = await kube.run('create', '--dry-run=server', '-f', file);
  return { ok: r.code === 0, stderr: r.stderr };
}
const argsOf = (d: PodTemplate): string[] => d.spec.template.spec.containers[0]?.args ?? [];

describe('helm install, upgrade and uninstall on a fresh cluster', () => {
  it('installs every object the chart renders, CRDs Established, as the README says', async () => {
    await helm.ok('install', 'kubeposture', CHART, ...README_IMAGE);
    expect(await helm.ok('status', 'kubeposture')).toContain('STATUS: deployed');
    const manifest = parseManifests(await helm.ok('get', 'manifest', 'kubeposture'));
    expect(manifest.map(identity)).toEqual(parseManifests(await helm.ok('template', 'kubeposture', CHART, ...README_IMAGE)).map(identity));
    const file = join(work, 'manifest.yaml');
    writeFileSync(file, await helm.ok('get', 'manifest', 'kubeposture'));
    const live = (await kube.ok('get', '-f', file, '-o', 'name')).trim().split('\n');
    expect(live).toHaveLength(manifest.length);
    await kube.ok('wait', '--for=condition=Established', ...CRDS, '--timeout=30s');
    expect(await kube.ok('get', 'namespace', NS, '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}')).toBe(
      'restricted',
    );
  });

  it("the manager's Pod passes the restricted Pod Security Standard, and a root Pod does not", async () => {
    const spec = (await liveDeployment()).spec.template.spec;
    expect(spec.containers[0]).toMatchObject({ image: 'registry.example/kubeposture:0.1.0' });
    expect(await admitted(spec)).toEqual({ ok: true, stderr: '' });
    const root = await admitted({ ...spec, securityContext: {}, containers: [{ name: 'x', image: 'x' }] });
    expect(root.ok).toBe(false);
    expect(root.stderr).toContain('violates PodSecurity "restricted:latest"');
  });

  it("helm upgrade applies changed values to the Deployment, turns on the README's opt-ins, and applies the next chart version's CRD", async () => {
    const before = await liveDeployment();
    expect(argsOf(before)).toContain('--workers=16');
    // The next version of the chart, whose CRD gains a short name: upgrading applies it.
    const next = join(work, 'chart-next');
    cpSync(CHART, next, { recursive: true });
    const crd = join(next, 'files', 'crds', 'securitybaselines.kubeposture.io.yaml');
    writeFileSync(crd, readFileSync(crd, 'utf8').replace('shortNames: [sb]', 'shortNames: [sb, sbl]'));
    await helm.ok(
      'upgrade',
      'kubeposture',
      next,
      '--reuse-values',
      '--set',
      'workers=4',
      '--set',
      'logLevel=debug',
      '--set',
      'replicas=3',
      ...README_OPT_INS,
    );
    const after = await liveDeployment();
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    expect(after.spec.replicas).toBe(3);
    expect(argsOf(after)).toEqual(
      argsOf(before).map((a) => (a === '--workers=16' ? '--workers=4' : a === '--log-level=info' ? '--log-level=debug' : a)),
    );
    expect(await kube.ok('get', CRDS[0] ?? '', '-o', 'jsonpath={.spec.names.shortNames}')).toBe('["sb","sbl"]');
    expect((await kube.ok('get', 'validatingadmissionpolicies', '-o', 'name')).trim().split('\n').sort()).toEqual(POLICIES);
    expect((await kube.ok('get', 'validatingwebhookconfigurations', '-o', 'name')).trim()).toBe(WEBHOOK);
    expect(await helm.ok('history', 'kubeposture', '-o', 'json')).toContain('"revision":2');
    // A bad value is refused before anything changes.
    const refused = await helm.run('upgrade', 'kubeposture', CHART, '--reuse-values', '--set', 'logLevel=verbose');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("at '/logLevel'");
    expect((await liveDeployment()).metadata.generation).toBe(after.metadata.generation);
  });

  it('helm uninstall removes the operator and its policies, and leaves the CRDs (keep) and every baseline; the same install then adopts them again', async () => {
    await kube.ok('apply', '-f', join(CHART, '..', '..', 'config', 'samples', 'kubeposture_v1alpha1_securitybaseline_audit.yaml'));
    const out = await helm.ok('uninstall', 'kubeposture');
    expect(out).toMatch(/kept due to the resource policy/);
    for (const gone of ['deployment/kubeposture', 'serviceaccount/kubeposture']) {
      expect((await kube.run('get', gone, '-n', NS)).code).not.toBe(0);
    }
    for (const gone of ['clusterrole/kubeposture-manager', 'clusterrolebinding/kubeposture-manager', ...POLICIES, WEBHOOK]) {
      expect((await kube.run('get', gone)).stderr).toContain('NotFound');
    }
    await kube.ok('get', ...CRDS);
    expect(await kube.ok('get', 'securitybaselines', '-o', 'name')).toContain('securitybaseline.kubeposture.io/');
    // The namespace goes too (its Lease with it); once it has, the same install takes the kept CRDs back.
    await eventually(
      async () => {
        expect((await kube.run('get', 'namespace', NS)).stderr).toContain('NotFound');
      },
      60_000,
      250,
    );
    await helm.ok('install', 'kubeposture', CHART);
    expect(await kube.ok('get', CRDS[0] ?? '', '-o', 'jsonpath={.spec.names.shortNames}')).toBe('["sb"]');
    expect(await kube.ok('get', 'securitybaselines', '-o', 'name')).toContain('securitybaseline.kubeposture.io/');
  });
});
