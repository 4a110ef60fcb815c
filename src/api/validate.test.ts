import { restrictedManifest } from '../../test/support/baselines.ts';
import type { FieldError } from './field-reader.ts';
import { formatErrors, parseSecurityBaseline } from './validate.ts';

const withSpec = (spec: unknown): Record<string, unknown> => ({
  apiVersion: 'kubeposture.io/v1alpha1',
  kind: 'SecurityBaseline',
  metadata: { name: 'b' },
  spec,
});
const errorsOf = (input: unknown): readonly FieldError[] => {
  const r = parseSecurityBaseline(input);
  return r.ok ? [] : r.errors;
};

describe('parseSecurityBaseline', () => {
  it('accepts the DESIGN.md example unchanged', () => {
    const r = parseSecurityBaseline(restrictedManifest());
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.baseline.spec).toEqual({
        ...(restrictedManifest().spec as object),
        podSecurity: {
          enforce: 'restricted',
          enforceVersion: 'latest',
          audit: 'restricted',
          auditVersion: 'latest',
          warn: 'restricted',
          warnVersion: 'latest',
          rollout: 'Immediate',
        },
      });
  });

  it('applies the CRD defaults to an empty spec', () => {
    const r = parseSecurityBaseline(withSpec({}));
    expect(r.ok && r.baseline.spec).toEqual({
      mode: 'Enforce',
      priority: 0,
      deletionPolicy: 'Delete',
      networkPolicy: { denyIngress: true, denyEgress: true, allowDNS: true, allowSameNamespace: false },
    });
  });

  it('defaults section fields: default token mount off, workload automount off', () => {
    const r = parseSecurityBaseline(withSpec({ serviceAccounts: { workloads: [{ name: 'app' }] } }));
    expect(r.ok && r.baseline.spec.serviceAccounts).toEqual({
      disableDefaultTokenMount: true,
      workloads: [{ name: 'app', automountServiceAccountToken: false }],
    });
  });

  it('keeps metadata the controller needs and nothing else', () => {
    const r = parseSecurityBaseline({
      ...withSpec({}),
      metadata: { name: 'b', uid: 'u', generation: 3, resourceVersion: '7', labels: { a: 'b' }, deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
    expect(r.ok && r.baseline.metadata).toEqual({
      name: 'b',
      uid: 'u',
      generation: 3,
      resourceVersion: '7',
      deletionTimestamp: '2026-01-01T00:00:00Z',
    });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 'text', '(document)', /must be an object/],
    ['wrong kind', { ...withSpec({}), kind: 'Pod' }, 'kind', /must be SecurityBaseline/],
    ['wrong apiVersion', { ...withSpec({}), apiVersion: 'kubeposture.io/v1' }, 'apiVersion', /must be kubeposture.io\/v1alpha1/],
    ['no name', { ...withSpec({}), metadata: {} }, 'metadata.name', /must be a string/],
    ['unknown mode', withSpec({ mode: 'Sometimes' }), 'spec.mode', /Enforce, Audit, not "Sometimes"/],
    ['negative priority', withSpec({ priority: -1 }), 'spec.priority', /between 0 and/],
    ['fractional priority', withSpec({ priority: 1.5 }), 'spec.priority', /whole number/],
    ['bad deletionPolicy', withSpec({ deletionPolicy: 'Keep' }), 'spec.deletionPolicy', /Delete, Orphan/],
    [
      'bad selector operator',
      withSpec({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } }),
      'spec.namespaceSelector.matchExpressions[0].operator',
      /In, NotIn, Exists, DoesNotExist/,
    ],
    [
      'In without values',
      withSpec({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }),
      'spec.namespaceSelector.matchExpressions[0].values',
      /at least one value/,
    ],
    [
      'Exists with values',
      withSpec({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }),
      'spec.namespaceSelector.matchExpressions[0].values',
      /must be empty/,
    ],
    [
      'invalid label key',
      withSpec({ namespaceSelector: { matchLabels: { 'bad key': 'x' } } }),
      'spec.namespaceSelector.matchLabels[bad key]',
      /label key/,
    ],
    [
      'invalid label value',
      withSpec({ namespaceSelector: { matchLabels: { team: 'a b' } } }),
      'spec.namespaceSelector.matchLabels[team]',
      /label value/,
    ],
    ['uppercase glob', withSpec({ excludeNamespaces: ['Sandbox-*'] }), 'spec.excludeNamespaces[0]', /not a namespace glob/],
    ['glob with a slash', withSpec({ excludeNamespaces: ['ok', 'a/b'] }), 'spec.excludeNamespaces[1]', /not a namespace glob/],
    ['glob too long', withSpec({ excludeNamespaces: ['a'.repeat(64)] }), 'spec.excludeNamespaces[0]', /at most 63/],
    [
      'too many excludes',
      withSpec({ excludeNamespaces: Array.from({ length: 101 }, (_, i) => `n${String(i)}`) }),
      'spec.excludeNamespaces',
      /at most 100/,
    ],
    [
      'malformed quantity',
      withSpec({ limitRange: { limits: [{ type: 'Container', max: { cpu: 'two' } }] } }),
      'spec.limitRange.limits[0].max[cpu]',
      /not a quantity/,
    ],
    ['negative quantity', withSpec({ resourceQuota: { hard: { pods: '-1' } } }), 'spec.resourceQuota.hard[pods]', /negative/],
    [
      'a quantity Kubernetes would cap',
      withSpec({ resourceQuota: { hard: { pods: '1e400' } } }),
      'spec.resourceQuota.hard[pods]',
      /larger than Kubernetes can store \(9223372036854775807\)/,
    ],
    [
      'a 10,000-digit quantity',
      withSpec({ limitRange: { limits: [{ type: 'Container', max: { cpu: '9'.repeat(10_000) } }] } }),
      'spec.limitRange.limits[0].max[cpu]',
      /larger than Kubernetes can store/,
    ],
    [
      'unknown LimitRange type',
      withSpec({ limitRange: { limits: [{ type: 'Node' }] } }),
      'spec.limitRange.limits[0].type',
      /Container, Pod, PersistentVolumeClaim/,
    ],
    [
      'default above max',
      withSpec({ limitRange: { limits: [{ type: 'Container', default: { cpu: '3' }, max: { cpu: '2' } }] } }),
      'spec.limitRange.limits[0].default[cpu]',
      /3 is greater than max 2/,
    ],
    [
      'defaultRequest above default',
      withSpec({ limitRange: { limits: [{ type: 'Container', default: { memory: '1Gi' }, defaultRequest: { memory: '2Gi' } }] } }),
      'spec.limitRange.limits[0].defaultRequest[memory]',
      /greater than default/,
    ],
    [
      'min above max',
      withSpec({ limitRange: { limits: [{ type: 'Pod', min: { cpu: '2' }, max: { cpu: '1' } }] } }),
      'spec.limitRange.limits[0].min[cpu]',
      /greater than max/,
    ],
    [
      'defaultRequest above the max it defaults from',
      withSpec({ limitRange: { limits: [{ type: 'Container', defaultRequest: { cpu: '4' }, max: { cpu: '2' } }] } }),
      'spec.limitRange.limits[0].defaultRequest[cpu]',
      /Kubernetes fills a missing default from max/,
    ],
    [
      'Pod type with defaults',
      withSpec({ limitRange: { limits: [{ type: 'Pod', default: { cpu: '1' } }] } }),
      'spec.limitRange.limits[0].default',
      /may not be set when type is Pod/,
    ],
    [
      'PVC limit on cpu',
      withSpec({ limitRange: { limits: [{ type: 'PersistentVolumeClaim', max: { cpu: '1' } }] } }),
      'spec.limitRange.limits[0].max[cpu]',
      /only take the resource "storage"/,
    ],
    [
      'ratio below one',
      withSpec({ limitRange: { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }] } }),
      'spec.limitRange.limits[0].maxLimitRequestRatio[cpu]',
      /at least 1/,
    ],
    ['empty quota', withSpec({ resourceQuota: { hard: {} } }), 'spec.resourceQuota.hard', /at least one/],
    [
      'unknown quota resource',
      withSpec({ resourceQuota: { hard: { cpus: '1' } } }),
      'spec.resourceQuota.hard[cpus]',
      /not a resource Kubernetes can quota/,
    ],
    [
      'duplicate workload',
      withSpec({ serviceAccounts: { workloads: [{ name: 'a' }, { name: 'a' }] } }),
      'spec.serviceAccounts.workloads[1].name',
      /duplicates workloads\[0\]/,
    ],
    [
      'workload named default',
      withSpec({ serviceAccounts: { workloads: [{ name: 'default' }] } }),
      'spec.serviceAccounts.workloads[0].name',
      /must not be "default"/,
    ],
    [
      'invalid workload name',
      withSpec({ serviceAccounts: { workloads: [{ name: 'App_1' }] } }),
      'spec.serviceAccounts.workloads[0].name',
      /not a valid name/,
    ],
    [
      'rule without verbs',
      withSpec({ serviceAccounts: { workloads: [{ name: 'a', rules: [{ resources: ['pods'], verbs: [] }] }] } }),
      'spec.serviceAccounts.workloads[0].rules[0].verbs',
      /at least one verb/,
    ],
    [
      'rule without resources',
      withSpec({ serviceAccounts: { workloads: [{ name: 'a', rules: [{ verbs: ['get'] }] }] } }),
      'spec.serviceAccounts.workloads[0].rules[0].resources',
      /at least one resource/,
    ],
    [
      'rule with nonResourceURLs',
      withSpec({
        serviceAccounts: { workloads: [{ name: 'a', rules: [{ resources: ['pods'], verbs: ['get'], nonResourceURLs: ['/x'] }] }] },
      }),
      'spec.serviceAccounts.workloads[0].rules[0].nonResourceURLs',
      /not allowed/,
    ],
    [
      'bad Pod Security level',
      withSpec({ podSecurity: { enforce: 'strict' } }),
      'spec.podSecurity.enforce',
      /privileged, baseline, restricted/,
    ],
    [
      'bad Pod Security version',
      withSpec({ podSecurity: { enforce: 'baseline', enforceVersion: '1.30' } }),
      'spec.podSecurity.enforceVersion',
      /"latest" or "v1.N"/,
    ],
    ['denyIngress not a boolean', withSpec({ networkPolicy: { denyIngress: 'yes' } }), 'spec.networkPolicy.denyIngress', /true or false/],
    [
      'too many workloads',
      withSpec({ serviceAccounts: { workloads: Array.from({ length: 51 }, (_, i) => ({ name: `w${String(i)}` })) } }),
      'spec.serviceAccounts.workloads',
      /at most 50/,
    ],
  ])('rejects %s, naming the field', (_name, input, field, message) => {
    const errors = errorsOf(input);
    const hit = errors.find((e) => e.field === field);
    expect(hit).toBeDefined();
    expect(hit?.message).toMatch(message);
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(withSpec({ mode: 'x', priority: -1, podSecurity: { warn: 'y' } }));
    expect(errors.map((e) => e.field)).toEqual(['spec.mode', 'spec.priority', 'spec.podSecurity.warn']);
    expect(formatErrors(errors)).toMatch(/^spec\.mode: .*; spec\.priority: .*; spec\.podSecurity\.warn: /);
  });

  it('quotes no more of a value than a scalar cut short: an aliased tree (2^40 leaves) in kind, mode or a quantity', () => {
    let bomb: unknown = ['lol'];
    for (let i = 0; i < 40; i++) bomb = [bomb, bomb];
    const huge = 'x'.repeat(100_000);
    const errors = errorsOf({
      ...withSpec({ mode: bomb, podSecurity: { enforce: { a: bomb } }, resourceQuota: { hard: { pods: huge } } }),
      kind: bomb,
      apiVersion: huge,
    });
    expect(errors.map((e) => e.field)).toEqual([
      'apiVersion',
      'kind',
      'spec.mode',
      'spec.resourceQuota.hard[pods]',
      'spec.podSecurity.enforce',
    ]);
    expect(errors.find((e) => e.field === 'kind')?.message).toBe('must be SecurityBaseline, not a list');
    expect(errors.find((e) => e.field === 'spec.podSecurity.enforce')?.message).toMatch(/, not an object$/);
    for (const e of errors) expect(e.message.length).toBeLessThan(200);
  });

  it('accepts quota names Kubernetes accepts', () => {
    expect(
      errorsOf(
        withSpec({
          resourceQuota: {
            hard: {
              'count/deployments.apps': '5',
              'requests.nvidia.com/gpu': '1',
              'hugepages-2Mi': '1Gi',
              'gold.storageclass.storage.k8s.io/requests.storage': '10Gi',
            },
          },
        }),
      ),
    ).toEqual([]);
  });
});
