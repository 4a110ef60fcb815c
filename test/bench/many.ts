/**
 * Many baselines (`make bench-baselines`, issue 20): the same `n` namespaces governed in turn
 * by k = 1, 10, 100 baselines with disjoint selectors that together select them all
 * (namespace i is labelled for baseline i mod k). At each k: cold convergence against the
 * floor creating the same objects, the operator's CPU over it, a resync's CPU and writes, and
 * the operator's CPU per namespace event that changes no baseline's selection (10,000 changes
 * of a label no baseline selects on, in rounds over the namespaces if there are fewer) — the
 * figure that must not grow with the baselines that do not select the namespace.
 *
 * The namespaces are made once, each carrying one group label per k (`many-k10: g3`), so that
 * nothing is relabelled between k's: k's baselines select on k's label. Between k's the
 * previous baselines are deleted with deletionPolicy Delete, and the run waits until they are
 * gone (the operator's finalizer holds each until no object it made for it is left), so that
 * every k's convergence starts from empty namespaces and is cold; Orphan would leave every
 * object in place, and the next k's baselines would adopt them instead of creating them.
 * Fresh namespaces per k would cost as much (n creates and the controller manager's two
 * writes in each) and grow the cluster, and the operator's caches, from one k to the next.
 * The floor's objects are removed meanwhile (one DELETE per object it created, an empty apply
 * for what it applied), and it runs once before the first k uncounted, to warm up. Each k gets
 * an operator process of its own, started on the emptied cluster before its baselines.
 */
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT, LABEL_BASELINE } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { desiredObjects } from '../../src/baseline/build.ts';
import { OWNED_KINDS } from '../../src/baseline/objects.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import type { Sendable } from '../../src/kube/rest.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Bench,
  floorConverged,
  requestsByResource,
  SET_LABEL,
  writesByResource,
  type BenchEnv,
  type BenchOptions,
  type ResyncResult,
} from './bench.ts';
import { ComplianceChecker } from './checker.ts';
import { NOTHING_EXEMPT, type ExemptFor } from './exceptions.ts';
import { createNamespaces, deleteIgnoringMissing, listAll } from './fixtures.ts';
import { FLOOR_FIELD_MANAGER, pool, runFloor } from './floor.ts';
import { OPERATOR_FLOW_SCHEMA } from './identity.ts';
import { ApiserverRequests, cpuSeconds, memoryMb, REPORT_RESOURCES } from './measure.ts';
import { metricSum, type OperatorProcess } from './operator-process.ts';
import { formatRows, formatTable, type Row } from './report.ts';

/**
 * Namespace label events changing no baseline's selection, per k (by default): one per
 * namespace at 10,000. 2,000 until 2026-12-07 came to about a second of the operator's CPU,
 * which a few milliseconds of what it does anyway (a full collection, a lease renewal, the
 * bench's metrics reads) moved by a tenth: 1.36× k = 1's at k = 10 in one run, 1.10× in the
 * run before.
 */
export const EVENTS = 10_000;

/** How long the operator's idle CPU is sampled before the events (by default). */
const IDLE_SAMPLE_MS = 5000;

/** The label the event phase touches: selected by no baseline. */
const TOUCH_LABEL = 'bench.kubeposture.io/touch';

export interface ManyStep {
  /** Baselines, each selecting n / k of the namespaces. */
  readonly baselines: number;
  readonly namespaces: number;
  /** The floor's time, as the operator's is taken (bench.ts's observedFloor). */
  readonly floorMs: number;
  /** Until the floor's last write was answered, inside floorMs (absent in runs before 2026-12-07). */
  readonly floorWritesMs?: number;
  readonly operatorMs: number;
  readonly ratio: number;
  /** The operator's CPU from the first baseline's create until it is idle. */
  readonly coldCpuSeconds: number;
  /** The operator's requests per namespace over convergence (reports apart), by its flow schema. */
  readonly requestsPerNamespace: number;
  readonly verifiedByListing: number;
  readonly resync: ResyncResult;
  readonly events: {
    /** Changes of the unrelated label (in rounds over the namespaces if there are fewer). */
    readonly count: number;
    /** Reconciles they caused, by the operator's own count. */
    readonly reconciles: number;
    /** The operator's requests meanwhile, every verb, by its flow schema (0 expected: nothing to write, nothing to read). */
    readonly operatorRequests: number;
    /** Every client's requests meanwhile but the changes themselves, by verb and resource (what operatorRequests were; absent before 2026-12-07). */
    readonly otherRequests?: Readonly<Record<string, number>>;
    /** The operator's CPU per second over a few seconds idle just before (5 by default), in ms: what it spends anyway (absent before 2026-12-07). */
    readonly idleCpuMsPerSecond?: number;
    readonly cpuMsPerEvent: number;
    /** From the first change until the operator's last reconcile (or the last change, if later). */
    readonly wallMs: number;
  };
  /** The previous k's baselines deleted (Delete policy) until gone, with the floor's objects removed meanwhile; 0 for the first. */
  readonly replaceMs: number;
  readonly peakRssMb: number;
}

