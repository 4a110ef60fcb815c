/**
 * The scale benchmark (`make bench`): cold convergence against a tight client
 * and a script, new-namespace and repair latency, the cost of a resync, the
 * requests per namespace, status writes under churn, a spec change rolled out
 * against the floor, namespaces moved between two tiers' baselines against the
 * floor, a restart, the operator's memory, and baselines deleted (Orphan and
 * Delete) against the floor.
 * Every ratio is taken against a reference measured in the same run on the same
 * control plane, so a noisy machine moves both sides.
 *
 * Runs against any cluster it is given (the local control plane by default, see
 * cli.ts); `runBench` is also what the small benchmark in `make test` calls.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dump } from 'js-yaml';
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT, GROUP, LABEL_BASELINE, LABEL_MANAGED_BY, NAME_QUOTA, VERSION } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { formatErrors, parseSecurityBaseline } from '../../src/api/validate.ts';
import { desiredObjects, isGrantor } from '../../src/baseline/build.ts';
import { compareObject } from '../../src/drift/compare.ts';
import { OWNED_KINDS } from '../../src/baseline/objects.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { Informer } from '../../src/kube/informer.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { ComplianceChecker, LabelledObjects } from './checker.ts';
import { BenchExceptions, NOTHING_EXEMPT, type ExemptFor } from './exceptions.ts';
import { growthOf, type Growth } from './growth.ts';
import { FROM_INGRESS, GOLD_SPEC, LIMIT_RANGE, PROMETHEUS_SCRAPE, SILVER_SPEC, TIER_LABEL } from './tiers.ts';
import { createNamespaces, deleteIgnoringMissing, labelNamespaces, listAll, waitForNamespaceDefaults } from './fixtures.ts';
import { OPERATOR_FLOW_SCHEMA } from './identity.ts';
import {
  boundToClusterRoles,
  FLOOR_MANAGED_BY,
  floorCopy,
  pool,
  runFloor,
  runFloorChange,
  runFloorObjects,
  runFloorRelease,
  runFloorSwitch,
  runScript,
} from './floor.ts';
import {
  ApiserverRequests,
  baselineStatusWrite,
  cpuSeconds,
  failedWrites,
  memoryMb,
  namespaceDryRun,
  namespaceOrBaselineWrite,
  namespaceObjectRequest,
  NAMESPACE_RESOURCES,
  REPORT_RESOURCES,
  percentile,
  type RequestSeries,
  WRITE_VERBS,
} from './measure.ts';
import { MemoryWatch, type MemorySample } from './memory.ts';
import { metricSum, operatorMemory, OperatorProcess, type OperatorMemory } from './operator-process.ts';

/**
 * The phases, in the order they run. Cold convergence runs whatever the selection: every
 * other phase starts from the namespaces it converged (and the script's ratio from its time).
 * The restart runs on a compliant cluster, before the deletion and the tier switch change it;
 * the deletion runs in two steps, the main baseline's before the tier switch (whose namespaces
 * are those it empties) and the gold tier's after it.
 */
export const PHASES = ['script', 'cold', 'latency', 'resync', 'spec-change', 'restart', 'tier-switch', 'delete'] as const;
export type Phase = (typeof PHASES)[number];

