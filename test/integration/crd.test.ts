/**
 * The SecurityBaseline CRD on the real apiserver: samples are accepted,
 * defaults applied, invalid manifests refused with a message naming the field,
 * and kubectl shows the printer columns and the schema's descriptions.
 */
import { kubectl } from '../support/kubectl.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { messageOf, statusOf, uniqueName } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { custom, deleteBaseline, kc, readBaseline, user } from '../support/world.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { resourcePath } from '../../src/kube/resources.ts';

const SAMPLES = join(import.meta.dirname, '..', '..', 'config', 'samples');
const created: string[] = [];

async function create(manifest: Record<string, unknown>): Promise<string> {
  const name = uniqueName('crd');
  const meta = (manifest.metadata ?? {}) as Record<string, unknown>;
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: { ...manifest, metadata: { ...meta, name } },
  });
  created.push(name);
  return name;
}

const base = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'SecurityBaseline',
  metadata: {},
  spec,
});

beforeAll(async () => {
  await installCrd(kc);
});
afterAll(async () => {
  for (const name of created) await deleteBaseline(name).catch(() => undefined);
  user.close();
});

describe('config/samples', () => {
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

  it('has the samples the kustomization lists', () => {
    const k = load(readFileSync(join(SAMPLES, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...k.resources].sort()).toEqual([...files].sort());
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('accepts %s', async (file) => {
    const manifest = load(readFileSync(join(SAMPLES, file), 'utf8')) as Record<string, unknown>;
    if (manifest.kind === 'SecurityBaselineException') {
      const name = uniqueName('crd');
      await user.create('SecurityBaselineException', { ...manifest, metadata: { name } }, 'kubeposture-tests');
      try {
        const stored = (await user.get('SecurityBaselineException', undefined, name)) as { spec?: unknown } | undefined;
        expect(stored?.spec).toEqual(manifest.spec);
      } finally {
        await user.request('DELETE', resourcePath('SecurityBaselineException', undefined, name));
      }
      return;
    }
    const name = await create(manifest);
    const stored = await readBaseline(name);
    expect(stored?.spec).toMatchObject(manifest.spec as object);
  });
});

describe('defaulting', () => {
  it('fills in the documented defaults', async () => {
    const name = await create(
      base({
        namespaceSelector: { matchLabels: { a: 'b' } },
        podSecurity: { enforce: 'baseline' },
        serviceAccounts: { workloads: [{ name: 'app' }] },
      }),
    );
    expect((await readBaseline(name))?.spec).toEqual({
      mode: 'Enforce',
      priority: 0,
      deletionPolicy: 'Delete',
      namespaceSelector: { matchLabels: { a: 'b' } },
      networkPolicy: { denyIngress: true, denyEgress: true, allowDNS: true, allowSameNamespace: false },
      podSecurity: { enforce: 'baseline', enforceVersion: 'latest', auditVersion: 'latest', warnVersion: 'latest', rollout: 'Immediate' },
      serviceAccounts: { disableDefaultTokenMount: true, workloads: [{ name: 'app', automountServiceAccountToken: false }] },
    });
  });
});

describe('label keys', () => {
  // The longest key Kubernetes allows: a 253-character DNS-subdomain prefix, '/', 63 characters.
  const prefix = `${'a'.repeat(61)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`;
  const longest = `${prefix}/${'e'.repeat(63)}`;

  it('takes the longest key Kubernetes allows, in matchLabels and matchExpressions, as the validator does', async () => {
    expect(prefix).toHaveLength(253);
    expect(longest).toHaveLength(317);
    const manifest = base({
      namespaceSelector: { matchLabels: { [longest]: 'x' }, matchExpressions: [{ key: longest, operator: 'Exists' }] },
    });
    const name = await create(manifest);
    const stored = await readBaseline(name);
    expect(stored?.spec).toMatchObject({ namespaceSelector: { matchLabels: { [longest]: 'x' } } });
    expect(parseSecurityBaseline(stored).ok).toBe(true);
  });
});

const rule = (extra: Record<string, unknown>): Record<string, unknown> => ({
  serviceAccounts: { workloads: [{ name: 'app', rules: [{ resources: ['pods'], verbs: ['get'], ...extra }] }] },
});

describe('invalid manifests', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no spec', { apiVersion: `${GROUP}/${VERSION}`, kind: 'SecurityBaseline', metadata: {} }, /spec: Required value/],
    ['an unknown mode', base({ mode: 'Sometimes' }), /spec\.mode: Unsupported value: "Sometimes": supported values: "Enforce", "Audit"/],
    [
      'a negative priority',
      base({ priority: -1 }),
      /spec\.priority: Invalid value: -1: spec\.priority in body should be greater than or equal to 0/,
    ],
    [
      'a priority above the maximum',
      base({ priority: 2_000_000 }),
      /spec\.priority: Invalid value: 2000000: .*less than or equal to 1000000/,
    ],
    [
      'a fractional priority',
      base({ priority: 1.5 }),
      /spec\.priority: Invalid value: "number": spec\.priority in body must be of type integer/,
    ],
    [
      'priority as a string',
      base({ priority: 'high' }),
      /spec\.priority: Invalid value: "string": spec\.priority in body must be of type integer/,
    ],
    ['an unknown deletionPolicy', base({ deletionPolicy: 'Keep' }), /spec\.deletionPolicy: Unsupported value: "Keep"/],
    [
      'a bad selector operator',
      base({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } }),
      /spec\.namespaceSelector\.matchExpressions\[0\]\.operator: Unsupported value: "Equals"/,
    ],
    [
      'In without values',
      base({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }),
      /spec\.namespaceSelector\.matchExpressions\[0\]\.values: Invalid value: .*must list at least one value when operator is In or NotIn/,
    ],
    [
      'NotIn with an empty list',
      base({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] } }),
      /spec\.namespaceSelector\.matchExpressions\[0\]\.values: .*must list at least one value/,
    ],
    [
      'Exists with values',
      base({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }),
      /spec\.namespaceSelector\.matchExpressions\[0\]\.values: .*must be empty when operator is Exists or DoesNotExist/,
    ],
    [
      'an invalid expression key',
      base({ namespaceSelector: { matchExpressions: [{ key: 'bad key!', operator: 'Exists' }] } }),
      /spec\.namespaceSelector\.matchExpressions\[0\]\.key: .*must be a valid label key/,
    ],
    [
      'an invalid matchLabels key',
      base({ namespaceSelector: { matchLabels: { 'bad key': 'x' } } }),
      /spec\.namespaceSelector\.matchLabels: .*every key must be a valid label key/,
    ],
    [
      'an invalid matchLabels value',
      base({ namespaceSelector: { matchLabels: { team: 'a b' } } }),
      /spec\.namespaceSelector\.matchLabels\.team: Invalid value: "a b"/,
    ],
    ['an uppercase glob', base({ excludeNamespaces: ['Sandbox-*'] }), /spec\.excludeNamespaces\[0\]: Invalid value: "Sandbox-\*"/],
    ['a glob with a slash', base({ excludeNamespaces: ['ok', 'a/b'] }), /spec\.excludeNamespaces\[1\]: Invalid value: "a\/b"/],
    [
      'a glob that is too long',
      base({ excludeNamespaces: ['a'.repeat(64)] }),
      /spec\.excludeNamespaces\[0\]: Too long: may not be (longer than|more than) 63/,
    ],
    ['a duplicate glob', base({ excludeNamespaces: ['a-*', 'a-*'] }), /spec\.excludeNamespaces\[1\]: Duplicate value: "a-\*"/],
    [
      'too many globs',
      base({ excludeNamespaces: Array.from({ length: 101 }, (_, i) => `n${String(i)}`) }),
      /spec\.excludeNamespaces: Too many: 101: must have at most 100 items/,
    ],
    [
      'denyIngress as a string',
      base({ networkPolicy: { denyIngress: 'yes' } }),
      /spec\.networkPolicy\.denyIngress: Invalid value: "string": spec\.networkPolicy\.denyIngress in body must be of type boolean/,
    ],
    [
      'an unknown LimitRange type',
      base({ limitRange: { limits: [{ type: 'Node' }] } }),
      /spec\.limitRange\.limits\[0\]\.type: Unsupported value: "Node"/,
    ],
    [
      'a LimitRange item without type',
      base({ limitRange: { limits: [{ max: { cpu: '1' } }] } }),
      /spec\.limitRange\.limits\[0\]\.type: Required value/,
    ],
    [
      'a malformed quantity in a LimitRange',
      base({ limitRange: { limits: [{ type: 'Container', max: { cpu: 'two' } }] } }),
      /spec\.limitRange\.limits\[0\]\.max\.cpu: Invalid value: "two"/,
    ],
    [
      'a negative quantity',
      base({ limitRange: { limits: [{ type: 'Container', min: { memory: '-1Gi' } }] } }),
      /spec\.limitRange\.limits\[0\]\.min\.memory: Invalid value: "-1Gi"/,
    ],
    [
      'a malformed quantity in the quota',
      base({ resourceQuota: { hard: { pods: '5 pods' } } }),
      /spec\.resourceQuota\.hard\.pods: Invalid value: "5 pods"/,
    ],
    [
      'an empty quota',
      base({ resourceQuota: { hard: {} } }),
      /spec\.resourceQuota\.hard: Invalid value: .*should have at least 1 properties/,
    ],
    ['a quota without hard', base({ resourceQuota: {} }), /spec\.resourceQuota\.hard: Required value/],
    [
      'duplicate workload names',
      base({ serviceAccounts: { workloads: [{ name: 'a' }, { name: 'a' }] } }),
      /spec\.serviceAccounts\.workloads\[1\]: Duplicate value: .*"name":"a"/,
    ],
    [
      'a workload named default',
      base({ serviceAccounts: { workloads: [{ name: 'default' }] } }),
      /spec\.serviceAccounts\.workloads\[0\]\.name: Invalid value: "string": must not be "default"/,
    ],
    [
      'an invalid workload name',
      base({ serviceAccounts: { workloads: [{ name: 'App_1' }] } }),
      /spec\.serviceAccounts\.workloads\[0\]\.name: Invalid value: "App_1"/,
    ],
    [
      'a workload without a name',
      base({ serviceAccounts: { workloads: [{ automountServiceAccountToken: true }] } }),
      /spec\.serviceAccounts\.workloads\[0\]\.name: Required value/,
    ],
    [
      'a rule without verbs',
      base(rule({ verbs: [] })),
      /spec\.serviceAccounts\.workloads\[0\]\.rules\[0\]\.verbs: Invalid value: .*should have at least 1 items/,
    ],
    [
      'a rule without resources',
      base({ serviceAccounts: { workloads: [{ name: 'app', rules: [{ verbs: ['get'] }] }] } }),
      /spec\.serviceAccounts\.workloads\[0\]\.rules\[0\]\.resources: Required value/,
    ],
    [
      'a rule with an empty verb',
      base(rule({ verbs: [''] })),
      /spec\.serviceAccounts\.workloads\[0\]\.rules\[0\]\.verbs\[0\]: Invalid value: "": .*should be at least 1 chars long/,
    ],
    [
      'an unknown Pod Security level',
      base({ podSecurity: { enforce: 'strict' } }),
      /spec\.podSecurity\.enforce: Unsupported value: "strict": supported values: "privileged", "baseline", "restricted"/,
    ],
    [
      'a malformed Pod Security version',
      base({ podSecurity: { enforce: 'baseline', enforceVersion: '1.30' } }),
      /spec\.podSecurity\.enforceVersion: Invalid value: "1\.30"/,
    ],
  ])('refuses %s, naming the field', async (_name, manifest, message) => {
    let err: unknown;
    try {
      await create(manifest);
    } catch (e: unknown) {
      err = e;
    }
    expect(statusOf(err)).toBe(422);
    expect(messageOf(err)).toMatch(message);
  });
});