export interface ManyResult {
  readonly namespaces: number;
  readonly steps: readonly ManyStep[];
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** The label that says which of k baselines selects a namespace. */
const groupLabel = (k: number): string => `bench.kubeposture.io/many-k${String(k)}`;

/** Parses `1,10,100`: positive counts, each at most the namespaces. */
export function parseBaselineCounts(text: string): number[] {
  const counts = text.split(',').map((t) => Number(t));
  if (counts.length === 0 || counts.some((k) => !Number.isInteger(k) || k < 1))
    throw new Error(`--baselines ${JSON.stringify(text)} must be a comma list of positive whole numbers`);
  return counts;
}

export interface ManyOptions {
  /** Namespace label changes per k (default EVENTS), in rounds over the namespaces (over the first `events` of them, if fewer). */
  readonly events?: number;
  /** The floor's uncounted first run (default on; the small version in make test goes without, for time). */
  readonly warmUp?: boolean;
  /** How long the operator's idle CPU is sampled before each k's events (default IDLE_SAMPLE_MS). */
  readonly idleSampleMs?: number;
}

export async function runManyBench(
  env: BenchEnv,
  opts: BenchOptions,
  counts: readonly number[],
  cleanup: boolean,
  many: ManyOptions = {},
): Promise<ManyResult> {
  const events = many.events ?? EVENTS;
  const n = opts.sizes[opts.sizes.length - 1] ?? 0;
  if (counts.some((k) => k > n)) throw new Error(`more baselines than the ${String(n)} namespaces`);
  const bench = new Bench(env, opts);
  try {
    env.log(`many baselines: ${String(n)} namespaces, k = ${counts.join(', ')}`);
    const set = bench.name('many');
    const opNs = Array.from({ length: n }, (_, i) => bench.name(`many-${String(i)}`));
    const floorNs = Array.from({ length: n }, (_, i) => bench.name(`manyfloor-${String(i)}`));
    await createNamespaces(env.rest, opNs, (i) => ({
      [SET_LABEL]: set,
      ...Object.fromEntries(counts.map((k) => [groupLabel(k), `g${String(i % k)}`])),
    }));
    await createNamespaces(env.rest, floorNs, { [SET_LABEL]: bench.name('manyfloor') });
    await bench.settle([...opNs, ...floorNs]);
    const floorBaseline = await bench.createFloorBaseline('manyfloor');
    // A first run of the floor, not counted: without it the first k's floor was the slowest in
    // each run (6.9 s then 4.9 s at 200 namespaces, 2.6 s then 2.1 s at 60), flattering its ratio.
    if (many.warmUp !== false) {
      const warmUpMs = await runFloor(env.operatorRest, floorBaseline, floorNs, opts.workers);
      await removeFloor(env, floorBaseline, floorNs, opts.workers);
      env.log(`  floor warm-up: ${String(n)} namespaces in ${(warmUpMs / 1000).toFixed(1)} s (not counted)`);
    }
    const steps: ManyStep[] = [];
    let previous: readonly string[] = [];
    let op: OperatorProcess | undefined;
    for (const k of counts) {
      let replaceMs = 0;
      if (op !== undefined) {
        const t0 = performance.now();
        await Promise.all([removeBaselines(env, previous), removeFloor(env, floorBaseline, floorNs, opts.workers)]);
        replaceMs = performance.now() - t0;
        env.log(
          `  k = ${String(previous.length)}'s baselines and their objects gone, the floor's removed, in ${(replaceMs / 1000).toFixed(1)} s`,
        );
      }
      await bench.stop();
      env.log(`k = ${String(k)}: ${String(k)} baselines of ${String(Math.ceil(n / k))} namespaces at most`);
      const floor = await floorConverged(env.rest, floorBaseline, floorNs, bench.name('manyfloor'), NOTHING_EXEMPT, () =>
        runFloor(env.operatorRest, floorBaseline, floorNs, opts.workers),
      );
      const floorMs = floor.ms;
      env.log(
        `  floor: ${String(n)} namespaces in ${(floorMs / 1000).toFixed(1)} s (its last write answered at ${(floor.writesMs / 1000).toFixed(1)} s)`,
      );

      op = await bench.startOperator(`many-k${String(k)}`);
      bench.enterPhase(`cold convergence, k = ${String(k)}`);
      const names = Array.from({ length: k }, (_, j) => bench.name(`many-k${String(k)}-${String(j)}`));
      const checker = new ComplianceChecker(env.rest, names, `${SET_LABEL}=${set}`);
      await checker.start();
      const before = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
      const cpuBefore = cpuSeconds(op.pid);
      const t0 = performance.now();
      for (let j = 0; j < k; j += 1) {
        const baseline = await bench.createBaseline(`many-k${String(k)}-${String(j)}`, { [groupLabel(k)]: `g${String(j)}` });
        checker.expect(
          baseline,
          opNs.filter((_, i) => i % k === j),
        );
      }
      await checker.until(`${String(n)} namespaces compliant under ${String(k)} baselines`, () => checker.complete === n, 1_800_000);
      const operatorMs = performance.now() - t0;
      await op.idle();
      const coldCpu = cpuSeconds(op.pid) - cpuBefore;
      const after = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
      const requests = after.operator - before.operator - after.since(before, (s) => REPORT_RESOURCES.has(s.resource));
      const verified = await checker.verifyByListing();
      checker.stop();
      env.log(
        `  operator: ${String(n)} namespaces in ${(operatorMs / 1000).toFixed(1)} s (${(operatorMs / floorMs).toFixed(2)}× the floor), ${coldCpu.toFixed(1)} s CPU, ${(requests / n).toFixed(2)} requests per namespace; ${String(verified.complete)}/${String(verified.expected)} complete by listing`,
      );
      if (verified.complete !== n)
        throw new Error(`only ${String(verified.complete)} of ${String(n)} namespaces hold their objects when listed (k = ${String(k)})`);
      bench.enterPhase(`resync, k = ${String(k)}`);
      await drained(env, op);
      const beforeResync = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
      const resync = await bench.resync();
      if (resync.writes > 0)
        env.log(
          `  resync writes, every client's: ${JSON.stringify(writesByResource(beforeResync, await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA), 1))}`,
        );
      bench.enterPhase(`namespace events, k = ${String(k)}`);
      const changes = Array.from({ length: events }, (_, i) => ({
        ns: opNs[i % n] ?? '',
        value: `k${String(k)}-${String(Math.floor(i / n))}`,
      }));
      const touched = await namespaceEvents(env, op, changes, opts.workers, many.idleSampleMs ?? IDLE_SAMPLE_MS);
      steps.push({
        baselines: k,
        namespaces: n,
        floorMs: round(floorMs, 0),
        floorWritesMs: round(floor.writesMs, 0),
        operatorMs: round(operatorMs, 0),
        ratio: round(operatorMs / floorMs),
        coldCpuSeconds: round(coldCpu),
        requestsPerNamespace: round(requests / n),
        verifiedByListing: verified.complete,
        resync,
        events: touched,
        replaceMs: round(replaceMs, 0),
        peakRssMb: round(memoryMb(op.pid).peak, 0),
      });
      previous = names;
    }
    return { namespaces: n, steps };
  } finally {
    if (cleanup) await bench.cleanup();
    else await bench.stop();
  }
}

/**
 * Waits (150 s at most) until the operator's queue holds no key, delayed ones included, and no
 * report is pending (`kubeposture_reports_pending`): a baseline's ClusterReport is written at
 * most once per 10 s (per page), so after convergence each baseline may still have one write
 * due, which would land in the resync's window.
 */
async function drained(env: BenchEnv, op: OperatorProcess): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const text = await op.metrics();
    const depth = metricSum(text, 'kubeposture_queue_depth');
    const pending = metricSum(text, 'kubeposture_reports_pending');
    if (depth === 0 && pending === 0) break;
    if (performance.now() - t0 > 150_000) {
      env.log(`  queue still holds ${String(depth)} keys and ${String(pending)} reports after 150 s: resync measured anyway`);
      return;
    }
    await sleep(250);
  }
  env.log(`  operator settled ${((performance.now() - t0) / 1000).toFixed(1)} s after convergence`);
}

