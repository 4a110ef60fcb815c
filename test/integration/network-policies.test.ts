/**
 * Platform allow rules and the cluster's own DNS (issue 15) on the real control plane, with the
 * operator under its own ServiceAccount: every sample baseline applied and its objects read back
 * equal to `kubeposture render`; who can reach whom under the policies as the apiserver stored
 * them, judged by an evaluator that shares no code with kubeposture
 * (test/support/network-policy-eval.ts); an additional policy a namespace admin edits or deletes
 * put back within a second; one dropped from the baseline removed.
 */
import { dump, load, loadAll } from 'js-yaml';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { additionalPolicyName, LABEL_NAMESPACE_NAME } from '../../src/api/constants.ts';
import { render } from '../../src/cli/render.ts';
import { compareObject } from '../../src/drift/compare.ts';
import type { ManagedObject } from '../../src/baseline/objects.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { eventually, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import { allowed, type FullPolicy, type Labels, type Pod, type Probe } from '../support/network-policy-eval.ts';
import type { TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  createBaseline,
  createNamespaces,
  patchBaselineSpec,
  readBaseline,
  timed,
  user,
  waitCompliant,
  waitReady,
} from '../support/world.ts';

const SAMPLES = join(import.meta.dirname, '..', '..', 'config', 'samples');
const sampleFiles = readdirSync(SAMPLES).filter((f) => f.includes('_securitybaseline_') && f.endsWith('.yaml'));

let op: TestOperator;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
}, 60_000);
afterAll(async () => {
  await op.stop();
});

interface Applied {
  readonly name: string;
  readonly ns: string;
  readonly labels: Labels;
  readonly manifest: { readonly spec: Record<string, unknown> } & Record<string, unknown>;
}

/**
 * A sample as shipped, its name made unique and its selector pointed at a fresh namespace; applied
 * and compliant (an Audit sample: reconciled, its drift reported, nothing written).
 */
async function applySample(file: string): Promise<Applied> {
  const manifest = load(readFileSync(join(SAMPLES, file), 'utf8')) as { metadata: { name: string }; spec: Record<string, unknown> };
  const group = uniqueName('g');
  const labels = { 'kp-test': group };
  const name = uniqueName(manifest.metadata.name);
  const mine = { ...manifest, metadata: { name }, spec: { ...manifest.spec, namespaceSelector: { matchLabels: labels } } };
  const [ns = ''] = await createNamespaces('np', 1, labels);
  await createBaseline(mine);
  if (manifest.spec.mode === 'Audit') await waitReady(name);
  else await waitCompliant(name, 1);
  return { name, ns, labels, manifest: mine };
}

/** Every NetworkPolicy in a namespace, as stored. */
async function policiesIn(ns: string): Promise<FullPolicy[]> {
  const list = (await user.request('GET', resourcePath('NetworkPolicy', ns))) as { items: FullPolicy[] };
  return list.items;
}

describe('each sample', () => {
  it.each(sampleFiles)('%s: applied, its objects read back equal to render', async (file) => {
    const a = await applySample(file);
    const uid = (await readBaseline(a.name))?.metadata.uid ?? '';
    const out = render({ source: file, text: dump(a.manifest), namespace: a.ns, labels: a.labels });
    expect(out.code).toBe(0);
    const rendered = (loadAll(out.stdout.replaceAll(`<uid of SecurityBaseline ${a.name}>`, uid)) as (ManagedObject | null)[]).filter(
      (o): o is ManagedObject => o !== null,
    );
    expect(rendered.length).toBeGreaterThan(1);
    if (a.manifest.spec.mode === 'Audit') {
      // Audit writes nothing: every object render shows is reported as drift instead, and none exists.
      const drift = ((await readBaseline(a.name))?.status?.drift ?? []).map((d) => `${d.kind}/${d.name}`).sort();
      expect(drift).toEqual(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort());
      expect(await policiesIn(a.ns)).toEqual([]);
      return;
    }
    const differences: string[] = [];
    for (const o of rendered) {
      const namespace = o.kind === 'Namespace' ? undefined : a.ns;
      const live: WireObject | undefined = await user.get(o.kind, namespace, o.metadata.name);
      if (live === undefined) differences.push(`${o.kind}/${o.metadata.name}: missing`);
      else for (const f of compareObject(o, live)) differences.push(`${o.kind}/${o.metadata.name}: ${f}`);
    }
    expect(differences).toEqual([]);
    // And nothing more: every NetworkPolicy there is one render shows.
    const names = (await policiesIn(a.ns)).map((p) => p.metadata.name).sort();
    expect(names).toEqual(
      rendered
        .filter((o) => o.kind === 'NetworkPolicy')
        .map((o) => o.metadata.name)
        .sort(),
    );
  });
});

