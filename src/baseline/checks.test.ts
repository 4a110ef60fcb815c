import { baselineOf, restrictedManifest } from '../../test/support/baselines.ts';
import { baselineChecks, checkKind } from './checks.ts';

describe('baselineChecks', () => {
  const restricted = baselineOf(restrictedManifest());

  it('names one check per object the baseline wants, after the part of the spec that asks for it', () => {
    expect(baselineChecks(restricted, undefined).map((c) => `${c.rule} ${c.kind}/${c.name} ${c.severity}`)).toEqual([
      'networkPolicy.defaultDeny NetworkPolicy/kubeposture-default-deny high',
      'networkPolicy.allowDNS NetworkPolicy/kubeposture-allow-dns medium',
      'limitRange LimitRange/kubeposture-limits medium',
      'resourceQuota ResourceQuota/kubeposture-quota medium',
      'serviceAccounts.workloads.app ServiceAccount/app medium',
      'serviceAccounts.workloads.app Role/kubeposture-app medium',
      'serviceAccounts.workloads.app RoleBinding/kubeposture-app medium',
      'serviceAccounts.disableDefaultTokenMount ServiceAccount/default high',
      'podSecurity Namespace/ high',
    ]);
  });

  it('leaves out what an exception lifts, and shares one frozen list per baseline otherwise', () => {
    const lifted = baselineChecks(restricted, undefined, new Set(['limitRange', 'serviceAccounts.workloads.app'] as const));
    expect(lifted.map((c) => c.rule)).not.toContain('limitRange');
    expect(lifted.map((c) => c.rule)).not.toContain('serviceAccounts.workloads.app');
    expect(baselineChecks(restricted, undefined)).toBe(baselineChecks(restricted, undefined));
    expect(Object.isFrozen(baselineChecks(restricted, undefined)[0])).toBe(true);
  });

  it('gives an edited baseline the list it had while its checks are the same, and a new one when they are not', () => {
    const manifest = restrictedManifest();
    const spec = manifest.spec as Record<string, unknown>;
    const quota = spec.resourceQuota as { hard: Record<string, string> };
    const edited = baselineOf({ ...manifest, spec: { ...spec, resourceQuota: { hard: { ...quota.hard, pods: '61' } } } });
    expect(edited).not.toBe(restricted);
    expect(baselineChecks(edited, undefined)).toBe(baselineChecks(restricted, undefined));
    const { limitRange: _dropped, ...withoutLimits } = spec;
    const fewer = baselineOf({ ...manifest, spec: withoutLimits });
    expect(baselineChecks(fewer, undefined)).not.toBe(baselineChecks(restricted, undefined));
    expect(baselineChecks(fewer, undefined).map((c) => c.rule)).not.toContain('limitRange');
    // With an exception (not memoized per baseline), the same list each time.
    const lift = new Set(['limitRange'] as const);
    expect(baselineChecks(restricted, undefined, lift)).toBe(baselineChecks(edited, undefined, new Set(['limitRange'] as const)));
  });

  it("names the grantor and additional policies' checks", () => {
    expect(checkKind('RoleBinding', 'kubeposture:grantor').rule).toBe('serviceAccounts.grantor');
    expect(checkKind('NetworkPolicy', 'kubeposture-from-ingress').rule).toBe('networkPolicy.additional.from-ingress');
    expect(checkKind('NetworkPolicy', 'kubeposture-allow-same-namespace').rule).toBe('networkPolicy.allowSameNamespace');
  });
});
