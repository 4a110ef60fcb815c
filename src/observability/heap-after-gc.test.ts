import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Metrics } from './metrics.ts';

const MB = 2 ** 20;

describe('HeapAfterGc', () => {
  // In a node of its own, with gc() exposed: 60 MB kept alive across one full collection,
  // then dropped before the next. The heap after the first holds them, after the second not.
  it('reads the heap in use after each full collection, not before the first', () => {
    const module = join(import.meta.dirname, 'heap-after-gc.ts');
    const script = `
      import { HeapAfterGc } from ${JSON.stringify(module)};
      import { setTimeout as sleep } from 'node:timers/promises';
      const watch = new HeapAfterGc();
      watch.start();
      const before = watch.bytes;
      let kept = Array.from({ length: 60 }, () => new Array(MB / 8).fill(1.5));
      gc();
      await sleep(50);
      const holding = watch.bytes;
      kept = undefined;
      gc();
      await sleep(50);
      const after = watch.bytes;
      watch.stop();
      console.log(JSON.stringify({ before: before ?? null, holding, after, kept: kept === undefined }));
    `.replaceAll('MB', String(MB));
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { before: number | null; holding: number; after: number };
    expect(r.before).toBeNull();
    expect(r.holding - r.after).toBeGreaterThan(50 * MB);
    expect(r.after).toBeGreaterThan(0);
  });
});

describe('the sampled gauges', () => {
  it('reports the heap after GC and each cache, dropping a cache no longer reported', async () => {
    const metrics = new Metrics(false);
    let sizes: Record<string, number> = { Namespace: 3, 'ServiceAccount/default': 2 };
    metrics.sample({ heapAfterGc: () => 42 * MB, cacheObjects: () => sizes });
    metrics.sample({ queueDepth: () => 1, reportsPending: () => 0, leader: () => true });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`kubeposture_heap_after_gc_bytes ${String(42 * MB)}`);
    expect(text).toContain('kubeposture_cache_objects{cache="Namespace"} 3');
    expect(text).toContain('kubeposture_cache_objects{cache="ServiceAccount/default"} 2');
    // A later sample() adds to the earlier one.
    expect(text).toContain('kubeposture_queue_depth 1');
    sizes = { Namespace: 4 };
    const again = await metrics.registry.metrics();
    expect(again).toContain('kubeposture_cache_objects{cache="Namespace"} 4');
    expect(again).not.toContain('ServiceAccount/default');
  });
});