/**
 * Makes each change (a value of a label no baseline selects on, in a namespace; `workers` at
 * a time, in order) and measures the operator's CPU until it is idle again: per event, what it
 * costs to find that nothing changed for the namespace.
 */
async function namespaceEvents(
  env: BenchEnv,
  op: OperatorProcess,
  changes: readonly { readonly ns: string; readonly value: string }[],
  workers: number,
  idleSampleMs: number,
): Promise<ManyStep['events']> {
  await op.idle();
  // What the operator spends anyway when nothing happens (its timers, the bench's metrics reads).
  const idleCpuBefore = cpuSeconds(op.pid);
  const idleT0 = performance.now();
  await sleep(idleSampleMs);
  const idleCpuMsPerSecond = round(((cpuSeconds(op.pid) - idleCpuBefore) * 1e6) / (performance.now() - idleT0), 1);
  const reconcilesBefore = metricSum(await op.metrics(), 'kubeposture_reconciles_total');
  const before = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
  const cpuBefore = cpuSeconds(op.pid);
  const t0 = performance.now();
  await pool(changes, workers, async ({ ns, value }) => {
    await env.rest.mergePatch('Namespace', undefined, ns, { metadata: { labels: { [TOUCH_LABEL]: value } } });
  });
  const patchedAt = performance.now();
  // Until no reconcile has finished for 1.5 s, noting when the last one did (op.idle's rule).
  let last = reconcilesBefore;
  let lastChange = patchedAt;
  for (;;) {
    await sleep(250);
    const count = metricSum(await op.metrics(), 'kubeposture_reconciles_total');
    if (count !== last) {
      last = count;
      lastChange = performance.now();
    } else if (performance.now() - Math.max(lastChange, patchedAt) >= 1500) break;
  }
  const cpu = cpuSeconds(op.pid) - cpuBefore;
  const after = await ApiserverRequests.read(env.rest, OPERATOR_FLOW_SCHEMA);
  const otherRequests = requestsByResource(before, after, (s) => s.verb === 'PATCH' && s.resource === 'namespaces' && s.subresource === '');
  const result = {
    count: changes.length,
    reconciles: last - reconcilesBefore,
    operatorRequests: after.operator - before.operator,
    otherRequests,
    idleCpuMsPerSecond,
    cpuMsPerEvent: round((cpu * 1000) / changes.length, 3),
    wallMs: round(Math.max(lastChange, patchedAt) - t0, 0),
  };
  env.log(
    `  ${String(result.count)} namespace label changes: ${String(result.reconciles)} reconciles, ${String(result.operatorRequests)} operator requests, ${(cpu * 1000).toFixed(0)} ms CPU (${String(result.cpuMsPerEvent)} ms per event), idle ${(result.wallMs / 1000).toFixed(1)} s after the first; idle just before, ${String(idleCpuMsPerSecond)} ms CPU a second; every client's requests meanwhile but the changes: ${JSON.stringify(otherRequests)}`,
  );
  return result;
}

