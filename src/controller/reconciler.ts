/**
 * Reconciles one namespace: reads the caches, plans (plan.ts), carries out the
 * plan through the API, and reports the result. Level-triggered: it takes only
 * the namespace's name, never the event that caused it, and is safe to run any
 * number of times. A compliant namespace costs no API request.
 *
 * Longer than most files on purpose: what is pure has left it (the plan in plan.ts, the write
 * order in order.ts, whose an object is in ownership.ts, the metadata patches in patches.ts);
 * what stays is the I/O of each action, the create's lost-answer handling included, which reads
 * best as one sequence beside the others.
 */
import { ANNOTATION_HOLDS, ANNOTATION_OWNED, FIELD_MANAGER, PSA_PREFIX } from '../api/constants.ts';
import type { Finding } from '../api/types.ts';
import { apiserverJudges, isClean, podSecurityVerdict, verdictFindings, type PodSecurityVerdict } from '../posture/pod-security.ts';
import type { ManagedObject, ServiceAccountRef } from '../baseline/objects.ts';
import type { WireObject } from '../kube/wire.ts';
import { ApiError } from '../kube/transport.ts';
import type { ResourceKind } from '../kube/resources.ts';
import type { RestClient } from '../kube/rest.ts';
import type { Logger } from '../lib/log.ts';
import { whileGrantSettles } from './grant.ts';
import type { PreviewKey, PreviewPace } from './preview-pace.ts';
import { randomUUID } from 'node:crypto';
import {
  encodeRecord,
  isKubepostureObject,
  recordText,
  sameEntries,
  withCreateId,
  type OwnedEntry,
  type UncertainCreate,
} from './ownership.ts';
import { actionTarget, writeOrder } from './order.ts';
import { orphanPatch, takeOverPatch } from './patches.ts';
import type { ExemptionIndex } from '../baseline/exceptions.ts';
import {
  holdsField,
  planNamespace,
  type Action,
  type Baselines,
  type Binding,
  type Drift,
  type NamespaceSnapshot,
  type OwnedKind,
  type Plan,
} from './plan.ts';
import { errorMessage } from '../lib/errors.ts';
import { inputsAfterUpdates, sameInputs, type CachedVersion, type PlanInputs, type WrittenUpdate } from './inputs.ts';

/** What one reconcile of a namespace found and did. */
export interface NamespaceResult {
  readonly namespace: string;
  /** The governing baseline and the generation it was reconciled at. */
  readonly baseline?: { readonly name: string; readonly generation: number; readonly mode: string };
  readonly superseded: readonly string[];
  /** Drift left after this reconcile (all of it in Audit mode; conflicts in Enforce mode). */
  readonly drift: readonly Drift[];
  /** Drift put right by this reconcile. */
  readonly repaired: readonly Drift[];
  /** Set when an action failed; the namespace is retried. */
  readonly error?: string;
  /** Set when the governing baseline has no finalizer yet: nothing was written, retry shortly. */
  readonly waitingForFinalizer?: true;
  /** The active SecurityBaselineExceptions that lift parts here (sorted). */
  readonly exceptions?: readonly string[];
  /**
   * What this result was planned from, set only when the reconcile found the namespace
   * compliant and did nothing: while the inputs stay the same, so would the plan (plan.ts is
   * pure), and the next reconcile returns this result without planning again.
   */
  readonly inputs?: PlanInputs;
  /**
   * Existing pods that Pod Security admission refused under the enforce level kubeposture
   * last set here, as the apiserver judged them at that write; kept while that level stands.
   */
  readonly podSecurity?: PodSecurityRecord;
  /** Audit mode: the Pod Security preview is owed, and is asked in this many ms (preview-pace.ts). */
  readonly previewInMs?: number;
}

/** What Pod Security admission said of a namespace's existing pods (src/posture/pod-security.ts). */
export type PodSecurityRecord =
  /** At kubeposture's write of a new enforce level (`level:version`): kept while that level stands. */
  | { readonly state: 'enforced'; readonly enforce: string; readonly findings: readonly Finding[] }
  /** A WhenClean rollout holds that level back: the namespace keeps its live one, and is checked again shortly. */
  | { readonly state: 'pending'; readonly enforce: string; readonly findings: readonly Finding[] }
  /** Audit mode: a dry run of the level its baseline wants, asked at `at` with the key's labels and pods (preview-pace.ts). */
  | (PreviewKey & { readonly state: 'preview'; readonly at: number; readonly findings: readonly Finding[] });

const sameFinding = (x: Finding, y: Finding): boolean =>
  x.type === y.type && x.kind === y.kind && x.name === y.name && x.message === y.message;

/**
 * True when two verdicts say the same: a held namespace, asked again every half second, then
 * keeps the record it has, and its status and Report see no change. Previews are the same only
 * when asked at the same time (a new one's time says when to ask again).
 */
export function sameRecord(a: PodSecurityRecord | undefined, b: PodSecurityRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.state === 'preview' || b.state === 'preview') return a === b;
  return a.state === b.state && a.enforce === b.enforce && sameList(a.findings, b.findings, sameFinding);
}

