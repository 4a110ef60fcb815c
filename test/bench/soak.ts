/**
 * The soak (`make soak`, issue 20): `n` namespaces converged under two baselines, the tiers
 * silver and gold (tiers.ts; both with deletionPolicy Delete here), then a steady churn for a fixed time at a fixed, moderate rate,
 * every second: namespaces created and as many deleted, managed objects edited or deleted
 * (drift, which the operator repairs), namespaces moved between silver and gold (a label
 * flip), and every few seconds a SecurityBaselineException lifting silver's quota in a few
 * namespaces that expires during the run (and is deleted a little after it has). Every
 * `sampleEveryMs` the operator's RSS (from /proc), its heap after the last full collection,
 * its queue and the size of each of its caches (kubeposture_heap_after_gc_bytes,
 * kubeposture_cache_objects) are sampled.
 *
 * Then the churn stops, the last exceptions expire, and the run waits until the queue is
 * empty and no deleted namespace is left terminating. Judged: the slopes of RSS and of the
 * heap after GC after a warm-up (least squares, MB per 10 minutes: flat is ≤ 5), that the
 * queue drained, that each cache holds what the apiserver lists with the same selector (only
 * live objects: a deleted namespace, object or exception held on to would show), and, by
 * listing, that every namespace left holds its tier's objects (every drift repaired, every
 * flip done, every lifted quota back).
 */
import { API_VERSION, LABEL_MANAGED_BY, MANAGED_BY_VALUE, SELECTOR_GUARD } from '../../src/api/constants.ts';
import { EXCEPTION_KIND } from '../../src/api/exception.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { OWNED_KINDS } from '../../src/baseline/objects.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { rfc3339 } from '../../src/lib/time.ts';
import { networkPolicyFindings } from '../../src/posture/findings.ts';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bench, EDITS, MANAGED_NAMES, SET_LABEL, type BenchEnv, type BenchOptions } from './bench.ts';
import { ComplianceChecker } from './checker.ts';
import { slope } from './growth.ts';
import { createNamespaces, deleteIgnoringMissing, listAll } from './fixtures.ts';
import { cpuSeconds, memoryMb } from './measure.ts';
import { metricSum, type OperatorProcess } from './operator-process.ts';
import { formatRows, formatTable, type Row } from './report.ts';
import { GOLD_SPEC, SILVER_SPEC, TIER_LABEL } from './tiers.ts';
import { random } from '../support/random.ts';

/** What the churn does, per second unless said otherwise. */
export interface ChurnRate {
  /**
   * Namespaces created, and as many deleted, per second (fractions carry over: 0.5 is one every
   * other second). Kept below what the controller manager's namespace controller finishes: at 2
   * a second over 1,000 namespaces it finished some 0.6 a second, and the namespaces still
   * terminating (live, and cached) grew from 0 to 420 in 5 minutes, growing every cache with them.
   */
  readonly namespaces: number;
  /** Managed objects edited or deleted (every other one) per second. */
  readonly drift: number;
  /** Namespaces moved to the other tier per second. */
  readonly flips: number;
  /** A new exception every this many seconds, lifting silver's quota in `exceptionNamespaces` silver namespaces. */
  readonly exceptionEverySeconds: number;
  readonly exceptionNamespaces: number;
  /** Each exception expires this many seconds after it is made, and is deleted as long again after that. */
  readonly exceptionTtlSeconds: number;
}

export const DEFAULT_RATE: ChurnRate = {
  namespaces: 0.5,
  drift: 4,
  flips: 4,
  exceptionEverySeconds: 10,
  exceptionNamespaces: 5,
  exceptionTtlSeconds: 30,
};

export interface SoakOptions {
  readonly namespaces: number;
  readonly durationMs: number;
  /** Default every 30 s. */
  readonly sampleEveryMs?: number;
  /** Samples before this are left out of the slopes; default a fifth of the run, at most 5 minutes. */
  readonly warmUpMs?: number;
  readonly rate?: ChurnRate;
  /** How long to wait, after the churn, for the queue to drain and deleted namespaces to go; default 300 s. */
  readonly settleTimeoutMs?: number;
}

