import { NAME_GRANTOR } from '../api/constants.ts';
import type { ManagedObject } from '../baseline/objects.ts';
import { actionTarget, writeOrder } from './order.ts';
import type { Action } from './plan.ts';

/** An object of `kind` named `name`: the order reads only those two, and what a RoleBinding binds (a Role and a ServiceAccount of its name). */
const object = (kind: ManagedObject['kind'], name: string): ManagedObject =>
  ({
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace: 'team-a' },
    ...(kind === 'RoleBinding'
      ? {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: name === NAME_GRANTOR ? 'ClusterRole' : 'Role', name },
          subjects: [{ kind: 'ServiceAccount', name: name.replace(/^kubeposture-/, ''), namespace: 'team-a' }],
        }
      : {}),
  }) as unknown as ManagedObject;
const create = (kind: ManagedObject['kind'], name: string): Action => ({
  type: 'create',
  object: object(kind, name),
  recorded: undefined,
  trustClaim: false,
});
const update = (kind: ManagedObject['kind'], name: string, fields: readonly string[] = ['spec']): Action => ({
  type: 'update',
  object: object(kind, name),
  fields,
  via: { type: 'apply' },
});
const names = (actions: readonly Action[]): string[] =>
  actions.map((a) => {
    const t = actionTarget(a);
    return `${a.type} ${t.kind}/${t.name}`;
  });

