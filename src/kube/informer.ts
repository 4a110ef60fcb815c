/**
 * A list-and-watch cache of one kind, as client-go's reflector and informer do it:
 * - list, then watch from the list's resourceVersion, with bookmarks;
 * - a watch that ends cleanly (the server's timeout) resumes from the last
 *   resourceVersion; one that fails resumes after a backoff (1 s doubling to 30 s);
 *   "410 Gone" (the resourceVersion is too old) relists, and the relist emits
 *   deletes for objects that vanished in the gap, so no deletion is lost;
 * - objects are cached in wire form with a transform applied first (kubeposture
 *   keeps only what it reads, see compact.ts), as they are or packed by a codec
 *   (packed.ts: {@link PackingInformer}), and given back as they came.
 *
 * Why not client-node's makeInformer: its ListWatch stops for good on any error
 * other than 410, offers no transform (so every cached object keeps its
 * managedFields), and its typed list calls return model classes that spell
 * fields differently from the watch events that update the same cache.
 */
import { ApiError, type Transport } from './transport.ts';
import { Buckets, wireName } from './buckets.ts';
import { resourcePath, type ResourceKind } from './resources.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { WireList, WireObject } from './wire.ts';

/** WireObject's old home, kept so that importers of it from here need not change. */

/**
 * The part of the REST client an informer uses: a page of a list, and a watch stream. Not
 * generic over the kind: the informer's creator says, by its `T`, what the kind's objects are.
 */
export interface ListWatchClient {
  list(kind: ResourceKind, query: Readonly<Record<string, string | undefined>>): Promise<WireList<WireObject>>;
  stream: Transport['stream'];
}

export type InformerEvent<T> =
  | { readonly type: 'add'; readonly object: T }
  | { readonly type: 'update'; readonly old: T; readonly object: T }
  | { readonly type: 'delete'; readonly object: T };

export interface InformerOptions<T extends WireObject> {
  readonly kind: ResourceKind;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Applied to every object before it is cached. */
  readonly transform?: (obj: T) => T;
  /**
   * Which objects (after the transform) the cache holds; by default all. One that stops
   * qualifying leaves the cache with a delete event, as if it had been deleted.
   */
  readonly keep?: (obj: T) => boolean;
  readonly clock: Clock;
  /** Called when a watch or list fails (the informer retries by itself). */
  readonly onError?: (err: unknown) => void;
  /** Server-side watch timeout; the watch then resumes from the last resourceVersion. */
  readonly watchTimeoutSeconds?: number;
  /** Called after every full list: the first (`initial`), or after a 410 Gone (`expired`). */
  readonly onRelist?: (reason: RelistReason) => void;
}

export type RelistReason = 'initial' | 'expired';

/** Why the cache is not being kept up to date right now: since when, and the last error. */
export interface InformerFailure {
  readonly since: number;
  readonly message: string;
}

interface WatchEvent {
  readonly type: string;
  readonly object: unknown;
}

const BASE_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** Drops every managedFields entry but those of `manager`. */
export function keepOwnManagedFields<T extends WireObject>(manager: string): (obj: T) => T {
  return (obj) => {
    const mf = obj.metadata.managedFields;
    if (mf === undefined) return obj;
    const own = mf.filter((e) => e.manager === manager);
    const { managedFields: _drop, ...meta } = obj.metadata;
    return { ...obj, metadata: own.length > 0 ? { ...meta, managedFields: own } : meta };
  };
}

const keyAt = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;
const keyOf = (o: WireObject): string => keyAt(o.metadata.namespace, o.metadata.name);

/**
 * How an informer holds what it caches (`H`) of each object (`T`, after the transform): as it
 * is, or packed (packed.ts), and how it gives the object back.
 */
export interface Codec<T extends WireObject, H> {
  /** `previous`: what is held now at the object's namespace and name, if anything. */
  pack(obj: T, previous: H | undefined): H;
  /** The object; for a packing codec a new one each time, its parts shared. */
  unpack(held: H): T;
  name(held: H): string;
  namespace(held: H): string | undefined;
  resourceVersion(held: H): string | undefined;
}

/** Holds each object as it is. */
export function asIs<T extends WireObject>(): Codec<T, T> {
  return {
    pack: (obj) => obj,
    unpack: (held) => held,
    name: wireName,
    namespace: (held) => held.metadata.namespace,
    resourceVersion: (held) => held.metadata.resourceVersion,
  };
}

/** What every informer is, whatever it holds: started, stopped, and asked whether it can be trusted. */
export interface Watching {
  readonly kind: ResourceKind;
  readonly synced: boolean;
  readonly failing: InformerFailure | undefined;
  start(): Promise<void>;
  stop(): void;
}

