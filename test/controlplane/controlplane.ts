/**
 * Starts and stops a real local control plane — etcd, kube-apiserver and
 * kube-controller-manager built by build.sh — on free loopback ports with fresh
 * certificates. Used by jest's global setup, `make cluster-up` and `make demo`.
 * The fault-injection suite (test/chaos) also signals single components and
 * restarts them with the same arguments, ports and data.
 *
 * Processes are stopped by PID, and only after checking that the PID still runs
 * one of our binaries (/proc/PID/exe), so a recycled PID is never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPki, kubeconfigYaml, type Pki } from './pki.ts';

/** The three processes of the control plane, in start order. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Controllers that the tests and the operator rely on; see README "Local control plane". */
export const CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'resourcequota-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  // Pods from a workload, as the guard (config/guard) must let them retry in (test/integration/guard.test.ts).
  'replicaset-controller',
] as const;

/**
 * `owned`: the processes end with this Node process (exit hook, and a detached
 * watchdog that stops them if this process is killed). `detached`: they outlive
 * it, and {@link stopFromState} stops them later.
 */
export type Lifetime = 'owned' | 'detached';

export interface StartOptions {
  readonly binDir: string;
  /** Holds certificates, etcd data, logs, the kubeconfig and state.json. */
  readonly workDir: string;
  readonly lifetime: Lifetime;
  readonly log?: (message: string) => void;
  /** Flags added to a component's own (the benchmark raises the controller manager's client rate limits). */
  readonly extraArgs?: Readonly<Partial<Record<Component, readonly string[]>>>;
}

/** What state.json records: enough for another process to find and stop the plane. */
export interface State {
  readonly binDir: string;
  readonly workDir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly pids: Readonly<Partial<Record<Component, number>>>;
  readonly watchdogPid?: number;
}

/** Signals the fault-injection suite sends to one component. */
export type FaultSignal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM';