/** Deletes the baselines `names` (their policy, Delete, is the default) and waits until they and their objects are gone. */
export async function removeBaselines(env: BenchEnv, names: readonly string[]): Promise<void> {
  for (const name of names) await deleteIgnoringMissing(env.rest, 'SecurityBaseline', name);
  const wanted = new Set(names);
  for (let i = 0; ; i += 1) {
    const left = (await listAll(env.rest, resourcePath('SecurityBaseline'))).filter((b) => wanted.has(b.metadata.name)).length;
    if (left === 0) break;
    if (i > 18_000) throw new Error(`${String(left)} baselines still there after 30 min`);
    await sleep(100);
  }
  // The finalizer went once no object was left: confirm by listing.
  const selector = `${LABEL_BASELINE} in (${names.join(',')})`;
  for (const kind of OWNED_KINDS) {
    const left = await listAll(env.rest, resourcePath(kind), { labelSelector: selector });
    if (left.length > 0) throw new Error(`${String(left.length)} ${kind} objects of deleted baselines left`);
  }
}

/**
 * Undoes runFloor: deletes the objects it created (less what `exempt` lifted, as runFloor left
 * them out), and takes back what it applied to existing ones (the default ServiceAccount's token
 * mount, the namespace's Pod Security labels) by applying nothing with its field manager, so
 * that the next k's floor writes what the first did.
 */
