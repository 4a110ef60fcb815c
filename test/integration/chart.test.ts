/**
 * The Helm chart against kustomize, rendered by the real helm and kubectl: with default values it
 * installs exactly what config/default does, each opt-in value adds exactly its kustomize folder,
 * each other value changes exactly its fields, and bad values are refused naming the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { Command } from '../support/command.ts';
import { CHART, helmCli } from '../support/helm.ts';
import { kubectl } from '../support/kubectl.ts';
import { compareManifests, fieldDifferences, identity, parseManifests, type Manifest } from '../support/manifests.ts';

let home: string;
let helm: Command;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'kubeposture-helm-'));
  helm = helmCli(home);
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

/** `helm template` of the chart with these values (a values file, as a user writes one). */
async function chart(values: object = {}): Promise<Manifest[]> {
  return parseManifests(await helm.ok('template', 'kubeposture', CHART, '-f', valuesFile(values)));
}
function valuesFile(values: object): string {
  const file = join(home, `values-${String(Math.random()).slice(2)}.yaml`);
  writeFileSync(file, dump(values));
  return file;
}
async function kustomize(dir: string): Promise<Manifest[]> {
  return parseManifests(await kubectl('kustomize', dir));
}
const names = ['kustomize', 'helm'] as const;
const ALL_OPT_INS = { policy: { enabled: true }, guard: { pods: true, tamper: true, allowAll: true }, prometheus: { enabled: true } };
const minus = (list: Manifest[], gone: Manifest[]): Manifest[] => list.filter((o) => !gone.some((g) => identity(g) === identity(o)));
const named = (list: Manifest[], kind: string, name: string): Manifest[] => list.filter((o) => o.kind === kind && o.metadata.name === name);
type Container = { args: string[] } & Record<string, unknown>;
const argsOf = (d: Manifest): string[] =>
  (d as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]?.args ?? [];
const deployment = (list: Manifest[]): Manifest => {
  const [d] = named(list, 'Deployment', 'kubeposture');
  if (d === undefined) throw new Error('no Deployment rendered');
  return d;
};

describe('the chart with default values', () => {
  it('installs exactly what config/default installs, object for object and field for field', async () => {
    const [k, h] = [await kustomize('config/default'), await chart()];
    expect(h.length).toBeGreaterThan(20);
    expect(compareManifests(k, h, names)).toEqual([]);
  });

  it('passes helm lint --strict, alone and with every opt-in on', async () => {
    await helm.ok('lint', '--strict', CHART);
    await helm.ok('lint', '--strict', CHART, '-f', valuesFile(ALL_OPT_INS));
  });

  it('keeps the CRDs on uninstall (helm.sh/resource-policy: keep), and only them; crds.keep=false does not', async () => {
    const kept = (list: Manifest[]): string[] =>
      list.filter((o) => o.metadata.annotations?.['helm.sh/resource-policy'] === 'keep').map((o) => o.metadata.name);
    expect(kept(await chart())).toEqual(['securitybaselines.kubeposture.io', 'securitybaselineexceptions.kubeposture.io']);
    expect(kept(await chart({ crds: { keep: false } }))).toEqual([]);
  });
});

