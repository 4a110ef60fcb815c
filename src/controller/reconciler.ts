/**
 * Reconciles one namespace: reads the caches, plans (plan.ts), carries out the
 * plan through the API, and reports the result. Level-triggered: it takes only
 * the namespace's name, never the event that caused it, and is safe to run any
 * number of times. A compliant namespace costs no API request.
 */
import { API_VERSION, FIELD_MANAGER, GROUP, KIND, LABEL_BASELINE, LABEL_MANAGED_BY } from '../api/constants.ts';
import type { ManagedObject } from '../baseline/objects.ts';
import type { WireObject } from '../kube/informer.ts';
import { ApiError, type JsonPatchOp, type ResourceKind, type RestClient } from '../kube/rest.ts';
import type { Logger } from '../observability/logger.ts';
import { planNamespace, type Action, type Baselines, type Drift, type NamespaceSnapshot, type Plan } from './plan.ts';

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
}

/** Reads what a reconcile needs, from the informer caches. */
export interface StateReader {
  snapshot(namespace: string): NamespaceSnapshot | undefined;
  baselines(): Baselines;
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
  readonly log: Logger;
  readonly operatorNamespace: string | undefined;
  /**
   * False while a baseline does not yet carry kubeposture's finalizer: nothing is
   * written for it until its cleanup is guaranteed to run before it can go.
   */
  readonly guarded: (baseline: string) => boolean;
  /** Checked before every write: a leader that lost its lease stops at once. */
  readonly mayWrite: () => boolean;
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** True when `obj` has a controller ownerReference to a SecurityBaseline: kubeposture made it. */
export function madeByKubeposture(obj: WireObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.kind === KIND && r.apiVersion.startsWith(`${GROUP}/`) && r.controller === true);
}

function nsOf(o: ManagedObject): string | undefined {
  return 'namespace' in o.metadata ? o.metadata.namespace : undefined;
}

export class Reconciler {
  private readonly deps: ReconcilerDeps;

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  /** Plans from the caches without acting: what `reconcile` would do. */
  plan(namespace: string): Plan | undefined {
    const snap = this.deps.state.snapshot(namespace);
    if (snap === undefined) return undefined;
    return planNamespace(snap, this.deps.state.baselines(), this.deps.operatorNamespace);
  }

  /** Reconciles one namespace; undefined when the namespace no longer exists or is left alone. */
  async reconcile(namespace: string): Promise<NamespaceResult | undefined> {
    const plan = this.plan(namespace);
    if (plan === undefined || plan.state === 'skipped') return undefined;
    const drift: Drift[] = plan.state === 'governed' ? [...plan.drift] : [];
    const repaired: Drift[] = [];
    let error: string | undefined;
    const waiting = plan.state === 'governed' && plan.actions.length > 0 && !this.deps.guarded(plan.baseline.metadata.name);
    for (const action of waiting ? [] : plan.actions) {
      if (!this.deps.mayWrite()) {
        error = 'not the leader any more';
        break;
      }
      try {
        const outcome = await this.act(namespace, action);
        const t = target(action);
        const index = drift.findIndex((d) => d.kind === t.kind && d.name === t.name);
        if (outcome === 'conflict' && index >= 0) {
          const d = drift[index];
          if (d !== undefined) drift[index] = { kind: d.kind, name: d.name, reason: 'Conflict' };
        } else if (index >= 0) {
          const [d] = drift.splice(index, 1);
          if (d !== undefined) repaired.push(d);
        }
      } catch (err: unknown) {
        error = `${describe(action)}: ${err instanceof Error ? err.message : String(err)}`;
        this.deps.log.warn('Failed to reconcile object', { namespace, action: describe(action), error });
        break;
      }
    }
    const base = plan.state === 'governed'
      ? { baseline: { name: plan.baseline.metadata.name, generation: plan.baseline.metadata.generation, mode: plan.baseline.spec.mode } }
      : {};
    return { namespace, ...base, superseded: plan.superseded, drift, repaired, ...(error === undefined ? {} : { error }), ...(waiting ? { waitingForFinalizer: true as const } : {}) };
  }

  private async apply(object: { readonly apiVersion: string; readonly kind: ResourceKind; readonly metadata: { readonly name: string; readonly namespace?: string } }, force: boolean): Promise<void> {
    const written = (await this.deps.rest.apply(object.kind, object, { fieldManager: FIELD_MANAGER, force })) as WireObject;
    this.deps.cache.written(object.kind, written);
  }

