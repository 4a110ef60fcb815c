import {
  ApiserverRequests,
  failedWrites,
  flowRequests,
  namespaceDryRun,
  namespaceObjectRequest,
  namespaceOrBaselineWrite,
  parseRequestTotals,
  percentile,
} from '../bench/measure.ts';
import { heapSpaces } from '../bench/memory.ts';
import { deploymentEnv, deploymentNodeOptions, metricSum, operatorMemory } from '../bench/operator-process.ts';
import { slope } from '../bench/growth.ts';
import { cacheSizes } from '../bench/soak.ts';

const METRICS = `
# HELP apiserver_request_total [STABLE] Counter of apiserver requests
apiserver_request_total{code="201",component="apiserver",dry_run="",group="networking.k8s.io",resource="networkpolicies",scope="resource",subresource="",verb="POST",version="v1"} 20000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="resourcequotas",scope="resource",subresource="status",verb="PUT",version="v1"} 5
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="namespaces",scope="cluster",subresource="",verb="LIST",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="All",group="",resource="namespaces",scope="resource",subresource="",verb="PATCH",version="v1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="namespaces",scope="resource",subresource="",verb="PATCH",version="v1"} 7
apiserver_flowcontrol_dispatched_requests_total{flow_schema="service-accounts",priority_level="workload-low"} 90123
apiserver_flowcontrol_dispatched_requests_total{flow_schema="kube-system-service-accounts",priority_level="workload-high"} 777
`;

