/**
 * How the operator reaches its cluster: the apiserver's address, the CA to
 * trust, and the credentials to present.
 *
 * The common cases are read here, without client-node: in-cluster (the mounted
 * ServiceAccount token, re-read as the kubelet rotates it) and kubeconfig files
 * with static credentials (client certificate, token, token file). Loading
 * client-node costs the process about 87 MB of resident memory (its generated
 * API modules), a third of the operator's budget at 10,000 namespaces, so it is
 * loaded only for what needs it: exec plugins, auth providers, several merged
 * kubeconfig files. A Pod needs none of them, so it is an optional dependency the
 * image leaves out; where it is missing and a kubeconfig needs it, the error says so.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';

/** What the REST client needs (client-node's KubeConfig has the same shape). */
export interface ClusterAccess {
  getCurrentCluster(): { readonly server: string } | null;
  /** Sets TLS material and the Authorization header on `opts`. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Material {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure: boolean;
  /** A fixed token, or a file read again on each request (it rotates). */
  readonly token?: { readonly value: string } | { readonly file: string };
}

/** Static credentials as a {@link ClusterAccess}. */
class StaticAccess implements ClusterAccess {
  private readonly m: Material;

  constructor(m: Material) {
    this.m = m;
  }

  getCurrentCluster(): { readonly server: string } {
    return { server: this.m.server };
  }

  applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const { ca, cert, key, insecure, token } = this.m;
    if (ca !== undefined) opts.ca = ca;
    if (cert !== undefined) opts.cert = cert;
    if (key !== undefined) opts.key = key;
    if (insecure) opts.rejectUnauthorized = false;
    if (token !== undefined) {
      const value = 'value' in token ? token.value : readFileSync(token.file, 'utf8').trim();
      opts.headers = { ...(opts.headers as Record<string, string> | undefined), authorization: `Bearer ${value}` };
    }
    return Promise.resolve();
  }
}

type Entry = Record<string, unknown>;

function named(list: unknown, name: string, what: string, source: string): Entry {
  const found = Array.isArray(list) ? (list as Entry[]).find((e) => e.name === name) : undefined;
  const body = found?.[what];
  if (typeof body !== 'object' || body === null) throw new Error(`${source}: no ${what} named ${JSON.stringify(name)}`);
  return body as Entry;
}

const str = (e: Entry, k: string): string | undefined => (typeof e[k] === 'string' ? e[k] : undefined);

/**
 * Reads a kubeconfig file's current context when its credentials are static;
 * undefined when they need client-node (exec plugin, auth provider, basic auth).
 */
export function staticFromKubeconfig(text: string, source: string, context?: string): ClusterAccess | undefined {
  const doc = load(text);
  if (typeof doc !== 'object' || doc === null) throw new Error(`${source} is not a kubeconfig`);
  const cfg = doc as Entry;
  const current = context ?? str(cfg, 'current-context');
  if (current === undefined || current === '') throw new Error(`${source} has no current-context`);
  const ctx = named(cfg.contexts, current, 'context', source);
  const clusterName = str(ctx, 'cluster') ?? '';
  const userName = str(ctx, 'user');
  const cluster = named(cfg.clusters, clusterName, 'cluster', source);
  const user = userName === undefined ? {} : named(cfg.users, userName, 'user', source);
  if (
    Object.keys(user).some(
      (k) => !['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile'].includes(k),
    )
  )
    return undefined;
  const base = dirname(source);
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : join(base, p));
  const either = (e: Entry, k: string): Buffer | undefined => {
    const data = str(e, `${k}-data`);
    if (data !== undefined) return Buffer.from(data, 'base64');
    const path = str(e, k);
    return path === undefined ? undefined : file(path);
  };
  const server = str(cluster, 'server');
  if (server === undefined) throw new Error(`${source}: cluster ${clusterName} has no server`);
  const token = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  const material: Material = {
    server,
    insecure: cluster['insecure-skip-tls-verify'] === true,
    ...optional('ca', either(cluster, 'certificate-authority')),
    ...optional('cert', either(user, 'client-certificate')),
    ...optional('key', either(user, 'client-key')),
    ...(token !== undefined
      ? { token: { value: token } }
      : tokenFile !== undefined
        ? { token: { file: isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile) } }
        : {}),
  };
  return new StaticAccess(material);
}

