/**
 * A small JSON client for the Kubernetes REST API. client-node provides the
 * configuration and credentials (kubeconfig, in-cluster, token refresh); the
 * requests and responses are plain JSON in the apiserver's own field names.
 *
 * Why not client-node's typed calls for writes: its serializer maps objects
 * onto generated model classes and silently drops fields it spells otherwise
 * (a NetworkPolicy rule's `from`, a LimitRangeItem's `default`), which for a
 * security operator turns "allow from these pods" into "allow from everywhere".
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';

/** An error answer from the apiserver: its HTTP status, reason and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: unknown;

  constructor(status: number, reason: string, message: string, body: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

/** Where a kind lives in the REST API. */
export interface ResourceInfo {
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The kinds kubeposture reads or writes. */
export const RESOURCES = {
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true },
  LimitRange: { apiVersion: 'v1', plural: 'limitranges', namespaced: true },
  ResourceQuota: { apiVersion: 'v1', plural: 'resourcequotas', namespaced: true },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  SecurityBaseline: { apiVersion: 'kubeposture.io/v1alpha1', plural: 'securitybaselines', namespaced: false },
  Lease: { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  Event: { apiVersion: 'events.k8s.io/v1', plural: 'events', namespaced: true },
} as const satisfies Record<string, ResourceInfo>;
export type ResourceKind = keyof typeof RESOURCES;

/** The REST path of a collection (no name) or of one object. */
export function resourcePath(kind: ResourceKind, namespace?: string, name?: string): string {
  const r: ResourceInfo = RESOURCES[kind];
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

export interface RequestInit {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** Server-side apply options. */
export interface ApplyOptions {
  readonly fieldManager: string;
  readonly force: boolean;
  readonly dryRun?: boolean;
}

/** JSON requests to one apiserver with the credentials of a KubeConfig. */
export class RestClient {
  private readonly kc: KubeConfig;
  private readonly server: URL;
  private agent: Agent | undefined;
  /** Sent with every request, so the apiserver's metrics and audit log can tell us apart. */
  readonly userAgent: string;

  constructor(kc: KubeConfig, userAgent = 'kubeposture') {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    this.kc = kc;
    this.server = new URL(cluster.server);
    this.userAgent = userAgent;
  }

  /** Sends one request and parses the JSON answer; a status >= 400 rejects with {@link ApiError}. */
  async request(method: string, path: string, init: RequestInit = {}): Promise<unknown> {
    // Credentials are applied per request: tokens rotate. The TLS material goes
    // into one keep-alive agent, made once.
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    this.agent ??= new Agent({
      keepAlive: true,
      maxSockets: 64,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      ...(opts.cert === undefined ? {} : { cert: opts.cert }),
      ...(opts.key === undefined ? {} : { key: opts.key }),
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
    });
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    // client-node sets headers (the bearer token) as an object, never as a raw list.
    const auth = Array.isArray(opts.headers) ? {} : (opts.headers as OutgoingHttpHeaders | undefined);
    const headers: OutgoingHttpHeaders = {
      ...auth,
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...(payload === undefined ? {} : { 'content-type': init.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
    };
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(url.protocol === 'https:' ? { agent: this.agent } : {}), ...(opts.auth === undefined ? {} : { auth: opts.auth }) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON (a proxy's error page, say): keep the text
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const s = (typeof body === 'object' && body !== null ? body : {}) as { reason?: unknown; message?: unknown };
            reject(new ApiError(status, typeof s.reason === 'string' ? s.reason : '', typeof s.message === 'string' ? s.message : `${method} ${path}: HTTP ${String(status)}`, body));
          } else {
            resolve(body);
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => { req.destroy(new Error(`${method} ${path}: no answer within 30s`)); });
      req.end(payload);
    });
  }

  /** GETs one object; undefined when it does not exist. */
  async get(kind: ResourceKind, namespace: string | undefined, name: string): Promise<unknown> {
    try {
      return await this.request('GET', resourcePath(kind, namespace, name));
    } catch (err: unknown) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Server-side applies `obj` (which must carry apiVersion, kind and metadata.name). */
  async apply(kind: ResourceKind, obj: { readonly metadata: { readonly name: string; readonly namespace?: string } }, opts: ApplyOptions): Promise<unknown> {
    return this.request('PATCH', resourcePath(kind, obj.metadata.namespace, obj.metadata.name), {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined, dryRun: opts.dryRun === true ? 'All' : undefined },
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
