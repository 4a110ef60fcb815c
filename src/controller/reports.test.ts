import { bodyHash, clusterBuildInterval, clusterReportName, limitsOf, pages, reportObject, sameKey, wireBody } from './reports.ts';
import { clusterReport } from '../report/build.ts';

describe('report helpers', () => {
  const outcomes = Array.from({ length: 4500 }, (_, i) => ({
    namespace: `ns-${String(i).padStart(5, '0')}`,
    result: i % 10 === 0 ? ('fail' as const) : ('pass' as const),
    failed: i % 10 === 0 ? 1 : 0,
    excepted: false,
  }));

  it('builds a ClusterReport of many pages less often: the interval once per page of the last build', () => {
    expect(clusterBuildInterval(10_000, undefined)).toBe(10_000);
    expect(clusterBuildInterval(10_000, 0)).toBe(10_000);
    expect(clusterBuildInterval(10_000, 1)).toBe(10_000);
    expect(clusterBuildInterval(10_000, 5)).toBe(50_000);
  });

  it('cuts a ClusterReport into pages, each counting its own results, named after the baseline', () => {
    const body = clusterReport('restricted', outcomes);
    const p = pages(body);
    expect(p.map((x) => x.results.length)).toEqual([2000, 2000, 500]);
    expect(p.map((x) => x.summary.fail)).toEqual([200, 200, 50]);
    expect(p[2]?.scope).toEqual(body.scope);
    expect(pages(clusterReport('restricted', []))).toHaveLength(1);
    expect([1, 2].map((n) => clusterReportName('restricted', n))).toEqual(['kubeposture-restricted', 'kubeposture-restricted-page-2']);
    // Far below the apiserver's 1.5 MiB request limit, with names as long as a namespace may have.
    const long = clusterReport(
      'restricted',
      outcomes.map((o) => ({ ...o, namespace: o.namespace.padEnd(63, 'x') })),
    );
    const object = reportObject('ClusterReport', undefined, 'kubeposture-restricted', {
      baseline: { name: 'restricted', uid: 'u' },
      body: pages(long)[0] ?? long,
    });
    expect(JSON.stringify(object).length).toBeLessThan(600_000);
  });

  it('hashes what a report holds, not its metadata, the same however its keys are ordered', () => {
    const body = clusterReport('restricted', outcomes.slice(0, 3));
    const live = {
      metadata: { name: 'x', resourceVersion: '9' },
      results: body.results,
      summary: body.summary,
      source: body.source,
      scope: body.scope,
    };
    expect(bodyHash(live)).toBe(bodyHash(body));
    expect(bodyHash({ ...live, summary: { ...body.summary, pass: 0 } })).not.toBe(bodyHash(body));
  });

  it('reads configuration.limits, ignoring what the schema would not have', () => {
    expect(limitsOf({})).toBeUndefined();
    expect(limitsOf({ configuration: { limits: { maxResults: 10, statusFilter: ['fail', 'bogus'] } } })).toEqual({
      maxResults: 10,
      statusFilter: ['fail'],
    });
    expect(limitsOf({ configuration: { limits: { maxResults: -1 } } })).toEqual({});
  });

  it('compares report keys value by value, objects by identity', () => {
    const result = { drift: [] };
    expect(sameKey(['uid', result, null], ['uid', result, null])).toBe(true);
    expect(sameKey(['uid', result, null], ['uid', { drift: [] }, null])).toBe(false);
    expect(sameKey(['uid', result], ['uid', result, 'finding'])).toBe(false);
    expect(sameKey(undefined, [])).toBe(false);
  });

  it('writes the legacy PolicyReport without a report-level source, which its schema lacks', () => {
    const body = clusterReport('restricted', outcomes.slice(0, 2));
    const w = { baseline: { name: 'restricted', uid: 'u' }, body };
    const legacy = reportObject('ClusterPolicyReport', undefined, 'kubeposture-restricted', w);
    expect(legacy.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect(legacy).not.toHaveProperty('source');
    expect(legacy.results?.[0]?.source).toBe('kubeposture');
    const current = reportObject('ClusterReport', undefined, 'kubeposture-restricted', w);
    expect(current).toMatchObject({ apiVersion: 'openreports.io/v1alpha1', source: 'kubeposture' });
    // Each hashes as its API stores it: a live legacy report read back hashes as what was sent.
    expect(bodyHash(legacy)).toBe(bodyHash(wireBody('PolicyReport', body)));
    expect(bodyHash(legacy)).not.toBe(bodyHash(body));
  });
});
