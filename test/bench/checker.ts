/**
 * The benchmark's own view of compliance, from the apiserver and not from the
 * operator: watches every kind kubeposture writes and checks each live object
 * against what the baseline wants (the same comparison `kubeposture render`
 * output would pass). A namespace is complete when every desired object is
 * there and complies; what exceptions lift there (as the bench made them, see
 * exceptions.ts) is not desired. `verifyByListing` confirms the final state with
 * fresh LISTs, so a missed watch event cannot make a run look better than it was,
 * and counts the lifted objects that are there all the same.
 */
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT, LABEL_BASELINE } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { desiredObjects } from '../../src/baseline/build.ts';
import { OWNED_KINDS, type ManagedObject } from '../../src/baseline/objects.ts';
import { compareObject } from '../../src/drift/compare.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { compactObject, ValuePool } from '../../src/kube/compact.ts';
import { Informer } from '../../src/kube/informer.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { NOTHING_EXEMPT, type ExemptFor } from './exceptions.ts';
import { listAll } from './fixtures.ts';

const key = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

interface Waiter {
  readonly test: () => boolean;
  readonly resolve: () => void;
}

export class ComplianceChecker {
  private readonly baselineNames: ReadonlySet<string>;
  /** The label selector of the baselines' objects. */
  private readonly byBaseline: string;
  /** The baseline each expected namespace is checked against. */
  private readonly baselineOf = new Map<string, SecurityBaseline>();
  private readonly rest: RestClient;
  private readonly informers: { readonly kind: ResourceKind; readonly informer: Informer<WireObject> }[] = [];
  /** Desired objects by key, for the namespaces being checked. */
  private readonly desired = new Map<string, ManagedObject>();
  /** Keys whose live object complies. */
  private readonly ok = new Set<string>();
  /** Namespace → desired objects not yet compliant. */
  private readonly missing = new Map<string, number>();
  /** Live objects by key (only for desired keys). */
  private readonly live = new Map<string, WireObject>();
  private waiters: Waiter[] = [];
  private readonly compact = compactObject<WireObject>(new ValuePool(), 'bench', { withFields: false });
  private readonly exempt: ExemptFor;
  /** What each desired object is checked as (the floor's copy, say). */
  private readonly as: (o: ManagedObject) => ManagedObject;

  /**
   * Watches the objects of the baseline named `baselineName` (which need not exist yet), or of
   * several baselines (a list of names), and the namespaces `namespaceSelector` selects.
   * `exempt`: what exceptions lift in a namespace, whose objects are then not expected there;
   * `as` gives what each desired object is checked as (floor.ts's floorCopy, to check the floor's).
   */
  constructor(
    rest: RestClient,
    baselineName: string | readonly string[],
    namespaceSelector: string,
    exempt: ExemptFor = NOTHING_EXEMPT,
    as: (o: ManagedObject) => ManagedObject = (o) => o,
  ) {
    this.rest = rest;
    this.exempt = exempt;
    this.as = as;
    const names = typeof baselineName === 'string' ? [baselineName] : baselineName;
    this.baselineNames = new Set(names);
    const byBaseline = names.length === 1 ? `${LABEL_BASELINE}=${names.join('')}` : `${LABEL_BASELINE} in (${names.join(',')})`;
    this.byBaseline = byBaseline;
    const add = (kind: ResourceKind, selectors: { labelSelector?: string; fieldSelector?: string }): void => {
      const informer = new Informer<WireObject>(rest, { kind, clock: systemClock, transform: this.compact, ...selectors });
      informer.on((e) => {
        this.observe(kind, e.object, e.type === 'delete' ? undefined : e.object);
      });
      this.informers.push({ kind, informer });
    };
    for (const kind of OWNED_KINDS) add(kind, { labelSelector: byBaseline });
    add('ServiceAccount', { fieldSelector: 'metadata.name=default' });
    add('Namespace', { labelSelector: namespaceSelector });
  }