export async function removeFloor(
  env: BenchEnv,
  baseline: SecurityBaseline,
  namespaces: readonly string[],
  workers: number,
  exempt: ExemptFor = NOTHING_EXEMPT,
): Promise<void> {
  await pool(namespaces, workers, async (ns) => {
    const parts = exempt(baseline.metadata.name, ns);
    await Promise.all(
      desiredObjects(baseline, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT, parts).map(async ({ object: o, ownership }) => {
        if (ownership === 'owned') {
          await env.rest.request('DELETE', resourcePath(o.kind, ns, o.metadata.name));
          return;
        }
        const metadata = o.kind === 'Namespace' ? { name: o.metadata.name } : { name: o.metadata.name, namespace: ns };
        const nothing: Sendable & { readonly apiVersion: string; readonly kind: string } = {
          apiVersion: o.apiVersion,
          kind: o.kind,
          metadata,
        };
        await env.rest.apply(o.kind, nothing, { fieldManager: FLOOR_FIELD_MANAGER, force: true });
      }),
    );
  });
}

/** Each target, judged; the first k is the reference the others are held to. */
export function manyRows(r: ManyResult): Row[] {
  const [first] = r.steps;
  if (first === undefined) return [];
  const out: Row[] = [];
  const bound = r.namespaces >= 10_000 ? 1.5 : 1.3;
  for (const step of r.steps) {
    const k = `k = ${String(step.baselines)}`;
    out.push(
      step === first
        ? {
            figure: `cold convergence, ${k}`,
            measured: `${step.ratio.toFixed(2)}× floor`,
            target: `≤ ${String(bound)}× floor`,
            met: step.ratio <= bound,
          }
        : {
            figure: `cold convergence, ${k}`,
            measured: `${step.ratio.toFixed(2)}× floor`,
            target: `as with ${String(first.baselines)} (≤ 1.2 × ${first.ratio.toFixed(2)})`,
            met: step.ratio <= first.ratio * 1.2,
          },
      {
        figure: `resync, ${k}`,
        measured: `${step.resync.cpuSeconds.toFixed(2)} s CPU, ${String(step.resync.writes)} writes`,
        target: '≤ 3 s CPU (at 10,000), 0 writes',
        met: step.resync.cpuSeconds <= 3 && step.resync.writes === 0,
      },
      {
        figure: `CPU per namespace event, ${k}`,
        measured: `${step.events.cpuMsPerEvent.toFixed(3)} ms`,
        target: step === first ? 'reference' : `does not grow (≤ 1.3 × ${first.events.cpuMsPerEvent.toFixed(3)} ms)`,
        met: step === first ? undefined : step.events.cpuMsPerEvent <= first.events.cpuMsPerEvent * 1.3,
      },
    );
  }
  return out;
}

/** The figures per k, then each target judged. */
export function renderMany(r: ManyResult): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  const figures = formatTable(
    [
      'k',
      'cold conv s',
      'floor s',
      'ratio',
      'cold CPU s',
      'resync CPU s',
      'CPU per event ms',
      'idle CPU ms/s',
      'events idle after s',
      'peak RSS MB',
    ],
    r.steps.map((st) => [
      String(st.baselines),
      s(st.operatorMs),
      s(st.floorMs),
      st.ratio.toFixed(2),
      st.coldCpuSeconds.toFixed(1),
      st.resync.cpuSeconds.toFixed(2),
      st.events.cpuMsPerEvent.toFixed(3),
      st.events.idleCpuMsPerSecond === undefined ? '' : st.events.idleCpuMsPerSecond.toFixed(1),
      s(st.events.wallMs),
      String(st.peakRssMb),
    ]),
  );
  return `many baselines over ${String(r.namespaces)} namespaces\n${figures}\n\n${formatRows(manyRows(r))}`;
}
