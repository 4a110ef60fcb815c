import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { type ClientNodeImporter, inCluster, loadClusterAccess, staticFromKubeconfig } from './access.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443', 'certificate-authority-data': b64('CA') },
): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'c',
    contexts: [
      { name: 'c', context: { cluster: 'k', user: 'u' } },
      { name: 'other', context: { cluster: 'k', user: 'u' } },
    ],
    clusters: [{ name: 'k', cluster }],
    users: [{ name: 'u', user }],
  });
}

async function applied(access: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }): Promise<RequestOptions> {
  const opts: RequestOptions = {};
  await access.applyToHTTPSOptions(opts);
  return opts;
}

describe('static kubeconfig access', () => {
  it('reads the server, the CA and a client certificate given as data', async () => {
    const access = staticFromKubeconfig(kubeconfig({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }), '/x/config');
    expect(access?.getCurrentCluster()).toEqual({ server: 'https://10.0.0.1:6443' });
    const opts = await applied(access ?? { applyToHTTPSOptions: () => Promise.resolve() });
    expect(String(opts.ca)).toBe('CA');
    expect(String(opts.cert)).toBe('CERT');
    expect(Buffer.isBuffer(opts.key) ? opts.key.toString() : opts.key).toBe('KEY');
    expect(opts.headers).toBeUndefined();
  });

  it('resolves files relative to the kubeconfig and re-reads a token file on every request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-access-'));
    writeFileSync(join(dir, 'ca.crt'), 'FILE-CA');
    writeFileSync(join(dir, 'token'), 'first\n');
    const access = staticFromKubeconfig(
      kubeconfig({ tokenFile: 'token' }, { server: 'https://k:6443', 'certificate-authority': 'ca.crt' }),
      join(dir, 'config'),
    );
    if (access === undefined) throw new Error('expected static access');
    expect(String((await applied(access)).ca)).toBe('FILE-CA');
    expect((await applied(access)).headers).toEqual({ authorization: 'Bearer first' });
    writeFileSync(join(dir, 'token'), 'rotated\n');
    expect((await applied(access)).headers).toEqual({ authorization: 'Bearer rotated' });
  });

  it('sends a fixed token and honours insecure-skip-tls-verify', async () => {
    const access = staticFromKubeconfig(
      kubeconfig({ token: 'abc' }, { server: 'https://k', 'insecure-skip-tls-verify': true }),
      '/x/config',
    );
    const opts = await applied(access ?? { applyToHTTPSOptions: () => Promise.resolve() });
    expect(opts.headers).toEqual({ authorization: 'Bearer abc' });
    expect(opts.rejectUnauthorized).toBe(false);
  });

  it('leaves exec plugins and auth providers to client-node', () => {
    expect(staticFromKubeconfig(kubeconfig({ exec: { command: 'aws' } }), '/x/config')).toBeUndefined();
    expect(staticFromKubeconfig(kubeconfig({ 'auth-provider': { name: 'oidc' } }), '/x/config')).toBeUndefined();
  });

  it('names what is missing', () => {
    expect(() => staticFromKubeconfig(kubeconfig({ token: 'a' }), '/x/config', 'nope')).toThrow('/x/config: no context named "nope"');
    expect(() => staticFromKubeconfig('just text', '/x/config')).toThrow('/x/config is not a kubeconfig');
    expect(() => staticFromKubeconfig(kubeconfig({ token: 'a' }, {}), '/x/config')).toThrow('/x/config: cluster k has no server');
  });
});

describe('in-cluster access', () => {
  it('uses the service host and port, the mounted CA, and the rotating token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-sa-'));
    writeFileSync(join(dir, 'ca.crt'), 'POD-CA');
    writeFileSync(join(dir, 'token'), 't1');
    const access = inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    if (access === undefined) throw new Error('expected in-cluster access');
    expect(access.getCurrentCluster()).toEqual({ server: 'https://10.96.0.1:443' });
    expect((await applied(access)).headers).toEqual({ authorization: 'Bearer t1' });
    writeFileSync(join(dir, 'token'), 't2');
    expect((await applied(access)).headers).toEqual({ authorization: 'Bearer t2' });
    expect(inCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir)?.getCurrentCluster()).toEqual({
      server: 'https://[fd00::1]:443',
    });
  });

  it('is not there outside a pod', () => {
    expect(inCluster({})).toBeUndefined();
    expect(inCluster({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, '/nonexistent')).toBeUndefined();
  });
});