export interface SoakSample {
  readonly seconds: number;
  readonly rssMb: number;
  /** Undefined until the operator's first full collection. */
  readonly heapAfterGcMb: number | undefined;
  readonly heapUsedMb: number;
  readonly queueDepth: number;
  readonly cpuSeconds: number;
  /** The soak's namespaces alive (created and not deleted by it). */
  readonly namespaces: number;
  /** Namespaces cached beyond those alive and the cluster's own: deleted and still terminating. */
  readonly terminating: number;
  readonly caches: Readonly<Record<string, number>>;
  /** Every cache's objects together. */
  readonly cachedObjects: number;
}

/** What the churn did, by the soak's own count. */
export interface SoakOperations {
  readonly created: number;
  readonly deleted: number;
  readonly edited: number;
  readonly removed: number;
  readonly flipped: number;
  readonly exceptionsCreated: number;
  /** Exceptions deleted after the operator had reported them Expired. */
  readonly exceptionsExpired: number;
  /** Exceptions deleted although their status did not say Expired. */
  readonly exceptionsNotExpired: number;
  /** Edits and deletes that found no object (the namespace just moved, or its quota was lifted). */
  readonly missed: number;
  /** Seconds whose work took longer than the second: the rate was not kept. */
  readonly lateTicks: number;
  /** Requests that failed otherwise, by status. */
  readonly errors: Readonly<Record<string, number>>;
}

export interface CacheCheck {
  readonly cache: string;
  readonly cached: number;
  /** What the apiserver lists with the cache's selector; undefined where there is no such listing. */
  readonly live: number | undefined;
  /** `equal`: cached = live; `at most`: cached ≤ live (namespace results: only namespaces kubeposture governs are kept). */
  readonly rule: 'equal' | 'at most';
  readonly ok: boolean;
}

export interface SoakResult {
  readonly namespaces: number;
  readonly minutes: number;
  readonly warmUpMinutes: number;
  readonly rate: ChurnRate;
  readonly convergeMs: number;
  readonly operations: SoakOperations;
  readonly samples: readonly SoakSample[];
  /** Least squares over the samples after the warm-up, in MB per 10 minutes. */
  readonly rssSlopeMbPer10Min: number;
  readonly heapAfterGcSlopeMbPer10Min: number;
  /** The same for every cache's objects together: what the cluster grew by, which memory may follow without a leak. */
  readonly cachedObjectsSlopePer10Min: number;
  readonly peakRssMb: number;
  /** CPU the operator used per second of churn. */
  readonly churnCpuPercent: number;
  /** Whether the queue emptied after the churn, and how long it took (from when the last exception expired). */
  readonly drained: boolean;
  readonly drainMs: number;
  /** What was still waiting when the drain was last checked: keys in the work queue, reports pending, namespaces terminating. */
  readonly leftAtDrain: { readonly queue: number; readonly reportsPending: number; readonly terminating: number };
  /** When it did not drain: the operator's warnings, errors and reconciles from the minute before the drain gave up, grouped (recentWarnings). */
  readonly warningsAtDrain: readonly string[];
  readonly caches: readonly CacheCheck[];
  readonly cachesMatch: boolean;
  /** Namespaces left that hold their tier's objects, by listing, of those left. */
  readonly compliantByListing: number;
  readonly namespacesLeft: number;
}

const MB = 2 ** 20;
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** `kubeposture_cache_objects` by cache, from a Prometheus text exposition. */
export function cacheSizes(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^kubeposture_cache_objects\{cache="([^"]+)"\} (\S+)$/gm)) out[m[1] ?? ''] = Number(m[2]);
  return out;
}

/** A metric's single value, or undefined when the exposition has no such line. */
function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

type Tier = 'silver' | 'gold';

/** The soak's namespaces: which tier each is in and since when, with a uniform pick. */
class LiveNamespaces {
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly info = new Map<string, { tier: Tier; since: number }>();
  private readonly rand: () => number;

  constructor(rand: () => number) {
    this.rand = rand;
  }

  get size(): number {
    return this.names.length;
  }

  add(name: string, tier: Tier, since: number): void {
    this.index.set(name, this.names.length);
    this.names.push(name);
    this.info.set(name, { tier, since });
  }

