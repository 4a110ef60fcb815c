import { baselineWith } from '../../test/support/baselines.ts';
import type { SecurityBaselineException } from '../api/exception.ts';
import type { ExemptPart } from '../api/types.ts';
import { desiredObjects } from './build.ts';
import { DEFAULT_HORIZON_MS, ExemptionIndex, judgeException } from './exceptions.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 4);
const exc = (name: string, spec: Partial<SecurityBaselineException['spec']> = {}, expiresAt = NOW + DAY): SecurityBaselineException => ({
  metadata: { name, uid: name, generation: 1 },
  spec: {
    baseline: 'b',
    namespaces: ['team-*'],
    exempt: ['resourceQuota'],
    reason: 'r',
    expires: new Date(expiresAt).toISOString(),
    ...spec,
  },
  expiresAt,
});
const b = baselineWith('b', {
  resourceQuota: { hard: { pods: '5' } },
  limitRange: { limits: [{ type: 'Container', max: { cpu: '1' } }] },
  networkPolicy: { additional: [{ name: 'scrape' }] },
  serviceAccounts: { workloads: [{ name: 'app', rules: [{ resources: ['pods'], verbs: ['get'] }] }] },
  podSecurity: { enforce: 'restricted', warn: 'restricted' },
});
const baselines = { valid: [b], stalled: new Set<string>() };

describe('judgeException', () => {
  it('is Active before it expires, Expired from then on', () => {
    const e = exc('e');
    expect(judgeException(e, baselines, NOW, DEFAULT_HORIZON_MS)).toEqual({ state: 'Active' });
    expect(judgeException(e, baselines, NOW + DAY - 1, DEFAULT_HORIZON_MS)).toEqual({ state: 'Active' });
    expect(judgeException(e, baselines, NOW + DAY, DEFAULT_HORIZON_MS)).toEqual({ state: 'Expired' });
  });

  it.each<[string, SecurityBaselineException, string, RegExp]>([
    ['an unknown baseline', exc('e', { baseline: 'nope' }), 'spec.baseline', /no SecurityBaseline "nope"/],
    [
      'an unknown additional policy',
      exc('e', { exempt: ['limitRange', 'networkPolicy.additional.nope'] }),
      'spec.exempt[1]',
      /no additional policy "nope"/,
    ],
    ['an unknown workload', exc('e', { exempt: ['serviceAccounts.workloads.web'] }), 'spec.exempt[0]', /no workload ServiceAccount "web"/],
    ['an expiry past the horizon', exc('e', {}, NOW + 91 * DAY), 'spec.expires', /more than 90d ahead/],
  ])('is Invalid for %s, naming the field', (_name, e, field, message) => {
    expect(judgeException(e, baselines, NOW, DEFAULT_HORIZON_MS)).toEqual({
      state: 'Invalid',
      field,
      message: expect.stringMatching(message) as unknown,
    });
  });

  it('checks names before times: an expired exception naming an unknown baseline is Invalid', () => {
    expect(judgeException(exc('e', { baseline: 'nope' }, NOW - DAY), baselines, NOW, DEFAULT_HORIZON_MS)).toMatchObject({
      state: 'Invalid',
    });
    expect(judgeException(exc('e', {}, NOW - DAY), baselines, NOW, DEFAULT_HORIZON_MS)).toEqual({ state: 'Expired' });
  });

  it('judges an exception of a Stalled baseline on its times alone', () => {
    expect(
      judgeException(exc('e', { exempt: ['networkPolicy.additional.x'] }), { valid: [], stalled: new Set(['b']) }, NOW, DEFAULT_HORIZON_MS),
    ).toEqual({
      state: 'Active',
    });
  });
});