/** `labels` with the enforce level and version the namespace has now (left out where it has none). */
export function holdEnforce(
  labels: Readonly<Record<string, string>>,
  live: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const held = new Set([`${PSA_PREFIX}enforce`, `${PSA_PREFIX}enforce-version`]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!held.has(k)) out[k] = v;
  for (const k of held) {
    const v = live?.[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A namespace's enforce level as `level:version` ("latest" when no version label), from its labels. */
export function enforceLabel(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  const level = labels?.[`${PSA_PREFIX}enforce`];
  return level === undefined ? undefined : `${level}:${labels?.[`${PSA_PREFIX}enforce-version`] ?? 'latest'}`;
}

const sameList = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined, eq: (x: T, y: T) => boolean): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => eq(x, (b ?? [])[i] as T));
const sameDrift = (x: Drift, y: Drift): boolean =>
  x.kind === y.kind && x.name === y.name && x.reason === y.reason && sameList(x.fields, y.fields, (p, q) => p === q);

/**
 * True when two results of a namespace say the same. The controller then keeps the one it has:
 * in a resync, where nearly every result is as before, the new ones die young instead of
 * replacing 20,000 long-lived ones (which grew the old space by tens of MB at 10,000 namespaces).
 */
export function sameResult(a: NamespaceResult | undefined, b: NamespaceResult | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.namespace === b.namespace &&
    a.baseline?.name === b.baseline?.name &&
    a.baseline?.generation === b.baseline?.generation &&
    a.baseline?.mode === b.baseline?.mode &&
    a.error === b.error &&
    a.waitingForFinalizer === b.waitingForFinalizer &&
    a.podSecurity === b.podSecurity &&
    sameInputs(a.inputs, b.inputs) &&
    sameList(a.superseded, b.superseded, (x, y) => x === y) &&
    sameList(a.exceptions, b.exceptions, (x, y) => x === y) &&
    sameList(a.drift, b.drift, sameDrift) &&
    sameList(a.repaired, b.repaired, sameDrift)
  );
}

/** Reads what a reconcile needs, from the informer caches. */
export interface StateReader {
  snapshot(namespace: string): NamespaceSnapshot | undefined;
  /** The cached objects a plan of `namespace` reads and the baselines' version (undefined: no Namespace, or a resourceVersion not a number). */
  inputs(namespace: string): Omit<PlanInputs, 'exemptions'> | undefined;
  /** The cached Namespace alone. */
  namespace(name: string): NamespaceSnapshot['namespace'] | undefined;
  /** kubeposture's cached object of `kind` at `namespace`/`name`. */
  ownedObject(kind: OwnedKind, namespace: string, name: string): WireObject | undefined;
  /** The number `inputs` counts for a cached object (caches.ts). */
  version(o: WireObject): number;
  baselines(): Baselines;
}

/**
 * Objects kubeposture created in a namespace whose uid is not yet in the Namespace's record
 * (its write failed, or is still to come): only kubeposture's own creates add to it, so it is
 * bounded by what the baselines want, and nobody else can fill it.
 */
export interface UnrecordedCreates {
  get(namespace: string): readonly OwnedEntry[];
  set(namespace: string, entries: readonly OwnedEntry[]): void;
  /** Creates whose answer never came, until the object at the name is read: at most one per name. */
  uncertain(namespace: string): readonly UncertainCreate[];
  setUncertain(namespace: string, creates: readonly UncertainCreate[]): void;
}

/** Keeps the caches in step with the reconciler's own writes. */
export interface WriteThrough {
  written(kind: ResourceKind, obj: WireObject): void;
  removed(kind: ResourceKind, namespace: string, name: string): void;
}

export interface ReconcilerDeps {
  readonly rest: RestClient;
  readonly cache: WriteThrough;
  readonly state: StateReader;
  readonly unrecorded: UnrecordedCreates;
  readonly log: Logger;
  readonly operatorNamespace: string | undefined;
  /** kubeposture's own ServiceAccount: the subject of its grantor RoleBindings (undefined: none are made). */
  readonly operator?: ServiceAccountRef | undefined;
  /** Waits between tries of a grant the apiserver's cache does not show yet (grant.ts); setTimeout by default. */
  readonly pause?: (ms: number) => Promise<void>;
  /**
   * False while a baseline does not yet carry kubeposture's finalizer: nothing is
   * written for it until its cleanup is guaranteed to run before it can go.
   */
  readonly guarded: (baseline: string) => boolean;
  /** Checked before every write: a leader that lost its lease stops at once. */
  readonly mayWrite: () => boolean;
  /** The id each create carries (ANNOTATION_CREATE_ID); random UUIDs by default. */
  readonly newId?: () => string;
  /** What active SecurityBaselineExceptions lift now (exceptions.ts); nothing by default. */
  readonly exemptions?: () => ExemptionIndex;
  /** When Audit-mode namespaces' Pod Security previews are asked; without it, none is. */
  readonly previews?: PreviewPace;
}

/** A reconcile that found nothing to do and wrote nothing. */
function quiet(
  actions: readonly Action[],
  wrote: boolean,
  drift: readonly Drift[],
  repaired: readonly Drift[],
  error: string | undefined,
): boolean {
  return actions.length === 0 && !wrote && drift.length === 0 && repaired.length === 0 && error === undefined;
}

