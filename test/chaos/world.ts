/**
 * One fault scenario's world: a control plane of its own (its processes are
 * killed and restarted, so never the shared test cluster), kubeposture
 * installed from config/default and run as its own ServiceAccount, selected
 * and unselected namespaces, a user's own objects in some of them, the
 * baseline, and a watch-based view of compliance for timing. The final word
 * on the state is {@link verifyExact}, from fresh LISTs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { formatErrors, parseSecurityBaseline } from '../../src/api/validate.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import { BENCH_SPEC } from '../bench/bench.ts';
import { ComplianceChecker } from '../bench/checker.ts';
import { createNamespaces, waitForNamespaceDefaults } from '../bench/fixtures.ts';
import { OPERATOR_NAMESPACE, installOperator } from '../bench/identity.ts';
import { metricSum, OperatorProcess, type OperatorOptions } from '../bench/operator-process.ts';
import { startControlPlane, type RunningControlPlane } from '../controlplane/controlplane.ts';
import { verifyExact, type UserObject, type Verdict } from './verify.ts';

export interface ChaosOptions {
  /** Selected namespaces per scenario. */
  readonly namespaces: number;
  readonly root: string;
  readonly binDir: string;
  /** Each scenario's control plane, logs and audit log go in a folder of its own under here. */
  readonly workDir: string;
  readonly log: (line: string) => void;
  /** The operator's workers (its default, 16). */
  readonly workers: number;
  /** Keep every scenario's folder, passed or not (default: only failed ones'). */
  readonly keep?: boolean;
}

/** The label that puts a namespace in the baseline's scope. */
export const SELECTED_LABEL = 'chaos.kubeposture.io/selected';
/** A label of the user's own on every namespace, which must survive. */
export const USER_NAMESPACE_LABEL = 'team.example.com/owner';
export const BASELINE_NAME = 'chaos';
/** The user's own objects go in every n-th selected namespace. */
const USER_OBJECTS_EVERY = 10;
/** Namespaces no baseline selects: nothing of kubeposture's may appear in them. */
const UNSELECTED = 10;
/** The operator's ServiceAccount, as the apiserver names it in the audit log. */
export const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:kubeposture`;

/**
 * Every write (by anyone), and the operator's LISTs (an informer relisting), at
 * Metadata level: who, what, when, with which user agent.
 */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: Metadata
    users: ["${OPERATOR_USER}"]
    verbs: [list]
  - level: None
`;

export interface AuditEvent {
  readonly verb: string;
  readonly userAgent?: string;
  readonly requestReceivedTimestamp: string;
  /** When the event's stage (ResponseComplete) was reached. */
  readonly stageTimestamp?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly namespace?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
}

export const AUDIT_WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** A running `kubeposture run` and where its log goes. */
export interface Replica {
  readonly process: OperatorProcess;
  readonly logFile: string;
  /** Its leader-election identity (POD_NAME), when it elects. */
  readonly identity: string | undefined;
}

/** A file's lines that hold a JSON object ([] when there is no file yet). */
function jsonLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'));
  } catch {
    return [];
  }
}

/** Lines of a JSON log at warn or error level. */
export function warnLines(logFile: string): string[] {
  return jsonLines(logFile).filter((line) => {
    try {
      const level = (JSON.parse(line) as { level?: unknown }).level;
      return level === 'warn' || level === 'error';
    } catch {
      return false;
    }
  });
}