describe('who can reach whom, under the stored policies', () => {
  const ns = (name: string, extra: Labels = {}): Labels => ({ [LABEL_NAMESPACE_NAME]: name, ...extra });
  const kubeDns: Probe = { ns: ns('kube-system'), pod: { 'k8s-app': 'kube-dns' } };
  const openshiftDns: Probe = { ns: ns('openshift-dns'), pod: { 'dns.operator.openshift.io/daemonset-dns': 'default' } };

  it('platform: ingress controller and Prometheus in, the API server out for labelled pods, DNS to kube-dns; nothing else', async () => {
    const a = await applySample('kubeposture_v1alpha1_securitybaseline_platform.yaml');
    const policies = await policiesIn(a.ns);
    const here = ns(a.ns, a.labels);
    const app: Pod = { ns: here, pod: { app: 'shop' }, namedPorts: { http: 8080, metrics: 9090 } };
    const apiClient: Pod = { ns: here, pod: { app: 'operator', 'kubeposture.io/apiserver-client': 'true' } };
    const controller: Probe = { ns: ns('ingress-nginx'), pod: { 'app.kubernetes.io/name': 'ingress-nginx' } };
    const prometheus: Probe = { ns: ns('monitoring'), pod: { 'app.kubernetes.io/name': 'prometheus' } };
    const cases: [string, boolean, boolean][] = [
      ['ingress controller → app :8080', allowed(policies, a.ns, app, 'ingress', controller, 8080, 'TCP'), true],
      ['ingress controller → app :9090/UDP', allowed(policies, a.ns, app, 'ingress', controller, 9090, 'UDP'), true],
      [
        'another pod of ingress-nginx → app',
        allowed(policies, a.ns, app, 'ingress', { ns: ns('ingress-nginx'), pod: { app: 'x' } }, 8080, 'TCP'),
        false,
      ],
      [
        'a pod of another namespace → app',
        allowed(policies, a.ns, app, 'ingress', { ns: ns('team-z'), pod: controller.pod }, 8080, 'TCP'),
        false,
      ],
      ['Prometheus → app :metrics (9090)', allowed(policies, a.ns, app, 'ingress', prometheus, 9090, 'TCP'), true],
      ['Prometheus → app :8080', allowed(policies, a.ns, app, 'ingress', prometheus, 8080, 'TCP'), false],
      ['Prometheus → app :9090/UDP', allowed(policies, a.ns, app, 'ingress', prometheus, 9090, 'UDP'), false],
      [
        'another monitoring pod → app :metrics',
        allowed(policies, a.ns, app, 'ingress', { ns: ns('monitoring'), pod: {} }, 9090, 'TCP'),
        false,
      ],
      ['a pod of its own namespace → app', allowed(policies, a.ns, app, 'ingress', { ns: here, pod: {} }, 8080, 'TCP'), false],
      ['labelled pod → API server :443', allowed(policies, a.ns, apiClient, 'egress', { ip: '10.0.0.1' }, 443, 'TCP'), true],
      ['labelled pod → API server :6443', allowed(policies, a.ns, apiClient, 'egress', { ip: '10.0.0.1' }, 6443, 'TCP'), true],
      ['labelled pod → API server :80', allowed(policies, a.ns, apiClient, 'egress', { ip: '10.0.0.1' }, 80, 'TCP'), false],
      ['labelled pod → another address :443', allowed(policies, a.ns, apiClient, 'egress', { ip: '10.0.0.2' }, 443, 'TCP'), false],
      ['app → API server :443', allowed(policies, a.ns, app, 'egress', { ip: '10.0.0.1' }, 443, 'TCP'), false],
      ['app → kube-dns :53/UDP', allowed(policies, a.ns, app, 'egress', kubeDns, 53, 'UDP'), true],
      ['app → kube-dns :53/TCP', allowed(policies, a.ns, app, 'egress', kubeDns, 53, 'TCP'), true],
      ['app → kube-dns :5353/UDP', allowed(policies, a.ns, app, 'egress', kubeDns, 5353, 'UDP'), false],
      ['app → 8.8.8.8 :53/UDP', allowed(policies, a.ns, app, 'egress', { ip: '8.8.8.8' }, 53, 'UDP'), false],
    ];
    expect(cases.filter(([, got, want]) => got !== want).map(([what]) => what)).toEqual([]);
  });

  it.each(['kubeposture_v1alpha1_securitybaseline_minimal.yaml', 'kubeposture_v1alpha1_securitybaseline_restricted.yaml'])(
    '%s: nothing in or out but DNS to kube-dns',
    async (file) => {
      const a = await applySample(file);
      const policies = await policiesIn(a.ns);
      const app: Pod = { ns: ns(a.ns, a.labels), pod: { app: 'shop' } };
      const neighbour: Probe = { ns: ns(a.ns, a.labels), pod: {} };
      const cases: [string, boolean, boolean][] = [
        ['→ kube-dns :53/UDP', allowed(policies, a.ns, app, 'egress', kubeDns, 53, 'UDP'), true],
        ['→ kube-dns :53/TCP', allowed(policies, a.ns, app, 'egress', kubeDns, 53, 'TCP'), true],
        ['→ kube-dns :80', allowed(policies, a.ns, app, 'egress', kubeDns, 80, 'TCP'), false],
        ['→ 8.8.8.8 :53/UDP', allowed(policies, a.ns, app, 'egress', { ip: '8.8.8.8' }, 53, 'UDP'), false],
        ['→ a neighbour :8080', allowed(policies, a.ns, app, 'egress', neighbour, 8080, 'TCP'), false],
        ['a neighbour → app :8080', allowed(policies, a.ns, app, 'ingress', neighbour, 8080, 'TCP'), false],
        ['10.0.0.1 → app :8080', allowed(policies, a.ns, app, 'ingress', { ip: '10.0.0.1' }, 8080, 'TCP'), false],
      ];
      expect(cases.filter(([, got, want]) => got !== want).map(([what]) => what)).toEqual([]);
    },
  );

  it('NodeLocal DNSCache: DNS to 169.254.20.10 and to kube-dns, on 53 only', async () => {
    const a = await applySample('kubeposture_v1alpha1_securitybaseline_nodelocal-dns.yaml');
    const policies = await policiesIn(a.ns);
    const app: Pod = { ns: ns(a.ns, a.labels), pod: {} };
    const cases: [string, boolean, boolean][] = [
      ['→ 169.254.20.10 :53/UDP', allowed(policies, a.ns, app, 'egress', { ip: '169.254.20.10' }, 53, 'UDP'), true],
      ['→ 169.254.20.10 :53/TCP', allowed(policies, a.ns, app, 'egress', { ip: '169.254.20.10' }, 53, 'TCP'), true],
      ['→ 169.254.20.10 :80', allowed(policies, a.ns, app, 'egress', { ip: '169.254.20.10' }, 80, 'TCP'), false],
      ['→ 169.254.20.11 :53/UDP', allowed(policies, a.ns, app, 'egress', { ip: '169.254.20.11' }, 53, 'UDP'), false],
      ['→ kube-dns :53/UDP', allowed(policies, a.ns, app, 'egress', kubeDns, 53, 'UDP'), true],
      ['→ openshift-dns :5353/UDP', allowed(policies, a.ns, app, 'egress', openshiftDns, 5353, 'UDP'), false],
    ];
    expect(cases.filter(([, got, want]) => got !== want).map(([what]) => what)).toEqual([]);
  });

  it('OpenShift: DNS to the openshift-dns pods on 5353, not to kube-dns nor on 53', async () => {
    const a = await applySample('kubeposture_v1alpha1_securitybaseline_openshift-dns.yaml');
    const policies = await policiesIn(a.ns);
    const app: Pod = { ns: ns(a.ns, a.labels), pod: {} };
    const cases: [string, boolean, boolean][] = [
      ['→ openshift-dns :5353/UDP', allowed(policies, a.ns, app, 'egress', openshiftDns, 5353, 'UDP'), true],
      ['→ openshift-dns :5353/TCP', allowed(policies, a.ns, app, 'egress', openshiftDns, 5353, 'TCP'), true],
      ['→ openshift-dns :53/UDP', allowed(policies, a.ns, app, 'egress', openshiftDns, 53, 'UDP'), false],
      [
        '→ another openshift-dns pod :5353',
        allowed(policies, a.ns, app, 'egress', { ns: ns('openshift-dns'), pod: {} }, 5353, 'UDP'),
        false,
      ],
      ['→ kube-dns :53/UDP', allowed(policies, a.ns, app, 'egress', kubeDns, 53, 'UDP'), false],
    ];
    expect(cases.filter(([, got, want]) => got !== want).map(([what]) => what)).toEqual([]);
  });
});