/** Parses a comma list of phases (empty: all). */
export function parsePhases(text: string): Phase[] {
  const names = text.split(',').filter((p) => p !== '');
  if (names.length === 0) return [...PHASES];
  const known = new Set<string>(PHASES);
  const unknown = names.filter((p) => !known.has(p));
  if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(', ')}: the phases are ${PHASES.join(', ')}`);
  return PHASES.filter((p) => p === 'cold' || names.includes(p));
}

export interface BenchOptions {
  /** Namespace counts for cold convergence; the last one is also used for latency, resync and memory. */
  readonly sizes: readonly number[];
  /** Namespaces done by render + kubectl apply (0: skip). */
  readonly scriptNamespaces: number;
  /** New namespaces and drift repairs timed one at a time. */
  readonly latencySamples: number;
  readonly workers: number;
  /** A prefix for every name the run makes, so runs on a shared cluster do not meet. */
  readonly prefix: string;
  /** Flags for the operator's node (`--cpu-prof`, say, to profile it). */
  readonly operatorNodeArgs: readonly string[];
  /**
   * The operator's V8 heap and soft memory limit in MiB where they differ from the Deployment's
   * (`--operator-heap`, `--operator-soft-limit`): sized for a larger cache, as the Deployment says.
   */
  readonly operatorMemory?: Partial<OperatorMemory>;
  /** The operator's program: the image's compiled main.js (cli.ts builds it, support/image-layout.ts); default the checkout's sources. */
  readonly operatorMain?: string;
  /** The operator's --log-level (default warn): the small soak runs it at debug, to say what a queue that did not drain held. */
  readonly operatorLogLevel?: 'warn' | 'debug';
  /** Whether the OpenReports API is installed (cli.ts installs it unless --reports off): the operator then writes reports. */
  readonly reports?: boolean;
  /** The phases to run (default all); cold convergence always runs. */
  readonly phases?: readonly Phase[];
  /**
   * SecurityBaselineExceptions made at each size before its cold convergence, each lifting one
   * part of the size's baseline in one of its namespaces (exceptions.ts); default none.
   */
  readonly exceptions?: number;
  /**
   * The latency phase also times the floor with workload RoleBindings to one ClusterRole per
   * workload instead of a Role in each namespace, without and with `bind` on those ClusterRoles
   * (floorBindingVariants): the RBAC design issue 20 asks to weigh. Default off.
   */
  readonly latencyVariants?: boolean;
}

/** A floor variant's new-namespace latency (floorBindingVariants). */
export interface VariantLatency {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly bound: number;
}

function variantSummary(v: { readonly ms: readonly number[]; readonly bound: number }): VariantLatency {
  return { samples: v.ms.length, p50Ms: round(percentile(v.ms, 50), 1), p99Ms: round(percentile(v.ms, 99), 1), bound: v.bound };
}

export interface BenchEnv {
  /** The benchmark's own client (admin). */
  readonly rest: RestClient;
  /** The admin kubeconfig (kubectl in the script phase). */
  readonly kubeconfig: string;
  /** The operator's kubeconfig: its ServiceAccount, with the shipped RBAC. */
  readonly operatorKubeconfig: string;
  /** A client with the operator's identity, for the floor (same RBAC checks, same flow schema). */
  readonly operatorRest: RestClient;
  readonly root: string;
  /** Where logs and the rendered baseline go. */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

export interface SizeResult {
  readonly namespaces: number;
  /** The floor's time, as the operator's is taken (observedFloor). */
  readonly floorMs: number;
  /** Until the floor's last write was answered, inside floorMs (absent in runs before 2026-12-07). */
  readonly floorWritesMs?: number;
  readonly operatorMs: number;
  readonly ratio: number;
  /** The operator's requests per namespace (every verb), from the apiserver's flow-control counters. */
  readonly requestsPerNamespace: number;
  readonly objectsPerNamespace: number;
  readonly failedRequests: number;
  readonly operatorCpuSeconds: number;
  readonly operatorPeakRssMb: number;
  /** The operator's resident memory once idle after convergence. */
  readonly operatorRssSettledMb: number;
  /** The operator's V8 heap in use after convergence (prom-client's nodejs_heap_size_used_bytes), garbage included. */
  readonly operatorHeapUsedMb: number;
  /** Its heap in use right after its last full collection (kubeposture_heap_after_gc_bytes): its live data; 0 before any. */
  readonly operatorHeapAfterGcMb?: number;
  readonly verifiedByListing: number;
  /** The desired objects found compliant by listing, over every namespace (objectsPerNamespace × namespaces when all are). */
  readonly objectsVerifiedByListing: number;
  /** Report and ClusterReport writes (create, apply, delete) per namespace, by the operator's own count, once none is pending. */
  readonly reportWritesPerNamespace: number;
  /**
   * From the baseline's creation until no report is pending (within half a second): Reports give
   * way to waiting reconciles, so most are written after the convergence. Undefined without reports.
   */
  readonly reportsWrittenMs?: number;
  /** Requests per namespace to namespaces' objects by verb and resource, from the apiserver's counters: every client's (the garbage collector's GETs too). */
  readonly requestBreakdown: Readonly<Record<string, number>>;
  /** The exceptions to this size's baseline, made before its cold convergence. */
  readonly exceptions: number;
  /** The owned objects those exceptions lift: wanted in no namespace of this size (the floor leaves them out too). */
  readonly liftedObjects: number;
  /** Namespaces in the cluster once converged (every earlier size's, the floor's and the script's too): what the operator caches. */
  readonly namespacesInCluster: number;
}

/** One cold convergence (Bench.converge): names are given as `Bench.name` takes them. */
export interface ColdRun {
  /** The operator's baseline. */
  readonly what: string;
  /** The floor's baseline, with the same spec, selecting nothing. */
  readonly floorWhat: string;
  /** The set label's full value the operator's baseline selects (every one of `namespaces` carries it). */
  readonly set: string;
  /** Names the operator's log file and its memory phase. */
  readonly label: string;
  readonly namespaces: readonly string[];
  /** As many as `namespaces`, for the floor. */
  readonly floorNamespaces: readonly string[];
  /** The set label's full value every one of `floorNamespaces` carries. */
  readonly floorSet: string;
  /** The baseline's spec (default BENCH_SPEC). */
  readonly spec?: Readonly<Record<string, unknown>>;
  /** SecurityBaselineExceptions made to the baseline before it exists (exceptions.ts), named after `label`; default none. */
  readonly exceptions?: number;
}

/** A full resync of every cached namespace. */
export interface ResyncResult {
  readonly namespaces: number;
  readonly writes: number;
  readonly operatorWrites: number;
  readonly dryRuns: number;
  readonly operatorRequests: number;
  readonly cpuSeconds: number;
  readonly wallMs: number;
  /**
   * Before it, until the operator was idle with no report pending: the trailing work of the
   * phase before (the latency phase's Reports, and the ClusterReport held by its interval;
   * absent in runs before 2026-12-08).
   */
  readonly settleMs?: number;
}

/** One field every selected namespace holds, changed in the baseline, against the floor making the same change. */
export interface SpecChangeResult {
  /** The namespaces the baseline selects: the largest size's, and the latency phase's new ones. */
  readonly namespaces: number;
  /** The floor's namespaces changed: as many, made by the floor in cold convergence and the latency phase. */
  readonly floorNamespaces: number;
  /** What was changed: `resourceQuota.hard.pods 50 → 60`. */
  readonly change: string;
  /** The floor's time, as the operator's is taken (observedFloor). */
  readonly floorMs: number;
  /** Until the floor's last write was answered, inside floorMs (absent in runs before 2026-12-07). */
  readonly floorWritesMs?: number;
  readonly operatorMs: number;
  /**
   * From the end of the operator's window until it was idle with no report pending (its Reports,
   * and a ClusterReport held by its interval): what the bench waits for before the next window
   * (absent in runs before 2026-12-08).
   */
  readonly trailMs?: number;
  readonly ratio: number;
  /**
   * From the change until every quota's status.hard shows the new value (the quota controller's
   * write, which quota admission enforces), each side: the floor's includes the controller
   * manager catching up after it, the operator's the same writes made alongside it; listed
   * every second (absent in runs before 2026-12-06).
   */
  readonly floorEnforcedMs?: number;
  readonly operatorEnforcedMs?: number;
  /** Writes to namespaces' objects per namespace (not reports, not status), by the apiserver's counters: every client's, in the benchmark's own cluster the operator's. */
  readonly writesPerNamespace: number;
  /** Of those, to ResourceQuotas. */
  readonly quotaWritesPerNamespace: number;
  /** The operator's own count of its writes (not GETs, not dry runs), less its report writes, per namespace: what make test's shared cluster can tell. */
  readonly operatorWritesPerNamespace: number;
  /** Report writes (create, apply, delete), by the operator's own count. */
  readonly reportWrites: number;
  /** Status writes to the baseline, by the apiserver's counters. */
  readonly statusWrites: number;
  /** Writes per namespace by verb and resource, by the apiserver's counters (every client's, reports and status included). */
  readonly writeBreakdown: Readonly<Record<string, number>>;
  readonly verifiedByListing: number;
  readonly floorVerifiedByListing: number;
  readonly operatorCpuSeconds: number;
  /**
   * The bench process's own CPU in each window, on the cores the apiserver and the operator
   * share: the floor client's writes in the floor's; the checker's (the watch events that show
   * the change landing) in the operator's (absent in runs before 2026-12-06 07:00).
   */
  readonly floorClientCpuSeconds?: number;
  readonly checkerCpuSeconds?: number;
}

/** Namespaces moved from one tier's baseline to another's, against the floor making the same writes. */
export interface TierSwitchResult {
  /** The namespaces relabelled from silver to gold: half the largest size, the tier's own. */
  readonly namespaces: number;
  /** The floor's namespaces switched: as many, holding the floor's copies of silver's objects. */
  readonly floorNamespaces: number;
  readonly from: string;
  readonly to: string;
  /** The untimed setup: both sides' namespaces made (or taken: `reusedNamespaces`) and brought to silver. */
  readonly setupMs: number;
  /** The tier's namespaces were those the main baseline's deletion emptied, not made for it (absent in runs before 2026-12-07). */
  readonly reusedNamespaces?: boolean;
  /** The floor's time, as the operator's is taken (observedFloor). */
  readonly floorMs: number;
  /** Until the floor's last write was answered, inside floorMs (absent in runs before 2026-12-07). */
  readonly floorWritesMs?: number;
  /** From the first label patch until every namespace holds gold's objects and no object is silver's. */
  readonly operatorMs: number;
  /**
   * From the end of the operator's window until it was idle with no report pending (its Reports,
   * and a ClusterReport held by its interval): what the bench waits for before the next window
   * (absent in runs before 2026-12-08).
   */
  readonly trailMs?: number;
  /** From the first label patch until the last is answered (16 at a time), inside operatorMs: the admin's own part (absent in runs before 2026-12-06). */
  readonly relabelMs?: number;
  readonly ratio: number;
  /** Writes to namespaces' objects per namespace, by the apiserver's counters: every client's but the bench's own label patch. */
  readonly writesPerNamespace: number;
  /** The operator's own count of its writes, reports apart, per namespace. */
  readonly operatorWritesPerNamespace: number;
  readonly reportWrites: number;
  /** Report writes that failed, by the operator's own count (each is retried: the apiserver counts the retries among the writes). */
  readonly reportErrors: number;
  readonly statusWrites: number;
  /** Writes per namespace by verb and resource, by the apiserver's counters (the bench's own label patches are the `PATCH namespaces`). */
  readonly writeBreakdown: Readonly<Record<string, number>>;
  /** Objects still labelled silver's, or with an ownerReference to it, in the switched namespaces, by listing: 0 is the target. */
  readonly silverObjectsLeft: number;
  readonly verifiedByListing: number;
  readonly floorVerifiedByListing: number;
  readonly operatorCpuSeconds: number;
}

/** A baseline deleted, by its deletionPolicy, against the floor deleting or releasing the same objects. */
export interface DeletionResult {
  readonly policy: 'Delete' | 'Orphan';
  readonly baseline: string;
  /** The namespaces it governed, and the objects of its own there. */
  readonly namespaces: number;
  readonly objects: number;
  readonly floorNamespaces: number;
  /** The floor's time, as the operator's is taken (observedFloor). */
  readonly floorMs: number;
  /** Until the floor's last write was answered, inside floorMs (absent in runs before 2026-12-07). */
  readonly floorWritesMs?: number;
  /** From the DELETE until the baseline is gone and no object carries its label. */
  readonly operatorMs: number;
  /**
   * From the end of the operator's window until it was idle with no report pending (its Reports,
   * and a ClusterReport held by its interval): what the bench waits for before the next window
   * (absent in runs before 2026-12-08).
   */
  readonly trailMs?: number;
  readonly ratio: number;
  /** By listing, at the baseline's objects' names in its namespaces: (Delete) objects still there; (Orphan) objects still carrying kubeposture's labels or an ownerReference to a SecurityBaseline, or the grantor. 0 is the target. */
  readonly objectsLeft: number;
  /** Orphan: objects left in place, released (all but the grantor in each namespace is the target). */
  readonly released: number;
  /** The floor's objects still labelled its baseline's, by listing. */
  readonly floorObjectsLeft: number;
  readonly writesPerNamespace: number;
  readonly operatorWritesPerNamespace: number;
  /** Report writes that failed, by the operator's own count. */
  readonly reportErrors: number;
  readonly writeBreakdown: Readonly<Record<string, number>>;
  readonly operatorCpuSeconds: number;
}

/** A tier's baselines (the operator's, and the floor's, which selects nothing) and namespaces. */
interface Tier {
  readonly baseline: SecurityBaseline;
  readonly floorBaseline: SecurityBaseline;
  readonly namespaces: readonly string[];
  readonly floorNamespaces: readonly string[];
}

/** What `Bench.measured` reads around a timed step. */
interface Measured {
  readonly ms: number;
  readonly before: ApiserverRequests;
  readonly after: ApiserverRequests;
  /** Writes to namespaces' objects (not reports, not status) per namespace, by the apiserver's counters: every client's. */
  readonly objectWritesPerNamespace: number;
  /** The operator's own count of its writes (not GETs, not dry runs), less its report writes, per namespace. */
  readonly operatorWritesPerNamespace: number;
  /** Report writes (create, apply, delete), by the operator's own count. */
  readonly reportWrites: number;
  /** Report writes that failed (the apiserver refused them, or no answer), by the operator's own count. */
  readonly reportErrors: number;
  /** Status writes to baselines, by the apiserver's counters. */
  readonly statusWrites: number;
  /** Every client's writes per namespace by verb and resource, by the apiserver's counters. */
  readonly writeBreakdown: Readonly<Record<string, number>>;
  readonly cpuSeconds: number;
  /** From the window's end until the operator was idle with no report pending. */
  readonly trailMs: number;
}

/** The operator stopped (SIGTERM) on a compliant cluster and started again. */
export interface RestartResult {
  /** Namespaces in the cluster, each reconciled by the first pass. */
  readonly namespaces: number;
  /** From SIGTERM to the old process's exit. */
  readonly stopMs: number;
  /** From the new process's start until /readyz answers 200 (every cache synced). */
  readonly readyMs: number;
  /** From the new process's start until every namespace was reconciled once. */
  readonly firstPassMs: number;
  /** Writes to namespaces' objects, reports and baselines, by the apiserver's counters, from the start to a quiet 1.5 s after the pass. */
  readonly writes: number;
  /** The new operator's requests other than GETs and dry runs, by its own count: its SelfSubjectReview at start (a POST that stores nothing) too. */
  readonly operatorWrites: number;
  /** The new operator's requests, every verb (its lists and watches too), by its flow schema. */
  readonly operatorRequests: number;
  /** Every client's writes by verb and resource meanwhile (the controller manager's leases and quota status too), by the apiserver's counters. */
  readonly writeBreakdown: Readonly<Record<string, number>>;
  /** The new process's CPU time, start to the pass done. */
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
}

export interface BenchResult {
  readonly date: string;
  readonly machine: string;
  readonly options: BenchOptions;
  readonly sizes: readonly SizeResult[];
  readonly script?: {
    readonly namespaces: number;
    readonly ms: number;
    readonly msPerNamespace: number;
    readonly operatorMsPerNamespace: number;
    readonly ratio: number;
  };
  /** With the floor client's latency for the same objects in fresh namespaces, as a reference. */
  readonly newNamespace?: {
    readonly samples: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly floorP50Ms: number;
    readonly floorP99Ms: number;
    /** The operator's slowest new namespaces: each one's time and when it began, seconds into the phase (absent in runs before 2026-12-08). */
    readonly slowest?: readonly TimedSample[];
    /**
     * The floor with each workload's RoleBinding to a ClusterRole (`latencyVariants`): one
     * escalation check, then, with `bind`, none. `bound`: the RoleBindings to those ClusterRoles found by listing.
     */
    readonly clusterRole?: VariantLatency;
    readonly clusterRoleBind?: VariantLatency;
  };
  readonly repair?: {
    readonly samples: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    /** The slowest repairs: each one's time, when it began (seconds into the repairs), the kind and whether it was deleted or edited (absent in runs before 2026-12-08). */
    readonly slowest?: readonly RepairSample[];
  };
  /** `writes`: every client's, by the apiserver; `operatorWrites`: by the operator's own metrics; `dryRuns`: of namespaces (Pod Security), by the apiserver; `operatorRequests`: its flow, every verb. */
  readonly resync?: ResyncResult;
  /** Status writes to the churned baseline (from the apiserver's counters) and the closest two (from a watch). */
  readonly statusWrites?: { readonly count: number; readonly perSecond: number; readonly closestMs: number; readonly churnSeconds: number };
  readonly specChange?: SpecChangeResult;
  readonly tierSwitch?: TierSwitchResult;
  readonly restart?: RestartResult;
  /** The gold tier's baseline deleted (Orphan) and the main one (Delete); the main one ran first, before the tier switch. */
  readonly deletion?: readonly DeletionResult[];
  /** The peak RSS of the operator that served the largest size, over every phase before the restart. */
  readonly peakRssMb: number;
  /** Report writes during the churn (new namespaces and repairs), by the operator's own count. */
  readonly reportWritesUnderChurn?: number;
  /** The largest size's operator's highest sampled RSS (before the restart), what it was made of, and the phase it fell in. */
  readonly peakMemory: MemorySample | undefined;
  /** The largest size's operator's highest sampled RSS in each phase, in MB. */
  readonly rssByPhaseMb: Readonly<Record<string, number>>;
  /** The largest size's operator's soft memory limit at work over the run (the Deployment's KUBEPOSTURE_MEMORY_SOFT_LIMIT): its collections and their time. */
  readonly softLimitCollections?: { readonly count: number; readonly seconds: number };
  /** Cold convergence time and peak RSS by size, with their least-squares slopes per 1,000 namespaces: when more than one size ran. */
  readonly growth?: Growth;
  /**
   * The restarted operator's memory over the phases after the restart (the deletions and the
   * tier switch; a third more namespaces when the tier's are its own): when any of them ran.
   */
  readonly afterRestart?: Pick<BenchResult, 'peakRssMb' | 'rssByPhaseMb' | 'softLimitCollections'>;
  /**
   * The bench's own time by phase, in seconds, in the order they ran, each with its untimed
   * setup and checks (absent in runs before 2026-12-07): where a run's minutes go.
   */
  readonly phaseSeconds?: Readonly<Record<string, number>>;
}

/** One latency sample: how long, and when it began (seconds from the first sample's start). */
export interface TimedSample {
  readonly ms: number;
  readonly atS: number;
}

/** One drift repair timed (Bench.repairs), with what was repaired and how it was broken. */
export interface RepairSample extends TimedSample {
  readonly kind: ResourceKind;
  readonly how: 'delete' | 'edit';
}

/** How many of the slowest samples the JSON keeps: enough to see whether the tail came together. */
const SLOWEST_SAMPLES = 5;

/** The slowest samples, slowest first, rounded as the JSON keeps them. */
export function slowestOf<T extends TimedSample>(samples: readonly T[]): T[] {
  return [...samples]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, SLOWEST_SAMPLES)
    .map((x) => ({ ...x, ms: round(x.ms, 1), atS: round(x.atS, 1) }));
}

export const SET_LABEL = 'bench.kubeposture.io/set';

/** The floor's baselines select this: no namespace has it. */
const FLOOR_SELECTOR: Readonly<Record<string, string>> = { [SET_LABEL]: 'nothing' };

/** The baseline every run applies: all sections, two additional policies (issue 15), eleven objects per namespace. */
export const BENCH_SPEC: Readonly<Record<string, unknown>> = {
  mode: 'Enforce',
  networkPolicy: { denyIngress: true, denyEgress: true, allowDNS: true, additional: [FROM_INGRESS, PROMETHEUS_SCRAPE] },
  limitRange: LIMIT_RANGE,
  resourceQuota: { hard: { pods: '50', 'requests.cpu': '10', 'requests.memory': '20Gi', 'limits.cpu': '20' } },
  serviceAccounts: {
    disableDefaultTokenMount: true,
    workloads: [{ name: 'app', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] }],
  },
  podSecurity: { enforce: 'restricted', audit: 'restricted', warn: 'restricted' },
};

/** Edits a user might make to each kind of managed object, each one drift. */
export const EDITS: Readonly<Record<string, (ns: string) => unknown>> = {
  NetworkPolicy: () => ({ spec: { policyTypes: ['Ingress'] } }),
  LimitRange: () => ({ spec: { limits: [{ type: 'Container', max: { cpu: '9' } }] } }),
  ResourceQuota: () => ({ spec: { hard: { pods: '999' } } }),
  ServiceAccount: () => ({ automountServiceAccountToken: true }),
  Role: () => ({ rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] }),
  RoleBinding: (ns) => ({ subjects: [{ kind: 'ServiceAccount', name: 'intruder', namespace: ns }] }),
};

/** The names of the objects every bench baseline (BENCH_SPEC, the tiers) makes, by kind: what repairs and the soak edit and delete. */
export const MANAGED_NAMES: Readonly<Record<string, readonly string[]>> = {
  NetworkPolicy: ['kubeposture-default-deny', 'kubeposture-allow-dns'],
  LimitRange: ['kubeposture-limits'],
  ResourceQuota: ['kubeposture-quota'],
  ServiceAccount: ['app'],
  Role: ['kubeposture-app'],
  RoleBinding: ['kubeposture-app'],
};

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** The spec change phase's new value for the quota's `pods` (BENCH_SPEC has 50). */
const SPEC_CHANGE_PODS = '60';
/**
 * How long the bench waits for the reports once the reconciles are done: they go at two at a
 * time after them (reports.ts), 10,000 of them some minutes on a slow day.
 */
const REPORTS_WRITTEN_TIMEOUT_MS = 900_000;

/** This process's CPU seconds (user and system) since `start` (process.cpuUsage()). */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** The floor's time both ways (observedFloor). */
export interface FloorTime {
  readonly ms: number;
  readonly writesMs: number;
}

/**
 * The floor timed as the operator is: from the start of `write` until `seen` resolves, which
 * waits on the same observer the operator's time ends on (a ComplianceChecker, or a watch of
 * what is still labelled), started on the floor's objects beforehand. Until 2026-12-07 the floor
 * was timed until its last write was answered, and only the operator's window held the
 * observer: its CPU (0.6 s at 3,000 namespaces in a spec change) and the apiserver's work
 * serving its watches, on the two cores both sides share. That time is kept as `writesMs`.
 */
async function observedFloor(write: () => Promise<unknown>, seen: () => Promise<void>): Promise<FloorTime> {
  const t0 = performance.now();
  await write();
  const writesMs = performance.now() - t0;
  await seen();
  return { ms: performance.now() - t0, writesMs };
}

/**
 * The floor's cold convergence timed as the operator's is (observedFloor): `write` makes
 * `floorBaseline`'s objects (less what `exempt` lifts) in `namespaces`, every one labelled
 * `set`, until the checker the operator's is timed by sees each complete.
 */
export async function floorConverged(
  rest: RestClient,
  floorBaseline: SecurityBaseline,
  namespaces: readonly string[],
  set: string,
  exempt: ExemptFor,
  write: () => Promise<unknown>,
): Promise<FloorTime> {
  const n = namespaces.length;
  const checker = new ComplianceChecker(rest, floorBaseline.metadata.name, `${SET_LABEL}=${set}`, exempt, floorCopy);
  await checker.start();
  checker.expect(floorBaseline, namespaces);
  try {
    return await observedFloor(write, () =>
      checker.until(`the floor's ${String(n)} namespaces compliant`, () => checker.complete === n, 1_800_000),
    );
  } finally {
    checker.stop();
  }
}

