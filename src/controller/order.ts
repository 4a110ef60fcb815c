/**
 * The order a reconcile carries a plan's actions out in. Pure: it sorts the actions;
 * the reconciler sends them. Writes that bring objects to the baseline go out together,
 * so a namespace costs a round trip or two, not one per object. A RoleBinding follows its Role
 * or ServiceAccount where this plan creates them: without the `bind` verb, the apiserver lets
 * kubeposture bind only a Role that exists and whose every permission it holds. Before all of
 * them, the grantor, through which kubeposture holds those permissions in this namespace.
 * Cleanup (deleting, orphaning, giving back fields) comes after, together too, the grantor's
 * removal with it, unless a Role or RoleBinding is orphaned: that is an update, which the
 * apiserver checks against what kubeposture holds, so the grantor goes after it. The Namespace is written once, last, with the record of what was
 * created (the Pod Security labels go in the same apply).
 */
import { isGrantor } from '../baseline/build.ts';
import type { Action } from './plan.ts';

/** A plan's actions by when they are carried out, each list in the plan's order. */
export interface WriteOrder {
  /** The grantor RoleBinding, first, when the write changes what it grants. */
  readonly grants: readonly Action[];
  /** Every other object brought to the baseline, together, but RoleBindings whose Role or ServiceAccount is created here. */
  readonly objects: readonly Action[];
  /** RoleBindings whose Role or ServiceAccount is created here, together, once those are written. */
  readonly bindings: readonly Action[];
  /** Deletes, orphans and give-backs, together; the grantor's too unless `ungrant` has it. */
  readonly cleanup: readonly Action[];
  /** The grantor's removal, once the rest of the cleanup is done, when that orphans a Role or RoleBinding (an update needs the grant). */
  readonly ungrant: readonly Action[];
  /** The Namespace's own write or give-back, last of all. */
  readonly namespace: Action | undefined;
}

/** The kind and name an action is about. */
export function actionTarget(a: Action): { readonly kind: string; readonly name: string } {
  switch (a.type) {
    case 'create':
    case 'update':
    case 'applyShared':
      return { kind: a.object.kind, name: a.object.metadata.name };
    case 'delete':
    case 'orphan':
    case 'releaseShared':
      return { kind: a.kind, name: a.name };
  }
}

const isNamespace = (a: Action): boolean =>
  (a.type === 'applyShared' && a.object.kind === 'Namespace') || (a.type === 'releaseShared' && a.kind === 'Namespace');
const granting = (a: Action): boolean => {
  const t = actionTarget(a);
  return isGrantor(t.kind, t.name);
};

/**
 * A write of the grantor that changes what it grants: its create, or an update of more than
 * its metadata. One that only moves it to another baseline (its ownerReference and labels, a
 * tier switch) grants nothing new, so nothing need wait for it.
 */
const grantsAnew = (a: Action): boolean => granting(a) && !(a.type === 'update' && a.fields.every((f) => /^metadata[.[]/.test(f)));

/**
 * An orphaning of a Role or RoleBinding: an update, which the apiserver lets through only if
 * kubeposture holds what the Role grants (or may bind what the RoleBinding binds), through the
 * grantor. Deletes need no such check: a Delete baseline's cleanup removes the grantor with the
 * rest, one round trip fewer per namespace than waiting (run X: 1.41× the floor).
 */
const needsGrant = (a: Action): boolean => a.type === 'orphan' && (a.kind === 'Role' || a.kind === 'RoleBinding');

/**
 * A workload RoleBinding whose Role or ServiceAccount this plan creates: it waits for them (the
 * apiserver lets kubeposture bind only a Role that exists and whose permissions it holds, and a
 * create may find the name someone else's, which blocks the binding). One whose Role and
 * ServiceAccount are there already (kubeposture's, or the plan would have found a Conflict) goes
 * with the other objects: a tier switch moves the Role and its RoleBinding at once, two round
 * trips per namespace instead of three.
 */
function waitsForItsObjects(a: Action, created: ReadonlySet<string>): boolean {
  // A RoleBinding's create or update, never the grantor's.
  if ((a.type !== 'create' && a.type !== 'update') || a.object.kind !== 'RoleBinding' || granting(a)) return false;
  const o = a.object;
  return created.has(`Role/${o.roleRef.name}`) || o.subjects.some((s) => created.has(`ServiceAccount/${s.name}`));
}

/** `actions` sorted into the steps they are carried out in: see {@link WriteOrder}. */
export function writeOrder(actions: readonly Action[]): WriteOrder {
  const bringing = actions.filter((a) => (a.type === 'create' || a.type === 'update' || a.type === 'applyShared') && !isNamespace(a));
  const others = actions.filter((a) => !bringing.includes(a) && !isNamespace(a));
  const grantLast = others.some(needsGrant);
  const created = new Set(actions.flatMap((a) => (a.type === 'create' ? [`${a.object.kind}/${a.object.metadata.name}`] : [])));
  return {
    grants: bringing.filter(grantsAnew),
    objects: bringing.filter((a) => !grantsAnew(a) && !waitsForItsObjects(a, created)),
    bindings: bringing.filter((a) => waitsForItsObjects(a, created)),
    cleanup: others.filter((a) => !grantLast || !granting(a)),
    ungrant: grantLast ? others.filter(granting) : [],
    namespace: actions.find(isNamespace),
  };
}