  /** Carries out one action; 'conflict' when the object's name is held by something kubeposture did not make. */
  private async act(namespace: string, action: Action): Promise<'done' | 'conflict'> {
    const { rest, log } = this.deps;
    switch (action.type) {
      case 'create': {
        const o = action.object;
        const existing = (await rest.get(o.kind, nsOf(o), o.metadata.name)) as WireObject | undefined;
        if (existing !== undefined && !madeByKubeposture(existing)) {
          log.warn('Found a conflicting object', { namespace, kind: o.kind, name: o.metadata.name });
          return 'conflict';
        }
        try {
          // Not forced when creating: if someone created the object since the
          // check above with other values, the apply fails instead of taking it over.
          await this.apply(o, existing !== undefined);
        } catch (err: unknown) {
          if (err instanceof ApiError && err.status === 409) return 'conflict';
          throw err;
        }
        log.info(existing === undefined ? 'Created object' : 'Restored object', { namespace, kind: o.kind, name: o.metadata.name });
        return 'done';
      }
      case 'update':
        await this.apply(action.object, true);
        log.info('Repaired object', { namespace, kind: action.object.kind, name: action.object.metadata.name, fields: action.fields });
        return 'done';
      case 'applyShared':
        await this.apply(action.object, true);
        log.info('Applied shared fields', { namespace, kind: action.object.kind, name: action.object.metadata.name });
        return 'done';
      case 'releaseShared': {
        // Applying a configuration without the fields drops kubeposture's ownership:
        // fields nobody else owns are removed, values others set stay.
        await this.apply({ apiVersion: 'v1', kind: action.kind, metadata: { name: action.name, ...(action.kind === 'ServiceAccount' ? { namespace } : {}) } }, true);
        log.info('Gave back shared fields', { namespace, kind: action.kind, name: action.name });
        return 'done';
      }
      case 'delete': {
        const result = await rest.delete(action.kind, namespace, action.name, action.uid);
        if (result.state === 'pending') {
          // Someone's finalizer holds it: it stays in the cache, marked for deletion.
          this.deps.cache.written(action.kind, result.object as WireObject);
          log.info('Deletion pending on finalizers', { namespace, kind: action.kind, name: action.name });
        } else {
          if (result.existed) log.info('Deleted object', { namespace, kind: action.kind, name: action.name });
          this.deps.cache.removed(action.kind, namespace, action.name);
        }
        return 'done';
      }
      case 'orphan':
        await this.orphan(namespace, action);
        return 'done';
    }
  }

  /** Leaves an object in place, without kubeposture's labels, ownerReference or field ownership. */
  private async orphan(namespace: string, action: Extract<Action, { type: 'orphan' }>): Promise<void> {
    const live = (await this.deps.rest.get(action.kind, namespace, action.name)) as WireObject | undefined;
    if (live?.metadata.uid !== action.uid) return;
    const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion }];
    for (const key of [LABEL_MANAGED_BY, LABEL_BASELINE]) {
      if (live.metadata.labels?.[key] !== undefined) ops.push({ op: 'remove', path: `/metadata/labels/${escapePointer(key)}` });
    }
    const refs = live.metadata.ownerReferences ?? [];
    const keptRefs = refs.filter((r) => !(r.kind === KIND && r.apiVersion === API_VERSION));
    if (keptRefs.length !== refs.length) ops.push({ op: 'replace', path: '/metadata/ownerReferences', value: keptRefs });
    const fields = live.metadata.managedFields ?? [];
    const keptFields = fields.filter((f) => f.manager !== FIELD_MANAGER);
    // An empty list would be ignored; one empty entry clears field ownership altogether.
    if (keptFields.length !== fields.length) ops.push({ op: 'replace', path: '/metadata/managedFields', value: keptFields.length > 0 ? keptFields : [{}] });
    await this.deps.rest.jsonPatch(action.kind, namespace, action.name, ops);
    this.deps.cache.removed(action.kind, namespace, action.name);
    this.deps.log.info('Released object', { namespace, kind: action.kind, name: action.name, baseline: action.baseline });
  }
}

function target(a: Action): { readonly kind: string; readonly name: string } {
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

function describe(a: Action): string {
  const t = target(a);
  return `${a.type} ${t.kind}/${t.name}`;
}