describe('each opt-in value against its kustomize folder', () => {
  /** A value that leaves exactly one object of config/default out. */
  const leaves = (value: string, values: object, kind: string, name: string): [string, object, () => Promise<Manifest[]>] => [
    `${value} leaves ${kind} ${name} out`,
    values,
    async () => {
      const d = await kustomize('config/default');
      return minus(d, named(d, kind, name));
    },
  ];
  const cases: [string, object, () => Promise<Manifest[]>][] = [
    [
      'policy.enabled adds config/policy',
      { policy: { enabled: true } },
      async () => [...(await kustomize('config/default')), ...(await kustomize('config/policy'))],
    ],
    [
      'guard.pods and guard.tamper add config/guard',
      { guard: { pods: true, tamper: true } },
      async () => [...(await kustomize('config/default')), ...(await kustomize('config/guard'))],
    ],
    [
      'guard.pods alone adds config/guard/pods.yaml',
      { guard: { pods: true } },
      async () => {
        const guard = await kustomize('config/guard');
        return [...(await kustomize('config/default')), ...guard.filter((o) => o.metadata.name === 'kubeposture-guard')];
      },
    ],
    [
      'guard.allowAll adds config/guard/allow-all.yaml',
      { guard: { allowAll: true } },
      async () => [...(await kustomize('config/default')), ...parseManifests(readFileSync('config/guard/allow-all.yaml', 'utf8'))],
    ],
    [
      'prometheus.enabled adds config/prometheus',
      { prometheus: { enabled: true } },
      async () => [...(await kustomize('config/default')), ...(await kustomize('config/prometheus'))],
    ],
    [
      'admission.exceptionWriters=false leaves config/admission out',
      { admission: { exceptionWriters: false } },
      async () => minus(await kustomize('config/default'), await kustomize('config/admission')),
    ],
    [
      'crds.install=false leaves config/crd out',
      { crds: { install: false } },
      async () => minus(await kustomize('config/default'), await kustomize('config/crd')),
    ],
    leaves('rbac.reportsView=false', { rbac: { reportsView: false } }, 'ClusterRole', 'kubeposture-reports-view'),
    leaves('networkPolicy.enabled=false', { networkPolicy: { enabled: false } }, 'NetworkPolicy', 'kubeposture'),
    leaves('namespace.create=false', { namespace: { create: false } }, 'Namespace', 'kubeposture-system'),
    leaves('grants.rules=[]', { grants: { rules: [] } }, 'ClusterRole', 'kubeposture-grantable-default'),
  ];
  it.each(cases)('%s, and changes nothing else', async (_name, values, expected) => {
    expect(compareManifests(await expected(), await chart(values), names)).toEqual([]);
  });

  it('the leader-election Role goes with leaderElection.enabled=false (replicas: 1)', async () => {
    const h = await chart({ leaderElection: { enabled: false }, replicas: 1 });
    const d = await kustomize('config/default');
    const gone = [...named(d, 'Role', 'kubeposture-leader-election'), ...named(d, 'RoleBinding', 'kubeposture-leader-election')];
    expect(gone).toHaveLength(2);
    const args = 'apps/Deployment/kubeposture-system/kubeposture: spec.template.spec.containers.0.args';
    expect(compareManifests(minus(d, gone), h, names)).toEqual([
      'apps/Deployment/kubeposture-system/kubeposture: spec.replicas differs',
      ...[4, 5, 6, 7, 8, 9].map((i) => `${args}.${String(i)} differs`),
    ]);
    expect(argsOf(deployment(h))).toEqual([
      '--health-addr=:8081',
      '--metrics-addr=:8443',
      '--metrics-secure=true',
      '--admission-addr=:9443',
      '--leader-elect=false',
      '--workers=16',
      '--log-level=info',
    ]);
  });
});