describe('kubectl', () => {
  it('prints the columns of kubectl get sb', async () => {
    await create(base({ mode: 'Audit', namespaceSelector: { matchLabels: { none: 'none' } } }));
    const header = (await kubectl('get', 'sb')).split('\n')[0] ?? '';
    expect(header.split(/\s+/)).toEqual(['NAME', 'MODE', 'SELECTED', 'COMPLIANT', 'DRIFTED', 'READY', 'AGE']);
    expect(await kubectl('get', 'securitybaselines', '-o', 'name')).toMatch(/securitybaseline\.kubeposture\.io\//);
    expect(await kubectl('get', 'kubeposture')).toContain('Audit');
  });

  it("explains the API from the schema's descriptions", async () => {
    const spec = await kubectl('explain', 'securitybaseline.spec');
    expect(spec).toContain('The desired posture and the namespaces it applies to.');
    for (const field of [
      'mode',
      'priority',
      'namespaceSelector',
      'excludeNamespaces',
      'deletionPolicy',
      'networkPolicy',
      'limitRange',
      'resourceQuota',
      'serviceAccounts',
      'podSecurity',
    ]) {
      expect(spec).toContain(field);
    }
    expect(await kubectl('explain', 'securitybaseline.spec.networkPolicy.allowDNS')).toContain('allow DNS (UDP and TCP 53)');
  });

  it("explains the NetworkPolicy parts with Kubernetes' own descriptions, and the exception kind", async () => {
    const additional = await kubectl('explain', 'securitybaseline.spec.networkPolicy.additional');
    expect(additional).toContain('created as NetworkPolicy kubeposture-<name>');
    for (const field of ['name', 'podSelector', 'policyTypes', 'ingress', 'egress']) expect(additional).toContain(field);
    // Kubernetes' own words for an IPBlock, from the pinned version's OpenAPI.
    expect(await kubectl('explain', 'securitybaseline.spec.networkPolicy.additional.egress.to.ipBlock')).toContain(
      'except is a slice of CIDRs that should not be included within an IPBlock',
    );
    expect(await kubectl('explain', 'securitybaseline.spec.networkPolicy.dns.ports.port')).toContain('numerical or named port');
    const exempt = await kubectl('explain', 'securitybaselineexception.spec.exempt');
    expect(exempt).toContain('networkPolicy.additional.<name>');
    expect(await kubectl('explain', 'securitybaselineexception.spec.expires')).toContain('--exception-horizon');
  });
});