describe('additional policies kept as the baseline says', () => {
  it('puts back within a second an additional policy a namespace admin opened, and one they deleted', async () => {
    const a = await applySample('kubeposture_v1alpha1_securitybaseline_platform.yaml');
    const tenant = (await namespaceAdmin(a.ns)).client;
    const name = additionalPolicyName('from-ingress-controller');
    const before = (await user.get('NetworkPolicy', a.ns, name)) as FullPolicy;
    await tenant.jsonPatch('NetworkPolicy', a.ns, name, [{ op: 'add', path: '/spec/ingress/-', value: {} }]);
    const repairMs = await timed(async () => {
      const now = (await user.get('NetworkPolicy', a.ns, name)) as FullPolicy;
      expect(now.spec.ingress).toEqual(before.spec.ingress);
    }, 5000);
    expect(repairMs).toBeLessThan(1000);

    const scrape = additionalPolicyName('prometheus-scrape');
    await tenant.request('DELETE', resourcePath('NetworkPolicy', a.ns, scrape));
    const recreateMs = await timed(async () => {
      const now = (await user.get('NetworkPolicy', a.ns, scrape)) as FullPolicy | undefined;
      expect(now?.spec.ingress).toHaveLength(1);
    }, 5000);
    expect(recreateMs).toBeLessThan(1000);
  });

  it('removes an additional policy dropped from the baseline, and reports no drift for it', async () => {
    const a = await applySample('kubeposture_v1alpha1_securitybaseline_platform.yaml');
    const np = a.manifest.spec as { networkPolicy: { additional: { name: string }[] } };
    const kept = np.networkPolicy.additional.filter((p) => p.name !== 'to-apiserver');
    await patchBaselineSpec(a.name, { networkPolicy: { ...np.networkPolicy, additional: kept } });
    await eventually(async () => {
      expect(await user.get('NetworkPolicy', a.ns, additionalPolicyName('to-apiserver'))).toBeUndefined();
    }, 10_000);
    await eventually(async () => {
      const b = await readBaseline(a.name);
      expect(b?.status?.observedGeneration).toBe(b?.metadata.generation);
      expect(b?.status?.namespaces).toMatchObject({ selected: 1, compliant: 1, drifted: 0 });
      expect(b?.status?.drift ?? []).toEqual([]);
    }, 10_000);
    expect((await policiesIn(a.ns)).map((p) => p.metadata.name).sort()).toEqual([
      'kubeposture-allow-dns',
      'kubeposture-default-deny',
      'kubeposture-from-ingress-controller',
      'kubeposture-prometheus-scrape',
    ]);
  });

  it('moves DNS egress where a changed spec.networkPolicy.dns says', async () => {
    const a = await applySample('kubeposture_v1alpha1_securitybaseline_minimal.yaml');
    const dns = { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ protocol: 'UDP', port: 53 }] };
    await patchBaselineSpec(a.name, { networkPolicy: { dns } });
    await eventually(async () => {
      const p = (await user.get('NetworkPolicy', a.ns, 'kubeposture-allow-dns')) as FullPolicy;
      expect(p.spec.egress).toEqual([dns]);
    }, 10_000);
  });
});