describe('ExemptionIndex', () => {
  const index = new ExemptionIndex([
    exc('z-quota', { namespaces: ['team-a'], exempt: ['resourceQuota'] }),
    exc('a-np', { namespaces: ['team-?'], exempt: ['networkPolicy.denyEgress'] }),
    exc('other', { baseline: 'c', namespaces: ['*'], exempt: ['limitRange'] }),
  ]);

  it('unites the parts of every exception of the baseline whose namespaces match, naming them sorted', () => {
    expect(index.exemptionFor('b', 'team-a')).toEqual({
      parts: new Set(['networkPolicy.denyEgress', 'resourceQuota']),
      exceptions: ['a-np', 'z-quota'],
    });
    expect(index.exemptionFor('b', 'team-b')).toEqual({ parts: new Set(['networkPolicy.denyEgress']), exceptions: ['a-np'] });
    expect(index.exemptionFor('b', 'team-ab').exceptions).toEqual([]);
    expect(index.none('b')).toBe(false);
    expect(index.none('d')).toBe(true);
  });

  it('finds exceptions that name namespaces exactly, several or twice, and those mixing a name and a pattern', () => {
    const mixed = new ExemptionIndex([
      exc('m-many', { namespaces: ['team-a', 'team-b', 'team-a'], exempt: ['limitRange'] }),
      exc('b-mixed', { namespaces: ['ops', 'team-*'], exempt: ['resourceQuota'] }),
    ]);
    expect(mixed.exemptionFor('b', 'team-a')).toEqual({
      parts: new Set(['resourceQuota', 'limitRange']),
      exceptions: ['b-mixed', 'm-many'],
    });
    expect(mixed.exemptionFor('b', 'team-b').exceptions).toEqual(['b-mixed', 'm-many']);
    expect(mixed.exemptionFor('b', 'ops')).toEqual({ parts: new Set(['resourceQuota']), exceptions: ['b-mixed'] });
    expect(mixed.exemptionFor('b', 'dev').exceptions).toEqual([]);
  });
});

describe('desiredObjects with parts lifted', () => {
  const names = (exempt: ExemptPart[]): string[] =>
    desiredObjects(b, 'team-a', undefined, new Set(exempt)).map((d) =>
      d.object.kind === 'Namespace'
        ? `Namespace:${Object.keys(d.object.metadata.labels).join(',')}`
        : `${d.object.kind}/${d.object.metadata.name}`,
    );
  const all = names([]);

  it.each<[ExemptPart, string[]]>([
    [
      'networkPolicy',
      ['NetworkPolicy/kubeposture-default-deny', 'NetworkPolicy/kubeposture-allow-dns', 'NetworkPolicy/kubeposture-scrape'],
    ],
    ['networkPolicy.denyEgress', ['NetworkPolicy/kubeposture-allow-dns']],
    ['networkPolicy.additional.scrape', ['NetworkPolicy/kubeposture-scrape']],
    ['limitRange', ['LimitRange/kubeposture-limits']],
    ['resourceQuota', ['ResourceQuota/kubeposture-quota']],
    ['serviceAccounts.workloads.app', ['ServiceAccount/app', 'Role/kubeposture-app', 'RoleBinding/kubeposture-app']],
    ['serviceAccounts.disableDefaultTokenMount', ['ServiceAccount/default']],
  ])('%s takes out exactly its objects', (part, gone) => {
    expect(all.filter((n) => !names([part]).includes(n))).toEqual(gone);
  });

  it('denyIngress leaves the default-deny for egress only', () => {
    const np = desiredObjects(b, 'team-a', undefined, new Set(['networkPolicy.denyIngress'])).find(
      (d) => d.object.metadata.name === 'kubeposture-default-deny',
    );
    expect(np?.object).toMatchObject({ spec: { policyTypes: ['Egress'], egress: [] } });
  });

  it('podSecurity.enforce takes out the enforce labels and keeps warn', () => {
    expect(names(['podSecurity.enforce']).at(-1)).toBe('Namespace:pod-security.kubernetes.io/warn,pod-security.kubernetes.io/warn-version');
  });
});