  /** Starts expecting `namespaces` to hold the objects `baseline` (as created, with its uid) wants. */
  expect(baseline: SecurityBaseline, namespaces: readonly string[]): void {
    if (!this.baselineNames.has(baseline.metadata.name))
      throw new Error(`this checker watches the objects of ${[...this.baselineNames].join(', ')}, not ${baseline.metadata.name}`);
    for (const ns of namespaces) {
      this.baselineOf.set(ns, baseline);
      if (this.missing.has(ns)) continue;
      const objects = this.desiredIn(baseline, ns);
      this.missing.set(ns, objects.length);
      for (const o of objects) {
        this.desired.set(key(o.kind, ns, o.metadata.name), o);
        const live = this.cached(o.kind, ns, o.metadata.name);
        if (live !== undefined) this.observe(o.kind, live, live);
      }
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.informer.start()));
  }

  stop(): void {
    for (const i of this.informers) i.informer.stop();
  }

  /** Namespaces expected and complete. */
  get complete(): number {
    let n = 0;
    for (const m of this.missing.values()) if (m === 0) n += 1;
    return n;
  }

  get expected(): number {
    return this.missing.size;
  }

  isComplete(namespace: string): boolean {
    return this.missing.get(namespace) === 0;
  }

  /** The live object at a desired key, as last seen. */
  object(kind: string, namespace: string, name: string): WireObject | undefined {
    return this.live.get(key(kind, namespace, name));
  }

  /** Whether an object is expected at this key (not lifted by an exception, say). */
  wants(kind: string, namespace: string, name: string): boolean {
    return this.desired.has(key(kind, namespace, name));
  }

  compliant(kind: string, namespace: string, name: string): boolean {
    return this.ok.has(key(kind, namespace, name));
  }

  /** Resolves when `test` holds, checked after every change seen; rejects after `timeoutMs`. */
  async until(what: string, test: () => boolean, timeoutMs: number): Promise<void> {
    if (test()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`));
      }, timeoutMs);
      // The watches keep the process alive while it waits; a run that gave up on the wait (its
      // operator gone) is not kept alive by this timer.
      timer.unref();
      const waiter: Waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Lists every kind afresh and counts the expected namespaces that are complete, the desired
   * objects that comply, and the owned objects exceptions lift in them that are there all the
   * same (labelled the baseline's).
   */
  async verifyByListing(): Promise<{
    readonly complete: number;
    readonly expected: number;
    readonly objects: number;
    readonly liftedPresent: number;
  }> {
    const seen = new Map<string, WireObject>();
    const kinds: ResourceKind[] = [...OWNED_KINDS];
    for (const kind of kinds) {
      for (const o of await this.listAll(kind, this.byBaseline, undefined))
        seen.set(key(kind, o.metadata.namespace ?? '', o.metadata.name), o);
    }
    for (const o of await this.listAll('ServiceAccount', undefined, 'metadata.name=default'))
      seen.set(key('ServiceAccount', o.metadata.namespace ?? '', o.metadata.name), o);
    for (const o of await this.listAll('Namespace', undefined, undefined)) seen.set(key('Namespace', o.metadata.name, o.metadata.name), o);
    let complete = 0;
    let compliant = 0;
    let liftedPresent = 0;
    for (const [ns, baseline] of this.baselineOf) {
      const objects = this.desiredIn(baseline, ns);
      const ok = objects.filter((o) => compareObject(o, seen.get(key(o.kind, ns, o.metadata.name))).length === 0).length;
      compliant += ok;
      if (ok === objects.length) complete += 1;
      if (this.exempt(baseline.metadata.name, ns).size === 0) continue;
      const wanted = new Set(objects.map((o) => key(o.kind, ns, o.metadata.name)));
      for (const d of desiredObjects(baseline, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT)) {
        const k = key(d.object.kind, ns, d.object.metadata.name);
        if (d.ownership === 'owned' && !wanted.has(k) && seen.has(k)) liftedPresent += 1;
      }
    }
    return { complete, expected: this.missing.size, objects: compliant, liftedPresent };
  }

  /** The objects `namespace` must hold under `baseline`, less what exceptions lift there, each as `as` gives it. */
  private desiredIn(baseline: SecurityBaseline, namespace: string): ManagedObject[] {
    const exempt = this.exempt(baseline.metadata.name, namespace);
    return desiredObjects(baseline, namespace, DEFAULT_OPERATOR_SERVICE_ACCOUNT, exempt).map((d) => this.as(d.object));
  }

  private async listAll(kind: ResourceKind, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<WireObject[]> {
    return (await listAll(this.rest, resourcePath(kind), { labelSelector, fieldSelector })).map(this.compact);
  }

  private cached(kind: string, namespace: string, name: string): WireObject | undefined {
    const isNamespace = kind === 'Namespace';
    for (const i of this.informers) {
      if (i.kind !== kind) continue;
      const o = i.informer.get(isNamespace ? undefined : namespace, name);
      if (o !== undefined) return o;
    }
    return undefined;
  }

  /** Records one object's state (undefined: deleted) and wakes waiters. */
  private observe(kind: ResourceKind, ref: WireObject, obj: WireObject | undefined): void {
    const ns = kind === 'Namespace' ? ref.metadata.name : (ref.metadata.namespace ?? '');
    const desiredKey = key(kind, ns, ref.metadata.name);
    const want = this.desired.get(desiredKey);
    if (want === undefined) return;
    if (obj === undefined) this.live.delete(desiredKey);
    else this.live.set(desiredKey, obj);
    const nowOk = obj !== undefined && compareObject(want, obj).length === 0;
    const wasOk = this.ok.has(desiredKey);
    if (nowOk !== wasOk) {
      if (nowOk) this.ok.add(desiredKey);
      else this.ok.delete(desiredKey);
      this.missing.set(ns, (this.missing.get(ns) ?? 0) + (nowOk ? -1 : 1));
    }
    if (this.waiters.length > 0) {
      const done = this.waiters.filter((w) => w.test());
      if (done.length > 0) {
        this.waiters = this.waiters.filter((w) => !done.includes(w));
        for (const w of done) w.resolve();
      }
    }
  }
}

/**
 * The objects of every kind kubeposture writes that a label selector picks, counted from a
 * watch: how many a baseline still marks as its own while they are deleted or released.
 */
export class LabelledObjects {
  private readonly informers: Informer<WireObject>[];

  constructor(rest: RestClient, labelSelector: string) {
    const transform = compactObject<WireObject>(new ValuePool(), 'bench', { withFields: false });
    this.informers = OWNED_KINDS.map((kind) => new Informer<WireObject>(rest, { kind, clock: systemClock, labelSelector, transform }));
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }

  get count(): number {
    return this.informers.reduce((n, i) => n + i.size, 0);
  }
}