const NONE: readonly never[] = Object.freeze([]);

/** One shared empty list for every empty one: a result is kept per namespace, nearly all of them with three empty lists (1.8 MB at 10,000). */
function shareEmpty<T>(xs: readonly T[]): readonly T[] {
  return xs.length === 0 ? NONE : xs;
}

function nsOf(o: ManagedObject): string | undefined {
  return 'namespace' in o.metadata ? o.metadata.namespace : undefined;
}

/** What the reconciler's apply writes: an object's kind and name, and its uid to write to that object only. */
interface ApplyTarget {
  readonly apiVersion: string;
  readonly kind: ResourceKind;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string };
}

/**
 * `o` written to the object with `uid` only: with it, an apply never creates, and the apiserver
 * answers 409 where no object holds the name and 422 where another one does.
 */
function withUid(o: ManagedObject, uid: string | undefined): ApplyTarget {
  return uid === undefined ? o : { ...o, metadata: { ...o.metadata, uid } };
}

export class Reconciler {
  private readonly deps: ReconcilerDeps;
  /** The exemption index last seen, and a number that changes with it. */
  private exemptionIndex: ExemptionIndex | undefined;
  private exemptionVersion = 0;

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  /** Plans from the caches without acting: what `reconcile` would do. */
  plan(namespace: string): Plan | undefined {
    return this.planned(namespace)?.plan;
  }

  /** The plan, and the snapshot of the caches it was made from. */
  private planned(namespace: string): { readonly plan: Plan; readonly snap: NamespaceSnapshot } | undefined {
    const snap = this.deps.state.snapshot(namespace);
    if (snap === undefined) return undefined;
    const plan = planNamespace(
      { ...snap, unrecorded: this.deps.unrecorded.get(namespace), uncertain: this.deps.unrecorded.uncertain(namespace) },
      this.deps.state.baselines(),
      this.deps.operatorNamespace,
      this.deps.operator,
      this.deps.exemptions?.(),
    );
    return { plan, snap };
  }

