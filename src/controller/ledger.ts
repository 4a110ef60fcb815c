/**
 * What status remembers across reconciles, per baseline: when each drift was
 * first seen, and the repairs made. Seeded from the status already written, so
 * a restarted operator keeps the times and the running total.
 */
import type { DriftReason, RepairEntry, Repairs, SecurityBaselineStatus } from '../api/types.ts';

/** How many recent repairs status keeps. */
export const RECENT_REPAIRS = 10;

/** One drift's identity: the same object drifting for the same reason. */
export function driftKey(namespace: string, kind: string, name: string, reason: DriftReason): string {
  return `${namespace}\u0000${kind}\u0000${name}\u0000${reason}`;
}

interface Book {
  readonly since: Map<string, string>;
  repairs: Repairs;
}

export class DriftLedger {
  private readonly books = new Map<string, Book>();

  /** Takes what an earlier status said, the first time a baseline is seen. */
  seed(baseline: string, status: SecurityBaselineStatus | undefined): void {
    if (this.books.has(baseline)) return;
    const since = new Map<string, string>();
    for (const d of status?.drift ?? []) since.set(driftKey(d.namespace, d.kind, d.name, d.reason), d.since);
    this.books.set(baseline, { since, repairs: status?.repairs ?? { total: 0 } });
  }

  private book(baseline: string): Book {
    this.seed(baseline, undefined);
    const b = this.books.get(baseline);
    if (b === undefined) throw new Error('unreachable: ledger book missing after seed');
    return b;
  }

  /** When this drift was first seen; now, if it is new. */
  since(baseline: string, key: string, now: string): string {
    const b = this.book(baseline);
    const known = b.since.get(key);
    if (known !== undefined) return known;
    b.since.set(key, now);
    return now;
  }

  /** Forgets drift that is gone, so that if it comes back it counts from then. */
  keepOnly(baseline: string, current: ReadonlySet<string>): void {
    const b = this.book(baseline);
    for (const key of b.since.keys()) if (!current.has(key)) b.since.delete(key);
  }

  /** Records repairs, newest first. */
  repaired(baseline: string, entries: readonly RepairEntry[]): void {
    if (entries.length === 0) return;
    const b = this.book(baseline);
    b.repairs = {
      total: b.repairs.total + entries.length,
      recent: [...entries]
        .reverse()
        .concat(b.repairs.recent ?? [])
        .slice(0, RECENT_REPAIRS),
    };
  }

  repairs(baseline: string): Repairs {
    return this.book(baseline).repairs;
  }

  forget(baseline: string): void {
    this.books.delete(baseline);
  }
}