/** An informer whose cache holds each object as `codec` packs it ({@link Informer}: as it is). */
export class PackingInformer<T extends WireObject, H extends object> implements Watching {
  private readonly rest: ListWatchClient;
  private readonly opts: InformerOptions<T>;
  private readonly codec: Codec<T, H>;
  private readonly store: Buckets<H>;
  private readonly handlers: ((e: InformerEvent<T>) => void)[] = [];
  private readonly heldHandlers: ((e: InformerEvent<H>) => void)[] = [];
  private resourceVersion = '';
  private stopped = true;
  private abortWatch: (() => void) | undefined;
  private cancelTimer: (() => void) | undefined;
  private backoffMs = 0;
  private syncedOnce = false;
  private failure: InformerFailure | undefined;
  private syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(rest: ListWatchClient, opts: InformerOptions<T>, codec: Codec<T, H>) {
    this.rest = rest;
    this.opts = opts;
    this.codec = codec;
    this.store = new Buckets<H>((held) => codec.name(held));
  }

  /** Registers a handler; called synchronously for every change to the cache, with the objects unpacked. */
  on(handler: (e: InformerEvent<T>) => void): void {
    this.handlers.push(handler);
  }

  /** Registers a handler called with what the cache holds, before those of `on`. */
  onHeld(handler: (e: InformerEvent<H>) => void): void {
    this.heldHandlers.push(handler);
  }

  /** The kind this informer caches. */
  get kind(): ResourceKind {
    return this.opts.kind;
  }

  /** True once the first list has been cached. */
  get synced(): boolean {
    return this.syncedOnce;
  }

  /**
   * Set from a failed list or watch until a list succeeds or a watch is open
   * again: the cache may be stale meanwhile (what /readyz reports).
   */
  get failing(): InformerFailure | undefined {
    return this.failure;
  }

  /** Starts listing and watching; resolves when the first list is cached. */
  async start(): Promise<void> {
    if (!this.stopped) return this.waitForSync();
    this.stopped = false;
    void this.loop();
    return this.waitForSync();
  }

  /** Stops watching; the cache keeps its contents. */
  stop(): void {
    this.stopped = true;
    this.abortWatch?.();
    this.cancelTimer?.();
    for (const w of this.syncWaiters) w.reject(new Error(`${this.opts.kind} informer stopped before it synced`));
    this.syncWaiters = [];
  }

  /**
   * Puts an object the caller just wrote into the cache at once (write-through),
   * so a reconcile that runs before the watch event arrives does not act on the
   * old state. The watch event for the same resourceVersion then changes nothing, and one
   * older than it (sent before the write, arriving after) is passed over.
   */
  upsert(obj: T): void {
    if (!this.isAhead(obj)) this.put(obj);
  }

  /** Drops an object the caller just deleted or released from the cache. */
  evict(namespace: string | undefined, name: string): void {
    this.removeAt(namespace, name);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const held = this.held(namespace, name);
    return held === undefined ? undefined : this.codec.unpack(held);
  }

  /** Objects in one namespace, or in all when `namespace` is undefined. */
  list(namespace?: string): T[] {
    return this.listHeld(namespace).map((h) => this.codec.unpack(h));
  }

  /** What the cache holds at `namespace`/`name`, as held. */
  held(namespace: string | undefined, name: string): H | undefined {
    return this.store.get(namespace ?? '', name);
  }

  /** What the cache holds in one namespace, or in all, as held. */
  listHeld(namespace?: string): H[] {
    return namespace === undefined ? this.store.all() : this.store.list(namespace);
  }

  get size(): number {
    return this.store.size;
  }

  /** A method, not the field, so that the compiler does not narrow it across awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private async waitForSync(): Promise<void> {
    if (this.syncedOnce) return;
    await new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
    });
  }

  private emit(e: InformerEvent<H>): void {
    for (const h of this.heldHandlers) h(e);
    if (this.handlers.length === 0) return;
    const { codec } = this;
    const out: InformerEvent<T> =
      e.type === 'update'
        ? { type: 'update', old: codec.unpack(e.old), object: codec.unpack(e.object) }
        : { type: e.type, object: codec.unpack(e.object) };
    for (const h of this.handlers) h(out);
  }

  /** The object as the cache holds it (transformed), or undefined when `keep` turns it away. */
  private admit(raw: T): T | undefined {
    const obj = this.opts.transform ? this.opts.transform(raw) : raw;
    return this.opts.keep === undefined || this.opts.keep(obj) ? obj : undefined;
  }

  /**
   * True when the cache holds a later version of `obj` than `obj` itself: only an upsert of
   * the caller's own write puts one there before the watch (which is in order) sends it.
   * Without this, such an event would put the cache back to the state before the write, and
   * the reconcile it sets off would plan from that state (and write again).
   */
  private isAhead(obj: T): boolean {
    const current = this.held(obj.metadata.namespace, obj.metadata.name);
    return current !== undefined && Number(this.codec.resourceVersion(current)) > Number(obj.metadata.resourceVersion);
  }

  private put(raw: T): void {
    const obj = this.admit(raw);
    if (obj === undefined) this.removeAt(raw.metadata.namespace, raw.metadata.name);
    else this.cacheAdmitted(obj);
  }