describe("the benchmark's readings", () => {
  it("parses the apiserver's request counters", () => {
    const series = parseRequestTotals(METRICS);
    expect(series).toHaveLength(5);
    expect(series[0]).toEqual({
      verb: 'POST',
      resource: 'networkpolicies',
      subresource: '',
      code: '201',
      dryRun: false,
      value: 20000,
      key: 'code="201",component="apiserver",dry_run="",group="networking.k8s.io",resource="networkpolicies",scope="resource",subresource="",verb="POST",version="v1"',
    });
    expect(series.filter(namespaceObjectRequest).map((s) => s.verb)).toEqual(['POST', 'PATCH', 'PATCH']);
  });

  it('tells dry runs from writes', () => {
    const series = parseRequestTotals(METRICS);
    expect(series.filter(namespaceOrBaselineWrite).map((s) => `${s.verb} ${s.resource} ${String(s.value)}`)).toEqual([
      'POST networkpolicies 20000',
      'PATCH namespaces 7',
    ]);
    expect(series.filter(namespaceDryRun).map((s) => s.value)).toEqual([40]);
  });

  it('reads each series against the same series earlier, not one that differs only in labels it does not name', () => {
    const list = (scope: string, n: number): string =>
      `apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="${scope}",subresource="",verb="LIST",version="v1"} ${String(n)}`;
    const earlier = ApiserverRequests.parse(`${list('cluster', 97)}\n${list('namespace', 0)}\n`, 'service-accounts');
    const same = ApiserverRequests.parse(`${list('cluster', 97)}\n${list('namespace', 0)}\n`, 'service-accounts');
    expect(same.since(earlier, () => true)).toBe(0);
    const later = ApiserverRequests.parse(`${list('cluster', 99)}\n${list('namespace', 5)}\n${METRICS}`, 'service-accounts');
    expect(later.since(earlier, (s) => s.resource === 'configmaps')).toBe(7);
    // A series first seen later counts whole.
    expect(later.since(earlier, (s) => s.resource === 'networkpolicies')).toBe(20000);
  });

  it("counts one flow schema's requests", () => {
    expect(flowRequests(METRICS, 'service-accounts')).toBe(90123);
    expect(flowRequests(METRICS, 'nobody')).toBe(0);
  });

  it('sums a metric over its series', () => {
    const text =
      'kubeposture_reconciles_total{result="done"} 3\nkubeposture_reconciles_total{result="retry"} 2\nkubeposture_reconciles_total_other 9\n';
    expect(metricSum(text, 'kubeposture_reconciles_total')).toBe(5);
    expect(metricSum(text, 'kubeposture_reconciles_total', 'result="retry"')).toBe(2);
  });

  it('takes percentiles by nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('failedWrites', () => {
  it("counts the operator's refused writes from its own metrics, leaving out reads and 409 (a taken name), counting no answer", () => {
    const text = [
      'kubeposture_api_requests_total{verb="POST",code="201"} 900',
      'kubeposture_api_requests_total{verb="POST",code="409"} 3',
      'kubeposture_api_requests_total{verb="PATCH",code="422"} 2',
      'kubeposture_api_requests_total{verb="DELETE",code="403"} 1',
      'kubeposture_api_requests_total{verb="GET",code="404"} 7',
      'kubeposture_api_requests_total{verb="POST",code="0"} 4',
    ].join('\n');
    expect(failedWrites(text)).toBe(7);
  });

  it("reads each V8 heap space's committed size, in MB, from prom-client's default metrics", () => {
    const text = [
      'kubeposture_nodejs_heap_space_size_total_bytes{space="new"} 4194304',
      'kubeposture_nodejs_heap_space_size_total_bytes{space="old"} 209715200',
      'kubeposture_nodejs_heap_space_size_total_bytes{space="new_large_object"} 0',
      'kubeposture_nodejs_heap_space_size_used_bytes{space="old"} 104857600',
      'kubeposture_nodejs_heap_size_total_bytes 220000000',
    ].join('\n');
    expect(heapSpaces(text)).toEqual({ new: 4, old: 200, new_large_object: 0 });
  });
});

describe('the soak arithmetic', () => {
  it('fits a slope by least squares, and has none from one point or one x', () => {
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2);
    // Noise around a flat line: a slope near 0, not the last minus the first.
    expect(
      slope([
        [0, 10],
        [1, 12],
        [2, 9],
        [3, 11],
        [4, 10],
      ]),
    ).toBeCloseTo(-0.1);
    expect(slope([[0, 1]])).toBeNaN();
    expect(
      slope([
        [1, 1],
        [1, 2],
      ]),
    ).toBeNaN();
  });

  it('reads the size of each cache from the operator metrics', () => {
    const text = [
      '# HELP kubeposture_cache_objects Objects held by each cache',
      'kubeposture_cache_objects{cache="Namespace"} 1005',
      'kubeposture_cache_objects{cache="ServiceAccount/default"} 1005',
      'kubeposture_cache_objects{cache="namespace-results"} 998',
      'kubeposture_queue_depth 3',
    ].join('\n');
    expect(cacheSizes(text)).toEqual({ Namespace: 1005, 'ServiceAccount/default': 1005, 'namespace-results': 998 });
  });

  it("sizes the operator's memory as the Deployment does, unless told otherwise", () => {
    const root = process.cwd();
    const heap = Number(/--max-old-space-size=(\d+)/.exec(deploymentNodeOptions(root).join(' '))?.[1]);
    const soft = Number(deploymentEnv(root).KUBEPOSTURE_MEMORY_SOFT_LIMIT);
    expect(heap).toBeGreaterThan(0);
    expect(soft).toBeGreaterThan(0);
    expect(operatorMemory(root, undefined)).toEqual({ nodeArgs: [], env: {}, memory: { heapMiB: heap, softLimitMiB: soft } });
    expect(operatorMemory(root, { heapMiB: 384 })).toEqual({
      nodeArgs: ['--max-old-space-size=384'],
      env: {},
      memory: { heapMiB: 384, softLimitMiB: soft },
    });
    expect(operatorMemory(root, { heapMiB: 384, softLimitMiB: 320 })).toEqual({
      nodeArgs: ['--max-old-space-size=384'],
      env: { KUBEPOSTURE_MEMORY_SOFT_LIMIT: '320' },
      memory: { heapMiB: 384, softLimitMiB: 320 },
    });
    // Flags given after these (--node-args) win, as node takes the last.
    expect(operatorMemory(root, { heapMiB: 384 }, ['--cpu-prof', '--max-old-space-size=512']).memory.heapMiB).toBe(512);
  });
});
