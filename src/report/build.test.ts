import { baselineOf, restrictedManifest } from '../../test/support/baselines.ts';
import { baselineChecks } from '../baseline/checks.ts';
import { applyLimits, clusterReport, namespaceReport, REPORT_LIMITS, type NamespaceFindings } from './build.ts';

const checks = baselineChecks(baselineOf(restrictedManifest()), undefined);
const clean: NamespaceFindings = { namespace: 'team-a', baseline: 'restricted', checks, drift: [], lifts: [], findings: [] };

describe('namespaceReport', () => {
  it('passes every check of a compliant namespace, scoped to the Namespace, with no timestamps', () => {
    const r = namespaceReport(clean);
    expect(r.scope).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'team-a' });
    expect(r.summary).toEqual({ pass: checks.length, fail: 0, warn: 0, error: 0, skip: 0 });
    expect(r.results[0]).toEqual({
      source: 'kubeposture',
      policy: 'restricted',
      rule: 'networkPolicy.defaultDeny',
      result: 'pass',
      category: 'Network isolation',
      severity: 'high',
      message: 'NetworkPolicy kubeposture-default-deny is as the baseline has it',
      resources: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'kubeposture-default-deny', namespace: 'team-a' }],
    });
    expect(JSON.stringify(r)).not.toMatch(/timestamp|Time/);
    expect(namespaceReport(clean)).toEqual(r);
  });

  it('fails drifted checks with the reason and fields, and lists leftovers no check names', () => {
    const r = namespaceReport({
      ...clean,
      drift: [
        { kind: 'NetworkPolicy', name: 'kubeposture-default-deny', reason: 'Modified', fields: ['spec.ingress'] },
        { kind: 'Namespace', name: 'team-a', reason: 'Modified', fields: ['metadata.labels.pod-security.kubernetes.io/enforce'] },
        { kind: 'LimitRange', name: 'kubeposture-limits', reason: 'Conflict' },
        { kind: 'NetworkPolicy', name: 'kubeposture-old', reason: 'Unexpected' },
      ],
    });
    expect(r.summary.fail).toBe(4);
    const deny = r.results.find((x) => x.rule === 'networkPolicy.defaultDeny');
    expect(deny).toMatchObject({ result: 'fail', properties: { reason: 'Modified', fields: 'spec.ingress' } });
    expect(deny?.message).toBe('NetworkPolicy kubeposture-default-deny differs from the baseline at spec.ingress');
    expect(r.results.find((x) => x.rule === 'podSecurity')).toMatchObject({
      result: 'fail',
      resources: [{ apiVersion: 'v1', kind: 'Namespace', name: 'team-a' }],
    });
    expect(r.results.find((x) => x.rule === 'limitRange')?.message).toMatch(/held by an object kubeposture did not create/);
    expect(r.results.find((x) => x.rule === 'networkPolicy.additional.old')).toMatchObject({
      result: 'fail',
      properties: { reason: 'Unexpected' },
    });
  });

  it('skips lifted parts with the exception and its reason, warns of findings here only, and reports an error', () => {
    const r = namespaceReport({
      ...clean,
      lifts: [{ part: 'resourceQuota', exception: 'legacy', reason: 'SEC-1', expires: '2027-01-31T00:00:00Z' }],
      findings: [
        { type: 'AllowAllIngress', namespace: 'team-a', kind: 'NetworkPolicy', name: 'open', message: 'opens ingress to all' },
        { type: 'AllowAllIngress', namespace: 'team-b', kind: 'NetworkPolicy', name: 'open', message: 'elsewhere' },
        { type: 'MutableSelectorLabel', message: 'about the baseline' },
      ],
      error: 'create NetworkPolicy/kubeposture-allow-dns: the server is on fire',
    });
    expect(r.summary).toMatchObject({ skip: 1, warn: 1, error: 1 });
    expect(r.results.find((x) => x.result === 'skip')).toMatchObject({
      rule: 'resourceQuota',
      properties: { exception: 'legacy', expires: '2027-01-31T00:00:00Z' },
    });
    expect(r.results.find((x) => x.result === 'skip')?.message).toContain('SEC-1');
    expect(r.results.find((x) => x.result === 'warn')).toMatchObject({
      rule: 'AllowAllIngress',
      resources: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'open', namespace: 'team-a' }],
    });
  });

  it.each(['PodSecurityViolations', 'PodSecurityPending'] as const)(
    'warns of the pods Pod Security refuses (%s), each with its pod, under Pod Security',
    (type) => {
      const r = namespaceReport({
        ...clean,
        findings: [{ type, namespace: 'team-a', kind: 'Pod', name: 'debug', message: 'pod debug would be refused' }],
      });
      expect(r.results.find((x) => x.result === 'warn')).toMatchObject({
        rule: type,
        category: 'Pod Security',
        resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'debug', namespace: 'team-a' }],
      });
    },
  );

  it('lists a bounded number of findings whatever a tenant creates, and clips messages', () => {
    const findings = Array.from({ length: 5000 }, (_, i) => ({
      type: 'AllowAllEgress' as const,
      namespace: 'team-a',
      kind: 'NetworkPolicy',
      name: `p${String(i)}`,
      message: 'x'.repeat(100_000),
    }));
    const r = namespaceReport({ ...clean, findings });
    const warns = r.results.filter((x) => x.result === 'warn');
    expect(warns).toHaveLength(REPORT_LIMITS.findings + 1);
    expect(warns[warns.length - 1]?.message).toBe(
      `${String(5000 - REPORT_LIMITS.findings)} more findings in this namespace are not listed`,
    );
    expect(Math.max(...r.results.map((x) => x.message.length))).toBeLessThanOrEqual(REPORT_LIMITS.message);
    expect(JSON.stringify(r).length).toBeLessThan(200_000);
  });

  it('keeps what configuration.limits asks for: the filtered statuses, at most maxResults, failures first', () => {
    const drift = [{ kind: 'ResourceQuota', name: 'kubeposture-quota', reason: 'Missing' as const }];
    const onlyFail = namespaceReport({ ...clean, drift }, { statusFilter: ['fail'] });
    expect(onlyFail.results.map((x) => x.rule)).toEqual(['resourceQuota']);
    expect(onlyFail.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
    const two = namespaceReport({ ...clean, drift }, { maxResults: 2 });
    expect(two.results.map((x) => `${x.rule} ${x.result}`)).toEqual(['networkPolicy.defaultDeny pass', 'resourceQuota fail']);
    expect(applyLimits(two.results, undefined)).toBe(two.results);
  });
});

describe('clusterReport', () => {
  it('lists one result per namespace, sorted, pass/fail/error', () => {
    const r = clusterReport('restricted', [
      { namespace: 'b', result: 'fail', failed: 2, excepted: false },
      { namespace: 'a', result: 'pass', failed: 0, excepted: true },
      { namespace: 'c', result: 'error', failed: 0, excepted: false },
    ]);
    expect(r.results.map((x) => `${x.resources?.[0]?.name ?? ''} ${x.result} ${x.message}`)).toEqual([
      'a pass compliant; parts lifted by exceptions',
      'b fail 2 checks failed',
      'c error the last reconcile failed',
    ]);
    expect(r.summary).toEqual({ pass: 1, fail: 1, warn: 0, error: 1, skip: 0 });
  });
});