  remove(name: string): void {
    const i = this.index.get(name);
    const last = this.names.pop();
    if (i === undefined || last === undefined) return;
    if (last !== name) {
      this.names[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(name);
    this.info.delete(name);
  }

  tier(name: string): Tier | undefined {
    return this.info.get(name)?.tier;
  }

  setTier(name: string, tier: Tier, since: number): void {
    if (this.info.has(name)) this.info.set(name, { tier, since });
  }

  /** A namespace picked at random among those unchanged for `settledMs` (and passing `test`), if one is found in a few tries. */
  pick(now: number, settledMs: number, test: (name: string) => boolean = () => true): string | undefined {
    for (let i = 0; i < 20 && this.names.length > 0; i += 1) {
      const name = this.names[Math.floor(this.rand() * this.names.length)] ?? '';
      const since = this.info.get(name)?.since ?? now;
      if (now - since >= settledMs && test(name)) return name;
    }
    return undefined;
  }

  all(): [string, Tier][] {
    return this.names.map((n) => [n, this.info.get(n)?.tier ?? 'silver']);
  }
}

/** The churn's own counts, as it runs. */
class Counts {
  created = 0;
  deleted = 0;
  edited = 0;
  removed = 0;
  flipped = 0;
  exceptionsCreated = 0;
  exceptionsExpired = 0;
  exceptionsNotExpired = 0;
  missed = 0;
  lateTicks = 0;
  readonly errors: Record<string, number> = {};

  /** Runs `op`; a 404 counts as missed, any other failure by its status. */
  async attempt(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err: unknown) {
      if (err instanceof ApiError && err.status === 404) this.missed += 1;
      else {
        const key = err instanceof ApiError ? String(err.status) : 'other';
        this.errors[key] = (this.errors[key] ?? 0) + 1;
      }
    }
  }

  result(): SoakOperations {
    const { created, deleted, edited, removed, flipped, exceptionsCreated, exceptionsExpired, exceptionsNotExpired, missed, lateTicks } =
      this;
    return {
      created,
      deleted,
      edited,
      removed,
      flipped,
      exceptionsCreated,
      exceptionsExpired,
      exceptionsNotExpired,
      missed,
      lateTicks,
      errors: { ...this.errors },
    };
  }
}

/** Settled this long, a namespace has its objects (a drift edit then finds something to change). */
const SETTLED_MS = 10_000;

export async function runSoak(env: BenchEnv, opts: BenchOptions, soak: SoakOptions, cleanup: boolean): Promise<SoakResult> {
  const rate = soak.rate ?? DEFAULT_RATE;
  const sampleEveryMs = soak.sampleEveryMs ?? 30_000;
  const warmUpMs = soak.warmUpMs ?? Math.min(300_000, soak.durationMs / 5);
  const n = soak.namespaces;
  const bench = new Bench(env, opts);
  const set = bench.name('soak');
  const tierName = (t: Tier): string => bench.name(`soak-${t}`);
  const exceptions: { name: string; expiresAt: number }[] = [];
  try {
    env.log(`soak: ${String(n)} namespaces, ${String(soak.durationMs / 60_000)} min of churn`);
    const rand = random(20);
    const live = new LiveNamespaces(rand);
    let next = 0;
    const newName = (): string => bench.name(`soak-${String(next++)}`);
    const initial = Array.from({ length: n }, newName);
    const tierOf = (i: number): Tier => (i % 2 === 0 ? 'silver' : 'gold');
    await createNamespaces(env.rest, initial, (i) => ({ [SET_LABEL]: set, [TIER_LABEL]: tierName(tierOf(i)) }));
    await bench.settle(initial);
    const op = await bench.startOperator('soak');
    bench.enterPhase('soak convergence');
    const t0converge = performance.now();
    const silver = await bench.createBaseline('soak-silver', { [TIER_LABEL]: tierName('silver') }, SILVER_SPEC);
    // Gold with Delete, as silver: under Orphan (tiers.ts's gold) a namespace moved gold → silver → gold keeps gold's
    // prometheus-scrape policy, released, as its own, and finds it a Conflict on its way back (as README says of Orphan).
    const gold = await bench.createBaseline('soak-gold', { [TIER_LABEL]: tierName('gold') }, { ...GOLD_SPEC, deletionPolicy: 'Delete' });
    const baselineOf = (t: Tier): SecurityBaseline => (t === 'silver' ? silver : gold);
    {
      const checker = new ComplianceChecker(env.rest, [tierName('silver'), tierName('gold')], `${SET_LABEL}=${set}`);
      await checker.start();
      try {
        for (const t of ['silver', 'gold'] as const)
          checker.expect(
            baselineOf(t),
            initial.filter((_, i) => tierOf(i) === t),
          );
        await checker.until(`${String(n)} namespaces compliant`, () => checker.complete === n, 1_800_000);
      } finally {
        checker.stop();
      }
    }
    const convergeMs = performance.now() - t0converge;
    await op.idle();
    env.log(`  converged in ${(convergeMs / 1000).toFixed(1)} s`);
    const bootedAt = Date.now();
    initial.forEach((name, i) => {
      live.add(name, tierOf(i), bootedAt - SETTLED_MS);
    });

    bench.enterPhase('soak churn');
    const counts = new Counts();
    const samples: SoakSample[] = [];
    const started = Date.now();
    const cpuAtStart = cpuSeconds(op.pid);
    let others: number | undefined;
    const sample = async (): Promise<SoakSample> => {
      const text = await op.metrics();
      const heap = metricValue(text, 'kubeposture_heap_after_gc_bytes');
      const caches = cacheSizes(text);
      const namespacesCached = caches.Namespace ?? 0;
      // The cluster's own namespaces, from the first sample (taken before any deletion).
      others ??= namespacesCached - live.size;
      const s: SoakSample = {
        seconds: Math.round((Date.now() - started) / 1000),
        rssMb: round(memoryMb(op.pid).rss, 1),
        heapAfterGcMb: heap === undefined ? undefined : round(heap / MB, 1),
        heapUsedMb: round(metricSum(text, 'kubeposture_nodejs_heap_size_used_bytes') / MB, 1),
        queueDepth: metricSum(text, 'kubeposture_queue_depth'),
        cpuSeconds: round(cpuSeconds(op.pid) - cpuAtStart, 1),
        namespaces: live.size,
        terminating: namespacesCached - live.size - others,
        caches,
        cachedObjects: Object.values(caches).reduce((a, b) => a + b, 0),
      };
      env.log(
        `  ${String(s.seconds)} s: RSS ${String(s.rssMb)} MB, heap after GC ${String(s.heapAfterGcMb ?? '-')} MB, queue ${String(s.queueDepth)}, ` +
          `${String(namespacesCached)} namespaces cached (${String(s.namespaces)} of the soak's alive, ${String(s.terminating)} terminating), ` +
          `${String(s.cachedObjects)} objects cached, CPU ${String(s.cpuSeconds)} s`,
      );
      return s;
    };
    samples.push(await sample());

    const flipTo = (t: Tier): Tier => (t === 'silver' ? 'gold' : 'silver');
    // What each second owes of each operation: rates below 1 carry over.
    const owed = { namespaces: 0, flips: 0, drift: 0 };
    const due = (what: keyof typeof owed): number => {
      owed[what] += rate[what];
      const whole = Math.floor(owed[what] + 1e-9);
      owed[what] -= whole;
      return whole;
    };
    const tick = async (second: number): Promise<void> => {
      const now = Date.now();
      const work: Promise<void>[] = [];
      for (let i = due('namespaces'); i > 0; i -= 1) {
        const name = newName();
        const tier: Tier = rand() < 0.5 ? 'silver' : 'gold';
        live.add(name, tier, now);
        work.push(
          counts.attempt(async () => {
            await createNamespaces(env.rest, [name], { [SET_LABEL]: set, [TIER_LABEL]: tierName(tier) });
            counts.created += 1;
          }),
        );
        const gone = live.pick(now, SETTLED_MS);
        if (gone !== undefined) {
          live.remove(gone);
          work.push(
            counts.attempt(async () => {
              await env.rest.request('DELETE', resourcePath('Namespace', undefined, gone));
              counts.deleted += 1;
            }),
          );
        }
      }
      for (let i = due('flips'); i > 0; i -= 1) {
        const ns = live.pick(now, SETTLED_MS);
        const tier = ns === undefined ? undefined : live.tier(ns);
        if (ns === undefined || tier === undefined) continue;
        live.setTier(ns, flipTo(tier), now);
        work.push(
          counts.attempt(async () => {
            await env.rest.mergePatch('Namespace', undefined, ns, { metadata: { labels: { [TIER_LABEL]: tierName(flipTo(tier)) } } });
            counts.flipped += 1;
          }),
        );
      }
      for (let i = due('drift'); i > 0; i -= 1) {
        const ns = live.pick(now, SETTLED_MS);
        if (ns === undefined) continue;
        const kinds = Object.keys(MANAGED_NAMES);
        const kind = (kinds[Math.floor(rand() * kinds.length)] ?? 'NetworkPolicy') as ResourceKind;
        const names = MANAGED_NAMES[kind] ?? [];
        const name = names[Math.floor(rand() * names.length)] ?? '';
        const remove = rand() < 0.5;
        work.push(
          counts.attempt(async () => {
            if (remove) {
              await env.rest.request('DELETE', resourcePath(kind, ns, name));
              counts.removed += 1;
            } else {
              await env.rest.mergePatch(kind, ns, name, EDITS[kind]?.(ns));
              counts.edited += 1;
            }
          }),
        );
      }
      if (second % rate.exceptionEverySeconds === 0) {
        const chosen = new Set<string>();
        for (let i = 0; i < rate.exceptionNamespaces; i += 1) {
          const ns = live.pick(now, SETTLED_MS, (name) => live.tier(name) === 'silver');
          if (ns !== undefined) chosen.add(ns);
        }
        if (chosen.size > 0) {
          const name = bench.name(`soak-exc-${String(second)}`);
          const expiresAt = now + rate.exceptionTtlSeconds * 1000;
          work.push(
            counts.attempt(async () => {
              await env.rest.request('POST', resourcePath('SecurityBaselineException'), {
                body: {
                  apiVersion: API_VERSION,
                  kind: EXCEPTION_KIND,
                  metadata: { name },
                  spec: {
                    baseline: silver.metadata.name,
                    namespaces: [...chosen],
                    exempt: ['resourceQuota'],
                    reason: 'soak: a quota lifted for a while',
                    expires: rfc3339(expiresAt),
                  },
                },
              });
              exceptions.push({ name, expiresAt });
              counts.exceptionsCreated += 1;
            }),
          );
        }
      }
      // Exceptions expired a TTL ago: their status should say so; then they go.
      for (const e of exceptions.filter((x) => now - x.expiresAt >= rate.exceptionTtlSeconds * 1000)) {
        exceptions.splice(exceptions.indexOf(e), 1);
        work.push(counts.attempt(() => deleteExpired(env, e.name, counts)));
      }
      await Promise.all(work);
    };

    let nextSample = started + sampleEveryMs;
    for (let second = 0; ; second += 1) {
      const at = started + second * 1000;
      if (at >= started + soak.durationMs) break;
      const wait = at - Date.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -1000) counts.lateTicks += 1;
      await tick(second);
      if (Date.now() >= nextSample) {
        samples.push(await sample());
        nextSample += sampleEveryMs;
      }
    }
    const churnCpu = cpuSeconds(op.pid) - cpuAtStart;
    const churnSeconds = (Date.now() - started) / 1000;
    samples.push(await sample());
    bench.enterPhase('soak settle');
    env.log(`  churn done: ${JSON.stringify(counts.result())}`);

    // The last exceptions expire; then they are deleted like the others.
    const lastExpiry = Math.max(Date.now(), ...exceptions.map((e) => e.expiresAt));
    await sleep(lastExpiry - Date.now() + 3000);
    for (const e of exceptions.splice(0)) await counts.attempt(() => deleteExpired(env, e.name, counts));
    const settleTimeout = soak.settleTimeoutMs ?? 300_000;
    const t0drain = Date.now();
    let leftAtDrain = { queue: 0, reportsPending: 0, terminating: 0 };
    const drained = await waitFor(settleTimeout, async () => {
      const text = await op.metrics();
      const queue = metricSum(text, 'kubeposture_queue_depth');
      const reportsPending = metricSum(text, 'kubeposture_reports_pending');
      if (queue === 0 && reportsPending === 0) return true;
      const terminating = (await listAll(env.rest, resourcePath('Namespace'), { labelSelector: `${SET_LABEL}=${set}` })).filter(
        (ns) => ns.metadata.deletionTimestamp !== undefined,
      ).length;
      leftAtDrain = { queue, reportsPending, terminating };
      return false;
    });
    const drainMs = Date.now() - t0drain;
    const warningsAtDrain = drained ? [] : recentWarnings(op.logFile, Date.now() - 60_000);
    env.log(`  queue ${drained ? 'drained' : 'NOT drained'} ${(drainMs / 1000).toFixed(1)} s after the last exception expired`);
    const terminatingGone = await waitFor(settleTimeout, async () =>
      (await listAll(env.rest, resourcePath('Namespace'), { labelSelector: `${SET_LABEL}=${set}` })).every(
        (ns) => ns.metadata.deletionTimestamp === undefined,
      ),
    );
    if (!terminatingGone) env.log('  deleted namespaces still terminating: caches compared anyway');
    await op.idle();
    const caches = await compareCaches(env, op);
    const cachesMatch = caches.every((c) => c.ok);
    for (const c of caches.filter((x) => !x.ok))
      env.log(`  cache ${c.cache} holds ${String(c.cached)}, the apiserver lists ${String(c.live)}`);

    const left = live.all();
    const checker = new ComplianceChecker(env.rest, [tierName('silver'), tierName('gold')], `${SET_LABEL}=${set}`);
    await checker.start();
    let verified: { readonly complete: number; readonly expected: number };
    try {
      for (const t of ['silver', 'gold'] as const)
        checker.expect(
          baselineOf(t),
          left.filter(([, tier]) => tier === t).map(([name]) => name),
        );
      await checker
        .until(`${String(left.length)} namespaces compliant`, () => checker.complete === left.length, 120_000)
        .catch(() => {
          env.log(`  only ${String(checker.complete)} of ${String(left.length)} namespaces compliant after 120 s`);
        });
      verified = await checker.verifyByListing();
    } finally {
      checker.stop();
    }

    const after = samples.filter((s) => s.seconds * 1000 >= warmUpMs);
    const perTenMin = (pick: (s: SoakSample) => number | undefined): number => {
      const points = after.flatMap((s) => {
        const y = pick(s);
        return y === undefined ? [] : [[s.seconds / 600, y] as const];
      });
      return round(slope(points));
    };
    return {
      namespaces: n,
      minutes: round(soak.durationMs / 60_000),
      warmUpMinutes: round(warmUpMs / 60_000),
      rate,
      convergeMs: Math.round(convergeMs),
      operations: counts.result(),
      samples,
      rssSlopeMbPer10Min: perTenMin((s) => s.rssMb),
      heapAfterGcSlopeMbPer10Min: perTenMin((s) => s.heapAfterGcMb),
      cachedObjectsSlopePer10Min: Math.round(perTenMin((s) => s.cachedObjects)),
      peakRssMb: Math.round(memoryMb(op.pid).peak),
      churnCpuPercent: round((churnCpu / churnSeconds) * 100, 1),
      drained,
      leftAtDrain,
      warningsAtDrain,
      drainMs,
      caches,
      cachesMatch,
      compliantByListing: verified.complete,
      namespacesLeft: left.length,
    };
  } finally {
    for (const e of exceptions) await deleteIgnoringMissing(env.rest, 'SecurityBaselineException', e.name);
    if (cleanup) await bench.cleanup();
    else await bench.stop();
  }
}