describe('values that shape the manager', () => {
  it('each lands in its field of the Deployment, and nothing else changes', async () => {
    const values = {
      image: { repository: 'registry.example/kubeposture', tag: '0.2.0', pullPolicy: 'IfNotPresent' },
      imagePullSecrets: ['regcred'],
      replicas: 3,
      resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      nodeOptions: '--max-old-space-size=512 --max-semi-space-size=4',
      leaderElection: { enabled: true, leaseDuration: '30s', renewDeadline: '20s', retryPeriod: '4s' },
      workers: 32,
      logLevel: 'debug',
      extraArgs: ['--reports=off'],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['system'] }] }],
          },
        },
      },
      priorityClassName: 'system-cluster-critical',
      podAnnotations: { 'example.com/team': 'platform' },
    };
    const [before, after] = [deployment(await chart()), deployment(await chart(values))];
    const pod = 'spec.template.spec';
    const c = `${pod}.containers.0`;
    expect(fieldDifferences(before, after)).toEqual([
      'spec.replicas',
      'spec.template.metadata.annotations',
      'spec.template.spec.affinity',
      `${c}.args.5`,
      `${c}.args.6`,
      `${c}.args.7`,
      `${c}.args.8`,
      `${c}.args.9`,
      `${c}.args.10`,
      `${c}.env.2.value`,
      `${c}.image`,
      `${c}.imagePullPolicy`,
      `${c}.resources.limits.memory`,
      `${c}.resources.requests.cpu`,
      `${c}.resources.requests.memory`,
      `${pod}.imagePullSecrets`,
      `${pod}.nodeSelector`,
      `${pod}.priorityClassName`,
      `${pod}.tolerations`,
    ]);
    const spec = (
      after as unknown as {
        spec: {
          template: { metadata: { annotations: unknown }; spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
        };
      }
    ).spec.template;
    expect(spec.spec.containers[0]).toMatchObject({
      image: 'registry.example/kubeposture:0.2.0',
      imagePullPolicy: 'IfNotPresent',
      args: [
        '--health-addr=:8081',
        '--metrics-addr=:8443',
        '--metrics-secure=true',
        '--admission-addr=:9443',
        '--leader-elect=true',
        '--lease-duration=30s',
        '--renew-deadline=20s',
        '--retry-period=4s',
        '--workers=32',
        '--log-level=debug',
        '--reports=off',
      ],
      resources: values.resources,
    });
    expect(spec.metadata.annotations).toEqual(values.podAnnotations);
    expect(spec.spec).toMatchObject({
      imagePullSecrets: [{ name: 'regcred' }],
      nodeSelector: values.nodeSelector,
      tolerations: values.tolerations,
      affinity: values.affinity,
      priorityClassName: values.priorityClassName,
    });
  });

  it('image.digest pins the image by digest', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const d = deployment(await chart({ image: { repository: 'registry.example/kubeposture', tag: '0.2.0', digest } }));
    expect(JSON.stringify(d)).toContain(`"image":"registry.example/kubeposture@${digest}"`);
  });

  it('grants.rules become what baselines may grant by default', async () => {
    const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }];
    const [role] = named(await chart({ grants: { rules } }), 'ClusterRole', 'kubeposture-grantable-default');
    expect(role).toMatchObject({ metadata: { labels: { 'kubeposture.io/aggregate-to-grantable': 'true' } }, rules });
  });

  it('namespace.name moves every reference to the operator namespace, in metadata, subjects and CEL alike', async () => {
    const all = ALL_OPT_INS;
    const moved = await helm.ok(
      'template',
      'kubeposture',
      CHART,
      '-f',
      valuesFile({ ...all, namespace: { name: 'kp-ops', create: true } }),
    );
    expect(moved).not.toContain('kubeposture-system');
    const expected = (await helm.ok('template', 'kubeposture', CHART, '-f', valuesFile(all))).replaceAll('kubeposture-system', 'kp-ops');
    expect(compareManifests(parseManifests(expected), parseManifests(moved), ['renamed default', 'namespace.name=kp-ops'])).toEqual([]);
  });
});

describe('values.schema.json', () => {
  const bad: [string, object, string][] = [
    ['a misspelt key', { replica: 3 }, "additional properties 'replica' not allowed"],
    ['replicas below 1', { replicas: 0 }, "at '/replicas'"],
    ['two replicas without leader election', { leaderElection: { enabled: false } }, "at '/replicas'"],
    ['workers above 256', { workers: 300 }, "at '/workers'"],
    ['an unknown log level', { logLevel: 'verbose' }, "at '/logLevel'"],
    ['a duration without unit', { leaderElection: { enabled: true, leaseDuration: '15' } }, "at '/leaderElection/leaseDuration'"],
    ['a memory limit that is no quantity', { resources: { limits: { memory: 'lots' } } }, "at '/resources/limits/memory'"],
    ['a digest that is no sha256', { image: { repository: 'kubeposture', tag: 'latest', digest: 'abc' } }, "at '/image/digest'"],
    ['an unknown toleration effect', { tolerations: [{ key: 'a', effect: 'Sometimes' }] }, "at '/tolerations/0/effect'"],
    ['a grant without verbs', { grants: { rules: [{ apiGroups: [''], resources: ['pods'] }] } }, "at '/grants/rules/0'"],
    ['a namespace name that is no DNS label', { namespace: { name: 'Kube_Posture', create: true } }, "at '/namespace/name'"],
    ['a flag that is not one', { extraArgs: ['reports=off'] }, "at '/extraArgs/0'"],
    ['an opt-in that is no boolean', { guard: { pods: 'yes' } }, "at '/guard/pods'"],
  ];
  it.each(bad)('refuses %s at helm template, naming the field', async (_name, values, field) => {
    const r = await helm.run('template', 'kubeposture', CHART, '-f', valuesFile(values));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(field);
  });
});
