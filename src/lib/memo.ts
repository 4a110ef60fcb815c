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

/** What `memo` holds for `key`, made by `make` the first time it is asked for (values live as long as their key). */
export function remembered<K extends object, V>(memo: WeakMap<K, V>, key: K, make: (key: K) => V): V {
  const known = memo.get(key);
  if (known !== undefined) return known;
  const value = make(key);
  memo.set(key, value);
  return value;
}