  /**
   * Reconciles one namespace; undefined when the namespace no longer exists or is left
   * alone. `previous` is the last result for it: names found held by someone else then are
   * read before any create is tried, so a lasting Conflict costs a read, not a failed write.
   */
  async reconcile(namespace: string, previous?: NamespaceResult): Promise<NamespaceResult | undefined> {
    // Nothing it is planned from changed since a reconcile that found it compliant: a resync
    // of a compliant cluster plans nothing (it was a third of the resync's CPU at 10,000).
    // So also after a reconcile whose own updates were the only change (inputsAfterUpdates): the
    // plan it would make finds nothing, and what it repaired is not repaired again.
    const inputs = this.inputs(namespace);
    if (inputs !== undefined && previous?.inputs !== undefined && sameInputs(previous.inputs, inputs))
      return previous.repaired.length === 0 ? previous : { ...previous, repaired: NONE };
    const planned = this.planned(namespace);
    const plan = planned?.plan;
    if (planned === undefined || plan === undefined || plan.state === 'skipped') {
      this.deps.previews?.forget(namespace);
      return undefined;
    }
    const drift: Drift[] = plan.state === 'governed' ? [...plan.drift] : [];
    const repaired: Drift[] = [];
    let error: string | undefined;
    const waiting = plan.state === 'governed' && plan.actions.length > 0 && !this.deps.guarded(plan.baseline.metadata.name);
    const record = (t: { readonly kind: string; readonly name: string }, outcome: Outcome): void => {
      const index = drift.findIndex((d) => d.kind === t.kind && d.name === t.name);
      if (outcome !== 'done' && index >= 0) {
        const d = drift[index];
        if (d !== undefined) drift[index] = { kind: d.kind, name: d.name, reason: outcome === 'conflict' ? 'Conflict' : 'Blocked' };
      } else if (outcome !== 'done') {
        drift.push({ kind: t.kind, name: t.name, reason: 'Blocked' });
      } else if (index >= 0) {
        const [d] = drift.splice(index, 1);
        if (d !== undefined) repaired.push(d);
      }
    };
    const fail = (action: Action, err: unknown): void => {
      const message = `${describe(action)}: ${errorMessage(err)}`;
      error ??= message;
      this.deps.log.warn('Failed to reconcile object', { namespace, action: describe(action), error: message });
    };
    const actions = waiting ? [] : plan.actions;
    // What is kubeposture's here, kept up to date as objects are created and deleted, and
    // recorded on the Namespace at the end.
    const owned = new Map(plan.ownership.entries.map((e) => [`${e.kind}/${e.name}`, e]));
    const writer = plan.state === 'governed' ? plan.baseline.metadata.name : '';
    const ctx: ActContext = {
      namespace,
      conflicts: new Set((previous?.drift ?? []).filter((d) => d.reason === 'Conflict').map((d) => `${d.kind}/${d.name}`)),
      owned,
      writer,
    };
    // Grantor, objects, RoleBindings, cleanup, the Namespace last (order.ts says why).
    const order = writeOrder(actions);
    const namespaceAction = order.namespace;
    // A grantor just written may take the apiserver's RBAC cache a few ms to show.
    const granted = order.grants.length > 0;
    const pause =
      this.deps.pause ??
      ((ms: number) =>
        new Promise<void>((resolve) => {
          setTimeout(resolve, ms);
        }));
    /** Sends `wave`'s writes together; each success is recorded unless `quiet` says not. */
    const runWave = async (wave: readonly Action[], quiet: (a: Action) => boolean = () => false): Promise<void> => {
      const settled = await Promise.allSettled(
        wave.map(async (action) => {
          if (!this.deps.mayWrite()) throw new NotLeader();
          return granted ? whileGrantSettles(() => this.act(action, ctx), pause) : this.act(action, ctx);
        }),
      );
      settled.forEach((s, i) => {
        const action = wave[i];
        if (action === undefined) return;
        if (s.status === 'fulfilled') {
          if (!quiet(action)) record(actionTarget(action), s.value);
        } else fail(action, s.reason);
      });
    };
    // A RoleBinding binds only kubeposture's own Role to its own ServiceAccount: where either
    // name is held by someone else, it is not written, and kubeposture's is removed. Those that
    // go with the objects (their Role and ServiceAccount not created here) are checked against
    // the plan's Conflicts; the others, once the creates have said whose each name is.
    const blockedNow = (): Binding[] => {
      const conflicted = new Set(drift.filter((d) => d.reason === 'Conflict').map((d) => `${d.kind}/${d.name}`));
      return plan.ownership.bindings.filter(
        (b) => conflicted.has(`Role/${b.role}`) || conflicted.has(`ServiceAccount/${b.serviceAccount}`),
      );
    };
    const blockedEarly = new Set(blockedNow().map((b) => b.name));
    const isBlockedBinding =
      (names: ReadonlySet<string>) =>
      (a: Action): boolean => {
        const t = actionTarget(a);
        return t.kind === 'RoleBinding' && names.has(t.name);
      };
    await runWave(order.grants);
    if (error === undefined) await runWave(order.objects.filter((a) => !isBlockedBinding(blockedEarly)(a)));
    const blocked = blockedNow();
    const blockedNames = new Set(blocked.map((b) => b.name));
    for (const b of blocked) record({ kind: 'RoleBinding', name: b.name }, 'blocked');
    const unbind: Action[] =
      actions.length === 0
        ? []
        : blocked.flatMap((b) =>
            b.live === undefined ? [] : [{ type: 'delete' as const, kind: 'RoleBinding' as const, name: b.name, uid: b.live.uid }],
          );
    if (error === undefined) {
      await runWave(order.bindings.filter((a) => !isBlockedBinding(blockedNames)(a)));
    }
    // Cleanup together, as the floor does (one at a time, a baseline's deletion took 2.85 times
    // the floor's at 5,000 namespaces); the grantor's removal with it, or after it where an
    // orphaned Role or RoleBinding needs the grant (order.ts).
    // Removing a RoleBinding that bound someone else's object leaves it Blocked, not repaired.
    if (error === undefined) await runWave([...unbind, ...order.cleanup], (a) => unbind.includes(a));
    if (error === undefined) await runWave(order.ungrant);
    // Whatever else failed, what was created is recorded: otherwise it would be no one's.
    let wroteNamespace = false;
    let verdict: PodSecurityRecord | null | undefined;
    if (actions.length > 0 || plan.state === 'unselected' || plan.baseline.spec.mode === 'Enforce') {
      // Every protection in place (the enforce label aside, which this write sets or a WhenClean
      // rollout holds back): the namespace is marked as holding its baseline.
      const holds = plan.state === 'governed' && error === undefined && drift.every((d) => d.kind === 'Namespace');
      try {
        const written = await this.writeNamespace(namespace, plan, [...owned.values()], {
          labelsDrift: namespaceAction !== undefined,
          wrote: actions.length > 0,
          holds,
        });
        wroteNamespace = written.wrote;
        verdict = written.podSecurity;
        // While a WhenClean rollout holds enforce back, the labels still drift: nothing was repaired.
        if (wroteNamespace && namespaceAction !== undefined && written.podSecurity?.state !== 'pending')
          record(actionTarget(namespaceAction), 'done');
      } catch (err: unknown) {
        fail(namespaceAction ?? { type: 'releaseShared', kind: 'Namespace', name: namespace }, err);
      }
    }
    let previewInMs: number | undefined;
    if (plan.state === 'governed' && plan.baseline.spec.mode === 'Audit') {
      try {
        const p = await this.preview(namespace, plan, previous?.podSecurity);
        verdict = p.record;
        previewInMs = p.inMs;
      } catch (err: unknown) {
        const message = `Pod Security preview: ${errorMessage(err)}`;
        error ??= message;
        this.deps.log.warn('Failed to preview Pod Security', { namespace, error: message });
      }
    } else {
      this.deps.previews?.forget(namespace);
    }
    // A verdict holds while the enforce level it was given for stands (the cache has kubeposture's write).
    // A pending one is asked again on every reconcile, and a preview decided on above: neither is carried.
    const enforceNow = enforceLabel(this.deps.state.namespace(namespace)?.metadata.labels);
    const last = previous?.podSecurity;
    const carried = last?.state === 'enforced' && last.enforce === enforceNow ? last : undefined;
    const fresh = verdict === undefined ? carried : (verdict ?? undefined);
    // The same verdict again keeps the record it has (status and Report see no change).
    const podSecurity = sameRecord(last, fresh) ? last : fresh;
    const base =
      plan.state === 'governed'
        ? { baseline: { name: plan.baseline.metadata.name, generation: plan.baseline.metadata.generation, mode: plan.baseline.spec.mode } }
        : {};
    return {
      namespace,
      ...base,
      superseded: shareEmpty(plan.superseded),
      drift: shareEmpty(drift),
      repaired: shareEmpty(repaired),
      ...(error === undefined ? {} : { error }),
      ...(waiting ? { waitingForFinalizer: true as const } : {}),
      ...(plan.state === 'governed' && plan.exceptions.length > 0 ? { exceptions: plan.exceptions } : {}),
      ...(podSecurity === undefined ? {} : { podSecurity }),
      ...(previewInMs === undefined ? {} : { previewInMs }),
      ...this.settledInputs(namespace, inputs, plan, planned.snap, {
        waiting,
        quiet: quiet(actions, wroteNamespace, drift, repaired, error),
        updatesOnly:
          error === undefined &&
          !wroteNamespace &&
          drift.length === 0 &&
          podSecurity?.state !== 'pending' &&
          actions.every((a) => a.type === 'update'),
      }),
    };
  }