/** The label selector of the namespaces of any of `sets` (the set label's full values). */
function inSets(sets: readonly string[]): string {
  return `${SET_LABEL} in (${sets.join(',')})`;
}

/** `baseline` with its quota's `pods` set to `pods`. */
function withQuotaPods(baseline: SecurityBaseline, pods: string): SecurityBaseline {
  return { ...baseline, spec: { ...baseline.spec, resourceQuota: { hard: { ...baseline.spec.resourceQuota?.hard, pods } } } };
}

/** The phases, each usable alone (preview.ts runs its own over the same helpers). */
export class Bench {
  private readonly env: BenchEnv;
  private readonly opts: BenchOptions;
  private operator: OperatorProcess | undefined;
  private memory: MemoryWatch | undefined;
  private readonly baselines: string[] = [];
  /** The names of the floor's baselines (selecting nothing), deleted last by cleanup. */
  private readonly floorNames = new Set<string>();
  /** The floor's baseline (selecting nothing) per size, for the floor's new-namespace reference. */
  private readonly floorBaselines = new Map<number, SecurityBaseline>();
  /** The gold tier once the tier switch made it, for the deletion phase. */
  private gold: Tier | undefined;
  /**
   * Namespaces on each side the main baseline's deletion left empty (the cold convergence's),
   * until a tier takes them instead of making and settling its own.
   */
  private emptied: { namespaces: readonly string[]; floorNamespaces: readonly string[] } | undefined;
  /** The exceptions made at each size, and what they (and their mirror for the floor) lift. */
  readonly exceptions = new BenchExceptions();

  constructor(env: BenchEnv, opts: BenchOptions) {
    this.env = env;
    this.opts = opts;
  }

  name(what: string): string {
    return `${this.opts.prefix}${what}`;
  }

  /** Creates one namespace labelled as a member of `set` (the set label's full value). */
  private async createNamespace(name: string, set: string): Promise<void> {
    await createNamespaces(this.env.rest, [name], { [SET_LABEL]: set });
  }

  async createNamespaces(set: string, count: number): Promise<string[]> {
    const names = this.names(set, count);
    await createNamespaces(this.env.rest, names, { [SET_LABEL]: this.name(set) });
    return names;
  }