/** kube-apiserver's flags for the audit log kept in `dir`. */
function auditArgs(dir: string): string[] {
  return [
    `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
    `--audit-log-path=${join(dir, 'audit.log')}`,
    '--audit-log-format=json',
    '--audit-log-mode=blocking',
  ];
}

export class World {
  readonly name: string;
  readonly opts: ChaosOptions;
  readonly plane: RunningControlPlane;
  /** The suite's own client (admin), standing in for users. */
  readonly rest: RestClient;
  readonly operatorKubeconfig: string;
  readonly selected: string[] = [];
  readonly unselected: string[] = [];
  readonly userObjects: UserObject[] = [];
  readonly replicas: Replica[] = [];
  private baselineObject: SecurityBaseline | undefined;
  private checkerInstance: ComplianceChecker | undefined;

  private constructor(name: string, opts: ChaosOptions, plane: RunningControlPlane, rest: RestClient, operatorKubeconfig: string) {
    this.name = name;
    this.opts = opts;
    this.plane = plane;
    this.rest = rest;
    this.operatorKubeconfig = operatorKubeconfig;
  }

  /** A fresh control plane in `opts.workDir/name`, with the audit log on and kubeposture's config/default applied. */
  static async start(name: string, opts: ChaosOptions): Promise<World> {
    const dir = join(opts.workDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
    const plane = await startControlPlane({
      binDir: opts.binDir,
      workDir: join(dir, 'controlplane'),
      lifetime: 'owned',
      // As the benchmark runs it: the controller manager fills 1,000 namespaces quickly.
      extraArgs: { 'kube-apiserver': auditArgs(dir), 'kube-controller-manager': ['--kube-api-qps=200', '--kube-api-burst=400'] },
    });
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfig);
    const rest = new RestClient(kc, { userAgent: 'kubeposture-chaos' });
    try {
      return new World(name, opts, plane, rest, await installOperator(rest, plane.kubeconfig, opts.root, dir));
    } catch (err: unknown) {
      rest.close();
      await plane.stop();
      throw err;
    }
  }

  /** This scenario's folder: the control plane, the operators' logs, the audit log. */
  get dir(): string {
    return join(this.opts.workDir, this.name);
  }

  /** kube-apiserver's extra flags (the audit log): a restart with more flags must keep them. */
  get apiserverArgs(): string[] {
    return auditArgs(this.dir);
  }

  log(line: string): void {
    this.opts.log(`  [${this.name}] ${line}`);
  }

  /** Creates the selected and unselected namespaces, waits for their defaults, and puts the user's own objects in some. */
  async populate(): Promise<void> {
    const t0 = Date.now();
    const selected = Array.from({ length: this.opts.namespaces }, (_, i) => `chaos-${String(i)}`);
    await this.addNamespaces(selected);
    const unselected = Array.from({ length: UNSELECTED }, (_, i) => `outside-${String(i)}`);
    await createNamespaces(this.rest, unselected, { [USER_NAMESPACE_LABEL]: 'elsewhere' });
    this.unselected.push(...unselected);
    await waitForNamespaceDefaults(this.rest, [...selected, ...unselected]);
    for (const ns of selected.filter((_, i) => i % USER_OBJECTS_EVERY === 0)) await this.createUserObjects(ns);
    this.log(
      `${String(selected.length)} selected and ${String(unselected.length)} other namespaces, the user's own objects in ${String(this.userObjects.length / 2)}, in ${String(Math.round((Date.now() - t0) / 1000))} s`,
    );
  }

  /** Creates more selected namespaces (not waiting for their defaults); the checker expects them once the baseline exists. */
  async addNamespaces(names: readonly string[]): Promise<void> {
    await createNamespaces(this.rest, names, { [SELECTED_LABEL]: 'yes', [USER_NAMESPACE_LABEL]: 'chaos' });
    this.selected.push(...names);
    if (this.baselineObject !== undefined) this.checker.expect(this.baselineObject, names);
  }

  /** A NetworkPolicy and a Role of the user's own, which kubeposture must never touch. */
  private async createUserObjects(ns: string): Promise<void> {
    const made: [ResourceKind, WireObject][] = [
      [
        'NetworkPolicy',
        (await this.rest.request('POST', resourcePath('NetworkPolicy', ns), {
          body: {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: { name: 'user-allow-web', namespace: ns },
            spec: {
              podSelector: { matchLabels: { app: 'web' } },
              policyTypes: ['Ingress'],
              ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }],
            },
          },
        })) as WireObject,
      ],
      [
        'Role',
        (await this.rest.request('POST', resourcePath('Role', ns), {
          body: {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'Role',
            metadata: { name: 'user-reader', namespace: ns },
            rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
          },
        })) as WireObject,
      ],
    ];
    for (const [kind, o] of made)
      this.userObjects.push({ kind, namespace: ns, name: o.metadata.name, resourceVersion: o.metadata.resourceVersion ?? '' });
  }

  /** Applies `root`'s config/default over what is installed (server-side, as an upgrade does). */
  applyConfig(root: string): void {
    execFileSync(
      'kubectl',
      ['--kubeconfig', this.plane.kubeconfig, 'apply', '--server-side', '--force-conflicts', '-k', 'config/default'],
      { cwd: root, stdio: 'ignore' },
    );
  }

  /** Starts `kubeposture run` (info-level log in this scenario's folder) as the operator's ServiceAccount; from `root`, by default this checkout. */
  async startOperator(label: string, extra: Partial<OperatorOptions> = {}, root = this.opts.root): Promise<Replica> {
    const logFile = join(this.dir, `operator-${label}.log`);
    const op = await OperatorProcess.start(root, this.operatorKubeconfig, {
      workers: this.opts.workers,
      logFile,
      logLevel: 'info',
      ...extra,
    });
    const replica = { process: op, logFile, identity: extra.env?.POD_NAME };
    this.replicas.push(replica);
    return replica;
  }

  hasBaseline(): boolean {
    return this.baselineObject !== undefined;
  }

  get baseline(): SecurityBaseline {
    if (this.baselineObject === undefined) throw new Error('no baseline yet');
    return this.baselineObject;
  }

  get checker(): ComplianceChecker {
    if (this.checkerInstance === undefined) throw new Error('no checker yet');
    return this.checkerInstance;
  }

  /** Starts watching, then creates the baseline (every section, nine objects per namespace) selecting the selected namespaces. */
  async createBaseline(): Promise<void> {
    this.checkerInstance = new ComplianceChecker(this.rest, BASELINE_NAME, `${SELECTED_LABEL}=yes`);
    await this.checkerInstance.start();
    const manifest = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SecurityBaseline',
      metadata: { name: BASELINE_NAME },
      spec: { ...BENCH_SPEC, namespaceSelector: { matchLabels: { [SELECTED_LABEL]: 'yes' } } },
    };
    const parsed = parseSecurityBaseline(await this.rest.request('POST', resourcePath('SecurityBaseline'), { body: manifest }));
    if (!parsed.ok) throw new Error(`chaos baseline invalid: ${formatErrors(parsed.errors)}`);
    this.baselineObject = parsed.baseline;
    this.checkerInstance.expect(parsed.baseline, this.selected);
  }

  /**
   * A fresh checker (a new LIST of everything, then watches): after the apiserver came
   * back, the old one's watches may still be waiting out their backoff.
   */
  async renewChecker(): Promise<void> {
    this.checkerInstance?.stop();
    this.checkerInstance = new ComplianceChecker(this.rest, BASELINE_NAME, `${SELECTED_LABEL}=yes`);
    await this.checkerInstance.start();
    this.checkerInstance.expect(this.baseline, this.selected);
  }

  /** Selected namespaces complete by the checker's watches. */
  get complete(): number {
    return this.checkerInstance?.complete ?? 0;
  }

  /** Resolves once at least `fraction` of the selected namespaces are complete by the checker's watches. */
  async reach(fraction: number, timeoutMs = 600_000): Promise<void> {
    await this.reachCount(Math.ceil(fraction * this.selected.length), timeoutMs);
  }

  /** Resolves once at least `count` selected namespaces are complete by the checker's watches. */
  async reachCount(count: number, timeoutMs = 600_000): Promise<void> {
    await this.checker.until(
      `${String(count)} of ${String(this.selected.length)} namespaces compliant`,
      () => this.checker.complete >= count,
      timeoutMs,
    );
  }

  /** Resolves with Date.now() once every selected namespace is complete by the checker's watches. */
  async converged(timeoutMs = 600_000): Promise<number> {
    await this.reach(1, timeoutMs);
    return Date.now();
  }

  /** The final, exact check by listing. */
  async verify(): Promise<Verdict> {
    const verdict = await verifyExact(this.rest, this.baseline, this.selected, this.userObjects, { [USER_NAMESPACE_LABEL]: 'chaos' });
    this.log(
      `final check: ${String(verdict.complete)} of ${String(verdict.namespaces)} namespaces exact, ${String(verdict.userObjects - verdict.userObjectsTouched)} of ${String(verdict.userObjects)} user objects untouched${verdict.problems.length === 0 ? '' : `; ${String(verdict.problemCount)} problems, first: ${verdict.problems.slice(0, 5).join('; ')}`}`,
    );
    return verdict;
  }

  /** Every audit event so far. */
  audit(): AuditEvent[] {
    return jsonLines(join(this.dir, 'audit.log')).map((l) => JSON.parse(l) as AuditEvent);
  }

  /** The sum of a metric from one replica's /metrics, optionally only series carrying `having`. */
  static async metric(replica: Replica, name: string, having?: string): Promise<number> {
    return metricSum(await replica.process.metrics(), name, having);
  }

  /** The holder of the leader Lease, or undefined. */
  async leaseHolder(): Promise<string | undefined> {
    const lease = (await this.rest.get('Lease', OPERATOR_NAMESPACE, 'kubeposture-leader')) as
      { spec?: { holderIdentity?: string } } | undefined;
    const holder = lease?.spec?.holderIdentity;
    return holder === undefined || holder === '' ? undefined : holder;
  }

  /** Polls `test` every `everyMs` until it holds; rejects after `timeoutMs`. */
  static async poll(what: string, test: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await test()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
      await sleep(everyMs);
    }
  }

  /** Stops every replica and the control plane; keeps the folder (logs, audit log, etcd data) unless `discard`. */
  async close(discard: boolean): Promise<void> {
    this.checkerInstance?.stop();
    for (const r of this.replicas) await r.process.stop();
    this.rest.close();
    await this.plane.stop();
    if (discard && this.opts.keep !== true) rmSync(this.dir, { recursive: true, force: true });
  }
}