  /**
   * The inputs a result carries (NamespaceResult.inputs): those planned from when the reconcile
   * found nothing to do; those after its writes when they were updates only, each object now
   * cached as written and nothing else changed meanwhile (inputs.ts). In a spec change every
   * namespace is written once; the event of its own write would otherwise bring it back for a
   * full plan that finds nothing.
   */
  private settledInputs(
    namespace: string,
    inputs: PlanInputs | undefined,
    plan: Exclude<Plan, { state: 'skipped' }>,
    snap: NamespaceSnapshot,
    now: { readonly waiting: boolean; readonly quiet: boolean; readonly updatesOnly: boolean },
  ): { readonly inputs?: PlanInputs } {
    if (inputs === undefined || plan.state !== 'governed' || now.waiting) return {};
    if (now.quiet) return { inputs };
    if (!now.updatesOnly) return {};
    const { state } = this.deps;
    const cached = (o: WireObject | undefined): CachedVersion | undefined =>
      o === undefined ? undefined : { version: state.version(o), object: o };
    const writes: WrittenUpdate[] = plan.actions.flatMap((a) => {
      if (a.type !== 'update') return [];
      const { kind, metadata } = a.object;
      const before = snap.owned.find((c) => c.kind === kind && c.object.metadata.name === metadata.name)?.object;
      return [{ desired: a.object, planned: cached(before), now: cached(state.ownedObject(kind as OwnedKind, namespace, metadata.name)) }];
    });
    const after = inputsAfterUpdates(inputs, this.inputs(namespace), writes);
    return after === undefined ? {} : { inputs: after };
  }

  /** What a plan of `namespace` is made from now; undefined while creates of kubeposture's there are unrecorded or unanswered. */
  private inputs(namespace: string): PlanInputs | undefined {
    const { unrecorded } = this.deps;
    if (unrecorded.get(namespace).length > 0 || unrecorded.uncertain(namespace).length > 0) return undefined;
    const index = this.deps.exemptions?.();
    if (index !== this.exemptionIndex) {
      this.exemptionIndex = index;
      this.exemptionVersion += 1;
    }
    const v = this.deps.state.inputs(namespace);
    return v === undefined ? undefined : { ...v, exemptions: this.exemptionVersion };
  }

