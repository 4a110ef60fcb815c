/**
 * The decision for one namespace, made from cached state only: which baseline
 * governs it, how its objects differ from that baseline, and what to write.
 * Pure: the reconciler feeds it caches and carries out its actions.
 */
import { DEFAULT_SERVICE_ACCOUNT, FIELD_MANAGER, PSA_PREFIX } from '../api/constants.ts';
import type { DriftReason, SecurityBaseline } from '../api/types.ts';
import { desiredObjects, isGrantor } from '../baseline/build.ts';
import type { ManagedObject, ServiceAccountRef } from '../baseline/objects.ts';
import { resolve, type NamespaceInfo } from '../baseline/selection.ts';
import { NO_EXEMPTION, type ExemptionIndex } from '../baseline/exceptions.ts';
import { childPath, compareObject, fieldsBeyond } from '../drift/compare.ts';
import type { JsonPatchOp } from '../kube/rest.ts';
import type { WireObject } from '../kube/wire.ts';
import { movePatch } from './patches.ts';
import {
  ownedEntry,
  readRecord,
  withUnrecorded,
  type OwnedEntry,
  type OwnedKind,
  type OwnershipRecord,
  type RecordHolder,
  type UncertainCreate,
} from './ownership.ts';

export type { OwnedKind };

/** A kubeposture-labelled object from the caches. */
export interface CachedOwned {
  readonly kind: OwnedKind;
  readonly object: WireObject;
}

export interface NamespaceSnapshot {
  /** As cached, its record packed (ownership.ts packRecord), or as read from the apiserver. */
  readonly namespace: RecordHolder & { readonly status?: { readonly phase?: string } };
  /** Every cached object in the namespace labelled managed-by=kubeposture. */
  readonly owned: readonly CachedOwned[];
  readonly defaultServiceAccount: (WireObject & { readonly automountServiceAccountToken?: boolean }) | undefined;
  /** Objects kubeposture created here whose record is not yet written (ownership.ts `withUnrecorded`). */
  readonly unrecorded?: readonly OwnedEntry[];
  /** Creates of kubeposture's here whose answer never came (ownership.ts `UncertainCreate`). */
  readonly uncertain?: readonly Pick<UncertainCreate, 'kind' | 'name'>[];
}

/** The baselines as the controller knows them. */
export interface Baselines {
  /** Parsed and valid, including those being deleted. */
  readonly valid: readonly SecurityBaseline[];
  /** Names of baselines whose spec is invalid (Stalled): their objects are left exactly as they are. */
  readonly stalled: ReadonlySet<string>;
}

/** One difference between a namespace and its baseline. */
export interface Drift {
  readonly kind: string;
  readonly name: string;
  readonly reason: DriftReason;
  readonly fields?: readonly string[];
}

/**
 * How an update is written. `apply`: server-side apply, forced. Where the object's fields are
 * still recorded under the create's Update entry, an apply cannot remove any of them
 * (compare.ts's fieldsBeyond names what it would have to): `move`, when all that must go is
 * another baseline's ownerReference (its namespace changed baselines), is one JSON patch
 * (patches.ts's movePatch); `takeOver`, for anything else, turns that entry into kubeposture's
 * Apply entry first (a read and a JSON patch), then applies.
 */
export type UpdateVia =
  { readonly type: 'apply' } | { readonly type: 'move'; readonly patch: readonly JsonPatchOp[] } | { readonly type: 'takeOver' };

/** What the reconciler is to do; carried out in order. */
export type Action =
  /**
   * Create an owned object, unless something already holds its name: then that is
   * kubeposture's only if it is the object `recorded` names (its uid), or, with no record
   * on the Namespace (`trustClaim`), if it claims to be, or if it carries the id of an earlier
   * create of kubeposture's whose answer never came; otherwise a Conflict.
   */
  | { readonly type: 'create'; readonly object: ManagedObject; readonly recorded: OwnedEntry | undefined; readonly trustClaim: boolean }
  /**
   * Put an owned object back as the baseline has it, the way `via` says. `uid`: the live object's. The write goes to that object only: an apply to a name deleted
   * since the cache saw it would otherwise create a new object whose uid no record holds (a
   * Conflict for good), or force kubeposture's fields onto someone else's object of that name.
   */
  | {
      readonly type: 'update';
      readonly object: ManagedObject;
      readonly fields: readonly string[];
      readonly via: UpdateVia;
      readonly uid?: string;
    }
  /** Apply kubeposture's fields on a shared object. */
  | { readonly type: 'applyShared'; readonly object: ManagedObject }
  /** Give back the fields kubeposture set on a shared object (they return to their owners' values). */
  | { readonly type: 'releaseShared'; readonly kind: 'ServiceAccount' | 'Namespace'; readonly name: string }
  /** Delete kubeposture's object, only while it is that object (uid precondition), cached or not. */
  | { readonly type: 'delete'; readonly kind: OwnedKind; readonly name: string; readonly uid: string }
  /** Leave the object in place without kubeposture's labels, ownerReference and field ownership. */
  | { readonly type: 'orphan'; readonly kind: OwnedKind; readonly name: string; readonly uid: string; readonly baseline: string };

