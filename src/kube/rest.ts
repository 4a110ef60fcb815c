/**
 * The typed verbs kubeposture speaks to the REST API: get, list, create, replace,
 * apply, merge and JSON patch, delete, each about a kind in the table
 * (resources.ts), sent through the transport (transport.ts). An answer comes as
 * the wire type the table gives its kind (`WireOf<K>`: a WireObject, or a Lease
 * for leases), so callers name the kind and get the type with it.
 *
 * The apiserver's JSON becomes a typed value in one place (answerOf, pageOf): the
 * apiserver is trusted to answer a request about a kind with an object of that
 * kind (as client-go's typed clients trust it); nothing is checked at run time.
 * Paths outside the table (reviews, /metrics) go through the transport's
 * untyped `request`, whose answer stays `unknown`.
 */
import { ApiError, Transport, type TransportOptions } from './transport.ts';
import { resourcePath, type ResourceKind, type WireOf } from './resources.ts';
import type { WireList } from './wire.ts';
import { asPlainObject } from '../lib/json.ts';

/** The options of a {@link RestClient}: those of its transport. */
export type RestClientOptions = TransportOptions;

/** What a delete came to: `gone` (deleted, or was not there), or `pending` on finalizers, with the object as it now stands. */
export type DeleteResult<T = unknown> =
  { readonly state: 'gone'; readonly existed: boolean } | { readonly state: 'pending'; readonly object: T };

/** One RFC 6902 operation. */
export type JsonPatchOp =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** Server-side apply options. */
export interface ApplyOptions {
  readonly fieldManager: string;
  readonly force: boolean;
  readonly dryRun?: boolean;
  /** Given the answer's `Warning` texts, when it has any (transport.ts RequestInit). */
  readonly onWarnings?: (warnings: readonly string[]) => void;
}

/** An object to send: the verbs find its path from its name and namespace. */
export interface Sendable {
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

// The narrowing from the transport's `unknown` to wire types, and the only one: the answer
// to a request about `kind` is taken to be a WireOf that kind, and a list's page to hold them.

/** The apiserver's answer about one object of `kind`, as the wire type the table gives it. */
function answerOf<K extends ResourceKind>(_kind: K, body: unknown): WireOf<K> {
  return body as WireOf<K>;
}

/** The apiserver's answer to a list of `kind`: a page of objects of its wire type. */
function pageOf<K extends ResourceKind>(_kind: K, body: unknown): WireList<WireOf<K>> {
  return body as WireList<WireOf<K>>;
}

/** The path of one object, or of its status subresource. */
function objectPath(kind: ResourceKind, namespace: string | undefined, name: string, subresource?: 'status'): string {
  return `${resourcePath(kind, namespace, name)}${subresource === undefined ? '' : `/${subresource}`}`;
}

/** Typed requests about the kinds in resources.ts, over a {@link Transport}. */
export class RestClient extends Transport {
  /** GETs one object; undefined when it does not exist. */
  async get<K extends ResourceKind>(kind: K, namespace: string | undefined, name: string): Promise<WireOf<K> | undefined> {
    try {
      return answerOf(kind, await this.request('GET', resourcePath(kind, namespace, name)));
    } catch (err: unknown) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** GETs one page of a collection (all namespaces), with `query`'s selectors, limit and continue token. */
  async list<K extends ResourceKind>(kind: K, query: Readonly<Record<string, string | undefined>>): Promise<WireList<WireOf<K>>> {
    return pageOf(kind, await this.request('GET', resourcePath(kind), { query }));
  }

  /** Creates `obj` (POST), recording its fields under `fieldManager` when given; a name already taken answers 409 AlreadyExists. */
  async create<K extends ResourceKind>(kind: K, obj: Sendable, fieldManager?: string): Promise<WireOf<K>> {
    return answerOf(kind, await this.request('POST', resourcePath(kind, obj.metadata.namespace), { body: obj, query: { fieldManager } }));
  }

  /** Replaces `obj` (PUT): refused with 409 unless its resourceVersion, when it carries one, is still the object's. */
  async replace<K extends ResourceKind>(kind: K, obj: Sendable): Promise<WireOf<K>> {
    return answerOf(kind, await this.request('PUT', resourcePath(kind, obj.metadata.namespace, obj.metadata.name), { body: obj }));
  }

  /** Server-side applies `obj` (which must carry apiVersion, kind and metadata.name). */
  async apply<K extends ResourceKind>(kind: K, obj: Sendable, opts: ApplyOptions): Promise<WireOf<K>> {
    return answerOf(
      kind,
      await this.request('PATCH', resourcePath(kind, obj.metadata.namespace, obj.metadata.name), {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: {
          fieldManager: opts.fieldManager,
          force: opts.force ? 'true' : undefined,
          dryRun: opts.dryRun === true ? 'All' : undefined,
        },
        ...(opts.onWarnings === undefined ? {} : { onWarnings: opts.onWarnings }),
      }),
    );
  }

  /**
   * Deletes one object, only if it still has `uid` (so a re-created object of the
   * same name is never deleted by mistake). `gone`: deleted at once (or was not
   * there); `pending`: finalizers hold it, and `object` is how it now stands.
   */
  async delete<K extends ResourceKind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    uid: string,
  ): Promise<DeleteResult<WireOf<K>>> {
    try {
      const body = await this.request('DELETE', resourcePath(kind, namespace, name), {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid }, propagationPolicy: 'Background' },
      });
      // A Status when the object went at once; the object itself while finalizers hold it.
      const o = asPlainObject(body);
      return o?.kind !== 'Status' && asPlainObject(o?.metadata)?.deletionTimestamp !== undefined
        ? { state: 'pending', object: answerOf(kind, body) }
        : { state: 'gone', existed: true };
    } catch (err: unknown) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return { state: 'gone', existed: false };
      throw err;
    }
  }

  /** Applies an RFC 6902 JSON patch. */
  async jsonPatch<K extends ResourceKind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    ops: readonly JsonPatchOp[],
    opts: { readonly subresource?: 'status'; readonly fieldManager?: string } = {},
  ): Promise<WireOf<K>> {
    return answerOf(
      kind,
      await this.request('PATCH', objectPath(kind, namespace, name, opts.subresource), {
        body: ops,
        contentType: 'application/json-patch+json',
        query: { fieldManager: opts.fieldManager },
      }),
    );
  }

  /** Applies an RFC 7386 merge patch. */
  async mergePatch<K extends ResourceKind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource?: 'status',
  ): Promise<WireOf<K>> {
    return answerOf(
      kind,
      await this.request('PATCH', objectPath(kind, namespace, name, subresource), { body, contentType: 'application/merge-patch+json' }),
    );
  }
}