/**
 * The warnings and errors the operator logged since `since` (ms since the epoch), and at debug
 * level its reconciles, grouped by message and what they name, most frequent first: what kept
 * a key coming back.
 */
export function recentWarnings(logFile: string, since: number, limit = 10): string[] {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (entry.level !== 'warn' && entry.level !== 'error' && entry.message !== 'Reconciled namespace') continue;
    if (typeof entry.timestamp !== 'string' || Date.parse(entry.timestamp) < since) continue;
    const { level: _level, timestamp: _timestamp, ...rest } = entry;
    const key = JSON.stringify(rest);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, n]) => `${String(n)}× ${k.length > 400 ? `${k.slice(0, 400)}…` : k}`);
}

/** `drained`, or what was left when the queue did not drain and the operator's warnings then, a line each: the test's failure message. */
export function drainOutcome(r: SoakResult): string {
  if (r.drained) return 'drained';
  const l = r.leftAtDrain;
  return [
    `not drained after ${(r.drainMs / 1000).toFixed(1)} s: ${String(l.queue)} keys queued, ${String(l.reportsPending)} reports pending, ${String(l.terminating)} namespaces terminating`,
    r.warningsAtDrain.length === 0 ? 'no warnings or reconciles logged in the last minute' : 'warnings and reconciles in the last minute:',
    ...r.warningsAtDrain,
  ].join('\n');
}

