/**
 * The V8 heap in use right after the last full collection: the process's live data, which a
 * leak grows and nothing else does. `heap_size_used` counts garbage too, and rises and falls
 * by tens of MB between collections; RSS keeps the pages V8 freed (memory-limit.ts). Read when
 * node delivers the `gc` performance entry of a mark-compact collection (kind major), shortly
 * after it: the figure also holds what was allocated in between, little next to the heap.
 * `kubeposture_heap_after_gc_bytes`; `make soak` judges its slope.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** True for a `gc` performance entry of a full (mark-compact) collection. */
export function isMajorGc(entry: PerformanceEntry): boolean {
  // node's gc entries carry { kind, flags } in `detail`, which its types leave off PerformanceEntry.
  const { detail } = entry as PerformanceEntry & { readonly detail?: { readonly kind?: unknown } | null };
  return entry.entryType === 'gc' && detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

export class HeapAfterGc {
  private readonly read: () => number;
  private observer: PerformanceObserver | undefined;
  private last: number | undefined;

  /** `read`: the heap in use now, in bytes (V8's used_heap_size by default). */
  constructor(read: () => number = () => getHeapStatistics().used_heap_size) {
    this.read = read;
  }

  start(): void {
    if (this.observer !== undefined) return;
    this.observer = new PerformanceObserver((list) => {
      if (list.getEntries().some(isMajorGc)) this.last = this.read();
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** Bytes in use after the last full collection; undefined until one has been seen. */
  get bytes(): number | undefined {
    return this.last;
  }
}
