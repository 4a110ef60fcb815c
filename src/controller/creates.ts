/**
 * What kubeposture remembers of its own creates between reconciles, per namespace, in memory:
 * objects created but not yet recorded on their Namespace, and creates whose answer never came
 * (reconciler.ts, ownership.ts). Only kubeposture's own creates add to it, so it is bounded by
 * what the baselines want, and nobody else can fill it; a deleted namespace's entries go.
 */
import type { OwnedEntry, UncertainCreate } from './ownership.ts';
import type { UnrecordedCreates } from './reconciler.ts';

export class CreateMemory implements UnrecordedCreates {
  private readonly unrecorded = new Map<string, readonly OwnedEntry[]>();
  private readonly uncertainCreates = new Map<string, readonly UncertainCreate[]>();

  get(namespace: string): readonly OwnedEntry[] {
    return this.unrecorded.get(namespace) ?? [];
  }

  set(namespace: string, entries: readonly OwnedEntry[]): void {
    if (entries.length === 0) this.unrecorded.delete(namespace);
    else this.unrecorded.set(namespace, entries);
  }

  uncertain(namespace: string): readonly UncertainCreate[] {
    return this.uncertainCreates.get(namespace) ?? [];
  }

  setUncertain(namespace: string, creates: readonly UncertainCreate[]): void {
    if (creates.length === 0) this.uncertainCreates.delete(namespace);
    else this.uncertainCreates.set(namespace, creates);
  }

  /** The namespace is gone: so is everything remembered about it. */
  forget(namespace: string): void {
    this.unrecorded.delete(namespace);
    this.uncertainCreates.delete(namespace);
  }
}
