/**
 * Where the operator's resident memory goes over a run: its RSS from /proc every
 * second, and at each sample the V8 heap's spaces and the memory outside the heap
 * from its own /metrics (prom-client's default Node.js metrics). The benchmark keeps
 * the sample with the highest RSS and the phase it fell in, so a peak over the bound
 * says what it was made of (old space near its cap, new space, code, buffers outside
 * the heap) and when (start-up lists, cold convergence, churn, a resync).
 */
import { readFileSync } from 'node:fs';
import { metricSum } from './operator-process.ts';

const MB = 2 ** 20;

/** One sample, in MB. `other` is what RSS holds beyond the V8 heap and external memory: the binary, native allocations, freed pages not yet returned. */
export interface MemorySample {
  readonly phase: string;
  readonly secondsIntoPhase: number;
  readonly rssMb: number;
  readonly heapTotalMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  readonly otherMb: number;
  /** Each V8 space's size (committed), by name: new_space, old_space, code_space, large_object_space, ... */
  readonly spacesMb: Readonly<Record<string, number>>;
  /** RSS by the kind of mapping that holds it (see mappings). */
  readonly mappingsMb: Readonly<Record<MappingKind, number>>;
}

/**
 * `files`: the node binary and libraries; `brk`: the main malloc arena ([heap]); `arenas`: other
 * threads' malloc arenas (anonymous, starting on a 64 MB boundary, as glibc places them); `anonLarge`:
 * anonymous regions of 32 MB or more (other threads' malloc arenas, V8's reservations);
 * `anonSmall`: the other anonymous regions (V8's heap pages, large mallocs, stacks). `lazyFree`:
 * of all these, pages freed with MADV_FREE, which stay resident (and counted in RSS) until the
 * kernel needs the memory.
 */
export type MappingKind = 'files' | 'brk' | 'arenas' | 'anonLarge' | 'anonSmall' | 'lazyFree';

/** RSS in MB by kind of mapping, from the text of /proc/PID/smaps. */
export function mappings(smaps: string): Record<MappingKind, number> {
  const kb: Record<MappingKind, number> = { files: 0, brk: 0, arenas: 0, anonLarge: 0, anonSmall: 0, lazyFree: 0 };
  let kind: MappingKind = 'anonSmall';
  for (const line of smaps.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const path = header[3] ?? '';
      const start = parseInt(header[1] ?? '0', 16);
      const size = parseInt(header[2] ?? '0', 16) - start;
      kind =
        path === '[heap]'
          ? 'brk'
          : path !== '' && !path.startsWith('[')
            ? 'files'
            : start % (64 * MB) === 0
              ? 'arenas'
              : size >= 32 * MB
                ? 'anonLarge'
                : 'anonSmall';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) kb[kind] += Number(rss[1]);
    const lazy = /^LazyFree:\s+(\d+) kB/.exec(line);
    if (lazy !== null) kb.lazyFree += Number(lazy[1]);
  }
  const mb = (v: number): number => Math.round(v / 1024);
  return {
    files: mb(kb.files),
    brk: mb(kb.brk),
    arenas: mb(kb.arenas),
    anonLarge: mb(kb.anonLarge),
    anonSmall: mb(kb.anonSmall),
    lazyFree: mb(kb.lazyFree),
  };
}

/** Each heap space's committed size, from `kubeposture_nodejs_heap_space_size_total_bytes{space="..."}` lines. */
export function heapSpaces(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /^kubeposture_nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} (\S+)$/gm;
  for (const m of text.matchAll(re)) out[m[1] ?? ''] = Math.round(Number(m[2]) / MB);
  return out;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 'NaN') / 1024;
}

/** Samples one operator process until stopped; `peak` is the sample with the highest RSS. */
export class MemoryWatch {
  private phase = 'start';
  private phaseStarted = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private best: MemorySample | undefined;
  private readonly byPhase = new Map<string, number>();

  private readonly pid: number;
  private readonly metrics: () => Promise<string>;
  private readonly everyMs: number;

  constructor(pid: number, metrics: () => Promise<string>, everyMs = 1000) {
    this.pid = pid;
    this.metrics = metrics;
    this.everyMs = everyMs;
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    // A sampler never keeps the process alive (a run that forgets to stop it still exits).
    this.timer.unref();
  }

  /** Names what the run does from now on. */
  enter(phase: string): void {
    this.phase = phase;
    this.phaseStarted = Date.now();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  get peak(): MemorySample | undefined {
    return this.best;
  }

  /** The highest sampled RSS in each phase, in MB, in the order the phases came. */
  get phases(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.byPhase);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rss = rssMb(this.pid);
      this.byPhase.set(this.phase, Math.max(this.byPhase.get(this.phase) ?? 0, Math.round(rss)));
      if (this.best !== undefined && rss <= this.best.rssMb) return;
      const text = await this.metrics();
      const heapTotal = metricSum(text, 'kubeposture_nodejs_heap_size_total_bytes') / MB;
      const external = metricSum(text, 'kubeposture_nodejs_external_memory_bytes') / MB;
      const r = (v: number): number => Math.round(v);
      this.best = {
        phase: this.phase,
        secondsIntoPhase: r((Date.now() - this.phaseStarted) / 1000),
        rssMb: r(rss),
        heapTotalMb: r(heapTotal),
        heapUsedMb: r(metricSum(text, 'kubeposture_nodejs_heap_size_used_bytes') / MB),
        externalMb: r(external),
        otherMb: r(rss - heapTotal - external),
        spacesMb: heapSpaces(text),
        mappingsMb: mappings(readFileSync(`/proc/${String(this.pid)}/smaps`, 'utf8')),
      };
    } catch {
      // The process ended or its /metrics did not answer: no sample this time.
    } finally {
      this.busy = false;
    }
  }
}