describe('writeOrder', () => {
  const grantor = create('RoleBinding', NAME_GRANTOR);
  const policy = create('NetworkPolicy', 'kubeposture-default-deny');
  const role = update('Role', 'kubeposture-app');
  const binding = create('RoleBinding', 'kubeposture-app');
  const defaultSa: Action = { type: 'applyShared', object: object('ServiceAccount', 'default') };
  const namespace: Action = { type: 'applyShared', object: object('Namespace', 'team-a') };
  const deleteQuota: Action = { type: 'delete', kind: 'ResourceQuota', name: 'kubeposture-quota', uid: 'u1' };
  const deleteGrantor: Action = { type: 'delete', kind: 'RoleBinding', name: NAME_GRANTOR, uid: 'u2' };
  const orphanRole: Action = { type: 'orphan', kind: 'Role', name: 'old', uid: 'u3', baseline: 'b' };
  const giveBack: Action = { type: 'releaseShared', kind: 'ServiceAccount', name: 'default' };

  it('puts the grantor first, RoleBindings after the Roles created, cleanup after, and the Namespace last', () => {
    const newRole = create('Role', 'kubeposture-app');
    const order = writeOrder([namespace, deleteGrantor, binding, deleteQuota, newRole, policy, grantor, defaultSa, orphanRole, giveBack]);
    expect(names(order.grants)).toEqual([`create RoleBinding/${NAME_GRANTOR}`]);
    expect(names(order.objects)).toEqual([
      'create Role/kubeposture-app',
      'create NetworkPolicy/kubeposture-default-deny',
      'applyShared ServiceAccount/default',
    ]);
    expect(names(order.bindings)).toEqual(['create RoleBinding/kubeposture-app']);
    // The grantor's removal after all other cleanup: orphaning a Role needs it.
    expect(names(order.cleanup)).toEqual([
      'delete ResourceQuota/kubeposture-quota',
      'orphan Role/old',
      'releaseShared ServiceAccount/default',
    ]);
    expect(names(order.ungrant)).toEqual([`delete RoleBinding/${NAME_GRANTOR}`]);
    expect(order.namespace).toBe(namespace);
  });

  it('sends a RoleBinding with the objects when its Role and ServiceAccount are there already; after them when this plan creates either', () => {
    // A tier switch: the Role's rules change and its RoleBinding moves, both at once.
    const movedBinding = update('RoleBinding', 'kubeposture-app', ['metadata.ownerReferences']);
    const switched = writeOrder([role, movedBinding, policy]);
    expect(names(switched.objects)).toEqual([
      'update Role/kubeposture-app',
      'update RoleBinding/kubeposture-app',
      'create NetworkPolicy/kubeposture-default-deny',
    ]);
    expect(switched.bindings).toEqual([]);
    // A RoleBinding missing while its Role and ServiceAccount stand: at once too.
    expect(names(writeOrder([binding, policy]).objects)).toEqual([
      'create RoleBinding/kubeposture-app',
      'create NetworkPolicy/kubeposture-default-deny',
    ]);
    // Its ServiceAccount created here: it waits, as for its Role.
    const sa = create('ServiceAccount', 'app');
    const withSa = writeOrder([sa, movedBinding]);
    expect(names(withSa.objects)).toEqual(['create ServiceAccount/app']);
    expect(names(withSa.bindings)).toEqual(['update RoleBinding/kubeposture-app']);
  });

  it('removes the grantor with the rest of the cleanup when nothing orphaned needs it', () => {
    const deleteRole: Action = { type: 'delete', kind: 'Role', name: 'kubeposture-app', uid: 'u4' };
    const orphanQuota: Action = { type: 'orphan', kind: 'ResourceQuota', name: 'kubeposture-quota', uid: 'u5', baseline: 'b' };
    const deletes = writeOrder([deleteGrantor, deleteRole, deleteQuota, giveBack, namespace]);
    expect(names(deletes.cleanup)).toEqual([
      `delete RoleBinding/${NAME_GRANTOR}`,
      'delete Role/kubeposture-app',
      'delete ResourceQuota/kubeposture-quota',
      'releaseShared ServiceAccount/default',
    ]);
    expect(deletes.ungrant).toEqual([]);
    // Orphaning a quota needs no grant either; a RoleBinding, as a Role, does.
    expect(writeOrder([deleteGrantor, orphanQuota]).ungrant).toEqual([]);
    const orphanBinding: Action = { type: 'orphan', kind: 'RoleBinding', name: 'kubeposture-app', uid: 'u6', baseline: 'b' };
    expect(names(writeOrder([deleteGrantor, orphanBinding]).ungrant)).toEqual([`delete RoleBinding/${NAME_GRANTOR}`]);
    expect(names(writeOrder([deleteGrantor, orphanBinding]).cleanup)).toEqual(['orphan RoleBinding/kubeposture-app']);
  });

  it("takes the Namespace's give-back for its last write too", () => {
    const release: Action = { type: 'releaseShared', kind: 'Namespace', name: 'team-a' };
    const order = writeOrder([release, deleteQuota]);
    expect(order.namespace).toBe(release);
    expect(names(order.cleanup)).toEqual(['delete ResourceQuota/kubeposture-quota']);
  });

  it('sends a grantor only moved to another baseline (its metadata) with the other objects; one whose grant changes, first', () => {
    const moved = update('RoleBinding', NAME_GRANTOR, ['metadata.ownerReferences', 'metadata.labels[kubeposture.io/baseline]']);
    const movedOrder = writeOrder([moved, policy, create('Role', 'kubeposture-app'), binding]);
    expect(movedOrder.grants).toEqual([]);
    expect(names(movedOrder.objects)).toEqual([
      `update RoleBinding/${NAME_GRANTOR}`,
      'create NetworkPolicy/kubeposture-default-deny',
      'create Role/kubeposture-app',
    ]);
    expect(names(movedOrder.bindings)).toEqual(['create RoleBinding/kubeposture-app']);
    const regranted = update('RoleBinding', NAME_GRANTOR, ['metadata.ownerReferences', 'subjects']);
    expect(names(writeOrder([regranted, policy]).grants)).toEqual([`update RoleBinding/${NAME_GRANTOR}`]);
    // A RoleBinding of a workload waits for its Role when that is created, however little the binding changes.
    const movedBinding = update('RoleBinding', 'kubeposture-app', ['metadata.ownerReferences']);
    expect(names(writeOrder([movedBinding, create('Role', 'kubeposture-app')]).bindings)).toEqual(['update RoleBinding/kubeposture-app']);
  });

  it('has nothing to do for no actions', () => {
    expect(writeOrder([])).toEqual({ grants: [], objects: [], bindings: [], cleanup: [], ungrant: [], namespace: undefined });
  });
});