/** Deletes an exception, counting whether the operator had reported it Expired. */
async function deleteExpired(env: BenchEnv, name: string, counts: Counts): Promise<void> {
  const exc = (await env.rest.get('SecurityBaselineException', undefined, name)) as
    (WireObject & { status?: { conditions?: { reason?: string }[] } }) | undefined;
  if (exc?.status?.conditions?.some((c) => c.reason === 'Expired') === true) counts.exceptionsExpired += 1;
  else counts.exceptionsNotExpired += 1;
  await deleteIgnoringMissing(env.rest, 'SecurityBaselineException', name);
}

/** Resolves true once `test` holds (checked every 500 ms), false after `timeoutMs`. */
async function waitFor(timeoutMs: number, test: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
}

/** What the apiserver lists for each cache the operator reports, with the same selector (undefined: not listed here). */
async function liveCounts(env: BenchEnv): Promise<Record<string, number>> {
  const count = async (kind: ResourceKind, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Promise<number> =>
    (await listAll(env.rest, resourcePath(kind), selectors)).length;
  const managed = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;
  const out: Record<string, number> = {
    Namespace: await count('Namespace'),
    SecurityBaseline: await count('SecurityBaseline'),
    SecurityBaselineException: await count('SecurityBaselineException'),
    'ServiceAccount/default': await count('ServiceAccount', { fieldSelector: 'metadata.name=default' }),
    'ValidatingAdmissionPolicy/guard': await count('ValidatingAdmissionPolicy', { fieldSelector: `metadata.name=${SELECTOR_GUARD}` }),
    'ValidatingAdmissionPolicyBinding/guard': await count('ValidatingAdmissionPolicyBinding', {
      fieldSelector: `metadata.name=${SELECTOR_GUARD}`,
    }),
    'NetworkPolicy/findings': (await listAll(env.rest, resourcePath('NetworkPolicy'))).filter(
      (np) => networkPolicyFindings(np as WireObject & { spec?: unknown }).length > 0,
    ).length,
  };
  for (const kind of OWNED_KINDS) out[kind] = await count(kind, { labelSelector: managed });
  return out;
}

/**
 * Each cache's size against what the apiserver lists, again every 2 s for up to a minute
 * while any differs (in a shared cluster, others' namespaces may still be going).
 */
async function compareCaches(env: BenchEnv, op: OperatorProcess): Promise<CacheCheck[]> {
  let checks: CacheCheck[] = [];
  for (let i = 0; i < 30; i += 1) {
    const cached = cacheSizes(await op.metrics());
    const live = await liveCounts(env);
    const again = cacheSizes(await op.metrics());
    checks = Object.keys(cached)
      .sort()
      .map((cache) => {
        // The smaller of two scrapes around the listing: a cache that lets a deleted object go meanwhile is not held against it.
        const n = Math.min(cached[cache] ?? 0, again[cache] ?? 0);
        if (cache === 'namespace-results') {
          const namespaces = live.Namespace;
          return { cache, cached: n, live: namespaces, rule: 'at most', ok: namespaces !== undefined && n <= namespaces };
        }
        const l = live[cache];
        return { cache, cached: n, live: l, rule: 'equal', ok: l === undefined || n === l };
      });
    if (checks.every((c) => c.ok)) break;
    await sleep(2000);
  }
  return checks;
}

/** Each target, judged (the slope bound is the issue's, for 10,000 namespaces over 30 minutes). */
export function soakRows(r: SoakResult): Row[] {
  const grown = `cached objects ${r.cachedObjectsSlopePer10Min >= 0 ? '+' : ''}${String(r.cachedObjectsSlopePer10Min)} per 10 min`;
  const failedCaches = r.caches.filter((c) => !c.ok).map((c) => `${c.cache} ${String(c.cached)}/${String(c.live)}`);
  return [
    {
      figure: 'RSS slope after warm-up',
      measured: `${r.rssSlopeMbPer10Min.toFixed(2)} MB per 10 min (${grown})`,
      target: '≤ 5 MB per 10 min',
      met: r.rssSlopeMbPer10Min <= 5,
    },
    {
      figure: 'heap after GC slope after warm-up',
      measured: `${r.heapAfterGcSlopeMbPer10Min.toFixed(2)} MB per 10 min (${grown})`,
      target: '≤ 5 MB per 10 min',
      met: r.heapAfterGcSlopeMbPer10Min <= 5,
    },
    {
      figure: 'queue drains after the churn',
      measured: r.drained ? `in ${(r.drainMs / 1000).toFixed(1)} s` : `no: ${drainOutcome(r).split('\n')[0] ?? ''}`,
      target: 'drains',
      met: r.drained,
    },
    {
      figure: 'caches hold only live objects',
      measured: r.cachesMatch ? `${String(r.caches.length)} caches = the apiserver's lists` : failedCaches.join(', '),
      target: 'each cache = the apiserver',
      met: r.cachesMatch,
    },
    {
      figure: 'namespaces left at their tier, by listing',
      measured: `${String(r.compliantByListing)} of ${String(r.namespacesLeft)}`,
      target: 'all',
      met: r.compliantByListing === r.namespacesLeft,
    },
  ];
}

/** The samples, the caches and each target judged. */
export function renderSoak(r: SoakResult): string {
  const samples = formatTable(
    ['s', 'RSS MB', 'heap after GC MB', 'heap used MB', 'queue', 'CPU s', 'namespaces', 'terminating', 'objects cached', 'results'],
    r.samples.map((s) => [
      String(s.seconds),
      s.rssMb.toFixed(1),
      s.heapAfterGcMb === undefined ? '-' : s.heapAfterGcMb.toFixed(1),
      s.heapUsedMb.toFixed(1),
      String(s.queueDepth),
      s.cpuSeconds.toFixed(1),
      String(s.namespaces),
      String(s.terminating),
      String(s.cachedObjects),
      String(s.caches['namespace-results'] ?? '-'),
    ]),
  );
  const caches = formatTable(
    ['cache', 'cached', 'apiserver', 'rule', 'ok'],
    r.caches.map((c) => [c.cache, String(c.cached), c.live === undefined ? '-' : String(c.live), c.rule, c.ok ? 'yes' : 'NO']),
  );
  const o = r.operations;
  const ops =
    `churn: ${String(o.created)} namespaces created, ${String(o.deleted)} deleted, ${String(o.flipped)} moved between tiers, ` +
    `${String(o.edited)} objects edited and ${String(o.removed)} deleted (${String(o.missed)} found nothing), ` +
    `${String(o.exceptionsCreated)} exceptions (${String(o.exceptionsExpired)} seen Expired before deletion, ${String(o.exceptionsNotExpired)} not); ` +
    `${String(o.lateTicks)} late seconds; errors ${JSON.stringify(o.errors)}; operator CPU ${r.churnCpuPercent.toFixed(1)} % of a core`;
  return [
    `soak: ${String(r.namespaces)} namespaces, ${String(r.minutes)} min of churn after converging in ${(r.convergeMs / 1000).toFixed(1)} s; slopes after ${String(r.warmUpMinutes)} min; peak RSS ${String(r.peakRssMb)} MB`,
    ops,
    samples,
    caches,
    formatRows(soakRows(r)),
  ].join('\n\n');
}