/** A RoleBinding the baseline wants, and what it binds: never bound unless both are kubeposture's. */
export interface Binding {
  readonly name: string;
  readonly role: string;
  readonly serviceAccount: string;
  /** The live RoleBinding, when it is kubeposture's. */
  readonly live: OwnedEntry | undefined;
}

/** Who owns what in the namespace, as the reconciler needs it to keep the record. */
export interface Ownership {
  /** The record on the Namespace, as read (without creates not yet recorded). */
  readonly record: OwnershipRecord;
  /** kubeposture's objects here as the plan found them (recorded, or trusted on first use). */
  readonly entries: readonly OwnedEntry[];
  /** The Pod Security labels kubeposture sets on the Namespace; applied together with the record. */
  readonly namespaceLabels: Readonly<Record<string, string>> | undefined;
  readonly bindings: readonly Binding[];
}

export type Plan =
  /** No baseline governs the namespace (it may still need cleanup actions). */
  | {
      readonly state: 'unselected';
      readonly superseded: readonly string[];
      readonly actions: readonly Action[];
      readonly ownership: Ownership;
    }
  /** A baseline governs it: drift found and the actions that repair it (none in Audit mode). */
  | {
      readonly state: 'governed';
      readonly baseline: SecurityBaseline;
      readonly superseded: readonly string[];
      readonly drift: readonly Drift[];
      readonly actions: readonly Action[];
      readonly ownership: Ownership;
      /** The active exceptions that lift parts of the baseline here (sorted). */
      readonly exceptions: readonly string[];
    }
  /** Left alone: terminating, or holding objects of a Stalled baseline. */
  | { readonly state: 'skipped'; readonly reason: string };

/** What selection needs to know of a Namespace object. */
export function namespaceInfo(ns: NamespaceSnapshot['namespace']): NamespaceInfo {
  return {
    name: ns.metadata.name,
    labels: ns.metadata.labels ?? {},
    terminating: ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating',
  };
}

/**
 * True when kubeposture's field manager owns something at `path` of `obj`
 * (read from managedFields): the field itself, or with `children`, any entry
 * of the map there.
 */
export function holdsField(obj: WireObject | undefined, path: readonly string[], children = false): boolean {
  return (obj?.metadata.managedFields ?? []).some((e) => {
    if (e.manager !== FIELD_MANAGER || e.operation !== 'Apply') return false;
    let node: unknown = e.fieldsV1;
    for (const segment of path) {
      if (typeof node !== 'object' || node === null) return false;
      node = (node as Record<string, unknown>)[`f:${segment}`];
    }
    if (node === undefined) return false;
    return !children || (typeof node === 'object' && node !== null && Object.keys(node).some((k) => k.startsWith('f:')));
  });
}

/** The label keys kubeposture's apply holds on `obj` (from managedFields). */
export function heldLabels(obj: WireObject | undefined): string[] {
  const out: string[] = [];
  for (const e of obj?.metadata.managedFields ?? []) {
    if (e.manager !== FIELD_MANAGER || e.operation !== 'Apply') continue;
    const meta = (e.fieldsV1 as Record<string, unknown> | undefined)?.['f:metadata'];
    const labels = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['f:labels'] : undefined;
    if (typeof labels !== 'object' || labels === null) continue;
    for (const k of Object.keys(labels)) if (k.startsWith('f:')) out.push(k.slice(2));
  }
  return out;
}

/** True when kubeposture's fields on `obj` are recorded under its create (an Update entry), not an apply. */
export function ownedThroughCreate(obj: WireObject): boolean {
  return (obj.metadata.managedFields ?? []).some((e) => e.manager === FIELD_MANAGER && e.operation === 'Update');
}

/** How to write `desired` over `live`, kubeposture's object (see {@link UpdateVia}). */
export function updateVia(desired: ManagedObject, live: WireObject): UpdateVia {
  const beyond = ownedThroughCreate(live) ? fieldsBeyond(desired, live) : [];
  if (beyond.length === 0) return { type: 'apply' };
  if (beyond.every((f) => f === 'metadata.ownerReferences')) return { type: 'move', patch: movePatch(live, desired) };
  return { type: 'takeOver' };
}