describe('loadClusterAccess', () => {
  it('prefers the flag, then $KUBECONFIG, then ~/.kube/config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-load-'));
    const write = (name: string, server: string): string => {
      const path = join(dir, name);
      writeFileSync(path, kubeconfig({ token: 't' }, { server }));
      return path;
    };
    const flag = write('flag', 'https://flag');
    const envFile = write('env', 'https://env');
    const home = join(dir, 'h');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), kubeconfig({ token: 't' }, { server: 'https://home' }));
    expect((await loadClusterAccess(flag, { KUBECONFIG: envFile, HOME: home })).getCurrentCluster()?.server).toBe('https://flag');
    expect((await loadClusterAccess(undefined, { KUBECONFIG: envFile, HOME: home })).getCurrentCluster()?.server).toBe('https://env');
    expect((await loadClusterAccess(undefined, { HOME: home })).getCurrentCluster()?.server).toBe('https://home');
  });

  it('loads a kubeconfig with an exec plugin through client-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-exec-'));
    const path = join(dir, 'config');
    writeFileSync(
      path,
      kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }, { server: 'https://exec' }),
    );
    const access = await loadClusterAccess(path, {});
    expect(access.getCurrentCluster()?.server).toBe('https://exec');
    expect(access.constructor.name).toBe('KubeConfig');
  });
});

/**
 * Node's own error for `import('@kubernetes/client-node')` in a scratch folder with no such
 * package, or with one whose own import is missing: what an install without it throws.
 */
function importError(broken: 'absent' | 'its dependency missing'): Error {
  const dir = mkdtempSync(join(tmpdir(), 'kp-no-client-node-'));
  if (broken === 'its dependency missing') {
    const pkg = join(dir, 'node_modules', '@kubernetes', 'client-node');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@kubernetes/client-node', type: 'module', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), "import 'not-installed-anywhere';\n");
  }
  const script = "import('@kubernetes/client-node').catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })))";
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const { code, message } = JSON.parse(run.stdout) as { code: string; message: string };
  return Object.assign(new Error(message), { code });
}

describe('loadClusterAccess where client-node is not installed (the image)', () => {
  const rejecting =
    (err: Error, calls: { n: number } = { n: 0 }): ClientNodeImporter =>
    () => {
      calls.n++;
      return Promise.reject(err);
    };
  const execConfig = (): string => {
    const path = join(mkdtempSync(join(tmpdir(), 'kp-exec-')), 'config');
    writeFileSync(path, kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }));
    return path;
  };

  it('says which kubeconfig needs it, names the package, and what to do instead', async () => {
    const path = execConfig();
    const absent = importError('absent');
    const loading = loadClusterAccess(path, {}, rejecting(absent));
    await expect(loading).rejects.toThrow(
      `The kubeconfig ${path} has credentials beyond a client certificate or a token (exec plugin, auth provider, password): ` +
        'that needs the optional package @kubernetes/client-node, which is not installed here',
    );
    await expect(loading).rejects.toThrow('Use a kubeconfig whose user has a client certificate or a token');
    await expect(loading).rejects.toMatchObject({ cause: absent });
  });

  it('says so for merged KUBECONFIG files, and where there is no kubeconfig outside a Pod', async () => {
    await expect(loadClusterAccess(undefined, { KUBECONFIG: '/a:/b' }, rejecting(importError('absent')))).rejects.toThrow(
      'KUBECONFIG names several files (/a:/b) to merge: that needs the optional package @kubernetes/client-node',
    );
    const home = mkdtempSync(join(tmpdir(), 'kp-home-'));
    await expect(loadClusterAccess(undefined, { HOME: home }, rejecting(importError('absent')))).rejects.toThrow(
      `No kubeconfig was given or found at ${join(home, '.kube', 'config')}, and this is not a Pod: that needs the optional package`,
    );
  });

  it('passes on any other failure to load it unchanged', async () => {
    const broken = importError('its dependency missing');
    expect(broken.message).toContain("'not-installed-anywhere'");
    await expect(loadClusterAccess(execConfig(), {}, rejecting(broken))).rejects.toBe(broken);
  });

  it('is never asked for by a kubeconfig with static credentials', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kp-static-')), 'config');
    writeFileSync(path, kubeconfig({ token: 't' }, { server: 'https://static' }));
    const calls = { n: 0 };
    const access = await loadClusterAccess(path, {}, rejecting(importError('absent'), calls));
    expect(access.getCurrentCluster()?.server).toBe('https://static');
    expect(calls.n).toBe(0);
  });
});
