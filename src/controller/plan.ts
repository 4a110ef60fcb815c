/**
 * The decision for one namespace, made from cached state only: which baseline
 * governs it, how its objects differ from that baseline, and what to write.
 * Pure: the reconciler feeds it caches and carries out its actions.
 */
import { DEFAULT_SERVICE_ACCOUNT, FIELD_MANAGER, GROUP, KIND, LABEL_BASELINE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../api/constants.ts';
import type { DriftReason, SecurityBaseline } from '../api/types.ts';
import { desiredObjects, isGrantor } from '../baseline/build.ts';
import type { ManagedObject, ServiceAccountRef } from '../baseline/objects.ts';
import type { OWNED_KINDS } from '../baseline/objects.ts';
import { resolve, type NamespaceInfo } from '../baseline/selection.ts';
import { compareObject } from '../drift/compare.ts';
import type { WireObject } from '../kube/informer.ts';

export type OwnedKind = (typeof OWNED_KINDS)[number];

/** A kubeposture-labelled object from the caches. */
export interface CachedOwned {
  readonly kind: OwnedKind;
  readonly object: WireObject;
}

export interface NamespaceSnapshot {
  readonly namespace: WireObject & { readonly status?: { readonly phase?: string } };
  /** Every cached object in the namespace labelled managed-by=kubeposture. */
  readonly owned: readonly CachedOwned[];
  readonly defaultServiceAccount: (WireObject & { readonly automountServiceAccountToken?: boolean }) | undefined;
  /** Uids of objects here that kubeposture has seen as its own (ownership.ts), markers or not. */
  readonly knownUids?: ReadonlySet<string>;
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

/** What the reconciler is to do; carried out in order. */
export type Action =
  /** Create an owned object, unless something already holds its name (then it is a Conflict). */
  | { readonly type: 'create'; readonly object: ManagedObject }
  /**
   * Put an owned object back as the baseline has it (server-side apply, forced).
   * `fromCreate`: its fields are still recorded under the create's Update entry,
   * which is turned into kubeposture's Apply entry first (so the apply can remove fields).
   */
  | { readonly type: 'update'; readonly object: ManagedObject; readonly fields: readonly string[]; readonly fromCreate: boolean }
  /** Apply kubeposture's fields on a shared object. */
  | { readonly type: 'applyShared'; readonly object: ManagedObject }
  /** Give back the fields kubeposture set on a shared object (they return to their owners' values). */
  | { readonly type: 'releaseShared'; readonly kind: 'ServiceAccount' | 'Namespace'; readonly name: string }
  | { readonly type: 'delete'; readonly kind: OwnedKind; readonly name: string; readonly uid: string }
  /** Leave the object in place without kubeposture's labels, ownerReference and field ownership. */
  | { readonly type: 'orphan'; readonly kind: OwnedKind; readonly name: string; readonly uid: string; readonly baseline: string };

export type Plan =
  /** No baseline governs the namespace (it may still need cleanup actions). */
  | { readonly state: 'unselected'; readonly superseded: readonly string[]; readonly actions: readonly Action[] }
  /** A baseline governs it: drift found and the actions that repair it (none in Audit mode). */
  | { readonly state: 'governed'; readonly baseline: SecurityBaseline; readonly superseded: readonly string[]; readonly drift: readonly Drift[]; readonly actions: readonly Action[] }
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

/** True when kubeposture's fields on `obj` are recorded under its create (an Update entry), not an apply. */
export function ownedThroughCreate(obj: WireObject): boolean {
  return (obj.metadata.managedFields ?? []).some((e) => e.manager === FIELD_MANAGER && e.operation === 'Update');
}

/** True when `obj` has a controller ownerReference to a SecurityBaseline: kubeposture made it (labels alone can be copied). */
export function madeByKubeposture(obj: WireObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.kind === KIND && r.apiVersion.startsWith(`${GROUP}/`) && r.controller === true);
}

/**
 * True when `obj` is kubeposture's: it has the controller ownerReference, or its uid is
 * one kubeposture saw as its own (someone removed the reference, which cannot make it theirs).
 */
export function isKubepostures(obj: WireObject, knownUids: ReadonlySet<string> | undefined): boolean {
  return madeByKubeposture(obj) || (obj.metadata.uid !== undefined && knownUids?.has(obj.metadata.uid) === true);
}

/**
 * Plans one namespace. Leftover objects go as the deletionPolicy of the baseline
 * that made them says (deleted when that baseline no longer exists, as the
 * garbage collector would do through their ownerReference); those of a baseline
 * now in Audit mode stay, since Audit never writes to a namespace. `operator`: kubeposture's
 * own ServiceAccount, the subject of its grantor RoleBinding (build.ts).
 */
export function planNamespace(snap: NamespaceSnapshot, baselines: Baselines, operatorNamespace: string | undefined, operator?: ServiceAccountRef): Plan {
  const info = namespaceInfo(snap.namespace);
  if (info.terminating) return { state: 'skipped', reason: 'namespace is terminating' };
  const frozen = snap.owned.find((o) => baselines.stalled.has(o.object.metadata.labels?.[LABEL_BASELINE] ?? ''));
  if (frozen !== undefined) return { state: 'skipped', reason: `holds objects of SecurityBaseline ${frozen.object.metadata.labels?.[LABEL_BASELINE] ?? ''}, whose spec is invalid` };

  const { winner, superseded } = resolve(baselines.valid, info, operatorNamespace);
  const supersededNames = superseded.map((b) => b.metadata.name);
  const desired = winner === undefined ? [] : desiredObjects(winner, info.name, operator);
  const enforce = winner?.spec.mode === 'Enforce';
  const drift: Drift[] = [];
  const actions: Action[] = [];
  const wanted = new Set<string>();

  for (const d of desired) {
    const o = d.object;
    if (d.ownership === 'owned') {
      wanted.add(`${o.kind}/${o.metadata.name}`);
      const live = snap.owned.find((c) => c.kind === o.kind && c.object.metadata.name === o.metadata.name)?.object;
      if (live === undefined) {
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Missing' });
        actions.push({ type: 'create', object: o });
        continue;
      }
      // kubeposture's labels on an object it did not make: someone else's, never touched.
      if (!isKubepostures(live, snap.knownUids)) {
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Conflict' });
        continue;
      }
      const fields = compareObject(o, live);
      if (fields.length > 0) {
        drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Modified', fields });
        actions.push({ type: 'update', object: o, fields, fromCreate: ownedThroughCreate(live) });
      }
      continue;
    }
    const live = o.kind === 'Namespace' ? snap.namespace : snap.defaultServiceAccount;
    const fields = compareObject(o, live);
    if (fields.length > 0) {
      drift.push({ kind: o.kind, name: o.metadata.name, reason: 'Modified', fields });
      actions.push({ type: 'applyShared', object: o });
    }
  }

  // Shared fields kubeposture set earlier but no longer wants go back to their owners.
  const wantsSA = desired.some((d) => d.ownership === 'shared' && d.object.kind === 'ServiceAccount');
  const wantsNsLabels = desired.some((d) => d.object.kind === 'Namespace');
  const cleanup: Action[] = [];
  if (!wantsSA && holdsField(snap.defaultServiceAccount, ['automountServiceAccountToken'])) {
    cleanup.push({ type: 'releaseShared', kind: 'ServiceAccount', name: DEFAULT_SERVICE_ACCOUNT });
  }
  if (!wantsNsLabels && holdsField(snap.namespace, ['metadata', 'labels'], true)) {
    cleanup.push({ type: 'releaseShared', kind: 'Namespace', name: info.name });
  }

  // Owned objects nobody wants: another baseline's leftovers, or of a kind this one no longer sets.
  for (const c of snap.owned) {
    const labelled = c.object.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
    if (!labelled || !isKubepostures(c.object, snap.knownUids) || wanted.has(`${c.kind}/${c.object.metadata.name}`)) continue;
    const owner = c.object.metadata.labels[LABEL_BASELINE] ?? '';
    if (winner?.metadata.name === owner) {
      drift.push({ kind: c.kind, name: c.object.metadata.name, reason: 'Unexpected' });
    }
    const ownerBaseline = baselines.valid.find((b) => b.metadata.name === owner);
    if (ownerBaseline?.spec.mode === 'Audit') continue;
    const uid = c.object.metadata.uid ?? '';
    // The grantor serves only kubeposture: left behind it would keep kubeposture's read access
    // in a namespace it no longer grants in. It goes under either policy.
    cleanup.push(ownerBaseline?.spec.deletionPolicy === 'Orphan' && !isGrantor(c.kind, c.object.metadata.name)
      ? { type: 'orphan', kind: c.kind, name: c.object.metadata.name, uid, baseline: owner }
      : { type: 'delete', kind: c.kind, name: c.object.metadata.name, uid });
  }

  if (winner === undefined) return { state: 'unselected', superseded: supersededNames, actions: cleanup };
  // Audit mode never writes to a namespace: drift is only reported.
  return { state: 'governed', baseline: winner, superseded: supersededNames, drift, actions: enforce ? [...actions, ...cleanup] : [] };
}