/**
 * Plans one namespace. Leftover objects go as the deletionPolicy of the baseline
 * that made them says (deleted when that baseline no longer exists, as the
 * garbage collector would do through their ownerReference); those of a live baseline
 * now in Audit mode stay, since Audit never writes to a namespace. `operator`: kubeposture's
 * own ServiceAccount, the subject of its grantor RoleBinding (build.ts). `exemptions`: what active
 * exceptions lift; a lifted part's objects are not wanted (they go by the deletionPolicy) and
 * are not drift.
 */
export function planNamespace(
  snap: NamespaceSnapshot,
  baselines: Baselines,
  operatorNamespace: string | undefined,
  operator?: ServiceAccountRef,
  exemptions?: ExemptionIndex,
): Plan {
  const info = namespaceInfo(snap.namespace);
  if (info.terminating) return { state: 'skipped', reason: 'namespace is terminating' };
  // Only the record decides: a label naming a Stalled baseline can be written by anyone.
  const stored = readRecord(snap.namespace);
  const record = withUnrecorded(stored, snap.unrecorded ?? []);
  const frozen = record.entries.map((e) => e.baseline).find((b) => baselines.stalled.has(b));
  if (frozen !== undefined) return { state: 'skipped', reason: `holds objects of SecurityBaseline ${frozen}, whose spec is invalid` };

  const { winner, superseded } = resolve(baselines.valid, info, operatorNamespace);
  const supersededNames = superseded.map((b) => b.metadata.name);
  const exemption =
    winner === undefined || exemptions === undefined || exemptions.none(winner.metadata.name)
      ? NO_EXEMPTION
      : exemptions.exemptionFor(winner.metadata.name, info.name);
  const desired = winner === undefined ? [] : desiredObjects(winner, info.name, operator, exemption.parts);
  // What the baseline would want here but an exception lifts: neither wanted nor drift.
  const lifted = new Set<string>();
  const liftedLabels = new Set<string>();
  if (winner !== undefined && exemption.parts.size > 0) {
    for (const d of desiredObjects(winner, info.name, operator)) {
      if (d.ownership === 'owned') lifted.add(`${d.object.kind}/${d.object.metadata.name}`);
      else if (d.object.kind === 'Namespace') for (const k of Object.keys(d.object.metadata.labels)) liftedLabels.add(k);
    }
    for (const d of desired) {
      if (d.ownership === 'owned') lifted.delete(`${d.object.kind}/${d.object.metadata.name}`);
      else if (d.object.kind === 'Namespace') for (const k of Object.keys(d.object.metadata.labels)) liftedLabels.delete(k);
    }
  }
  const enforce = winner?.spec.mode === 'Enforce';
  const drift: Drift[] = [];
  const actions: Action[] = [];
  const wanted = new Set<string>();
  const entries: OwnedEntry[] = [];
  const bindings: Binding[] = [];
  const trustClaim = record.trustClaims;
  const recordedAt = (kind: string, name: string): OwnedEntry | undefined => record.byKey.get(`${kind}/${name}`);
  /** kubeposture's, by the record (or, with none, by its claim unless that names a Stalled baseline). */
  const ours = (kind: OwnedKind, obj: WireObject): OwnedEntry | undefined => {
    const e = ownedEntry(record, kind, obj);
    return e !== undefined && trustClaim && baselines.stalled.has(e.baseline) ? undefined : e;
  };
  let namespaceLabels: Readonly<Record<string, string>> | undefined;

  for (const d of desired) {
    const o = d.object;
    if (d.ownership === 'owned') {
      const kind = o.kind as OwnedKind;
      wanted.add(`${kind}/${o.metadata.name}`);
      const live = snap.owned.find((c) => c.kind === kind && c.object.metadata.name === o.metadata.name)?.object;
      const entry = live === undefined ? undefined : ours(kind, live);
      if (o.kind === 'RoleBinding' && o.roleRef.kind === 'Role') {
        bindings.push({ name: o.metadata.name, role: o.roleRef.name, serviceAccount: o.subjects[0]?.name ?? '', live: entry });
      }
      if (live === undefined) {
        // Missing from the caches, which hold only labelled objects: it may still exist,
        // stripped of its labels; the create finds out, and the record tells whose it is.
        const recorded = recordedAt(kind, o.metadata.name);
        if (recorded !== undefined) entries.push(recorded);
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Missing' });
        actions.push({ type: 'create', object: o, recorded, trustClaim });
        continue;
      }
      // An earlier create of kubeposture's may have made it, its answer lost: the create reads
      // the object and tells by the id that create carried.
      if (entry === undefined && (snap.uncertain ?? []).some((u) => u.kind === kind && u.name === o.metadata.name)) {
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Missing' });
        actions.push({ type: 'create', object: o, recorded: undefined, trustClaim });
        continue;
      }
      // kubeposture's labels on an object it did not make: someone else's, never touched.
      if (entry === undefined) {
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Conflict' });
        continue;
      }
      entries.push({ ...entry, baseline: winner?.metadata.name ?? entry.baseline });
      const fields = compareObject(o, live);
      if (fields.length > 0) {
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Modified', fields });
        const { uid } = live.metadata;
        actions.push({ type: 'update', object: o, fields, via: updateVia(o, live), ...(uid === undefined ? {} : { uid }) });
      }
      continue;
    }
    const live = o.kind === 'Namespace' ? snap.namespace : snap.defaultServiceAccount;
    const fields = compareObject(o, live);
    // Pod Security labels kubeposture set that the baseline no longer asks for go back: drift, unless an exception lifts them.
    let lifts = false;
    if (o.kind === 'Namespace') {
      namespaceLabels = o.metadata.labels;
      for (const key of heldLabels(snap.namespace)) {
        if (!key.startsWith(PSA_PREFIX) || key in o.metadata.labels) continue;
        if (liftedLabels.has(key)) lifts = true;
        else fields.push(childPath('metadata.labels', key));
      }
    }
    if (fields.length > 0) drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Modified', fields });
    if (fields.length > 0 || lifts) actions.push({ type: 'applyShared', object: o });
  }

  // Shared fields kubeposture set earlier but no longer wants go back to their owners.
  const wantsSA = desired.some((d) => d.ownership === 'shared' && d.object.kind === 'ServiceAccount');
  const cleanup: Action[] = [];
  if (!wantsSA && holdsField(snap.defaultServiceAccount, ['automountServiceAccountToken'])) {
    cleanup.push({ type: 'releaseShared', kind: 'ServiceAccount', name: DEFAULT_SERVICE_ACCOUNT });
  }
  if (namespaceLabels === undefined && holdsField(snap.namespace, ['metadata', 'labels'], true)) {
    cleanup.push({ type: 'releaseShared', kind: 'Namespace', name: info.name });
  }

  // kubeposture's objects nobody wants: another baseline's leftovers, or of a kind this one no
  // longer sets. Those in the record go whether or not they are cached (stripped of their labels,
  // an object leaves the caches but stays kubeposture's); the delete's uid precondition and the
  // orphaning's read make sure it is still that object.
  const unwanted = new Map<string, OwnedEntry>();
  for (const c of snap.owned) {
    const entry = ours(c.kind, c.object);
    if (entry !== undefined) unwanted.set(`${entry.kind}/${entry.name}`, entry);
  }
  for (const e of record.entries) unwanted.set(`${e.kind}/${e.name}`, e);
  for (const w of wanted) unwanted.delete(w);
  for (const e of unwanted.values()) {
    entries.push(e);
    if (winner?.metadata.name === e.baseline && !lifted.has(`${e.kind}/${e.name}`))
      drift.push({ kind: e.kind, name: e.name, reason: 'Unexpected' });
    const ownerBaseline = baselines.valid.find((b) => b.metadata.name === e.baseline);
    // A live Audit baseline writes nothing; one being deleted is cleaned up by its deletionPolicy
    // like any other (its finalizer waits for that).
    if (ownerBaseline?.spec.mode === 'Audit' && ownerBaseline.metadata.deletionTimestamp === undefined) continue;
    // The grantor serves only kubeposture: left behind it would keep kubeposture's read access
    // in a namespace it no longer grants in. It goes under either policy.
    cleanup.push(
      ownerBaseline?.spec.deletionPolicy === 'Orphan' && !isGrantor(e.kind, e.name)
        ? { type: 'orphan', kind: e.kind, name: e.name, uid: e.uid, baseline: e.baseline }
        : { type: 'delete', kind: e.kind, name: e.name, uid: e.uid },
    );
  }

  const ownership: Ownership = { record: stored, entries, namespaceLabels, bindings };
  if (winner === undefined) return { state: 'unselected', superseded: supersededNames, actions: cleanup, ownership };
  // Audit mode never writes to a namespace: drift is only reported.
  return {
    state: 'governed',
    baseline: winner,
    superseded: supersededNames,
    drift,
    actions: enforce ? [...actions, ...cleanup] : [],
    ownership,
    exceptions: exemption.exceptions,
  };
}