  /** The names createNamespaces gives a set's namespaces. */
  private names(set: string, count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.name(`${set}-${String(i)}`));
  }

  /** Waits until the controller manager has made every namespace's default ServiceAccount and root CA ConfigMap. */
  async settle(namespaces: readonly string[]): Promise<void> {
    const ms = await waitForNamespaceDefaults(this.env.rest, namespaces);
    this.env.log(`  controller manager settled for ${String(namespaces.length)} namespaces in ${String(Math.round(ms / 1000))} s`);
  }

  async createBaseline(
    what: string,
    selector: Readonly<Record<string, string>>,
    spec: Readonly<Record<string, unknown>> = BENCH_SPEC,
  ): Promise<SecurityBaseline> {
    const manifest = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SecurityBaseline',
      metadata: { name: this.name(what) },
      spec: { ...spec, namespaceSelector: { matchLabels: selector } },
    };
    const created = await this.env.rest.request('POST', resourcePath('SecurityBaseline'), { body: manifest });
    this.baselines.push(this.name(what));
    const parsed = parseSecurityBaseline(created);
    if (!parsed.ok) throw new Error(`bench baseline invalid: ${formatErrors(parsed.errors)}`);
    return parsed.baseline;
  }

  /**
   * A baseline that selects no namespace, whose desired objects the floor writes itself (with
   * it as their owner, as the operator's name theirs).
   */
  async createFloorBaseline(what: string, spec: Readonly<Record<string, unknown>> = BENCH_SPEC): Promise<SecurityBaseline> {
    const baseline = await this.createBaseline(what, FLOOR_SELECTOR, spec);
    this.floorNames.add(baseline.metadata.name);
    return baseline;
  }

  async startOperator(label: string): Promise<OperatorProcess> {
    const started = Date.now();
    const op = await this.launch(label);
    await op.idle();
    this.env.log(`  operator started, caches synced and first pass done in ${String(Math.round((Date.now() - started) / 1000))} s`);
    return op;
  }

  /** Stops the running operator, if any, and starts another with a memory watch of its own; resolves once it reports ready. */
  private async launch(label: string): Promise<OperatorProcess> {
    await this.operator?.stop();
    this.memory?.stop();
    const sized = operatorMemory(this.env.root, this.opts.operatorMemory);
    const op = await OperatorProcess.start(this.env.root, this.env.operatorKubeconfig, {
      workers: this.opts.workers,
      logFile: join(this.env.workDir, `operator-${label}.log`),
      nodeArgs: [...sized.nodeArgs, ...this.opts.operatorNodeArgs],
      env: sized.env,
      ...(this.opts.operatorLogLevel === undefined ? {} : { logLevel: this.opts.operatorLogLevel }),
      ...(this.opts.operatorMain === undefined ? {} : { main: this.opts.operatorMain }),
    });
    this.operator = op;
    this.memory = new MemoryWatch(op.pid, () => op.metrics());
    this.memory.start();
    return op;
  }

  async script(): Promise<{ namespaces: number; ms: number } | undefined> {
    const n = this.opts.scriptNamespaces;
    if (n === 0) return undefined;
    this.env.log(`script: kubeposture render | kubectl apply over ${String(n)} namespaces, one after another`);
    const namespaces = await this.createNamespaces('script', n);
    const baseline = await this.createBaseline('script', { [SET_LABEL]: this.name('script') });
    const file = join(this.env.workDir, 'baseline-script.yaml');
    writeFileSync(file, dump(await this.env.rest.request('GET', resourcePath('SecurityBaseline', undefined, baseline.metadata.name))));
    const ms = runScript(this.env.root, this.env.kubeconfig, file, namespaces, { [SET_LABEL]: this.name('script') });
    this.env.log(`  ${String(n)} namespaces in ${(ms / 1000).toFixed(1)} s`);
    return { namespaces: n, ms };
  }

  async cold(n: number): Promise<SizeResult> {
    this.env.log(`cold convergence, ${String(n)} namespaces`);
    await this.operator?.stop();
    const floorNs = await this.createNamespaces(`floor${String(n)}`, n);
    const opNs = await this.createNamespaces(`op${String(n)}`, n);
    await this.settle([...floorNs, ...opNs]);
    const { size, floorBaseline } = await this.converge({
      what: `op${String(n)}`,
      floorWhat: `floor${String(n)}`,
      set: this.name(`op${String(n)}`),
      label: String(n),
      namespaces: opNs,
      floorNamespaces: floorNs,
      floorSet: this.name(`floor${String(n)}`),
      exceptions: this.opts.exceptions ?? 0,
    });
    this.floorBaselines.set(n, floorBaseline);
    return size;
  }

  /**
   * One cold convergence over namespaces made and settled beforehand, empty of the baseline's
   * objects: `run.exceptions` SecurityBaselineExceptions are made to the baseline (not there
   * yet) and mirrored for the floor's; the floor creates the objects, less what they lift, in
   * `floorNamespaces` (its baseline selects nothing); then a fresh operator process is started
   * and the baseline created, timed until the checker sees every namespace complete (less what
   * the exceptions lift), and confirmed by listing. The operator is left running.
   */
  async converge(
    run: ColdRun,
  ): Promise<{ readonly size: SizeResult; readonly baseline: SecurityBaseline; readonly floorBaseline: SecurityBaseline }> {
    const n = run.namespaces.length;
    const spec = run.spec ?? BENCH_SPEC;
    const floorBaseline = await this.createFloorBaseline(run.floorWhat, spec);
    // Before the operator starts and the baseline they name exists (each is Invalid until it does).
    const name = this.name(run.what);
    const exceptionCount = run.exceptions ?? 0;
    const sides = {
      operator: { baseline: name, namespaces: run.namespaces },
      floor: { baseline: floorBaseline.metadata.name, namespaces: run.floorNamespaces },
    };
    await this.exceptions.create(this.env.rest, this.name(`exc${run.label}-`), exceptionCount, sides, Date.now());
    const floorN = run.floorNamespaces.length;
    const floor = await floorConverged(this.env.rest, floorBaseline, run.floorNamespaces, run.floorSet, this.exceptions.exempt, () =>
      runFloor(this.env.operatorRest, floorBaseline, run.floorNamespaces, this.opts.workers, this.exceptions.exempt),
    );
    const floorMs = floor.ms;
    this.env.log(
      `  floor: ${String(floorN)} namespaces in ${(floorMs / 1000).toFixed(1)} s (its last write answered at ${(floor.writesMs / 1000).toFixed(1)} s)`,
    );

    const op = await this.startOperator(run.label);
    this.memory?.enter(`cold convergence, ${run.label}`);
    const before = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    const cpuBefore = cpuSeconds(op.pid);
    const failedBefore = failedWrites(await op.metrics());
    const reportsBefore = reportWrites(await op.metrics());
    const checker = new ComplianceChecker(this.env.rest, name, `${SET_LABEL}=${run.set}`, this.exceptions.exempt);
    await checker.start();
    const t0 = performance.now();
    const baseline = await this.createBaseline(run.what, { [SET_LABEL]: run.set }, spec);
    this.exceptions.confirm(baseline, Date.now());
    checker.expect(baseline, run.namespaces);
    // Or until the operator exits (out of heap, say): no use waiting 30 minutes for it.
    const outcome = await Promise.race([
      checker.until(`${String(n)} namespaces compliant`, () => checker.complete === n, 1_800_000).then(() => 'converged' as const),
      op.exit.then((code) => code),
    ]);
    if (outcome !== 'converged') {
      checker.stop();
      throw new Error(
        `the operator exited (code ${String(outcome)}) during cold convergence, ${String(checker.complete)} of ${String(n)} namespaces complete; see operator-${run.label}.log`,
      );
    }
    const operatorMs = performance.now() - t0;
    await op.idle();
    const after = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    // The Reports, written once the reconciles have drained (reports.ts): how long after the
    // baseline. The CPU counts their writes, as it did when they went alongside the objects.
    const reportsWrittenMs = (await this.reportsWritten(op)) ? performance.now() - t0 : undefined;
    const cpu = cpuSeconds(op.pid) - cpuBefore;
    const verified = await checker.verifyByListing();
    checker.stop();
    const objects = desiredObjects(baseline, run.namespaces[0] ?? '', DEFAULT_OPERATOR_SERVICE_ACCOUNT).length;
    let lifted = 0;
    for (const ns of run.namespaces) {
      const parts = this.exceptions.exempt(name, ns);
      if (parts.size > 0) lifted += objects - desiredObjects(baseline, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT, parts).length;
    }
    const namespacesInCluster = await this.clusterNamespaces();
    // The operator's own requests, as API Priority and Fairness counted them, less those to
    // reports (nobody else in this cluster writes them), which are counted apart.
    const requests = after.operator - before.operator - after.since(before, (s) => REPORT_RESOURCES.has(s.resource));
    const requestBreakdown = breakdown(
      before,
      after,
      n,
      namespaceObjectRequest,
      (r) => `${r.verb} ${r.resource} ${r.code}${r.dryRun ? ' dry-run' : ''}`,
    );
    const memory = await this.operatorMemory();
    // The operator's own count: the apiserver's cannot tell clients apart, and in a shared
    // cluster the namespace controller's deletes in other namespaces fail now and then.
    const failed = failedWrites(await op.metrics()) - failedBefore;
    const reportCount = reportWrites(await op.metrics()) - reportsBefore;
    this.env.log(
      `  operator: ${String(n)} namespaces in ${(operatorMs / 1000).toFixed(1)} s (${(operatorMs / floorMs).toFixed(2)}× the floor); ${String(verified.complete)}/${String(verified.expected)} complete by listing; ${String(exceptionCount)} exceptions lifting ${String(lifted)} objects, ${String(verified.liftedPresent)} of them there`,
    );
    if (verified.complete !== n)
      throw new Error(`only ${String(verified.complete)} of ${String(n)} namespaces hold their objects when listed`);
    if (verified.liftedPresent > 0) throw new Error(`${String(verified.liftedPresent)} objects the exceptions lift are there when listed`);
    const size: SizeResult = {
      namespaces: n,
      floorMs: round(floorMs, 0),
      floorWritesMs: round(floor.writesMs, 0),
      operatorMs: round(operatorMs, 0),
      ratio: round(operatorMs / floorMs),
      requestsPerNamespace: round(requests / n),
      objectsPerNamespace: objects,
      failedRequests: failed,
      operatorCpuSeconds: round(cpu),
      operatorPeakRssMb: memory.peakRssMb,
      operatorRssSettledMb: memory.rssMb,
      operatorHeapUsedMb: memory.heapUsedMb,
      operatorHeapAfterGcMb: memory.heapAfterGcMb,
      verifiedByListing: verified.complete,
      objectsVerifiedByListing: verified.objects,
      reportWritesPerNamespace: round(reportCount / n),
      ...(reportsWrittenMs === undefined ? {} : { reportsWrittenMs: round(reportsWrittenMs, 0) }),
      requestBreakdown,
      exceptions: exceptionCount,
      liftedObjects: lifted,
      namespacesInCluster,
    };
    return { size, baseline, floorBaseline };
  }

  /**
   * With reports on, waits until `op` has none pending (they give way to waiting reconciles,
   * reports.ts); true when it waited, false with reports off.
   */
  private async reportsWritten(op: OperatorProcess): Promise<boolean> {
    if (this.opts.reports !== true) return false;
    await op.reportsWritten(REPORTS_WRITTEN_TIMEOUT_MS);
    return true;
  }

  /** A full resync of every cached namespace: requests from the apiserver's counters, CPU from /proc. */
  async resync(): Promise<ResyncResult> {
    const op = this.mustRun();
    const settleStart = performance.now();
    await op.idle();
    // A compliant cluster, reports included: one held back (by its interval, or giving way to
    // the reconciles) would otherwise be written in the resync's window.
    await this.reportsWritten(op);
    const settleMs = performance.now() - settleStart;
    const namespaces = (await this.clusterNamespaces()) - 1;
    const startText = await op.metrics();
    const startCount = reconciles(startText);
    const startWrites = operatorWriteCount(startText);
    const before = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    const cpuBefore = cpuSeconds(op.pid);
    const t0 = performance.now();
    op.resync();
    const wallMs = await reconciledOnce(op, 'resync', startCount, namespaces, t0);
    // Each namespace's Report is looked at after its reconcile, once the reconciles have drained
    // (reports.ts): in the CPU, as when they went alongside.
    await this.reportsWritten(op);
    const cpu = cpuSeconds(op.pid) - cpuBefore;
    await sleep(500);
    const after = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    // Every client's writes to namespaces' objects and baselines, by the apiserver's count: in
    // the benchmark's own cluster, nothing but the operator could make them. In a shared
    // cluster (make test) others do, so the operator's own count is kept beside it.
    const writes = after.since(before, namespaceOrBaselineWrite);
    const dryRuns = after.since(before, namespaceDryRun);
    const operatorWrites = operatorWriteCount(await op.metrics()) - startWrites;
    const operatorRequests = after.operator - before.operator;
    this.env.log(
      `resync: ${String(namespaces + 1)} namespaces, ${String(writes)} writes (operator's own count ${String(operatorWrites)}), ${String(dryRuns)} dry runs, ${String(operatorRequests)} operator requests, ${cpu.toFixed(2)} s CPU, ${String(Math.round(wallMs))} ms`,
    );
    return {
      namespaces: namespaces + 1,
      writes,
      operatorWrites,
      dryRuns,
      operatorRequests,
      cpuSeconds: round(cpu),
      wallMs: round(wallMs, 0),
      settleMs: round(settleMs, 0),
    };
  }

  /** Namespaces created one at a time into the cluster: time until each holds all its objects. */
  async newNamespaces(n: number, checker: ComplianceChecker, baseline: SecurityBaseline, set: string): Promise<TimedSample[]> {
    const out: TimedSample[] = [];
    const started = performance.now();
    for (let i = 0; i < this.opts.latencySamples; i += 1) {
      const name = this.name(`new${String(n)}-${String(i)}`);
      checker.expect(baseline, [name]);
      const t0 = performance.now();
      await this.createNamespace(name, set);
      await checker.until(`namespace ${name} compliant`, () => checker.isComplete(name), 60_000);
      out.push({ ms: performance.now() - t0, atS: (t0 - started) / 1000 });
    }
    return out;
  }

  /**
   * The reference for new-namespace latency: the floor client bringing fresh namespaces
   * (selected by no baseline) to the same objects, one at a time, with the operator's identity.
   */
  async floorNewNamespaces(n: number): Promise<number[]> {
    const baseline = this.floorBaselines.get(n);
    if (baseline === undefined) throw new Error(`no floor baseline for ${String(n)}`);
    const out: number[] = [];
    for (let i = 0; i < this.opts.latencySamples; i += 1) {
      const name = this.name(`floornew${String(n)}-${String(i)}`);
      const t0 = performance.now();
      await this.createNamespace(name, this.name('floornew'));
      await runFloor(this.env.operatorRest, baseline, [name], 1);
      out.push(performance.now() - t0);
    }
    return out;
  }

  /**
   * The floor again, with each workload's RoleBinding bound to one ClusterRole per workload
   * (made once, with the Role's rules) instead of a Role in every namespace: first as the
   * operator's identity is now (it holds those rules in the namespace through the grantor, so
   * the apiserver's escalation check runs once, for the RoleBinding, not twice), then with
   * `bind` on those ClusterRoles by name (no check, and no grantor). In namespaces of their own
   * (their objects carry a baseline label of their own, so no later check counts them), deleted
   * afterwards, and waited for, with the ClusterRoles, so that the phases after see the cluster
   * as they would without.
   */
  async floorBindingVariants(n: number): Promise<Record<'clusterRole' | 'clusterRoleBind', { ms: number[]; bound: number }>> {
    const baseline = this.floorBaselines.get(n);
    if (baseline === undefined) throw new Error(`no floor baseline for ${String(n)}`);
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    const roles = desiredObjects(baseline, 'any').flatMap((d) => (d.object.kind === 'Role' ? [d.object] : []));
    if (roles.length === 0) throw new Error(`the floor baseline for ${String(n)} has no workload Role to bind a ClusterRole in place of`);
    const named = (variant: string) => (role: string) => this.name(`${variant}-${role}`);
    // The ClusterRoles the operator's identity is given `bind` on.
    const bindable = named('floorcrbind');
    const variants = [
      { key: 'clusterRole', clusterRole: named('floorcr'), grantor: true },
      { key: 'clusterRoleBind', clusterRole: bindable, grantor: false },
    ] as const;
    const binder = this.name('floorcrbinder');
    const clusterRoles = [
      ...variants.flatMap((v) => roles.map((r) => ({ name: v.clusterRole(r.metadata.name), rules: r.rules }))),
      {
        name: binder,
        rules: [
          {
            apiGroups: ['rbac.authorization.k8s.io'],
            resources: ['clusterroles'],
            verbs: ['bind'],
            resourceNames: roles.map((r) => bindable(r.metadata.name)),
          },
        ],
      },
    ];
    for (const cr of clusterRoles)
      await this.env.rest.request('POST', `${rbac}/clusterroles`, {
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: cr.name },
          rules: cr.rules,
        },
      });
    await this.env.rest.request('POST', `${rbac}/clusterrolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: binder },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: binder },
        subjects: [{ kind: 'ServiceAccount', ...DEFAULT_OPERATOR_SERVICE_ACCOUNT }],
      },
    });
    const set = this.name('floorvariant');
    const out = { clusterRole: { ms: [] as number[], bound: 0 }, clusterRoleBind: { ms: [] as number[], bound: 0 } };
    try {
      // The apiserver's authorizer sees the new binding within a moment; wait for it, untimed.
      const probe = bindable(roles[0]?.metadata.name ?? '');
      for (let i = 0; !(await this.operatorMayBind(probe)); i += 1) {
        if (i > 100) throw new Error(`the operator's identity still may not bind ${probe} after 10 s`);
        await sleep(100);
      }
      for (const v of variants) {
        const label = this.name(v.key.toLowerCase());
        for (let i = 0; i < this.opts.latencySamples; i += 1) {
          const name = this.name(`${v.key.toLowerCase()}${String(n)}-${String(i)}`);
          const t0 = performance.now();
          await this.createNamespace(name, set);
          await runFloorObjects(this.env.operatorRest, [name], 1, (ns) =>
            boundToClusterRoles(baseline, ns, v.clusterRole, v.grantor, label),
          );
          out[v.key].ms.push(performance.now() - t0);
        }
        // What was written, by listing: each workload's RoleBinding names its ClusterRole, and no Role was made.
        const names = new Set(roles.map((r) => v.clusterRole(r.metadata.name)));
        const selector = { labelSelector: `${LABEL_BASELINE}=${label}` };
        const bindings = await listAll(this.env.rest, resourcePath('RoleBinding'), selector);
        if ((await listAll(this.env.rest, resourcePath('Role'), selector)).length > 0)
          throw new Error(`a Role was made in ${v.key}'s namespaces`);
        out[v.key].bound = bindings.filter((b) => {
          const ref = (b as WireObject & { roleRef?: { kind?: string; name?: string } }).roleRef;
          return ref?.kind === 'ClusterRole' && names.has(ref.name ?? '');
        }).length;
      }
    } finally {
      await this.removeVariants(set, [
        `${rbac}/clusterrolebindings/${binder}`,
        ...clusterRoles.map((cr) => `${rbac}/clusterroles/${cr.name}`),
      ]);
    }
    return out;
  }

  /** Deletes the namespaces of set `set`, waits until they are gone, then deletes `paths`. */
  private async removeVariants(set: string, paths: readonly string[]): Promise<void> {
    await pool(await this.namespacesLabelled([set]), 16, async (ns) => {
      await deleteIgnoringMissing(this.env.rest, 'Namespace', ns);
    });
    for (let i = 0; (await this.namespacesLabelled([set])).length > 0; i += 1) {
      if (i > 600) throw new Error(`the latency variants' namespaces still there after 5 min`);
      await sleep(500);
    }
    for (const path of paths) await this.env.rest.request('DELETE', path);
  }

  /** Whether the operator's identity may bind ClusterRole `name`, as the apiserver's authorizer says now. */
  private async operatorMayBind(name: string): Promise<boolean> {
    const review = (await this.env.operatorRest.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'bind', name } },
      },
    })) as { status?: { allowed?: boolean } };
    return review.status?.allowed === true;
  }

  /** Managed objects deleted or edited one at a time: time until each is back as the baseline has it. */
  async repairs(namespaces: readonly string[], checker: ComplianceChecker): Promise<RepairSample[]> {
    const out: RepairSample[] = [];
    const started = performance.now();
    const kinds: ResourceKind[] = [...OWNED_KINDS];
    for (let i = 0; i < this.opts.latencySamples; i += 1) {
      const kind = kinds[i % kinds.length] ?? 'NetworkPolicy';
      const choices = MANAGED_NAMES[kind] ?? [];
      const name = choices[Math.floor(i / kinds.length) % choices.length] ?? '';
      // The next namespace that should hold it: not one where an exception lifts it.
      let at = (i * 7919) % namespaces.length;
      for (let tried = 0; tried < namespaces.length && !checker.wants(kind, namespaces[at] ?? '', name); tried += 1)
        at = (at + 1) % namespaces.length;
      const ns = namespaces[at] ?? '';
      await checker.until(`${kind} ${ns}/${name} compliant before the test`, () => checker.compliant(kind, ns, name), 60_000);
      const old = checker.object(kind, ns, name);
      const t0 = performance.now();
      if (i % 2 === 0) {
        await this.env.rest.request('DELETE', resourcePath(kind, ns, name));
        await checker.until(
          `${kind} ${ns}/${name} recreated`,
          () => checker.compliant(kind, ns, name) && checker.object(kind, ns, name)?.metadata.uid !== old?.metadata.uid,
          60_000,
        );
      } else {
        const edit = EDITS[kind]?.(ns);
        const edited = await this.env.rest.mergePatch(kind, ns, name, edit);
        const rv = Number(edited.metadata.resourceVersion);
        await checker.until(
          `${kind} ${ns}/${name} put back`,
          () => checker.compliant(kind, ns, name) && Number(checker.object(kind, ns, name)?.metadata.resourceVersion) > rv,
          60_000,
        );
      }
      out.push({ ms: performance.now() - t0, atS: (t0 - started) / 1000, kind, how: i % 2 === 0 ? 'delete' : 'edit' });
    }
    return out;
  }

  /** New-namespace and repair latency, and status writes under that churn, at the largest size (its operator still running). */
  async churn(n: number): Promise<Required<Pick<BenchResult, 'newNamespace' | 'repair' | 'statusWrites' | 'reportWritesUnderChurn'>>> {
    const op = this.mustRun();
    const set = this.name(`op${String(n)}`);
    const baseline = await this.readBaseline(`op${String(n)}`);
    const checker = new ComplianceChecker(this.env.rest, baseline.metadata.name, `${SET_LABEL}=${set}`, this.exceptions.exempt);
    await checker.start();
    const opNs = this.names(`op${String(n)}`, n);
    checker.expect(baseline, opNs);
    await op.idle();
    const before = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    // Status writes as the apiserver's watch reports them: when each one landed.
    const writesAt: number[] = [];
    const watch = new Informer<WireObject>(this.env.rest, {
      kind: 'SecurityBaseline',
      clock: systemClock,
      fieldSelector: `metadata.name=${baseline.metadata.name}`,
    });
    watch.on((e) => {
      if (e.type === 'update' && e.old.metadata.generation === e.object.metadata.generation) writesAt.push(performance.now());
    });
    await watch.start();
    const churnStart = performance.now();
    const reportsBefore = reportWrites(await op.metrics());
    this.memory?.enter('new namespaces');
    this.env.log(`new namespaces: ${String(this.opts.latencySamples)} created one by one into ${String(n)}`);
    const fresh = await this.newNamespaces(n, checker, baseline, set);
    const floorFresh = await this.floorNewNamespaces(n);
    this.memory?.enter('drift repair');
    this.env.log(`drift repair: ${String(this.opts.latencySamples)} managed objects deleted or edited one at a time`);
    const repaired = await this.repairs(opNs, checker);
    const churnSeconds = (performance.now() - churnStart) / 1000;
    await op.idle();
    const statusWrites = (await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA)).since(before, baselineStatusWrite);
    const reportWritesUnderChurn = reportWrites(await op.metrics()) - reportsBefore;
    watch.stop();
    checker.stop();
    let variants: Awaited<ReturnType<Bench['floorBindingVariants']>> | undefined;
    if (this.opts.latencyVariants === true) {
      this.env.log(
        `new namespaces, the floor with workload RoleBindings to ClusterRoles: ${String(this.opts.latencySamples)} without bind, as many with`,
      );
      variants = await this.floorBindingVariants(n);
    }
    const gaps = writesAt.slice(1).map((t, i) => t - (writesAt[i] ?? t));
    const summary = (v: number[]): { samples: number; p50Ms: number; p99Ms: number; maxMs: number } => ({
      samples: v.length,
      p50Ms: round(percentile(v, 50), 1),
      p99Ms: round(percentile(v, 99), 1),
      maxMs: round(Math.max(...v), 1),
    });
    return {
      newNamespace: {
        ...summary(fresh.map((x) => x.ms)),
        slowest: slowestOf(fresh),
        floorP50Ms: round(percentile(floorFresh, 50), 1),
        floorP99Ms: round(percentile(floorFresh, 99), 1),
        ...(variants === undefined
          ? {}
          : {
              clusterRole: variantSummary(variants.clusterRole),
              clusterRoleBind: variantSummary(variants.clusterRoleBind),
            }),
      },
      repair: {
        ...summary(repaired.map((r) => r.ms)),
        slowest: slowestOf(repaired),
      },
      statusWrites: {
        count: statusWrites,
        perSecond: round(statusWrites / churnSeconds),
        closestMs: round(gaps.length === 0 ? Number.NaN : Math.min(...gaps), 0),
        churnSeconds: round(churnSeconds, 1),
      },
      reportWritesUnderChurn,
    };
  }

  /**
   * The spec change rollout at the largest size: one field every selected namespace holds
   * (the quota's `pods`) changed in the baseline, timed until the checker sees every
   * namespace hold the new value, then confirmed by listing.
   *
   * The floor makes the same change first, to the quotas it made itself in its own namespaces
   * (cold convergence's and the latency phase's: as many as the baseline selects, the same
   * old value in the same object, untouched since): one server-side apply per namespace, the
   * operator's verb, with its identity and its workers, and nothing to decide. Not to the
   * operator's quotas, changed back afterwards: while the baseline says 50 the operator would
   * repair each quota the floor set to 60 (writes in neither figure, racing the floor's), and
   * the change back would be a second rollout in the namespaces measured.
   */
  async specChange(n: number): Promise<SpecChangeResult> {
    const op = this.mustRun();
    const floorBaseline = this.floorBaselines.get(n);
    if (floorBaseline === undefined) throw new Error(`no floor baseline for ${String(n)}`);
    const to = SPEC_CHANGE_PODS;
    const change = `resourceQuota.hard.pods ${String(floorBaseline.spec.resourceQuota?.hard.pods ?? 'unset')} → ${to}`;
    this.env.log(`spec change: ${change} in the baseline of the ${String(n)} namespaces`);
    const set = this.name(`op${String(n)}`);
    // Every namespace the baseline selects (the latency phase's new ones too), and as many of
    // the floor's (its new namespaces hold the floor's objects as well).
    const opNs = await this.namespacesLabelled([set]);
    const floorSets = [this.name(`floor${String(n)}`), this.name('floornew')];
    const floorNs = await this.namespacesLabelled(floorSets);
    const floorChanged = withQuotaPods(floorBaseline, to);
    const exempt = this.exceptions.exempt;
    const floorChecker = new ComplianceChecker(this.env.rest, floorBaseline.metadata.name, inSets(floorSets), exempt, floorCopy);
    await floorChecker.start();
    floorChecker.expect(floorChanged, floorNs);
    const floorStart = performance.now();
    const floorCpu = process.cpuUsage();
    const floor = await observedFloor(
      () => runFloorChange(this.env.operatorRest, floorChanged, floorNs, this.opts.workers, new Set(['ResourceQuota']), exempt),
      () =>
        floorChecker.until(
          `the floor's ${String(floorNs.length)} namespaces with the new quota`,
          () => floorChecker.complete === floorNs.length,
          1_800_000,
        ),
    );
    // The floor client and the checker, both this process's.
    const floorClientCpu = cpuSince(floorCpu);
    floorChecker.stop();
    const floorMs = floor.ms;
    const floorVerified = await this.floorListed(floorChanged, floorNs, ['ResourceQuota']);
    this.env.log(
      `  floor: ${String(floorNs.length)} quotas in ${(floorMs / 1000).toFixed(1)} s (its last write answered at ${(floor.writesMs / 1000).toFixed(1)} s); ${String(floorVerified)} with the new value by listing`,
    );
    const floorEnforcedMs = (await this.quotasSettled(floorNs, to)) - floorStart;

    this.memory?.enter('spec change');
    const selected = opNs.length;
    const checker = new ComplianceChecker(this.env.rest, set, `${SET_LABEL}=${set}`, exempt);
    await checker.start();
    // What every namespace is to hold once changed, worked out before the change is timed (for
    // 10,000 namespaces, each one's desired objects built and compared with the live ones, on
    // the cores the operator and the apiserver share): the baseline as it is, with the new value.
    const current = parseSecurityBaseline(await this.env.rest.get('SecurityBaseline', undefined, set));
    if (!current.ok) throw new Error(formatErrors(current.errors));
    checker.expect(withQuotaPods(current.baseline, to), opNs);
    let opStart = 0;
    let checkerCpu = 0;
    const m = await this.measured(op, selected, async () => {
      opStart = performance.now();
      const c0 = process.cpuUsage();
      const patched = parseSecurityBaseline(
        await this.env.rest.mergePatch('SecurityBaseline', undefined, set, { spec: { resourceQuota: { hard: { pods: to } } } }),
      );
      if (!patched.ok) throw new Error(formatErrors(patched.errors));
      await checker.until(`${String(selected)} namespaces with the new quota`, () => checker.complete === selected, 1_800_000);
      checkerCpu = cpuSince(c0);
    });
    const operatorMs = m.ms;
    const verified = await checker.verifyByListing();
    checker.stop();
    const quotaWrites = m.after.since(m.before, (x) => isWrite(x) && x.resource === 'resourcequotas' && x.subresource === '') / selected;
    this.env.log(
      `  operator: ${String(selected)} namespaces in ${(operatorMs / 1000).toFixed(1)} s (${(operatorMs / floorMs).toFixed(2)}× the floor), ${m.objectWritesPerNamespace.toFixed(2)} writes per namespace (${quotaWrites.toFixed(2)} to quotas), ${String(m.reportWrites)} report writes; ${String(verified.complete)}/${String(verified.expected)} complete by listing; CPU: operator ${m.cpuSeconds.toFixed(1)} s, the bench's checker ${checkerCpu.toFixed(1)} s in this window, the floor client ${floorClientCpu.toFixed(1)} s in the floor's`,
    );
    if (verified.complete !== selected)
      throw new Error(`only ${String(verified.complete)} of ${String(selected)} namespaces hold the new quota when listed`);
    const operatorEnforcedMs = (await this.quotasSettled(opNs, to)) - opStart;
    this.env.log(
      `  enforced (every quota's status.hard, which the apiserver's quota admission reads, shows the new value): operator ${(operatorEnforcedMs / 1000).toFixed(1)} s, floor ${(floorEnforcedMs / 1000).toFixed(1)} s (${(operatorEnforcedMs / floorEnforcedMs).toFixed(2)}×)`,
    );
    return {
      namespaces: selected,
      floorNamespaces: floorNs.length,
      change,
      floorMs: round(floorMs, 0),
      floorWritesMs: round(floor.writesMs, 0),
      operatorMs: round(operatorMs, 0),
      ratio: round(operatorMs / floorMs),
      floorEnforcedMs: round(floorEnforcedMs, 0),
      operatorEnforcedMs: round(operatorEnforcedMs, 0),
      writesPerNamespace: m.objectWritesPerNamespace,
      quotaWritesPerNamespace: round(quotaWrites),
      operatorWritesPerNamespace: m.operatorWritesPerNamespace,
      reportWrites: m.reportWrites,
      statusWrites: m.statusWrites,
      writeBreakdown: m.writeBreakdown,
      verifiedByListing: verified.complete,
      floorVerifiedByListing: floorVerified,
      operatorCpuSeconds: m.cpuSeconds,
      trailMs: m.trailMs,
      floorClientCpuSeconds: round(floorClientCpu),
      checkerCpuSeconds: round(checkerCpu),
    };
  }

  /**
   * Runs `timed` against the running operator, idle before and after, with the apiserver's
   * counters, the operator's own and its CPU time read around it: the milliseconds `timed`
   * took, and the writes per namespace over `per` namespaces.
   */
  private async measured(op: OperatorProcess, per: number, timed: () => Promise<void>): Promise<Measured> {
    await op.idle();
    const before = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    const metricsBefore = await op.metrics();
    const cpuBefore = cpuSeconds(op.pid);
    const t0 = performance.now();
    await timed();
    const ms = performance.now() - t0;
    const reportsAtEnd = reportWrites(await op.metrics());
    await op.idle();
    // Reports give way to waiting reconciles (reports.ts): counted once written, and none left
    // to be written while the next phase is timed.
    await this.reportsWritten(op);
    const reportsAfterMs = performance.now() - (t0 + ms);
    const cpu = cpuSeconds(op.pid) - cpuBefore;
    const after = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    const metricsAfter = await op.metrics();
    const reports = reportWrites(metricsAfter) - reportWrites(metricsBefore);
    // Where the wait after a window goes: the Reports after the objects (they give way to the reconciles).
    this.env.log(
      `  the operator's report writes: ${String(reports)}, ${String(reportWrites(metricsAfter) - reportsAtEnd)} of them after the window; none pending ${(reportsAfterMs / 1000).toFixed(1)} s after it`,
    );
    const own = operatorWriteCount(metricsAfter) - operatorWriteCount(metricsBefore) - reports;
    return {
      ms,
      before,
      after,
      objectWritesPerNamespace: round(
        after.since(before, (x) => isWrite(x) && NAMESPACE_RESOURCES.has(x.resource) && x.subresource === '') / per,
      ),
      operatorWritesPerNamespace: round(own / per),
      reportWrites: reports,
      reportErrors: reportErrors(metricsAfter) - reportErrors(metricsBefore),
      statusWrites: after.since(before, baselineStatusWrite),
      writeBreakdown: writesByResource(before, after, per),
      cpuSeconds: round(cpu),
      trailMs: round(reportsAfterMs, 0),
    };
  }

  /**
   * Waits until the quota controller has caught up with a change of the quotas' `pods` in
   * `namespaces` (each there shows it in its status); resolves with when (performance.now()), the
   * end of the spec change's "until enforced" time. Also so that what follows starts on a quiet
   * cluster: in run Y the floor's 10,200 changed quotas were still being recounted while the
   * operator's change was timed, and the operator's while the restart was (6,060 status writes).
   */
  private async quotasSettled(namespaces: readonly string[], pods: string): Promise<number> {
    const want = new Set(namespaces);
    const started = performance.now();
    for (;;) {
      const quotas = await listAll(this.env.rest, resourcePath('ResourceQuota'), { fieldSelector: `metadata.name=${NAME_QUOTA}` }, 5000);
      // Those an exception lifts have no quota.
      const there = quotas.filter((q) => want.has(q.metadata.namespace ?? ''));
      const done = there.filter((q) => (q as { status?: { hard?: Record<string, string> } }).status?.hard?.pods === pods).length;
      if (done === there.length) break;
      if (performance.now() - started > 900_000)
        throw new Error(`the quota controller did not catch up: ${String(done)} of ${String(there.length)} quotas show pods ${pods}`);
      await sleep(1000);
    }
    const at = performance.now();
    this.env.log(`  quota controller caught up in ${((at - started) / 1000).toFixed(1)} s`);
    return at;
  }

  /** The namespaces whose set label has one of `sets`' values. */
  private async namespacesLabelled(sets: readonly string[]): Promise<string[]> {
    return (await listAll(this.env.rest, resourcePath('Namespace'), { labelSelector: inSets(sets) })).map((o) => o.metadata.name);
  }

  /** The floor's namespaces among `namespaces` whose objects of `kinds` hold what `baseline` wants (less what the exceptions' mirror lifts), by listing. */
  private async floorListed(baseline: SecurityBaseline, namespaces: readonly string[], kinds: readonly ResourceKind[]): Promise<number> {
    const live = new Map<string, WireObject>();
    for (const kind of kinds) {
      for (const o of await listAll(this.env.rest, resourcePath(kind), { labelSelector: `${LABEL_MANAGED_BY}=${FLOOR_MANAGED_BY}` }))
        live.set(`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
    }
    let n = 0;
    for (const ns of namespaces) {
      const want = desiredObjects(
        baseline,
        ns,
        DEFAULT_OPERATOR_SERVICE_ACCOUNT,
        this.exceptions.exempt(baseline.metadata.name, ns),
      ).filter((d) => d.ownership === 'owned' && kinds.includes(d.object.kind as ResourceKind));
      if (want.every((d) => compareObject(floorCopy(d.object), live.get(`${d.object.kind}/${ns}/${d.object.metadata.name}`)).length === 0))
        n += 1;
    }
    return n;
  }

  /** Creates a tier's baseline (`what`, with `spec`, selecting the namespaces labelled with its name) and the floor's copy, selecting nothing. */
  private async tierBaselines(what: string, spec: Readonly<Record<string, unknown>>): Promise<Pick<Tier, 'baseline' | 'floorBaseline'>> {
    return {
      baseline: await this.createBaseline(what, { [TIER_LABEL]: this.name(what) }, spec),
      floorBaseline: await this.createFloorBaseline(`floor${what}`, spec),
    };
  }

  /**
   * A tier of `count` namespaces (the main baseline selects none of them) and as many for the
   * floor, each side brought to the tier's objects, untimed: the floor's by apply, the
   * operator's by the operator, waited for by the checker and checked by listing.
   *
   * Its namespaces are those the main baseline's deletion emptied, when it ran: labelled into
   * the tier, nothing to make or settle. Otherwise made here, and being untimed, the steps
   * overlap: both sides' namespaces are created at once, and the floor's writes go while the
   * controller manager makes every namespace's defaults (as the operator's do), which is waited
   * for before anything is timed. The controller manager makes them one at a time (its
   * ServiceAccount and root CA publisher controllers have one worker each), so under the
   * floor's and the operator's writes 10,000 namespaces took it 259 s, the most of the setup's
   * 282 s in the run of `d04b42d`.
   */
  private async tierSetup(
    what: string,
    spec: Readonly<Record<string, unknown>>,
    count: number,
  ): Promise<Tier & { readonly reused: boolean }> {
    const { baseline, floorBaseline } = await this.tierBaselines(what, spec);
    const tierLabels = { [TIER_LABEL]: baseline.metadata.name };
    const floorLabels = { [SET_LABEL]: this.name('floortier') };
    const emptied = this.emptied;
    let namespaces: readonly string[];
    let floorNamespaces: readonly string[];
    const taken =
      emptied !== undefined && emptied.namespaces.length >= count && emptied.floorNamespaces.length >= count ? emptied : undefined;
    if (taken !== undefined) {
      // One tier takes them (the tier switch's, or the gold tier the Orphan deletion makes without it).
      this.emptied = undefined;
      namespaces = taken.namespaces.slice(0, count);
      floorNamespaces = taken.floorNamespaces.slice(0, count);
      await Promise.all([
        labelNamespaces(this.env.rest, namespaces, tierLabels),
        labelNamespaces(this.env.rest, floorNamespaces, floorLabels),
      ]);
      await runFloorSwitch(this.env.operatorRest, undefined, floorBaseline, floorNamespaces, this.opts.workers);
    } else {
      namespaces = this.names('tier', count);
      floorNamespaces = this.names('floortier', count);
      await Promise.all([
        createNamespaces(this.env.rest, namespaces, { [SET_LABEL]: this.name('tier'), ...tierLabels }),
        createNamespaces(this.env.rest, floorNamespaces, floorLabels),
      ]);
      await Promise.all([
        this.settle([...namespaces, ...floorNamespaces]),
        runFloorSwitch(this.env.operatorRest, undefined, floorBaseline, floorNamespaces, this.opts.workers),
      ]);
    }
    const checker = new ComplianceChecker(this.env.rest, baseline.metadata.name, `${TIER_LABEL}=${baseline.metadata.name}`);
    await checker.start();
    checker.expect(baseline, namespaces);
    await checker.until(`${String(count)} namespaces with ${what}'s objects`, () => checker.complete === count, 1_800_000);
    await this.mustRun().idle();
    // And their Reports, written once the reconciles have drained (reports.ts): not waited for
    // before, 5,000 Report creates (at 10,000) went while the floor's switch was timed.
    await this.reportsWritten(this.mustRun());
    const verified = await checker.verifyByListing();
    checker.stop();
    if (verified.complete !== count)
      throw new Error(`only ${String(verified.complete)} of ${String(count)} namespaces hold ${what}'s objects when listed`);
    return { baseline, floorBaseline, namespaces, floorNamespaces, reused: taken !== undefined };
  }

  /**
   * The tier switch at the largest size `n`: n/2 namespaces (tierSetup's), brought to silver
   * (untimed), then relabelled to gold with the bench's concurrency, timed until the
   * checker sees every one hold gold's objects and a watch sees no object left labelled
   * silver's; then both confirmed by listing. The floor first makes the same writes on its own
   * namespaces, which hold its copies of silver's objects (made by apply): it applies gold's
   * version of every object that differs (all of the owned ones: their labels and
   * ownerReference do), creates gold's extra policy, and deletes what gold does not want.
   */
  async tierSwitch(n: number): Promise<TierSwitchResult> {
    const op = this.mustRun();
    const count = Math.max(1, Math.floor(n / 2));
    this.env.log(`tier switch: ${String(count)} namespaces from silver to gold`);
    this.memory?.enter('tier switch setup');
    const t0setup = performance.now();
    const silver = await this.tierSetup('silver', SILVER_SPEC, count);
    const gold = await this.tierBaselines('gold', GOLD_SPEC);
    const setupMs = performance.now() - t0setup;
    this.env.log(
      `  setup: ${String(count)} namespaces on each side (${silver.reused ? "those the main baseline's deletion emptied" : 'made for it'}) with silver's objects in ${(setupMs / 1000).toFixed(1)} s`,
    );

    const floorNs = silver.floorNamespaces;
    const floorChecker = new ComplianceChecker(
      this.env.rest,
      gold.floorBaseline.metadata.name,
      `${SET_LABEL}=${this.name('floortier')}`,
      NOTHING_EXEMPT,
      floorCopy,
    );
    await floorChecker.start();
    floorChecker.expect(gold.floorBaseline, floorNs);
    const floorLeftovers = new LabelledObjects(this.env.rest, `${LABEL_BASELINE}=${silver.floorBaseline.metadata.name}`);
    await floorLeftovers.start();
    const floor = await observedFloor(
      () => runFloorSwitch(this.env.operatorRest, silver.floorBaseline, gold.floorBaseline, floorNs, this.opts.workers),
      async () => {
        await floorChecker.until(
          `the floor's ${String(count)} namespaces with gold's objects`,
          () => floorChecker.complete === count,
          1_800_000,
        );
        await until(`no object labelled ${silver.floorBaseline.metadata.name}`, () => floorLeftovers.count === 0, 600_000);
      },
    );
    floorChecker.stop();
    floorLeftovers.stop();
    const floorMs = floor.ms;
    const floorVerified = await this.floorListed(gold.floorBaseline, floorNs, OWNED_KINDS);
    this.env.log(
      `  floor: ${String(floorNs.length)} namespaces in ${(floorMs / 1000).toFixed(1)} s (its last write answered at ${(floor.writesMs / 1000).toFixed(1)} s); ${String(floorVerified)} with gold's objects by listing`,
    );

    this.memory?.enter('tier switch');
    const goldName = gold.baseline.metadata.name;
    const silverName = silver.baseline.metadata.name;
    const opNs = silver.namespaces;
    const checker = new ComplianceChecker(this.env.rest, goldName, `${TIER_LABEL}=${goldName}`);
    await checker.start();
    checker.expect(gold.baseline, opNs);
    const leftovers = new LabelledObjects(this.env.rest, `${LABEL_BASELINE}=${silverName}`);
    await leftovers.start();
    let relabelMs = 0;
    const m = await this.measured(op, count, async () => {
      const t0 = performance.now();
      await labelNamespaces(this.env.rest, opNs, { [TIER_LABEL]: goldName }, this.opts.workers);
      relabelMs = performance.now() - t0;
      await checker.until(`${String(count)} namespaces with gold's objects`, () => checker.complete === count, 1_800_000);
      await until(`no object labelled ${silverName}`, () => leftovers.count === 0, 600_000);
    });
    leftovers.stop();
    const verified = await checker.verifyByListing();
    checker.stop();
    const silverLeft = (await this.objectsAt(silver.baseline, opNs)).filter(
      (o) => o.metadata.labels?.[LABEL_BASELINE] === silverName || ownedBy(o, silver.baseline),
    ).length;
    this.env.log(
      `  operator: ${String(count)} namespaces in ${(m.ms / 1000).toFixed(1)} s (${(m.ms / floorMs).toFixed(2)}× the floor; the relabel itself ${(relabelMs / 1000).toFixed(1)} s), ${(m.objectWritesPerNamespace - 1).toFixed(2)} writes per namespace besides the relabel (operator's own count ${m.operatorWritesPerNamespace.toFixed(2)}), ${String(m.reportWrites)} report writes (${String(m.reportErrors)} failed), ${m.cpuSeconds.toFixed(1)} s CPU; ${String(verified.complete)}/${String(verified.expected)} with gold's objects, ${String(silverLeft)} of silver's objects left, by listing; writes per namespace: ${JSON.stringify(m.writeBreakdown)}`,
    );
    this.gold = { ...gold, namespaces: opNs, floorNamespaces: floorNs };
    if (verified.complete !== count || silverLeft > 0)
      throw new Error(
        `after the tier switch ${String(verified.complete)} of ${String(count)} namespaces hold gold's objects and ${String(silverLeft)} of silver's objects are left, by listing`,
      );
    return {
      namespaces: count,
      floorNamespaces: floorNs.length,
      from: silverName,
      to: goldName,
      setupMs: round(setupMs, 0),
      reusedNamespaces: silver.reused,
      floorMs: round(floorMs, 0),
      floorWritesMs: round(floor.writesMs, 0),
      operatorMs: round(m.ms, 0),
      relabelMs: round(relabelMs, 0),
      ratio: round(m.ms / floorMs),
      writesPerNamespace: round(m.objectWritesPerNamespace - 1),
      operatorWritesPerNamespace: m.operatorWritesPerNamespace,
      reportWrites: m.reportWrites,
      reportErrors: m.reportErrors,
      statusWrites: m.statusWrites,
      writeBreakdown: m.writeBreakdown,
      silverObjectsLeft: silverLeft,
      verifiedByListing: verified.complete,
      floorVerifiedByListing: floorVerified,
      operatorCpuSeconds: m.cpuSeconds,
      trailMs: m.trailMs,
    };
  }

  /**
   * The objects of kinds kubeposture owns at the names `baseline` gives them, in `namespaces`,
   * whoever holds them now (those `labelSelector` picks: by default all but the floor's), by
   * listing (one LIST per name, across the cluster).
   */
  private async objectsAt(
    baseline: SecurityBaseline,
    namespaces: readonly string[],
    labelSelector = `${LABEL_MANAGED_BY}!=${FLOOR_MANAGED_BY}`,
  ): Promise<WireObject[]> {
    const set = new Set(namespaces);
    const names = new Map<string, ResourceKind>();
    for (const d of desiredObjects(baseline, namespaces[0] ?? '', DEFAULT_OPERATOR_SERVICE_ACCOUNT)) {
      if (d.ownership === 'owned') names.set(`${d.object.kind}/${d.object.metadata.name}`, d.object.kind);
    }
    const out: WireObject[] = [];
    for (const [key, kind] of names) {
      const name = key.slice(kind.length + 1);
      for (const o of await listAll(this.env.rest, resourcePath(kind), { fieldSelector: `metadata.name=${name}`, labelSelector }))
        if (set.has(o.metadata.namespace ?? '')) out.push({ ...o, kind });
    }
    return out;
  }

  /**
   * Baseline deletion at the largest size, in two steps, each timed from the DELETE until the
   * baseline is gone and a watch sees no object carry its label, then checked by listing. The
   * main baseline (deletionPolicy Delete) over its n and the latency phase's, before the tier
   * switch, whose namespaces are those it empties; after the tier switch, the gold tier's
   * (Orphan, `deleteGold`), when nothing else selects its namespaces to take over what it
   * lets go of.
   */
  async deleteMain(n: number): Promise<DeletionResult> {
    const floorBaseline = this.floorBaselines.get(n);
    if (floorBaseline === undefined) throw new Error(`no floor baseline for ${String(n)}`);
    const main: Tier = {
      baseline: await this.readBaseline(`op${String(n)}`),
      floorBaseline,
      namespaces: await this.namespacesLabelled([this.name(`op${String(n)}`)]),
      floorNamespaces: await this.namespacesLabelled([this.name(`floor${String(n)}`), this.name('floornew')]),
    };
    const result = await this.deleteBaseline(main, 'Delete');
    // Emptied of every object, by listing, and long since settled: the tier's (tierSetup).
    this.emptied = { namespaces: this.names(`op${String(n)}`, n), floorNamespaces: this.names(`floor${String(n)}`, n) };
    return result;
  }

  /** The gold tier's baseline deleted (Orphan) over its n/2 namespaces, the tier made here if the tier switch did not run. */
  async deleteGold(n: number): Promise<DeletionResult> {
    if (this.gold === undefined) {
      this.env.log(`deletion: setting up the gold tier, ${String(Math.max(1, Math.floor(n / 2)))} namespaces`);
      this.gold = await this.tierSetup('gold', GOLD_SPEC, Math.max(1, Math.floor(n / 2)));
    }
    return this.deleteBaseline(this.gold, 'Orphan');
  }

  private async deleteBaseline(tier: Tier, policy: 'Delete' | 'Orphan'): Promise<DeletionResult> {
    const op = this.mustRun();
    const { baseline, namespaces, floorNamespaces } = tier;
    const name = baseline.metadata.name;
    if (baseline.spec.deletionPolicy !== policy)
      throw new Error(`${name}'s deletionPolicy is ${baseline.spec.deletionPolicy}, not ${policy}`);
    const before = await this.objectsAt(baseline, namespaces, `${LABEL_BASELINE}=${name}`);
    this.env.log(`deletion: ${name} (${policy}), ${String(before.length)} objects in ${String(namespaces.length)} namespaces`);
    const floorName = tier.floorBaseline.metadata.name;
    const floorLabelled = new LabelledObjects(this.env.rest, `${LABEL_BASELINE}=${floorName}`);
    await floorLabelled.start();
    const floor = await observedFloor(
      () => runFloorRelease(this.env.operatorRest, tier.floorBaseline, floorNamespaces, this.opts.workers, policy, this.exceptions.exempt),
      () => until(`no object labelled ${floorName}`, () => floorLabelled.count === 0, 1_800_000),
    );
    floorLabelled.stop();
    const floorMs = floor.ms;
    const floorLeft = (await this.objectsAt(tier.floorBaseline, floorNamespaces, `${LABEL_BASELINE}=${floorName}`)).length;
    this.env.log(
      `  floor: ${String(floorNamespaces.length)} namespaces in ${(floorMs / 1000).toFixed(1)} s (its last write answered at ${(floor.writesMs / 1000).toFixed(1)} s); ${String(floorLeft)} of its objects left marked, by listing`,
    );

    this.memory?.enter(`deletion (${policy})`);
    const labelled = new LabelledObjects(this.env.rest, `${LABEL_BASELINE}=${name}`);
    await labelled.start();
    const m = await this.measured(op, namespaces.length, async () => {
      await this.env.rest.request('DELETE', resourcePath('SecurityBaseline', undefined, name));
      await until(`no object labelled ${name}`, () => labelled.count === 0, 1_800_000);
      await until(`${name} gone`, async () => (await this.env.rest.get('SecurityBaseline', undefined, name)) === undefined, 600_000);
    });
    labelled.stop();
    const after = await this.objectsAt(baseline, namespaces);
    const marked = (o: WireObject): boolean =>
      o.metadata.labels?.[LABEL_MANAGED_BY] !== undefined ||
      o.metadata.labels?.[LABEL_BASELINE] !== undefined ||
      (o.metadata.ownerReferences ?? []).some((r) => r.kind === 'SecurityBaseline') ||
      isGrantor(o.kind ?? '', o.metadata.name);
    const left = policy === 'Delete' ? after.length : after.filter(marked).length;
    const released = policy === 'Delete' ? 0 : after.length - left;
    this.env.log(
      `  operator: ${String(namespaces.length)} namespaces in ${(m.ms / 1000).toFixed(1)} s (${(m.ms / floorMs).toFixed(2)}× the floor), ${m.objectWritesPerNamespace.toFixed(2)} writes per namespace (operator's own count ${m.operatorWritesPerNamespace.toFixed(2)}), ${m.cpuSeconds.toFixed(1)} s CPU, ${String(m.reportErrors)} failed report writes; ${String(left)} objects left${policy === 'Orphan' ? `, ${String(released)} released in place` : ''}, by listing; writes per namespace: ${JSON.stringify(m.writeBreakdown)}`,
    );
    return {
      policy,
      baseline: name,
      namespaces: namespaces.length,
      objects: before.length,
      floorNamespaces: floorNamespaces.length,
      floorMs: round(floorMs, 0),
      floorWritesMs: round(floor.writesMs, 0),
      operatorMs: round(m.ms, 0),
      ratio: round(m.ms / floorMs),
      objectsLeft: left,
      released,
      floorObjectsLeft: floorLeft,
      writesPerNamespace: m.objectWritesPerNamespace,
      operatorWritesPerNamespace: m.operatorWritesPerNamespace,
      reportErrors: m.reportErrors,
      writeBreakdown: m.writeBreakdown,
      operatorCpuSeconds: m.cpuSeconds,
      trailMs: m.trailMs,
    };
  }

  /**
   * The memory figures of the running operator (the largest size's) over every phase so far:
   * taken before a restart replaces it.
   */
  async memorySummary(): Promise<Pick<BenchResult, 'peakRssMb' | 'peakMemory' | 'rssByPhaseMb' | 'softLimitCollections'>> {
    const op = this.mustRun();
    return {
      peakRssMb: round(memoryMb(op.pid).peak, 0),
      peakMemory: this.memory?.peak,
      rssByPhaseMb: this.memory?.phases ?? {},
      softLimitCollections: await softLimitCollections(op),
    };
  }

  /**
   * A restart on the compliant cluster: SIGTERM, then a new process, timed until it is ready
   * and until its first pass has reconciled every namespace once; its writes counted from its
   * start until it has been quiet for 1.5 s after the pass (a status write would come within
   * the status interval, 1 s).
   */
  async restart(): Promise<RestartResult> {
    const old = this.mustRun();
    await old.idle();
    // Compliant, reports included: a report the old one held back by its interval would be the new one's to write.
    const t0reports = performance.now();
    await old.reportsWritten(REPORTS_WRITTEN_TIMEOUT_MS);
    const namespaces = await this.clusterNamespaces();
    this.env.log(
      `restart: SIGTERM and a new operator over ${String(namespaces)} namespaces (reports written ${((performance.now() - t0reports) / 1000).toFixed(1)} s after the operator went idle)`,
    );
    const t0stop = performance.now();
    this.memory?.stop();
    await old.stop();
    const stopMs = performance.now() - t0stop;
    const before = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    const t0 = performance.now();
    const op = await this.launch('restart');
    const readyMs = performance.now() - t0;
    this.memory?.enter('restart');
    // Every namespace but one, as the resync counts them.
    const firstPassMs = await reconciledOnce(op, 'the first pass', 0, namespaces - 1, t0);
    const cpu = cpuSeconds(op.pid);
    await op.idle();
    const after = await ApiserverRequests.read(this.env.rest, OPERATOR_FLOW_SCHEMA);
    const writes = after.since(before, namespaceOrBaselineWrite);
    const operatorWrites = operatorWriteCount(await op.metrics());
    const operatorRequests = after.operator - before.operator;
    const writeBreakdown = writesByResource(before, after, 1);
    this.env.log(
      `  stopped in ${(stopMs / 1000).toFixed(1)} s; ready in ${(readyMs / 1000).toFixed(1)} s, first pass done in ${(firstPassMs / 1000).toFixed(1)} s; ${String(writes)} writes (operator's own count ${String(operatorWrites)}), ${String(operatorRequests)} operator requests, ${cpu.toFixed(1)} s CPU; every client's writes meanwhile: ${JSON.stringify(writeBreakdown)}`,
    );
    return {
      namespaces,
      stopMs: round(stopMs, 0),
      readyMs: round(readyMs, 0),
      firstPassMs: round(firstPassMs, 0),
      writes,
      operatorWrites,
      operatorRequests,
      writeBreakdown,
      cpuSeconds: round(cpu),
      peakRssMb: round(memoryMb(op.pid).peak, 0),
    };
  }

  /** The running operator's resident memory now and at its peak, and its V8 heap in use, in MB. */
  /**
   * The operator's memory now: resident, its peak, its heap in use (garbage included), and its heap
   * right after its last full collection (its live data then).
   */
  async operatorMemory(): Promise<{
    readonly rssMb: number;
    readonly peakRssMb: number;
    readonly heapUsedMb: number;
    readonly heapAfterGcMb: number;
  }> {
    const op = this.mustRun();
    const text = await op.metrics();
    const mb = (name: string): number => round(metricSum(text, name) / 2 ** 20, 0);
    const { rss, peak } = memoryMb(op.pid);
    return {
      rssMb: round(rss, 0),
      peakRssMb: round(peak, 0),
      heapUsedMb: mb('kubeposture_nodejs_heap_size_used_bytes'),
      heapAfterGcMb: mb('kubeposture_heap_after_gc_bytes'),
    };
  }

  /**
   * Deletes what the run made in a shared cluster (the local bench cluster is simply thrown
   * away), and waits until it is gone, so that the next test in the cluster starts on a quiet
   * one. The floor's baselines go last, once the namespaces are gone: the floor's objects name
   * them as owner, and deleted first they would leave each of those objects (1,950 for
   * bench-wide's floor) to the garbage collector one by one, at the controller manager's 20
   * requests a second: measured, the next test suite's dependent waited 54 s in its queue after
   * bench-wide (0.1 s with this order). The namespace controller deletes them by collection.
   */
  async cleanup(): Promise<void> {
    // The exceptions first (a baseline gone would make each Invalid), then the operator's
    // baselines while it runs: their finalizer waits for it to clean up.
    for (const name of this.exceptions.names()) await deleteIgnoringMissing(this.env.rest, 'SecurityBaselineException', name);
    await this.deleteBaselines(this.baselines.filter((b) => !this.floorNames.has(b)));
    const namespaces = (await listAll(this.env.rest, resourcePath('Namespace'), { labelSelector: SET_LABEL }))
      .filter((ns) => (ns.metadata.labels?.[SET_LABEL] ?? '').startsWith(this.opts.prefix))
      .map((ns) => ns.metadata.name);
    await pool(namespaces, 16, async (ns) => {
      await deleteIgnoringMissing(this.env.rest, 'Namespace', ns);
    });
    const wanted = new Set(namespaces);
    for (let i = 0; ; i += 1) {
      const left = (await listAll(this.env.rest, resourcePath('Namespace'), { labelSelector: SET_LABEL })).filter((ns) =>
        wanted.has(ns.metadata.name),
      ).length;
      if (left === 0) break;
      if (i > 1200) throw new Error(`${String(left)} namespaces of the run still there after 10 min`);
      await sleep(500);
    }
    await this.deleteBaselines([...this.floorNames]);
    this.memory?.stop();
    await this.operator?.stop();
  }

  /** Deletes the baselines `names` and waits (at most a minute) until they are gone. */
  private async deleteBaselines(names: readonly string[]): Promise<void> {
    for (const name of names) await deleteIgnoringMissing(this.env.rest, 'SecurityBaseline', name);
    for (let i = 0; i < 600; i += 1) {
      const left = ((await this.env.rest.request('GET', resourcePath('SecurityBaseline'))) as { items?: WireObject[] }).items ?? [];
      if (!left.some((b) => names.includes(b.metadata.name))) break;
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.memory?.stop();
    await this.operator?.stop();
  }

  /** The memory watch of the running operator: `enter` names the phase its samples fall in. */
  enterPhase(phase: string): void {
    this.memory?.enter(phase);
  }

  memoryByPhase(): Readonly<Record<string, number>> {
    return this.memory?.phases ?? {};
  }

  /** The namespaces in the cluster, from one LIST of a single item. */
  private async clusterNamespaces(): Promise<number> {
    const page = (await this.env.rest.request('GET', resourcePath('Namespace'), { query: { limit: '1' } })) as {
      items?: unknown[];
      metadata?: { remainingItemCount?: number };
    };
    return (page.items?.length ?? 0) + (page.metadata?.remainingItemCount ?? 0);
  }

  private mustRun(): OperatorProcess {
    if (this.operator === undefined) throw new Error('no operator running');
    return this.operator;
  }

  private async readBaseline(what: string): Promise<SecurityBaseline> {
    const parsed = parseSecurityBaseline(await this.env.rest.request('GET', resourcePath('SecurityBaseline', undefined, this.name(what))));
    if (!parsed.ok) throw new Error(formatErrors(parsed.errors));
    return parsed.baseline;
  }
}

/**
 * Runs the phases selected (all by default) in order; `cleanup` deletes the run's baselines
 * at the end (for a shared cluster). The latency, resync and spec change phases run against
 * the operator that converged the largest size; the restart comes after them, so that the
 * figures before it (memory included, taken just before it) are those of that operator, and
 * before the tier switch, whose namespaces would make the restarted cluster a third larger when
 * made for it; the deletion and the tier switch run against the restarted operator: the main
 * baseline's deletion, then the tier switch on the namespaces it emptied, then the gold tier's.
 */
export async function runBench(env: BenchEnv, opts: BenchOptions, cleanup: boolean): Promise<BenchResult> {
  const bench = new Bench(env, opts);
  const phases = new Set<Phase>(opts.phases ?? PHASES);
  const phaseSeconds: Record<string, number> = {};
  const timed = async <T>(phase: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      phaseSeconds[phase] = round((performance.now() - t0) / 1000, 0);
    }
  };
  try {
    const script = phases.has('script') ? await timed('script', () => bench.script()) : undefined;
    const sizes: SizeResult[] = [];
    for (const n of opts.sizes) sizes.push(await timed(`cold ${String(n)}`, () => bench.cold(n)));
    const last = sizes[sizes.length - 1];
    const first = sizes[0];
    if (last === undefined || first === undefined) throw new Error('no sizes given');
    const churn = phases.has('latency') ? await timed('latency', () => bench.churn(last.namespaces)) : {};
    if (phases.has('resync')) bench.enterPhase('resync');
    const resync = phases.has('resync') ? { resync: await timed('resync', () => bench.resync()) } : {};
    const specChange = phases.has('spec-change') ? { specChange: await timed('spec change', () => bench.specChange(last.namespaces)) } : {};
    const memory = await bench.memorySummary();
    // Before the tier switch, whose 10,000 namespaces (at 10,000) would make the cluster restarted a third larger.
    const restart = phases.has('restart') ? { restart: await timed('restart', () => bench.restart()) } : {};
    // The main baseline's deletion before the tier switch: the tier takes the namespaces it
    // empties, not 10,000 more made and settled (tierSetup).
    const deleted = phases.has('delete') ? await timed('deletion (Delete)', () => bench.deleteMain(last.namespaces)) : undefined;
    const tierSwitch = phases.has('tier-switch') ? { tierSwitch: await timed('tier switch', () => bench.tierSwitch(last.namespaces)) } : {};
    const deletion =
      deleted === undefined ? {} : { deletion: [await timed('deletion (Orphan)', () => bench.deleteGold(last.namespaces)), deleted] };
    const laterMemory =
      phases.has('restart') && (phases.has('tier-switch') || phases.has('delete')) ? await bench.memorySummary() : undefined;
    const afterRestart =
      laterMemory === undefined
        ? {}
        : {
            afterRestart: {
              peakRssMb: laterMemory.peakRssMb,
              rssByPhaseMb: laterMemory.rssByPhaseMb,
              ...(laterMemory.softLimitCollections === undefined ? {} : { softLimitCollections: laterMemory.softLimitCollections }),
            },
          };
    const growth = growthOf(sizes);
    const scriptPart =
      script === undefined
        ? {}
        : {
            script: {
              namespaces: script.namespaces,
              ms: round(script.ms, 0),
              msPerNamespace: round(script.ms / script.namespaces, 1),
              operatorMsPerNamespace: round(first.operatorMs / first.namespaces, 2),
              ratio: round(script.ms / script.namespaces / (first.operatorMs / first.namespaces), 1),
            },
          };
    return {
      date: new Date().toISOString(),
      machine: '',
      options: opts,
      sizes,
      ...scriptPart,
      ...churn,
      ...resync,
      ...specChange,
      ...tierSwitch,
      ...memory,
      ...restart,
      ...deletion,
      ...afterRestart,
      ...(growth === undefined ? {} : { growth }),
      phaseSeconds,
    };
  } finally {
    if (cleanup) await bench.cleanup();
    else await bench.stop();
  }
}

const isWrite = (s: RequestSeries): boolean => WRITE_VERBS.has(s.verb) && !s.dryRun;

/**
 * Requests between two readings of the apiserver's counters, per `per` (namespaces, say), by
 * the key `key` gives each series `pick` takes; series that did not move are left out.
 */
function breakdown(
  before: ApiserverRequests,
  after: ApiserverRequests,
  per: number,
  pick: (s: RequestSeries) => boolean,
  key: (s: RequestSeries) => string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const series of after.series) {
    if (!pick(series)) continue;
    const k = key(series);
    const v = after.since(before, (x) => x === series);
    if (v > 0) out[k] = round((out[k] ?? 0) + v / per, 3);
  }
  return out;
}