export interface RunningControlPlane {
  readonly kubeconfig: string;
  readonly server: string;
  /** gitVersion that /version reports. */
  readonly version: string;
  /** As it stands now: a restarted component has a new PID. */
  readonly state: State;
  /** Milliseconds from the call to a plane ready for pods. */
  readonly startMillis: number;
  /** etcd's client URL; its v3 JSON gateway serves /v3/kv/range and /v3/kv/compaction. */
  readonly etcdUrl: string;
  /** The certificates (the admin's, for {@link httpGet} on the apiserver). */
  readonly pki: Pki;
  /** True while the component's process runs (a stopped one too). */
  running(c: Component): boolean;
  /** Sends `signal` to one component; SIGKILL and SIGTERM resolve once it is gone. */
  signal(c: Component, signal: FaultSignal): Promise<void>;
  /**
   * Stops one component if it runs and starts it again with the same arguments, ports and
   * data (etcd keeps its data), plus `extraArgs` in place of its extra flags when given.
   * Resolves once it is ready (etcd healthy, kube-apiserver's /readyz 200).
   */
  restart(c: Component, extraArgs?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

const STATE_FILE = 'state.json';
const READY_TIMEOUT_MS = 90_000;

/** Listens on `port` (0: any) on loopback and closes again; the port it got, or undefined when `port` was taken. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
      else reject(err);
    });
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => {
        resolve(got);
      });
    });
  });
}

/**
 * A free TCP port on loopback (also used by the benchmark for the operator's servers), below
 * Linux's ephemeral range (32768-60999). A port from that range (what listening on port 0
 * gives) can be taken by any outgoing connection between this check and etcd binding it: CI saw
 * etcd refuse its port with "address already in use" while the tests ran, many connections at once.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const got = await tryPort(20_000 + Math.floor(Math.random() * 12_000));
    if (got !== undefined) return got;
  }
  const any = await tryPort(0);
  if (any === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** One GET, with the admin client certificate when `pki` is given. */
export async function httpGet(url: string, pki?: Pki, timeoutMs = 2000): Promise<HttpResult> {
  return httpCall('GET', url, undefined, pki, timeoutMs);
}

/** One POST of a JSON body (etcd's v3 JSON gateway). */
export async function httpPostJson(url: string, body: unknown, timeoutMs = 10_000): Promise<HttpResult> {
  return httpCall('POST', url, JSON.stringify(body), undefined, timeoutMs);
}

async function httpCall(
  method: string,
  url: string,
  payload: string | undefined,
  pki: Pki | undefined,
  timeoutMs: number,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const tls =
      pki === undefined
        ? {}
        : {
            ca: readFileSync(pki.caCert),
            cert: readFileSync(pki.adminCert),
            key: readFileSync(pki.adminKey),
          };
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      { ...tls, method, headers, timeout: timeoutMs, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`timeout on ${url}`));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** etcd's current revision, from its v3 JSON gateway (a range read's header). */
export async function etcdRevision(etcdUrl: string): Promise<number> {
  // The key is base64 ("/" here): any key will do, only the header is read.
  const answer = await httpPostJson(`${etcdUrl}/v3/kv/range`, { key: 'Lw==' });
  if (answer.status !== 200) throw new Error(`etcd range: HTTP ${String(answer.status)} ${answer.body}`);
  const revision = Number((JSON.parse(answer.body) as { header?: { revision?: string } }).header?.revision);
  if (!Number.isInteger(revision) || revision <= 0) throw new Error(`etcd range answered no revision: ${answer.body}`);
  return revision;
}

/** Compacts etcd's history up to `revision` (physically): watches from before it get 410 Gone. */
export async function compactEtcd(etcdUrl: string, revision: number): Promise<void> {
  const answer = await httpPostJson(`${etcdUrl}/v3/kv/compaction`, { revision: String(revision), physical: true }, 60_000);
  if (answer.status !== 200) throw new Error(`etcd compaction at ${String(revision)}: HTTP ${String(answer.status)} ${answer.body}`);
}

/** True while `pid` runs the executable `exe` (so a recycled PID is never signalled). */
export function runs(pid: number, exe: string): boolean {
  try {
    const target = readlinkSync(`/proc/${String(pid)}/exe`).replace(/ \(deleted\)$/, '');
    return target === exe;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, alive: () => boolean, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!alive()) throw new Error(`${what} exited during start; last log lines:\n${tail(logFile)}`);
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${what} was not ready within ${String(READY_TIMEOUT_MS / 1000)}s; last log lines:\n${tail(logFile)}`);
    await sleep(100);
  }
}

/** Lines "PID EXE" that the watchdog reads once its owner is gone. */
const PIDS_FILE = 'pids';
const WATCHDOG = `
owner=$1; work=$2
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
for sig in TERM KILL; do
  [ -f "$work/${PIDS_FILE}" ] && while read -r pid exe; do
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] && kill -$sig "$pid" 2>/dev/null
  done < "$work/${PIDS_FILE}"
  [ $sig = TERM ] && sleep 5
done
case "$work" in *kubeposture-cp-*) rm -rf "$work";; esac
`;

function exePath(binDir: string, c: Component): string {
  return join(realpathSync(binDir), c);
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL; only while `pid` runs `exe`. */
async function stopPid(pid: number, exe: string, graceMs = 15_000): Promise<void> {
  if (!runs(pid, exe)) return;
  process.kill(pid, 'SIGTERM');
  // A process the fault-injection suite stopped (SIGSTOP) acts on SIGTERM only once continued.
  process.kill(pid, 'SIGCONT');
  const deadline = Date.now() + graceMs;
  while (runs(pid, exe) && Date.now() < deadline) await sleep(50);
  if (runs(pid, exe)) process.kill(pid, 'SIGKILL');
  while (runs(pid, exe)) await sleep(20);
}

/** Stops every process recorded in `state`, newest first, and the watchdog. */
export async function stopState(state: State): Promise<void> {
  if (state.watchdogPid !== undefined && runs(state.watchdogPid, realpathSync('/bin/sh'))) {
    process.kill(state.watchdogPid, 'SIGKILL');
  }
  for (const c of [...COMPONENTS].reverse()) {
    const pid = state.pids[c];
    if (pid !== undefined) await stopPid(pid, exePath(state.binDir, c));
  }
}

/** Reads `workDir/state.json`, or undefined when there is none. */
export function readState(workDir: string): State | undefined {
  const file = join(workDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as State;
}

/** Stops the plane whose state.json is in `workDir`; true if one was recorded. */
export async function stopFromState(workDir: string): Promise<boolean> {
  const state = readState(workDir);
  if (state === undefined) return false;
  await stopState(state);
  rmSync(join(workDir, STATE_FILE), { force: true });
  return true;
}

function argsFor(
  c: Component,
  p: {
    work: string;
    pki: Pki;
    etcdPort: number;
    peerPort: number;
    apiPort: number;
    cmKubeconfig: string;
  },
): string[] {
  switch (c) {
    case 'etcd': {
      const client = `http://127.0.0.1:${String(p.etcdPort)}`;
      const peer = `http://127.0.0.1:${String(p.peerPort)}`;
      return [
        `--data-dir=${join(p.work, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=default=${peer}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ];
    }
    case 'kube-apiserver':
      return [
        `--etcd-servers=http://127.0.0.1:${String(p.etcdPort)}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${String(p.apiPort)}`,
        // No default route on these machines: advertise loopback and reconcile no endpoints.
        '--advertise-address=127.0.0.1',
        '--endpoint-reconciler-type=none',
        `--cert-dir=${join(p.work, 'apiserver')}`,
        `--tls-cert-file=${p.pki.servingCert}`,
        `--tls-private-key-file=${p.pki.servingKey}`,
        `--client-ca-file=${p.pki.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${p.pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${p.pki.serviceAccountKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        // So that PodSecurity admission, not the apiserver's own switch, refuses privileged pods.
        '--allow-privileged=true',
        '--profiling=false',
      ];
    case 'kube-controller-manager':
      return [
        `--kubeconfig=${p.cmKubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--use-service-account-credentials=true',
        `--controllers=${CONTROLLERS.join(',')}`,
        `--root-ca-file=${p.pki.caCert}`,
        `--service-account-private-key-file=${p.pki.serviceAccountKey}`,
        '--concurrent-namespace-syncs=5',
      ];
  }
}

