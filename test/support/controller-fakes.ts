/**
 * Fakes for the controller's parts (status writer, finalizer, announce): reconcile results,
 * cached SecurityBaselines and Namespaces, and a RestClient and EventSink that only record.
 */
import { API_VERSION, KIND } from '../../src/api/constants.ts';
import type { DriftReason } from '../../src/api/types.ts';
import type { EventSink, EventTarget, EventType } from '../../src/kube/events.ts';
import type { JsonPatchOp, RestClient } from '../../src/kube/rest.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import type { ResourceKind } from '../../src/kube/resources.ts';
import type { BaselineObject, NamespaceObject } from '../../src/controller/caches.ts';
import type { Drift } from '../../src/controller/plan.ts';
import type { NamespaceResult } from '../../src/controller/reconciler.ts';

export const drift = (kind: string, name: string, reason: DriftReason, fields?: readonly string[]): Drift =>
  fields === undefined ? { kind, name, reason } : { kind, name, reason, fields };

/** One namespace's reconcile result; governed by `baseline` at generation 1 in Enforce mode unless told otherwise. */
export function nsResult(
  namespace: string,
  baseline: string | undefined,
  extra: Partial<Omit<NamespaceResult, 'namespace'>> & { readonly generation?: number; readonly mode?: string } = {},
): NamespaceResult {
  const { generation = 1, mode = 'Enforce', ...rest } = extra;
  return {
    namespace,
    ...(baseline === undefined ? {} : { baseline: { name: baseline, generation, mode } }),
    superseded: [],
    drift: [],
    repaired: [],
    ...rest,
  };
}

/** A SecurityBaseline as the cache holds it: valid (selecting team=a) unless `spec` says otherwise. */
export function baselineObject(
  name: string,
  metadata: Partial<BaselineObject['metadata']> = {},
  spec: unknown = { namespaceSelector: { matchLabels: { team: 'a' } } },
): BaselineObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, uid: `uid-${name}`, generation: 1, resourceVersion: '7', ...metadata },
    spec,
  };
}

/** The same object without a uid. */
export function withoutUid<T extends { readonly metadata: { readonly uid?: string } }>(obj: T): T {
  const { uid: _uid, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** A SecurityBaseline whose spec the parser refuses. */
export const invalidBaselineObject = (name: string, metadata: Partial<BaselineObject['metadata']> = {}): BaselineObject =>
  baselineObject(name, metadata, { mode: 'Sometimes' });

/** A Namespace as the cache holds it, labelled team=a unless told otherwise. */
export const namespaceObject = (name: string, labels: Record<string, string> = { team: 'a' }): NamespaceObject => ({
  metadata: { name, uid: `uid-${name}`, labels },
});

export interface MergePatchCall {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly body: unknown;
  readonly subresource: 'status' | undefined;
}

export interface JsonPatchCall {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly ops: readonly JsonPatchOp[];
}

/**
 * The PATCH verbs of a RestClient, recording each call; an error queued in `failures` is thrown
 * by the next call; `onMerge` sees each merge patch that succeeds, as the apiserver would apply it.
 */
export class FakeRest {
  readonly merges: MergePatchCall[] = [];
  readonly jsonPatches: JsonPatchCall[] = [];
  readonly failures: Error[] = [];
  private readonly onMerge: ((call: MergePatchCall) => void) | undefined;
  private gate: Promise<void> | undefined;

  constructor(onMerge?: (call: MergePatchCall) => void) {
    this.onMerge = onMerge;
  }

  mergePatch = (
    kind: ResourceKind,
    _namespace: string | undefined,
    name: string,
    body: unknown,
    subresource?: 'status',
  ): Promise<unknown> => {
    const call = { kind, name, body, subresource };
    this.merges.push(call);
    return this.answer(() => this.onMerge?.(call));
  };

  jsonPatch = (kind: ResourceKind, _namespace: string | undefined, name: string, ops: readonly JsonPatchOp[]): Promise<unknown> => {
    this.jsonPatches.push({ kind, name, ops });
    return this.answer();
  };

  /** What a GET answers, by name (undefined: 404). */
  readonly objects = new Map<string, WireObject>();

  get = (_kind: ResourceKind, _namespace: string | undefined, name: string): Promise<WireObject | undefined> =>
    Promise.resolve(this.objects.get(name));

  /** Only the verbs above exist: anything else the code under test calls fails the test. */
  get client(): RestClient {
    return this as unknown as RestClient;
  }

  /** Answers wait until the returned function is called, as a slow apiserver's would. */
  holdAnswers(): () => void {
    let release: () => void = () => undefined;
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return release;
  }

  private answer(applied?: () => void): Promise<unknown> {
    const failure = this.failures.shift();
    const settle = (): Promise<unknown> => {
      if (failure !== undefined) return Promise.reject(failure);
      applied?.();
      return Promise.resolve({});
    };
    return this.gate === undefined ? settle() : this.gate.then(settle);
  }
}

export interface RecordedEvent {
  readonly target: EventTarget;
  readonly type: EventType;
  readonly reason: string;
  readonly note: string;
}

export class RecordingEvents implements EventSink {
  readonly recorded: RecordedEvent[] = [];

  record(target: EventTarget, type: EventType, reason: string, note: string): void {
    this.recorded.push({ target, type, reason, note });
  }
}
