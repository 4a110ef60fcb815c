/**
 * The uids of objects kubeposture has seen as its own, per namespace. An object
 * is kubeposture's when it carries a controller ownerReference to a
 * SecurityBaseline; but whoever may patch the object can remove that reference
 * (and the labels), and would then have turned kubeposture's NetworkPolicy into
 * "someone else's", which is never repaired. A uid cannot be forged: an object
 * whose uid kubeposture saw as its own stays its own, and gets its markers back.
 *
 * Kept in memory: an object stripped of its markers while no replica was
 * running is a Conflict after the restart (reported, not repaired). Bounded
 * per namespace, and dropped with the namespace.
 */
const PER_NAMESPACE = 64;

export class KnownObjects {
  private readonly byNamespace = new Map<string, Set<string>>();

  remember(namespace: string, uid: string): void {
    let set = this.byNamespace.get(namespace);
    if (set === undefined) {
      set = new Set();
      this.byNamespace.set(namespace, set);
    }
    if (set.has(uid)) return;
    set.add(uid);
    // The oldest uid goes first: objects deleted long ago, typically.
    if (set.size > PER_NAMESPACE) set.delete(set.values().next().value ?? uid);
  }

  forget(namespace: string, uid: string): void {
    const set = this.byNamespace.get(namespace);
    set?.delete(uid);
    if (set?.size === 0) this.byNamespace.delete(namespace);
  }

  forgetNamespace(namespace: string): void {
    this.byNamespace.delete(namespace);
  }

  /** The uids remembered in one namespace. */
  in(namespace: string): ReadonlySet<string> {
    return this.byNamespace.get(namespace) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
