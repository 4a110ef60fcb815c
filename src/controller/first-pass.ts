/**
 * The namespaces not reconciled yet since this replica began acting (it started, or took the
 * lease). Until each has been, what the operator knows of the cluster is partial: a namespace
 * without a result may be one it governs, and a baseline's list of namespaces may lack most of
 * them. Reports, which summarise that knowledge, wait for it (reports.ts): a restart on a
 * compliant cluster so writes none, where it used to cut a ClusterReport to the namespaces
 * reconciled so far and write it whole again a minute later.
 */
export class FirstPass {
  /** Undefined until a pass begins. */
  private pending: Set<string> | undefined;

  /** A pass over `namespaces` begins (every one is queued); true when there is none to wait for. */
  begin(namespaces: Iterable<string>): boolean {
    this.pending = new Set(namespaces);
    return this.pending.size === 0;
  }

  /** `namespace` was reconciled (whatever came of it); true when it was the last one the pass waited for. */
  visited(namespace: string): boolean {
    return this.pending?.delete(namespace) === true && this.pending.size === 0;
  }

  /** True once `namespace` has been reconciled in this pass, or was not part of it. */
  knows(namespace: string): boolean {
    return this.pending?.has(namespace) !== true;
  }

  /** True once every namespace of the pass has been reconciled. */
  get done(): boolean {
    return this.pending?.size === 0;
  }
}
