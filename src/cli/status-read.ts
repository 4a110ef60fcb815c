/**
 * The reads behind `kubeposture status`: GETs and LISTs only, through a RestClient passed in,
 * and every way they can fail turned into a {@link StatusFailure} that says what to do. What is
 * read is shaped into a view by status.ts, which does no I/O.
 */
import { PLURAL, GROUP, VERSION } from '../api/constants.ts';
import { EXCEPTION_PLURAL } from '../api/exception.ts';
import { RESOURCES, resourcePath, type ResourceKind } from '../kube/resources.ts';
import type { RestClient } from '../kube/rest.ts';
import { ApiError } from '../kube/transport.ts';
import type { WireObject } from '../kube/wire.ts';
import { errorMessage } from '../lib/errors.ts';
import { REPORT_NAME } from '../report/build.ts';
import { namespaceView, overview, type StatusView, type WireBaseline, type WireException, type WireReport } from './status.ts';

/** Why `kubeposture status` could not answer. */
export type StatusFailure =
  | { readonly kind: 'namespace-not-found'; readonly namespace: string }
  | { readonly kind: 'api-not-installed' }
  | { readonly kind: 'forbidden'; readonly verb: string; readonly resource: string; readonly message: string }
  | { readonly kind: 'unauthorized'; readonly server: string; readonly message: string }
  | { readonly kind: 'unreachable'; readonly server: string; readonly message: string }
  | { readonly kind: 'api-error'; readonly verb: string; readonly resource: string; readonly status: number; readonly message: string };

export type StatusAnswer = { readonly ok: true; readonly view: StatusView } | { readonly ok: false; readonly failure: StatusFailure };

/** A read that failed in a way the answer names (not a bug). */
class ReadFailed extends Error {
  readonly failure: StatusFailure;
  constructor(failure: StatusFailure) {
    super(failure.kind);
    this.failure = failure;
  }
}

/** `kind`'s resource as RBAC and error messages name it: `plural.group` (`namespaces` for the core group). */
function resourceName(kind: ResourceKind): string {
  const r = RESOURCES[kind];
  const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0] : undefined;
  return group === undefined ? r.plural : `${r.plural}.${group}`;
}

/** The failure an error of `verb` on `kind` comes to. */
function failureOf(err: unknown, verb: string, kind: ResourceKind, server: string): StatusFailure {
  const resource = resourceName(kind);
  if (err instanceof ApiError) {
    if (err.status === 403) return { kind: 'forbidden', verb, resource, message: err.message };
    if (err.status === 401) return { kind: 'unauthorized', server, message: err.message };
    // 404 without a Status of reason NotFound: the path itself is unknown (the CRD is not installed).
    if (err.status === 404 && err.reason !== 'NotFound' && (kind === 'SecurityBaseline' || kind === 'SecurityBaselineException'))
      return { kind: 'api-not-installed' };
    return { kind: 'api-error', verb, resource, status: err.status, message: err.message };
  }
  return { kind: 'unreachable', server, message: errorMessage(err) };
}

/** Every object of `kind` (all namespaces), page by page. */
async function listAll<T>(rest: RestClient, kind: ResourceKind): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = await rest.list(kind, { limit: '500', continue: cont });
    out.push(...((page.items ?? []) as T[]));
    cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
  } while (cont !== undefined);
  return out;
}

/** Reads and the failure each comes to. */
class Reader {
  private readonly rest: RestClient;
  private readonly server: string;

  constructor(rest: RestClient, server: string) {
    this.rest = rest;
    this.server = server;
  }