  /**
   * Records kubeposture's objects on the Namespace, with the Pod Security labels it sets and the
   * mark that it holds its baseline (ANNOTATION_HOLDS), in one server-side apply; or gives them
   * back when it wants none any more. Nothing is written when the Namespace already says so.
   * `labelsDrift`: its labels differ from the baseline's; `wrote`: this reconcile wrote objects;
   * `holds`: every protection is in place. Returns whether it wrote and, when the write changed
   * the enforce level, what Pod Security admission said of the pods already there (null: every
   * pod passes).
   */
  private async writeNamespace(
    namespace: string,
    plan: Extract<Plan, { state: 'governed' | 'unselected' }>,
    entries: readonly OwnedEntry[],
    now: { readonly labelsDrift: boolean; readonly wrote: boolean; readonly holds: boolean },
  ): Promise<{ readonly wrote: boolean; readonly podSecurity?: PodSecurityRecord | null }> {
    const { labelsDrift, wrote } = now;
    const NOTHING = { wrote: false };
    const waitingForFinalizer = plan.state === 'governed' && !this.deps.guarded(plan.baseline.metadata.name);
    if (waitingForFinalizer) return NOTHING;
    const ns = this.deps.state.namespace(namespace);
    if (ns === undefined) return NOTHING;
    // Once set, the mark stays while a baseline governs the namespace: a repair does not lock it.
    const marked = ns.metadata.annotations?.[ANNOTATION_HOLDS];
    const mark = plan.state === 'unselected' ? undefined : now.holds ? plan.baseline.metadata.name : marked;
    // The common case (a compliant namespace, nothing written): the record as read says it all.
    if (!labelsDrift && !wrote && mark === marked && sameEntries(entries, plan.ownership.record)) {
      this.deps.unrecorded.set(namespace, []);
      return NOTHING;
    }
    const value = encodeRecord(entries);
    const labels = plan.ownership.namespaceLabels;
    const changed = value !== recordText(ns) || mark !== marked;
    if (!labelsDrift && !changed) {
      this.deps.unrecorded.set(namespace, []);
      return NOTHING;
    }
    if (!this.deps.mayWrite()) throw new NotLeader();
    const ownsFields = holdsField(ns, ['metadata', 'labels'], true) || holdsField(ns, ['metadata', 'annotations'], true);
    if (labels === undefined && value === undefined && mark === undefined && !ownsFields) return NOTHING;
    const enforce = enforceLabel(labels);
    const before = enforceLabel(ns.metadata.labels);
    const changesEnforce = enforce !== undefined && enforce !== before;
    // Only then is the apiserver's silence a verdict (a loosening or privileged: no pod is looked at).
    const judged = enforce !== undefined && changesEnforce && apiserverJudges(before, enforce);
    if (judged && labels !== undefined && plan.state === 'governed' && plan.baseline.spec.podSecurity?.rollout === 'WhenClean') {
      // Ask first, with a dry run of the same write: while some pod would be refused, warn and
      // audit move and enforce stays as it is.
      const probe = await this.dryRunVerdict(namespace, labels);
      if (!isClean(probe)) {
        const held = holdEnforce(labels, ns.metadata.labels);
        const pending: PodSecurityRecord = { state: 'pending', enforce, findings: verdictFindings(namespace, probe, 'pending', enforce) };
        const same = !changed && Object.entries(held).every(([k, v]) => ns.metadata.labels?.[k] === v);
        if (!same) await this.applyNamespace(namespace, held, { record: value, mark });
        this.deps.unrecorded.set(namespace, []);
        return { wrote: !same, podSecurity: pending };
      }
    }
    const warnings: string[] = [];
    await this.applyNamespace(namespace, labels, { record: value, mark }, judged ? (w) => warnings.push(...w) : undefined);
    this.deps.unrecorded.set(namespace, []);
    this.deps.log.info(value === undefined && labels === undefined ? 'Gave back namespace fields' : 'Applied namespace fields', {
      namespace,
      recorded: entries.length,
      ...(labels === undefined ? {} : { labels: Object.keys(labels).length }),
    });
    if (!changesEnforce) return { wrote: true };
    // A level the pods were not judged against has no verdict: what was said of the old one goes.
    if (!judged) return { wrote: true, podSecurity: null };
    const v = podSecurityVerdict(warnings);
    if (isClean(v)) return { wrote: true, podSecurity: null };
    this.deps.log.info('Existing pods violate the new enforce level', { namespace, enforce, warnings: warnings.length });
    return { wrote: true, podSecurity: { state: 'enforced', enforce, findings: verdictFindings(namespace, v, 'enforced', enforce) } };
  }

  /**
   * Audit mode: what enforcing the level the baseline wants would refuse, from a dry run of its
   * labels (nothing is written), asked when the pace says so. `record`: the preview, or null
   * when there is none to make (the labels hold, or the change is one the apiserver judges no
   * pod for: a loosening, privileged); `inMs`: it is owed, ask again then.
   */
  private async preview(
    namespace: string,
    plan: Extract<Plan, { state: 'governed' }>,
    last: PodSecurityRecord | undefined,
  ): Promise<{ readonly record: PodSecurityRecord | null; readonly inMs?: number }> {
    const pace = this.deps.previews;
    const labels = plan.ownership.namespaceLabels;
    const enforce = enforceLabel(labels);
    const from = enforceLabel(this.deps.state.namespace(namespace)?.metadata.labels);
    if (pace === undefined || labels === undefined || enforce === undefined || enforce === from || !apiserverJudges(from, enforce)) {
      pace?.forget(namespace);
      return { record: null };
    }
    // kubeposture's ResourceQuota there moves when pods come and go (preview-pace.ts).
    const quota = this.deps.state.snapshot(namespace)?.owned.find((o) => o.kind === 'ResourceQuota')?.object.metadata.resourceVersion;
    const key: PreviewKey = { from, enforce, pods: quota };
    const previous = last?.state === 'preview' ? last : undefined;
    const decision = pace.decide(namespace, key, previous);
    switch (decision.type) {
      case 'keep':
        return { record: previous ?? null };
      case 'wait':
        // The last answer stands meanwhile if it was about these labels.
        return {
          record: previous !== undefined && previous.from === from && previous.enforce === enforce ? previous : null,
          inMs: decision.inMs,
        };
      case 'ask': {
        if (!this.deps.mayWrite()) throw new NotLeader();
        const at = pace.now();
        const v = await this.dryRunVerdict(namespace, labels);
        const findings = isClean(v) ? [] : verdictFindings(namespace, v, 'preview', enforce);
        // The same answer keeps its findings, so that status and Report see no change.
        const same = previous !== undefined && sameList(previous.findings, findings, sameFinding);
        return { record: { state: 'preview', ...key, at, findings: same ? previous.findings : findings } };
      }
    }
  }