function optional<K extends string>(key: K, value: Buffer | undefined): Partial<Record<K, Buffer>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, Buffer>);
}

/** In-cluster access from the mounted ServiceAccount; undefined outside a pod. */
export function inCluster(env: NodeJS.ProcessEnv, dir = SA_DIR): ClusterAccess | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || port === undefined) return undefined;
  let ca: Buffer;
  try {
    ca = readFileSync(join(dir, 'ca.crt'));
  } catch {
    return undefined;
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new StaticAccess({ server, ca, insecure: false, token: { file: join(dir, 'token') } });
}

const CLIENT_NODE = '@kubernetes/client-node';

/** How client-node is loaded (the part used here); passed in so a test can stand for an install without it. */
export type ClientNodeImporter = () => Promise<{ readonly KubeConfig: new () => KubeConfig }>;

const importClientNode: ClientNodeImporter = () => import('@kubernetes/client-node');

/** True when `err` is Node's failure to find client-node itself (not a module it imports). */
function clientNodeMissing(err: unknown): boolean {
  return (
    err instanceof Error &&
    'code' in err &&
    err.code === 'ERR_MODULE_NOT_FOUND' &&
    err.message.startsWith(`Cannot find package '${CLIENT_NODE}' `)
  );
}

async function viaClientNode(why: string, importer: ClientNodeImporter, load: (kc: KubeConfig) => void): Promise<ClusterAccess> {
  let lib: Awaited<ReturnType<ClientNodeImporter>>;
  try {
    lib = await importer();
  } catch (err: unknown) {
    if (!clientNodeMissing(err)) throw err;
    throw new Error(
      `${why}: that needs the optional package ${CLIENT_NODE}, which is not installed here ` +
        `(the kubeposture image leaves it out; in a Pod kubeposture uses its ServiceAccount). ` +
        `Use a kubeconfig whose user has a client certificate or a token, or install optional dependencies (npm ci without --omit=optional).`,
      { cause: err },
    );
  }
  const kc = new lib.KubeConfig();
  load(kc);
  return kc;
}

/**
 * The cluster access the flags and environment name, in client-node's order:
 * `--kubeconfig`, else $KUBECONFIG, else ~/.kube/config, else in-cluster.
 * client-node is imported through `importer` only when a kubeconfig needs it.
 */
export async function loadClusterAccess(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  importer: ClientNodeImporter = importClientNode,
): Promise<ClusterAccess> {
  const fromFile = async (path: string): Promise<ClusterAccess> =>
    staticFromKubeconfig(readFileSync(path, 'utf8'), path) ??
    viaClientNode(
      `The kubeconfig ${path} has credentials beyond a client certificate or a token (exec plugin, auth provider, password)`,
      importer,
      (kc) => {
        kc.loadFromFile(path);
      },
    );
  if (file !== undefined) return fromFile(file);
  const listed = env.KUBECONFIG;
  if (listed !== undefined && listed !== '') {
    // Several files are merged by client-node's rules.
    return listed.includes(':')
      ? viaClientNode(`KUBECONFIG names several files (${listed}) to merge`, importer, (kc) => {
          kc.loadFromDefault();
        })
      : fromFile(listed);
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  try {
    readFileSync(home);
    return await fromFile(home);
  } catch (err: unknown) {
    // Not `instanceof Error`: under jest's VM modules fs errors come from another realm.
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT')) throw err;
  }
  return (
    inCluster(env) ??
    viaClientNode(`No kubeconfig was given or found at ${home}, and this is not a Pod`, importer, (kc) => {
      kc.loadFromDefault();
    })
  );
}
