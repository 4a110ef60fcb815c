/**
 * When an Audit-mode namespace's Pod Security preview (a dry run of the enforce level its
 * baseline wants, reconciler.ts) is asked again, and how fast previews go between them.
 *
 * A preview answers for the labels it was asked with (the live enforce level and the one
 * wanted) and for the pods as they were. kubeposture does not watch pods (its token reads no
 * workload), so it learns that they changed from its own ResourceQuota in the namespace, whose
 * status the quota controller updates when a pod comes or goes: a preview is asked again when
 * the quota's resourceVersion moved, but not sooner than `minIntervalMs` after the last one
 * (a tenant churning pods gets one dry run per interval, not one per pod), and in any case
 * once it is `maxAgeMs` old (a change the quota does not count, or a namespace without it).
 *
 * Between all namespaces, previews go at most `perSecond` a second, each waiting namespace
 * holding one slot in the line: 10,000 namespaces are previewed first in 10,000 / perSecond
 * seconds, and a namespace whose pods churn cannot take more than its turn. Pure: the clock
 * is passed in.
 */
import type { Clock } from '../lib/clock.ts';

/** What a preview was asked with. */
export interface PreviewKey {
  /** The enforce label the namespace had (`level:version`), undefined for none. */
  readonly from: string | undefined;
  /** The one its baseline wants. */
  readonly enforce: string;
  /** The resourceVersion of kubeposture's ResourceQuota there, if it has one. */
  readonly pods: string | undefined;
}

export interface PreviewPaceOptions {
  readonly clock: Pick<Clock, 'now'>;
  readonly perSecond: number;
  readonly maxAgeMs: number;
  readonly minIntervalMs: number;
}

/** What to do about a namespace's preview now. */
export type PreviewDecision =
  /** The last one still answers. */
  | { readonly type: 'keep' }
  /** Ask the apiserver now (the slot is used). */
  | { readonly type: 'ask' }
  /** Ask again in `inMs`; the last one stands meanwhile when its labels are still the namespace's. */
  | { readonly type: 'wait'; readonly inMs: number };

export class PreviewPace {
  private readonly opts: PreviewPaceOptions;
  private readonly gapMs: number;
  /** When the next slot not yet given to a namespace starts. */
  private next = 0;
  /** Namespaces waiting for their slot: when it starts. */
  private readonly slots = new Map<string, number>();

  constructor(opts: PreviewPaceOptions) {
    if (!(opts.perSecond > 0)) throw new Error(`previews per second must be above 0, not ${String(opts.perSecond)}`);
    this.opts = opts;
    this.gapMs = 1000 / opts.perSecond;
  }

  now(): number {
    return this.opts.clock.now();
  }

  /** Whether `namespace`'s last preview (`last`, asked at `at`) answers for `key`; otherwise when it may ask. */
  decide(namespace: string, key: PreviewKey, last: (PreviewKey & { readonly at: number }) | undefined): PreviewDecision {
    const now = this.now();
    if (last !== undefined && last.from === key.from && last.enforce === key.enforce) {
      const age = now - last.at;
      if (age < this.opts.maxAgeMs && last.pods === key.pods) {
        this.slots.delete(namespace);
        return { type: 'keep' };
      }
      // The pods changed: not again before the interval is up.
      if (age < this.opts.maxAgeMs && age < this.opts.minIntervalMs) {
        this.slots.delete(namespace);
        return { type: 'wait', inMs: Math.ceil(this.opts.minIntervalMs - age) };
      }
    }
    return this.take(namespace, now);
  }

  /** `namespace` wants no preview (gone, or nothing to preview): its slot, if it held one, is given up. */
  forget(namespace: string): void {
    this.slots.delete(namespace);
  }

  /** Namespaces holding a slot now. */
  get waiting(): number {
    return this.slots.size;
  }

  private take(namespace: string, now: number): PreviewDecision {
    const slot = this.slots.get(namespace);
    if (slot !== undefined) {
      if (slot > now) return { type: 'wait', inMs: Math.ceil(slot - now) };
      this.slots.delete(namespace);
      return { type: 'ask' };
    }
    const at = Math.max(now, this.next);
    this.next = at + this.gapMs;
    if (at <= now) return { type: 'ask' };
    this.slots.set(namespace, at);
    return { type: 'wait', inMs: Math.ceil(at - now) };
  }
}