/** A series' verb and resource, its subresource after a slash (`PATCH resourcequotas`, `PUT baselines/status`). */
const verbAndResource = (r: RequestSeries): string => `${r.verb} ${r.resource}${r.subresource === '' ? '' : `/${r.subresource}`}`;

/** Every client's writes (not dry runs) by verb and resource (`PATCH resourcequotas`, `PUT baselines/status`), per `per`. */
export function writesByResource(before: ApiserverRequests, after: ApiserverRequests, per: number): Record<string, number> {
  return breakdown(before, after, per, isWrite, verbAndResource);
}

/** Every client's requests between two readings, every verb (lists and watches too), by verb and resource, those `skip` picks left out. */
export function requestsByResource(
  before: ApiserverRequests,
  after: ApiserverRequests,
  skip: (s: RequestSeries) => boolean,
): Record<string, number> {
  return breakdown(before, after, 1, (s) => !skip(s), verbAndResource);
}

/** Namespaces reconciled so far, by the operator's own count. */
function reconciles(metricsText: string): number {
  return metricSum(metricsText, 'kubeposture_reconciles_total');
}

/** The operator's writes so far (its requests less GETs and dry runs), by its own count. */
function operatorWriteCount(metricsText: string): number {
  return (
    metricSum(metricsText, 'kubeposture_api_requests_total') -
    metricSum(metricsText, 'kubeposture_api_requests_total', 'verb="GET"') -
    metricSum(metricsText, 'kubeposture_api_dry_runs_total')
  );
}

