/** Values worked out once per version of a named object (a resourceVersion): the same version gives the same value. */
export class VersionMemo<T> {
  private readonly entries = new Map<string, { readonly version: string | undefined; readonly value: T }>();

  /** The value for `name` at `version`, computed only when that version is new. */
  get(name: string, version: string | undefined, compute: () => T): T {
    const known = this.entries.get(name);
    if (known !== undefined && known.version === version) return known.value;
    const value = compute();
    this.entries.set(name, { version, value });
    return value;
  }

  /** Drops what is remembered of `name` (the object is gone). */
  forget(name: string): void {
    this.entries.delete(name);
  }
}