  /** kubeposture's labels, ownership record and mark on a Namespace, in one apply; an apply without a field gives it back (labels nobody else set go, others' values stay). */
  private async applyNamespace(
    namespace: string,
    labels: Readonly<Record<string, string>> | undefined,
    annotations: { readonly record: string | undefined; readonly mark: string | undefined },
    onWarnings?: (warnings: readonly string[]) => void,
  ): Promise<void> {
    const { record, mark } = annotations;
    await this.apply(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: namespace,
          ...(labels === undefined ? {} : { labels }),
          ...(record === undefined && mark === undefined
            ? {}
            : {
                annotations: {
                  ...(record === undefined ? {} : { [ANNOTATION_OWNED]: record }),
                  ...(mark === undefined ? {} : { [ANNOTATION_HOLDS]: mark }),
                },
              }),
        },
      },
      true,
      onWarnings,
    );
  }

  /** What Pod Security admission would say of the pods if these labels were written, from a dry run (the apiserver stores nothing). */
  private async dryRunVerdict(namespace: string, labels: Readonly<Record<string, string>>): Promise<PodSecurityVerdict> {
    const warnings: string[] = [];
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } };
    await this.deps.rest.apply('Namespace', body, {
      fieldManager: FIELD_MANAGER,
      force: true,
      dryRun: true,
      onWarnings: (w) => warnings.push(...w),
    });
    return podSecurityVerdict(warnings);
  }

  private async apply(object: ApplyTarget, force: boolean, onWarnings?: (warnings: readonly string[]) => void): Promise<void> {
    const written = await this.deps.rest.apply(object.kind, object, {
      fieldManager: FIELD_MANAGER,
      force,
      ...(onWarnings === undefined ? {} : { onWarnings }),
    });
    this.deps.cache.written(object.kind, written);
  }

  /** Carries out one action; 'conflict' when the object's name is held by something kubeposture did not make. */
  private async act(action: Action, ctx: ActContext): Promise<Outcome> {
    const { rest, log } = this.deps;
    const { namespace } = ctx;
    switch (action.type) {
      case 'create': {
        const o = action.object;
        const key = `${o.kind}/${o.metadata.name}`;
        const kind = o.kind as OwnedEntry['kind'];
        const own = (uid: string | undefined): void => {
          if (uid === undefined) return;
          const entry: OwnedEntry = { kind, name: o.metadata.name, uid, baseline: ctx.writer };
          ctx.owned.set(key, entry);
          this.deps.unrecorded.set(namespace, [...this.deps.unrecorded.get(namespace).filter((e) => `${e.kind}/${e.name}` !== key), entry]);
        };
        // An earlier create whose answer never came: settled by what now holds the name.
        const { unrecorded } = this.deps;
        const pending = unrecorded.uncertain(namespace).find((u) => u.kind === kind && u.name === o.metadata.name);
        const settle = (next?: UncertainCreate): void => {
          const others = unrecorded.uncertain(namespace).filter((u) => !(u.kind === kind && u.name === o.metadata.name));
          unrecorded.setUncertain(namespace, next === undefined ? others : [...others, next]);
        };
        let existing: WireObject | undefined;
        if (ctx.conflicts.has(key) || pending !== undefined) existing = await rest.get(o.kind, nsOf(o), o.metadata.name);
        if (existing === undefined) {
          const createId = (this.deps.newId ?? randomUUID)();
          try {
            // One request, and atomic: a POST never merges into an object that holds the name.
            const created = await rest.create(o.kind, withCreateId(o, createId), FIELD_MANAGER);
            if (pending !== undefined) settle();
            own(created.metadata.uid);
            this.deps.cache.written(o.kind, created);
            log.info('Created object', { namespace, kind: o.kind, name: o.metadata.name });
            return 'done';
          } catch (err: unknown) {
            // Stored or not, nobody can say: remembered until the name is read (ownership.ts).
            if (!(err instanceof ApiError) || err.status >= 500) settle({ kind, name: o.metadata.name, createId, baseline: ctx.writer });
            if (!(err instanceof ApiError) || err.status !== 409) throw err;
          }
          existing = await rest.get(o.kind, nsOf(o), o.metadata.name);
          if (existing === undefined) throw new Error('the name was taken, then freed again; retrying');
        }
        // Whatever holds the name settles an unanswered create; whose it is, ownership.ts decides.
        if (pending !== undefined) settle();
        if (!isKubepostureObject(kind, existing, { uncertain: pending, recorded: action.recorded, trustClaim: action.trustClaim })) {
          ctx.owned.delete(key);
          log.warn('Found a conflicting object', { namespace, kind: o.kind, name: o.metadata.name });
          return 'conflict';
        }
        const { uid } = existing.metadata;
        own(uid);
        // kubeposture's own object that lost its labels (and maybe its ownerReference): put them
        // back, only while it is that object.
        await this.takeOverCreateEntry(o.kind, existing);
        await this.apply(withUid(o, uid), true);
        log.info('Restored object', { namespace, kind: o.kind, name: o.metadata.name });
        return 'done';
      }
      case 'update': {
        const o = action.object;
        const { via } = action;
        // Only the object planned from (withUid): where it is gone, the next reconcile plans from what is there.
        const only = withUid(o, action.uid);
        switch (via.type) {
          case 'move':
            this.deps.cache.written(
              o.kind,
              await rest.jsonPatch(o.kind, nsOf(o), o.metadata.name, via.patch, { fieldManager: FIELD_MANAGER }),
            );
            break;
          case 'takeOver': {
            const live = await rest.get(o.kind, nsOf(o), o.metadata.name);
            // Only the object planned from: another of that name is not kubeposture's to touch (the apply then fails).
            if (live !== undefined && (action.uid === undefined || live.metadata.uid === action.uid))
              await this.takeOverCreateEntry(o.kind, live);
            await this.apply(only, true);
            break;
          }
          case 'apply':
            await this.apply(only, true);
            break;
        }
        log.info('Repaired object', { namespace, kind: o.kind, name: o.metadata.name, fields: action.fields });
        return 'done';
      }
      case 'applyShared':
        await this.apply(action.object, true);
        log.info('Applied shared fields', { namespace, kind: action.object.kind, name: action.object.metadata.name });
        return 'done';
      case 'releaseShared': {
        // Applying a configuration without the fields drops kubeposture's ownership:
        // fields nobody else owns are removed, values others set stay.
        await this.apply(
          {
            apiVersion: 'v1',
            kind: action.kind,
            metadata: { name: action.name, ...(action.kind === 'ServiceAccount' ? { namespace } : {}) },
          },
          true,
        );
        log.info('Gave back shared fields', { namespace, kind: action.kind, name: action.name });
        return 'done';
      }
      case 'delete': {
        const result = await rest.delete(action.kind, namespace, action.name, action.uid);
        if (result.state === 'gone') ctx.owned.delete(`${action.kind}/${action.name}`);
        if (result.state === 'pending') {
          // Someone's finalizer holds it: it stays in the cache, marked for deletion.
          this.deps.cache.written(action.kind, result.object);
          log.info('Deletion pending on finalizers', { namespace, kind: action.kind, name: action.name });
        } else {
          if (result.existed) log.info('Deleted object', { namespace, kind: action.kind, name: action.name });
          this.deps.cache.removed(action.kind, namespace, action.name);
        }
        return 'done';
      }
      case 'orphan':
        await this.orphan(namespace, action);
        ctx.owned.delete(`${action.kind}/${action.name}`);
        return 'done';
    }
  }

  /**
   * Objects are created with a POST, which records kubeposture's fields under an
   * Update entry. Server-side apply can only remove fields its own Apply entry
   * holds, so before an apply that must remove one (plan.ts's updateVia) the entry
   * becomes an Apply entry (as client-go's csaupgrade does): one JSON patch, only if
   * the object is still as read.
   */
  private async takeOverCreateEntry(kind: ResourceKind, first: WireObject): Promise<void> {
    let live: WireObject | undefined = first;
    // Other writers (the quota controller's status updates, say) can move the object on
    // between the read and the patch: read again and retry a few times.
    for (let attempt = 1; live !== undefined; attempt += 1) {
      const patch = takeOverPatch(live);
      if (patch === undefined) return;
      try {
        await this.deps.rest.jsonPatch(kind, live.metadata.namespace, live.metadata.name, patch);
        return;
      } catch (err: unknown) {
        if (attempt >= 3 || !(err instanceof ApiError) || (err.status !== 409 && err.status !== 422)) throw err;
      }
      live = await this.deps.rest.get(kind, live.metadata.namespace, live.metadata.name);
    }
  }

  /** Leaves an object in place, without kubeposture's labels, ownerReference or field ownership. */
  private async orphan(namespace: string, action: Extract<Action, { type: 'orphan' }>): Promise<void> {
    const live = await this.deps.rest.get(action.kind, namespace, action.name);
    if (live?.metadata.uid !== action.uid) return;
    await this.deps.rest.jsonPatch(action.kind, namespace, action.name, orphanPatch(live));
    this.deps.cache.removed(action.kind, namespace, action.name);
    this.deps.log.info('Released object', { namespace, kind: action.kind, name: action.name, baseline: action.baseline });
  }
}

/** What an action came to: done, the name is someone else's, or not written because what it binds is. */
type Outcome = 'done' | 'conflict' | 'blocked';

/** What the actions of one reconcile share. */
interface ActContext {
  readonly namespace: string;
  /** Names found held by someone else last time: read before a create is tried. */
  readonly conflicts: ReadonlySet<string>;
  /** kubeposture's objects here, by "Kind/name", as the actions go. */
  readonly owned: Map<string, OwnedEntry>;
  /** The baseline objects are created for. */
  readonly writer: string;
}

/** A write skipped because this replica lost its lease. */
class NotLeader extends Error {
  constructor() {
    super('not the leader any more');
  }
}

function describe(a: Action): string {
  const t = actionTarget(a);
  return `${a.type} ${t.kind}/${t.name}`;
}