/** Starts etcd, kube-apiserver and kube-controller-manager and waits until pods can be created. */
export async function startControlPlane(opts: StartOptions): Promise<RunningControlPlane> {
  const t0 = Date.now();
  const log = opts.log ?? ((): void => undefined);
  const work = opts.workDir;
  // Every start is a fresh cluster: old data would hold tokens signed with old keys.
  rmSync(join(work, 'etcd'), { recursive: true, force: true });
  rmSync(join(work, PIDS_FILE), { force: true });
  mkdirSync(join(work, 'logs'), { recursive: true });
  mkdirSync(join(work, 'pki'), { recursive: true });
  const pki = createPki(join(work, 'pki'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${String(apiPort)}`;
  const kubeconfig = join(work, 'kubeconfig');
  const cmKubeconfig = join(work, 'controller-manager.kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, pki.caCert, pki.adminCert, pki.adminKey, 'admin'), { mode: 0o600 });
  writeFileSync(
    cmKubeconfig,
    kubeconfigYaml(server, pki.caCert, pki.controllerManagerCert, pki.controllerManagerKey, 'system:kube-controller-manager'),
    { mode: 0o600 },
  );

  const pids: Partial<Record<Component, number>> = {};
  let watchdogPid: number | undefined;
  const state = (): State => ({
    binDir: opts.binDir,
    workDir: work,
    kubeconfig,
    server,
    pids: { ...pids },
    ...(watchdogPid === undefined ? {} : { watchdogPid }),
  });
  const saveState = (): void => {
    writeFileSync(join(work, STATE_FILE), `${JSON.stringify(state(), null, 2)}\n`);
  };

  const onExit = (): void => {
    for (const c of [...COMPONENTS].reverse()) {
      const pid = pids[c];
      if (pid !== undefined && runs(pid, exePath(opts.binDir, c))) process.kill(pid, 'SIGTERM');
    }
  };
  if (opts.lifetime === 'owned') process.on('exit', onExit);

  const extraArgs: Partial<Record<Component, readonly string[]>> = { ...opts.extraArgs };
  const launch = (c: Component): void => {
    const logFile = join(work, 'logs', `${c}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(
      exePath(opts.binDir, c),
      [...argsFor(c, { work, pki, etcdPort, peerPort, apiPort, cmKubeconfig }), ...(extraArgs[c] ?? [])],
      {
        stdio: ['ignore', fd, fd],
        detached: opts.lifetime === 'detached',
      },
    );
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`${c} did not start (spawn failed)`);
    if (opts.lifetime === 'detached') child.unref();
    child.on('error', () => undefined);
    pids[c] = child.pid;
    // The watchdog reads this file: it lists what runs now, a restarted component's new PID.
    writeFileSync(
      join(work, PIDS_FILE),
      COMPONENTS.flatMap((k) => {
        const pid = pids[k];
        return pid === undefined ? [] : [`${String(pid)} ${exePath(opts.binDir, k)}\n`];
      }).join(''),
    );
    saveState();
  };
  const alive =
    (c: Component): (() => boolean) =>
    () => {
      const pid = pids[c];
      return pid !== undefined && runs(pid, exePath(opts.binDir, c));
    };
  const logOf = (c: Component): string => join(work, 'logs', `${c}.log`);
  const etcdUrl = `http://127.0.0.1:${String(etcdPort)}`;
  const ready: Record<Component, () => Promise<void>> = {
    etcd: () =>
      waitFor('etcd', async () => (await httpGet(`${etcdUrl}/health`)).body.includes('"health":"true"'), alive('etcd'), logOf('etcd')),
    'kube-apiserver': () =>
      waitFor(
        'kube-apiserver',
        async () => (await httpGet(`${server}/readyz`, pki)).status === 200,
        alive('kube-apiserver'),
        logOf('kube-apiserver'),
      ),
    // The `default` ServiceAccount appears once the controller-manager works; pods need it.
    'kube-controller-manager': () =>
      waitFor(
        'kube-controller-manager',
        async () => (await httpGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, pki)).status === 200,
        alive('kube-controller-manager'),
        logOf('kube-controller-manager'),
      ),
  };

  if (opts.lifetime === 'owned') {
    const dog = spawn('/bin/sh', ['-c', WATCHDOG, 'kubeposture-watchdog', String(process.pid), work], { detached: true, stdio: 'ignore' });
    dog.unref();
    watchdogPid = dog.pid;
  }
  try {
    for (const c of COMPONENTS) {
      launch(c);
      await ready[c]();
      log(`${c} ready after ${String(Date.now() - t0)}ms`);
    }
  } catch (err: unknown) {
    await stopState(state());
    if (opts.lifetime === 'owned') process.off('exit', onExit);
    throw err;
  }
  const version = (JSON.parse((await httpGet(`${server}/version`, pki)).body) as { gitVersion: string }).gitVersion;
  const startMillis = Date.now() - t0;
  const exe = (c: Component): string => exePath(opts.binDir, c);
  return {
    kubeconfig,
    server,
    version,
    get state(): State {
      return state();
    },
    startMillis,
    etcdUrl,
    pki,
    running: (c) => alive(c)(),
    signal: async (c, signal): Promise<void> => {
      const pid = pids[c];
      if (pid === undefined || !runs(pid, exe(c))) throw new Error(`${c} is not running`);
      process.kill(pid, signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') while (runs(pid, exe(c))) await sleep(20);
    },
    restart: async (c, args): Promise<void> => {
      const pid = pids[c];
      if (pid !== undefined) await stopPid(pid, exe(c));
      if (args !== undefined) extraArgs[c] = args;
      launch(c);
      // The controller manager's readiness test (a default ServiceAccount) already holds: it
      // is ready once it runs, and a bad flag shows as an exit within a second.
      if (c === 'kube-controller-manager') {
        await sleep(1000);
        if (!alive(c)()) throw new Error(`kube-controller-manager exited on restart; last log lines:\n${tail(logOf(c))}`);
      } else {
        await ready[c]();
      }
    },
    stop: async (): Promise<void> => {
      await stopState(state());
      if (opts.lifetime === 'owned') process.off('exit', onExit);
      rmSync(join(work, STATE_FILE), { force: true });
    },
  };
}