/**
 * Resolves with the milliseconds since `t0` once `op` has reconciled `namespaces` more than
 * `from` (its count before); or, in a shared cluster where namespaces can vanish meanwhile,
 * once it has reconciled most of them and none for a second.
 */
async function reconciledOnce(op: OperatorProcess, what: string, from: number, namespaces: number, t0: number): Promise<number> {
  let last = from;
  let lastChange = performance.now();
  for (;;) {
    const count = reconciles(await op.metrics());
    if (count !== last) {
      last = count;
      lastChange = performance.now();
    }
    const done = count - from;
    if (done >= namespaces || (done >= namespaces * 0.9 && performance.now() - lastChange > 1000)) return performance.now() - t0;
    if (performance.now() - t0 > 300_000)
      throw new Error(`${what} did not finish: ${String(done)} of ${String(namespaces)} namespaces reconciled`);
    await sleep(100);
  }
}

/**
 * The operator's report writes so far (create, apply, a move to another baseline, delete), from
 * its metrics. Until 2026-12-06 moves were left out: each moved Report's patch was uncounted.
 */
function reportWrites(metricsText: string): number {
  return ['create', 'apply', 'reown', 'delete'].reduce(
    (n, o) => n + metricSum(metricsText, 'kubeposture_report_writes_total', `outcome="${o}"`),
    0,
  );
}

/** The operator's failed report writes so far, from its metrics. */
function reportErrors(metricsText: string): number {
  return metricSum(metricsText, 'kubeposture_report_writes_total', 'outcome="error"');
}

/** The operator's soft-limit collections so far, by its own counters. */
async function softLimitCollections(op: OperatorProcess): Promise<{ count: number; seconds: number }> {
  const text = await op.metrics();
  return {
    count: metricSum(text, 'kubeposture_memory_limit_collections_total'),
    seconds: round(metricSum(text, 'kubeposture_memory_limit_collection_seconds_total'), 2),
  };
}

/** Whether `o` has an ownerReference to `baseline`. */
function ownedBy(o: WireObject, baseline: SecurityBaseline): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.uid === baseline.metadata.uid);
}

/** Resolves once `test` holds, checked every 50 ms; rejects after `timeoutMs`. */
async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = performance.now();
  while (!(await test())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(50);
  }
}