  /**
   * Caches an admitted object and says what changed. One at the resourceVersion already cached
   * is that object again (the watch's copy of a write the cache already has, say): the cached
   * one stays, so that what holds on to it (the caches' versions, caches.ts) holds.
   */
  private cacheAdmitted(obj: T): void {
    const current = this.held(obj.metadata.namespace, obj.metadata.name);
    if (current !== undefined && this.codec.resourceVersion(current) === obj.metadata.resourceVersion) return;
    const held = this.codec.pack(obj, current);
    const old = this.store.set(obj.metadata.namespace ?? '', held);
    if (old === undefined) this.emit({ type: 'add', object: held });
    else this.emit({ type: 'update', old, object: held });
  }

  private removeAt(namespace: string | undefined, name: string): void {
    const old = this.store.delete(namespace ?? '', name);
    if (old === undefined) return;
    this.emit({ type: 'delete', object: old });
  }

  private query(): Record<string, string | undefined> {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  private async relist(): Promise<void> {
    // Each page is transformed as it arrives, so that a list of 20,000 objects never holds
    // them all as the apiserver sent them (managedFields and all): what the list keeps until
    // its last page is what the cache would keep anyway. Turned-away objects are left out,
    // and so leave the cache below if they were in it.
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.rest.list(this.opts.kind, { ...this.query(), limit: '500', continue: cont });
      for (const raw of page.items ?? []) {
        const obj = this.admit(this.typed(raw));
        if (obj !== undefined) items.push(obj);
      }
      cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
      rv = page.metadata?.resourceVersion ?? rv;
      // Stopped while a page was on its way (a list is not aborted): no more pages, and nothing cached.
      if (this.isStopped()) return;
    } while (cont !== undefined);
    const fresh = new Set(items.map(keyOf));
    for (const old of this.listHeld()) {
      const namespace = this.codec.namespace(old);
      const name = this.codec.name(old);
      if (!fresh.has(keyAt(namespace, name))) this.removeAt(namespace, name);
    }
    for (const item of items) this.cacheAdmitted(item);
    this.resourceVersion = rv;
    this.failure = undefined;
    this.opts.onRelist?.(this.syncedOnce ? 'expired' : 'initial');
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      for (const w of this.syncWaiters) w.resolve();
      this.syncWaiters = [];
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resourceVersion === '') await this.relist();
        // Stopped while listing: no watch. stop() found none to abort, so one opened now would
        // stay open for its timeoutSeconds (5 to 6 minutes), holding a stopped process alive.
        if (this.isStopped()) return;
        await this.watchOnce();
        this.backoffMs = 0;
      } catch (err: unknown) {
        if (this.isStopped()) return;
        if (err instanceof ApiError && err.status === 410) {
          this.resourceVersion = '';
          continue;
        }
        this.opts.onError?.(err);
        this.failure = { since: this.failure?.since ?? this.opts.clock.now(), message: errorMessage(err) };
        this.backoffMs = this.backoffMs === 0 ? BASE_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
        await new Promise<void>((resolve) => {
          this.cancelTimer = this.opts.clock.setTimer(resolve, this.backoffMs);
        });
        this.cancelTimer = undefined;
      }
    }
  }

  /**
   * The informer's one narrowing: an object listed or watched is taken to be what its
   * creator's `T` says objects of the kind are (the apiserver is trusted, as in rest.ts).
   */
  private typed(obj: unknown): T {
    return obj as T;
  }

  private handle(ev: WatchEvent): void {
    const obj = this.typed(ev.object);
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        if (!this.isAhead(obj)) this.put(obj);
        break;
      case 'DELETED':
        // Of an object the caller has since made again under the name (upsert): not that one.
        if (!this.isAhead(obj)) this.removeAt(obj.metadata.namespace, obj.metadata.name);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        // An ERROR event carries a Status, not an object of the kind.
        const status = ev.object as { code?: number; reason?: string; message?: string };
        throw new ApiError(status.code ?? 500, status.reason ?? '', status.message ?? 'watch error', status);
      }
      default:
        return;
    }
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '') this.resourceVersion = rv;
  }

  private async watchOnce(): Promise<void> {
    const query = {
      ...this.query(),
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: this.resourceVersion,
      timeoutSeconds: String(this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 60)),
    };
    const { done, abort } = this.rest.stream(
      resourcePath(this.opts.kind),
      query,
      (line) => {
        this.handle(JSON.parse(line) as WatchEvent);
      },
      () => {
        this.failure = undefined;
      },
    );
    this.abortWatch = abort;
    try {
      await done;
    } finally {
      this.abortWatch = undefined;
    }
  }
}

/** A list-and-watch cache of one kind that holds each object as it is. */
export class Informer<T extends WireObject> extends PackingInformer<T, T> {
  constructor(rest: ListWatchClient, opts: InformerOptions<T>) {
    super(rest, opts, asIs<T>());
  }
}