  async guard<T>(verb: string, kind: ResourceKind, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err: unknown) {
      throw new ReadFailed(failureOf(err, verb, kind, this.server));
    }
  }

  baselines(): Promise<WireBaseline[]> {
    return this.guard('list', 'SecurityBaseline', () => listAll<WireBaseline>(this.rest, 'SecurityBaseline'));
  }

  /** Exceptions; none where their CRD is not installed (an install older than them). */
  async exceptions(): Promise<WireException[]> {
    try {
      return await this.guard('list', 'SecurityBaselineException', () => listAll<WireException>(this.rest, 'SecurityBaselineException'));
    } catch (err: unknown) {
      if (err instanceof ReadFailed && err.failure.kind === 'api-not-installed') return [];
      throw err;
    }
  }

  /** The namespace's Report `kubeposture`; undefined when the OpenReports API is not installed, it has none, or the user may not read it. */
  async report(namespace: string): Promise<WireReport | undefined> {
    try {
      return (await this.rest.request('GET', resourcePath('Report', namespace, REPORT_NAME))) as WireReport;
    } catch (err: unknown) {
      // Not installed, none yet, or not readable by this user: the view says there is no Report.
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return undefined;
      throw new ReadFailed(failureOf(err, 'get', 'Report', this.server));
    }
  }

  async namespace(name: string): Promise<WireObject> {
    const ns = await this.guard('get', 'Namespace', () => this.rest.get('Namespace', undefined, name));
    if (ns === undefined) throw new ReadFailed({ kind: 'namespace-not-found', namespace: name });
    return ns;
  }
}

/** What `kubeposture status [-n NAMESPACE]` asks. */
export interface StatusRequest {
  readonly namespace: string | undefined;
  /** kubeposture's own namespace, which no baseline governs (as the operator resolves). */
  readonly operatorNamespace: string | undefined;
  /** Epoch milliseconds. */
  readonly now: number;
  /** The apiserver's address, for messages. */
  readonly server: string;
}

/** Reads what `request` asks about through `rest` (GET and LIST only) and shapes it into a view, or says why it could not. */
export async function readStatus(rest: RestClient, request: StatusRequest): Promise<StatusAnswer> {
  const reader = new Reader(rest, request.server);
  try {
    if (request.namespace === undefined) return { ok: true, view: overview(await reader.baselines()) };
    const namespace = await reader.namespace(request.namespace);
    const [baselines, exceptions, report] = await Promise.all([reader.baselines(), reader.exceptions(), reader.report(request.namespace)]);
    return {
      ok: true,
      view: namespaceView({ namespace, baselines, exceptions, report, operatorNamespace: request.operatorNamespace, now: request.now }),
    };
  } catch (err: unknown) {
    if (err instanceof ReadFailed) return { ok: false, failure: err.failure };
    throw err;
  }
}

/** The CRD whose absence {@link StatusFailure} `api-not-installed` means. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** What to tell the user, one paragraph, no trailing newline. */
export function failureMessage(f: StatusFailure): string {
  switch (f.kind) {
    case 'namespace-not-found':
      return `namespace ${JSON.stringify(f.namespace)} not found`;
    case 'api-not-installed':
      return (
        `the SecurityBaseline API is not installed on this cluster: no CustomResourceDefinition ${CRD_NAME} serves ${GROUP}/${VERSION}. ` +
        `Install kubeposture (its CRDs ${CRD_NAME} and ${EXCEPTION_PLURAL}.${GROUP} with it): helm install kubeposture charts/kubeposture, ` +
        `or kubectl apply -k config/default (README "Install on a real cluster")`
      );
    case 'forbidden':
      return (
        `access denied: could not ${f.verb} ${f.resource}: ${f.message}. ` +
        `It needs get and list on securitybaselines, securitybaselineexceptions and namespaces (kubectl auth can-i ${f.verb} ${f.resource})`
      );
    case 'unauthorized':
      return `the apiserver at ${f.server} did not accept the credentials (401 Unauthorized: ${f.message}); check the kubeconfig's user`;
    case 'unreachable':
      return `cannot reach the apiserver at ${f.server}: ${f.message}`;
    case 'api-error':
      return `${f.verb} ${f.resource} failed (HTTP ${String(f.status)}): ${f.message}`;
  }
}
