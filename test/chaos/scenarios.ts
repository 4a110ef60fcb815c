/**
 * The six fault scenarios of issue 8, and a seventh (a restart while the
 * operator may not list its baselines). Each runs on a fresh control plane of
 * its own (World), makes its fault during or after convergence, records how
 * long convergence took after it, and ends with the exact check by listing
 * (verify.ts). A scenario fails on any check it records; each check is one
 * that a broken operator (or a fault that did not happen) would fail.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NAME_ALLOW_DNS, NAME_DEFAULT_DENY, NAME_GRANTOR, NAME_LIMITS, NAME_QUOTA, workloadRbacName } from '../../src/api/constants.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import type { WireObject } from '../../src/kube/wire.ts';
import { pool } from '../bench/floor.ts';
import { waitForNamespaceDefaults } from '../bench/fixtures.ts';
import { parseRequestTotals } from '../bench/measure.ts';
import { compactEtcd, etcdRevision } from '../controlplane/controlplane.ts';
import { verdictFailures, type Verdict } from './verify.ts';
import { OPERATOR_NAMESPACE } from '../bench/identity.ts';
import { LeaseHold } from './lease-hold.ts';
import { PREVIOUS_RELEASE, previousRelease } from './previous-release.ts';
import { AUDIT_WRITE_VERBS, OPERATOR_USER, World, warnLines, type AuditEvent, type ChaosOptions, type Replica } from './world.ts';
import { errorMessage } from '../../src/lib/errors.ts';

export type Figure = number | string | boolean;

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly namespaces: number;
  /** Milliseconds from `convergedFrom` until every selected namespace complied (undefined: it never did). */
  readonly convergedMs: number | undefined;
  readonly convergedFrom: string;
  readonly figures: Readonly<Record<string, Figure>>;
  readonly failures: readonly string[];
  readonly verdict: Verdict | undefined;
  readonly seconds: number;
}

/** What a scenario records as it runs. */
export class Recorder {
  readonly figures: Record<string, Figure> = {};
  readonly failures: string[] = [];
  convergedMs: number | undefined;
  convergedFrom = '';

  /** Records a failure unless `ok`. */
  check(ok: boolean, failure: string): void {
    if (!ok) this.failures.push(failure);
  }

  figure(name: string, value: Figure): void {
    this.figures[name] = value;
  }

  converged(from: string, ms: number): void {
    this.convergedFrom = from;
    this.convergedMs = ms;
  }
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(world: World, rec: Recorder): Promise<void>;
}

/** How long to wait for convergence: loose, only so that a hang ends. */
const convergeTimeout = (world: World): number => Math.max(180_000, world.selected.length * 300);
const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/** Deletes one object as a user would; false when it was not there. */
async function deleteObject(world: World, kind: ResourceKind, ns: string, name: string): Promise<boolean> {
  try {
    await world.rest.request('DELETE', resourcePath(kind, ns, name));
    return true;
  } catch (err: unknown) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
}

/** Every `every`-th selected namespace, starting at `offset`: the ones a fault's side work touches. */
const someNamespaces = (world: World, count: number, offset: number): string[] => {
  const every = Math.max(1, Math.floor(world.selected.length / count));
  return world.selected.filter((_, i) => i % every === offset % every).slice(0, count);
};

/** Starts one operator, then creates the baseline; resolves with the operator and when the baseline was created. */
async function startWithBaseline(world: World): Promise<{ readonly op: Replica; readonly createdAt: number }> {
  const op = await world.startOperator('only');
  const createdAt = Date.now();
  await world.createBaseline();
  return { op, createdAt };
}

/** Waits until the replica has done no reconcile for a while, so the final check sees a settled cluster. */
async function settle(replica: Replica): Promise<void> {
  await replica.process.idle(1500, 300_000);
}

const operatorKill: Scenario = {
  id: 'operator-kill',
  title: 'operator SIGKILLed mid-convergence, restarted',
  async run(world, rec) {
    const { op: first } = await startWithBaseline(world);
    await world.reach(0.3);
    first.process.signal('SIGKILL');
    const killedAt = Date.now();
    const atKill = world.complete;
    const compliantAtKill = new Set(world.selected.filter((ns) => world.checker.isComplete(ns)));
    await first.process.exit;
    rec.figure('compliant at the kill', `${String(atKill)} of ${String(world.selected.length)}`);
    rec.check(atKill < world.selected.length, `the kill came after convergence (${String(atKill)} compliant), so it tested nothing`);
    const restartedAt = Date.now();
    const second = await world.startOperator('restarted');
    rec.figure('restarted and ready after (s)', seconds(Date.now() - killedAt));
    const done = await world.converged(convergeTimeout(world));
    rec.converged('the kill', done - killedAt);
    await settle(second);
    checkRestartWrites(world, rec, restartedAt, compliantAtKill);
  },
};

const describeEvents = (list: readonly AuditEvent[]): string =>
  list
    .slice(0, 4)
    .map(
      (e) =>
        `${e.verb} ${e.objectRef?.resource ?? ''} ${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''} → ${String(e.responseStatus?.code)}`,
    )
    .join(', ');

/**
 * A restarted operator must find from its caches what was made before: a compliant
 * namespace costs no request (DESIGN), and nothing is taken away to be made again. Counts
 * the operator's writes since `since` (the audit log): deletes, and writes to `compliant`.
 */
function checkRestartWrites(world: World, rec: Recorder, since: number, compliant: ReadonlySet<string>): void {
  const writes = world
    .audit()
    .filter((e) => e.user?.username === OPERATOR_USER && AUDIT_WRITE_VERBS.has(e.verb) && Date.parse(e.requestReceivedTimestamp) >= since);
  const deletes = writes.filter((e) => e.verb === 'delete');
  const needless = writes.filter((e) => compliant.has(e.objectRef?.namespace ?? ''));
  rec.figure(
    'restarted operator: writes to namespaces already compliant',
    `${String(needless.length)} in ${String(new Set(needless.map((e) => e.objectRef?.namespace)).size)} of ${String(compliant.size)}`,
  );
  rec.figure(
    'restarted operator: creates refused as existing (409)',
    writes.filter((e) => e.verb === 'create' && e.responseStatus?.code === 409).length,
  );
  rec.figure('restarted operator: deletes', deletes.length);
  rec.check(deletes.length === 0, `the restarted operator deleted ${String(deletes.length)} objects: ${describeEvents(deletes)}`);
  rec.check(
    needless.length === 0,
    `the restarted operator wrote ${String(needless.length)} times to namespaces that were already compliant (reconciling before its caches had synced?): ${describeEvents(needless)}`,
  );
}

/** How long the restarted operator may not list SecurityBaselines. */
const LIST_DENIED_MS = 5000;
const MANAGER_ROLE = '/apis/rbac.authorization.k8s.io/v1/clusterroles/kubeposture-manager';

/** Takes away (or gives back) the operator's list and watch of SecurityBaselines: its ClusterRole's first rule, checked to be that one. */
async function allowBaselineList(world: World, allow: boolean): Promise<void> {
  await world.rest.request('PATCH', MANAGER_ROLE, {
    contentType: 'application/json-patch+json',
    body: [
      { op: 'test', path: '/rules/0/resources', value: ['securitybaselines'] },
      { op: 'replace', path: '/rules/0/verbs', value: allow ? ['get', 'list', 'watch', 'patch'] : ['get', 'patch'] },
    ],
  });
}

const restartListFailing: Scenario = {
  id: 'restart-list-failing',
  title: `operator restarted while it may not list SecurityBaselines (its ClusterRole's rule taken away for ${String(LIST_DENIED_MS / 1000)} s)`,
  async run(world, rec) {
    const { op } = await startWithBaseline(world);
    await world.converged(convergeTimeout(world));
    await settle(op);
    await op.process.stop();
    await allowBaselineList(world, false);
    const restartedAt = Date.now();
    const second = await world.startOperator('restarted', { waitReady: false });
    await sleep(LIST_DENIED_MS);
    const readyWithout = await second.process.readyz();
    rec.figure('/readyz while it may not list SecurityBaselines', readyWithout);
    rec.check(readyWithout !== 200, '/readyz answered 200 while the SecurityBaseline cache could not sync');
    await allowBaselineList(world, true);
    const allowedAt = Date.now();
    await World.poll('the restarted operator to be ready', async () => (await second.process.readyz()) === 200, 120_000);
    rec.figure('ready after the rule came back (s)', seconds(Date.now() - allowedAt));
    await world.renewChecker();
    const done = await world.converged(convergeTimeout(world));
    rec.converged("the rule's return", done - allowedAt);
    await settle(second);
    checkRestartWrites(world, rec, restartedAt, new Set(world.selected));
  },
};

/** kube-apiserver is down this long. */
const OUTAGE_MS = 10_000;
/** The bound the issue sets: converged within this long of the apiserver's return. */
const APISERVER_RETURN_BOUND_MS = 30_000;
/** How long after the kill the operator may still say ready: it must notice its watches broke. */
const READYZ_GRACE_MS = 5000;

const apiserverKill: Scenario = {
  id: 'apiserver-kill',
  title: `kube-apiserver SIGKILLed mid-convergence, down ${String(OUTAGE_MS / 1000)} s, restarted`,
  async run(world, rec) {
    const { op } = await startWithBaseline(world);
    await world.reach(0.3);
    await world.plane.signal('kube-apiserver', 'SIGKILL');
    const killedAt = Date.now();
    rec.figure('compliant at the kill', `${String(world.complete)} of ${String(world.selected.length)}`);
    rec.check(
      world.complete < world.selected.length,
      'the apiserver was killed after convergence, so convergence through the outage was not tested',
    );
    const answers: { readonly at: number; readonly status: number }[] = [];
    const polling = { on: true };
    const poller = (async (): Promise<void> => {
      while (polling.on) {
        answers.push({ at: Date.now(), status: await op.process.readyz() });
        await sleep(200);
      }
    })();
    await sleep(OUTAGE_MS);
    const restartAt = Date.now();
    await world.plane.restart('kube-apiserver');
    const backAt = Date.now();
    rec.figure('apiserver down (s)', seconds(restartAt - killedAt));
    rec.figure('apiserver ready after its restart (s)', seconds(backAt - restartAt));
    let readyAgainAt: number | undefined;
    try {
      await World.poll("the operator's /readyz to answer 200 again", async () => (await op.process.readyz()) === 200, 60_000);
      readyAgainAt = Date.now();
    } catch (err: unknown) {
      rec.check(false, errorMessage(err));
    }
    polling.on = false;
    await poller;
    const during = answers.filter((a) => a.at > killedAt && a.at < restartAt);
    const notReady = during.filter((a) => a.status === 503);
    const lies = during.filter((a) => a.at > killedAt + READYZ_GRACE_MS && a.status === 200);
    rec.figure(
      '/readyz during the outage',
      `${String(notReady.length)} × 503, ${String(during.filter((a) => a.status === 200).length)} × 200 of ${String(during.length)}`,
    );
    rec.check(notReady.length > 0, '/readyz never answered 503 while the apiserver was down');
    rec.check(
      lies.length === 0,
      `/readyz answered 200 ${String(lies.length)} times more than ${String(READYZ_GRACE_MS / 1000)} s into the outage`,
    );
    if (readyAgainAt !== undefined) rec.figure("/readyz 200 again after the apiserver's return (s)", seconds(readyAgainAt - backAt));
    rec.check(!op.process.hasExited(), 'the operator exited during the outage');
    if (!world.plane.running('kube-controller-manager')) world.log('kube-controller-manager is not running after the outage');
    // The checker's own watches may still be backing off: a fresh one lists now.
    await world.renewChecker();
    const done = await world.converged(convergeTimeout(world));
    rec.converged("the apiserver's /readyz 200", done - backAt);
    rec.check(
      done - backAt <= APISERVER_RETURN_BOUND_MS,
      `converged ${String(seconds(done - backAt))} s after the apiserver's return, more than ${String(APISERVER_RETURN_BOUND_MS / 1000)} s`,
    );
    rec.figure('operator restarted its watches', await World.metric(op, 'kubeposture_informer_restarts_total'));
    rec.figure('reconciles retried', await World.metric(op, 'kubeposture_reconciles_total', 'result="retry"'));
    rec.check(!op.process.hasExited(), 'the operator exited after the outage');
    await settle(op);
  },
};

const etcdCompaction: Scenario = {
  id: 'etcd-compaction',
  title: 'etcd restarted with its watch history compacted (410 Gone), kube-apiserver restarted',
  async run(world, rec) {
    const { op } = await startWithBaseline(world);
    await world.converged(convergeTimeout(world));
    await settle(op);
    const relists = async (): Promise<number> => World.metric(op, 'kubeposture_informer_relists_total', 'reason="expired"');
    const hasRelistMetric = (await op.process.metrics()).includes('kubeposture_informer_relists_total');
    rec.check(hasRelistMetric, 'the operator exposes no kubeposture_informer_relists_total');
    const relistsBefore = await relists();
    op.process.signal('SIGSTOP');
    // While it sleeps: managed objects deleted in a tenth of the namespaces, new namespaces.
    const victims = someNamespaces(world, Math.max(5, Math.floor(world.selected.length / 10)), 3);
    let deleted = 0;
    await pool(victims, 8, async (ns) => {
      for (const [kind, name] of [
        ['NetworkPolicy', NAME_DEFAULT_DENY],
        ['ResourceQuota', NAME_QUOTA],
      ] as const)
        if (await deleteObject(world, kind, ns, name)) deleted += 1;
    });
    const fresh = Array.from({ length: Math.max(3, Math.floor(world.selected.length / 20)) }, (_, i) => `chaos-late-${String(i)}`);
    await world.addNamespaces(fresh);
    await waitForNamespaceDefaults(world.rest, fresh);
    rec.figure(
      'while stopped',
      `${String(deleted)} objects deleted in ${String(victims.length)} namespaces, ${String(fresh.length)} namespaces created`,
    );
    const revision = await etcdRevision(world.plane.etcdUrl);
    await compactEtcd(world.plane.etcdUrl, revision);
    rec.figure('etcd compacted at revision', revision);
    await world.plane.restart('etcd');
    await world.plane.restart('kube-apiserver');
    op.process.signal('SIGCONT');
    const contAt = Date.now();
    await world.renewChecker();
    const done = await world.converged(convergeTimeout(world));
    rec.converged('SIGCONT', done - contAt);
    await settle(op);
    const expired = (await relists()) - relistsBefore;
    rec.figure('relists after 410 Gone (kubeposture_informer_relists_total{reason="expired"})', expired);
    rec.check(expired > 0, "the operator's informers did not relist after their watches expired");
    const lists = world
      .audit()
      .filter((e) => e.user?.username === OPERATOR_USER && e.verb === 'list' && Date.parse(e.requestReceivedTimestamp) >= contAt).length;
    rec.figure('operator LISTs after SIGCONT (audit log)', lists);
    rec.check(!op.process.hasExited(), 'the operator exited');
  },
};

/** kube-apiserver's limits while throttling: with API Priority and Fairness off, excess requests get 429 at once. */
const MAX_INFLIGHT = 10;
const MAX_MUTATING_INFLIGHT = 4;
/** "No error storm": warn and error lines at most this share of the operator's requests. */
const WARN_SHARE = 0.01;

const throttled: Scenario = {
  id: 'throttled',
  title: `kube-apiserver throttles (APF off, --max-requests-inflight=${String(MAX_INFLIGHT)}, --max-mutating-requests-inflight=${String(MAX_MUTATING_INFLIGHT)})`,
  async run(world, rec) {
    await world.plane.restart('kube-apiserver', [
      ...world.apiserverArgs,
      '--enable-priority-and-fairness=false',
      `--max-requests-inflight=${String(MAX_INFLIGHT)}`,
      `--max-mutating-requests-inflight=${String(MAX_MUTATING_INFLIGHT)}`,
    ]);
    const { op, createdAt } = await startWithBaseline(world);
    const done = await world.converged(convergeTimeout(world));
    rec.converged("the baseline's creation", done - createdAt);
    await settle(op);
    const requests = await World.metric(op, 'kubeposture_api_requests_total');
    const throttledByOperator = await World.metric(op, 'kubeposture_api_requests_total', 'code="429"');
    const apiserver429 = parseRequestTotals(String(await world.rest.request('GET', '/metrics')))
      .filter((s) => s.code === '429')
      .reduce((n, s) => n + s.value, 0);
    const warns = warnLines(op.logFile);
    rec.figure('operator requests', requests);
    rec.figure('429 answers to the operator (its count)', throttledByOperator);
    rec.figure('429 answers in all (apiserver_request_total)', apiserver429);
    rec.figure('operator warn/error log lines', warns.length);
    rec.check(throttledByOperator > 0, 'the apiserver never answered the operator 429: the throttle did not bite');
    rec.check(
      warns.length <= WARN_SHARE * requests,
      `${String(warns.length)} warn/error lines for ${String(requests)} requests, more than ${String(WARN_SHARE * 100)}%; first: ${warns.slice(0, 3).join(' ')}`,
    );
    rec.check(!op.process.hasExited(), 'the operator exited');
  },
};

/** The user's own annotation and label, which no repair may take away. */
const USER_NOTE = 'team.example.com/note';
const USER_MARK = 'team.example.com/reviewed';
/** Users edit until this share of namespaces complied once, then this long more. */
const EDIT_UNTIL = 0.9;
const EDIT_AFTER_MS = 5000;

/** One user edit to a namespace's managed objects: a patch (merge) or a delete; `keeps` names what must survive. */
interface Edit {
  readonly kind: ResourceKind;
  readonly name: string;
  /** undefined: delete it. */
  readonly patch: ((ns: string) => unknown) | undefined;
  /** The edit puts the user's own annotation (and label, for the NetworkPolicy) on the object. */
  readonly keeps: boolean;
}

const USER_EDITS: readonly Edit[] = [
  {
    kind: 'ResourceQuota',
    name: NAME_QUOTA,
    patch: (ns) => ({ metadata: { annotations: { [USER_NOTE]: ns } }, spec: { hard: { pods: '999', 'limits.cpu': '1' } } }),
    keeps: true,
  },
  {
    kind: 'NetworkPolicy',
    name: NAME_DEFAULT_DENY,
    patch: (ns) => ({ metadata: { labels: { [USER_MARK]: 'yes' }, annotations: { [USER_NOTE]: ns } } }),
    keeps: true,
  },
  { kind: 'NetworkPolicy', name: NAME_ALLOW_DNS, patch: undefined, keeps: false },
  { kind: 'NetworkPolicy', name: NAME_DEFAULT_DENY, patch: () => ({ spec: { policyTypes: ['Ingress'] } }), keeps: false },
  { kind: 'LimitRange', name: NAME_LIMITS, patch: () => ({ spec: { limits: [{ type: 'Container', max: { cpu: '9' } }] } }), keeps: false },
  {
    kind: 'Role',
    name: workloadRbacName('app'),
    patch: () => ({ rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }] }),
    keeps: false,
  },
];

const userEdits: Scenario = {
  id: 'user-edits',
  title: 'users edit, label, annotate and delete managed objects during convergence and after',
  async run(world, rec) {
    const { op } = await startWithBaseline(world);
    const editing = { on: true };
    let edits = 0;
    let absent = 0;
    /** Edits the apiserver refused for another reason than a missing object. */
    const refused: string[] = [];
    /** "Kind/ns/name" of objects the user annotated (the NetworkPolicy also labelled). */
    const annotated = new Set<string>();
    let turn = 0;
    const user = async (): Promise<void> => {
      while (editing.on) {
        const edit = USER_EDITS[turn % USER_EDITS.length];
        const ns = world.selected[Math.floor(Math.random() * world.selected.length)];
        turn += 1;
        if (edit === undefined || ns === undefined) continue;
        try {
          if (edit.patch === undefined) {
            if (await deleteObject(world, edit.kind, ns, edit.name)) edits += 1;
            else absent += 1;
          } else {
            await world.rest.mergePatch(edit.kind, ns, edit.name, edit.patch(ns));
            edits += 1;
            if (edit.keeps) annotated.add(`${edit.kind}/${ns}/${edit.name}`);
          }
        } catch (err: unknown) {
          if (err instanceof ApiError && err.status === 404) absent += 1;
          else refused.push(errorMessage(err));
        }
        await sleep(25);
      }
    };
    const users = [user(), user()];
    try {
      await world.reach(EDIT_UNTIL, convergeTimeout(world));
      await sleep(EDIT_AFTER_MS);
    } finally {
      editing.on = false;
      await Promise.all(users);
    }
    const stoppedAt = Date.now();
    rec.figure(
      'user edits',
      `${String(edits)} (and ${String(absent)} to objects not there yet, ${String(refused.length)} refused${refused.length === 0 ? '' : `: ${refused[0] ?? ''}`})`,
    );
    rec.check(edits >= 20, `only ${String(edits)} user edits landed: the scenario tested little`);
    const done = await world.converged(convergeTimeout(world));
    rec.converged("the user's last edit", done - stoppedAt);
    await settle(op);
    const repaired = await World.metric(op, 'kubeposture_drift_repaired_total');
    rec.figure("drift repaired (operator's count)", repaired);
    rec.check(repaired > 0, "the operator repaired nothing: the user's edits made no drift");
    let kept = 0;
    const lost: string[] = [];
    for (const k of annotated) {
      const [kind = '', ns = '', name = ''] = k.split('/');
      const o = (await world.rest.get(kind as ResourceKind, ns, name)) as WireObject | undefined;
      const ok = o?.metadata.annotations?.[USER_NOTE] === ns && (kind !== 'NetworkPolicy' || o.metadata.labels?.[USER_MARK] === 'yes');
      if (ok) kept += 1;
      else lost.push(k);
    }
    rec.figure('user annotations and labels kept', `${String(kept)} of ${String(annotated.size)}`);
    rec.check(annotated.size > 0, 'no user annotation landed: lost updates were not tested');
    rec.check(
      lost.length === 0,
      `the user's own annotation or label was lost on ${String(lost.length)} objects: ${lost.slice(0, 5).join(', ')}`,
    );
  },
};

/** Short leases, the same for every replica. */
const LEASE = { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' } as const;
const LEASE_MS = 4000;
/** The old leader stays stopped at least this long past the lease. */
const STOP_PAST_LEASE_MS = 3000;
/** How long etcd stalls before the leader is stopped: longer than a retry period, shorter than the renew deadline. */
const ETCD_STALL_MS = 1500;

/** Freezes the leader (SIGSTOP) in some state; resolves with when it was stopped. */
type Freeze = (world: World, leader: Replica) => Promise<number>;

/**
 * With a renewal of its lease in flight: the webhook holds the leader's next renewal in
 * the apiserver, the leader is stopped, the renewal is let through and written, and its
 * answer waits in the stopped leader's socket until long after the lease ran out.
 */
const withRenewalInFlight =
  (hold: LeaseHold): Freeze =>
  async (_world, leader) => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = hold.holdNextRenewal(leader.identity ?? '', released);
    const timeout = sleep(10_000, undefined, { ref: false }).then(() => {
      throw new Error('the leader did not renew its lease within 10 s');
    });
    try {
      await Promise.race([held, timeout]);
      leader.process.signal('SIGSTOP');
      return Date.now();
    } finally {
      release();
    }
  };

/**
 * With its writes piled up: etcd stalls (SIGSTOP) for longer than a retry period in the
 * middle of a cold convergence, so the leader's writes hang in the apiserver and more
 * queue behind them in its client; the leader is stopped; etcd continues.
 */
const withWritesPiledUp: Freeze = async (world, leader) => {
  await world.plane.signal('etcd', 'SIGSTOP');
  try {
    await sleep(ETCD_STALL_MS);
    leader.process.signal('SIGSTOP');
    return Date.now();
  } finally {
    await world.plane.signal('etcd', 'SIGCONT');
  }
};

/**
 * One round: `leader` is frozen past its lease mid-convergence, another replica takes over
 * and converges while managed objects are deleted; then the old leader is continued: it
 * must stop leading and go on as a follower (running, its kubeposture_leader gauge 0), and
 * send no write (by the audit log: its user agent, a write verb, received after SIGCONT;
 * a Lease update refused 409 is how it learns it lost, and is counted apart). Resolves
 * with the replica now leading and how long convergence took after SIGSTOP.
 */
async function freezeRound(
  world: World,
  rec: Recorder,
  round: string,
  leader: Replica,
  freeze: Freeze,
): Promise<{ readonly next: Replica; readonly ms: number }> {
  const stoppedAt = await freeze(world, leader);
  rec.figure(`${round}: compliant at SIGSTOP`, `${String(world.complete)} of ${String(world.selected.length)}`);
  rec.check(world.complete < world.selected.length, `${round}: the leader was stopped after convergence, so the takeover had no work`);
  let holder: string | undefined;
  await World.poll(
    'another replica to take the lease',
    async () => {
      holder = await world.leaseHolder();
      return holder !== undefined && holder !== leader.identity;
    },
    60_000,
  );
  const follower = world.replicas.find((r) => r.identity === holder && r !== leader);
  if (follower === undefined) throw new Error(`${round}: the lease went to ${holder ?? 'nobody'}, not a replica`);
  rec.figure(`${round}: lease taken over after (s)`, seconds(Date.now() - stoppedAt));
  rec.figure(`${round}: new leader`, follower.identity ?? '');
  // Work the old leader will want to do when it wakes: objects deleted.
  const count = Math.max(5, Math.floor(world.selected.length / 20));
  let deleted = 0;
  await pool(someNamespaces(world, count, 1), 8, async (ns) => {
    if (await deleteObject(world, 'NetworkPolicy', ns, NAME_DEFAULT_DENY)) deleted += 1;
  });
  const done = await world.converged(convergeTimeout(world));
  await settle(follower);
  const stoppedFor = Date.now() - stoppedAt;
  if (stoppedFor < LEASE_MS + STOP_PAST_LEASE_MS) await sleep(LEASE_MS + STOP_PAST_LEASE_MS - stoppedFor);
  // And more just before it wakes, for both to see at once.
  await pool(someNamespaces(world, count, 2), 8, async (ns) => {
    if (await deleteObject(world, 'ResourceQuota', ns, NAME_QUOTA)) deleted += 1;
  });
  rec.figure(`${round}: objects deleted while it was stopped`, deleted);
  const contAt = Date.now();
  rec.figure(`${round}: old leader stopped for (s)`, seconds(contAt - stoppedAt));
  leader.process.signal('SIGCONT');
  try {
    await World.poll('the old leader to stop leading', async () => (await World.metric(leader, 'kubeposture_leader')) === 0, 30_000);
    rec.figure(`${round}: old leader stopped leading after SIGCONT (s)`, seconds(Date.now() - contAt));
  } catch (err: unknown) {
    rec.check(false, `${round}: ${errorMessage(err)}`);
  }
  await world.converged(convergeTimeout(world));
  await settle(follower);
  rec.check(!leader.process.hasExited(), `${round}: the old leader exited instead of following`);
  rec.check(
    (await world.leaseHolder()) === follower.identity,
    `${round}: the lease is no longer ${follower.identity ?? ''}'s at the end of the round`,
  );
  const agent = `kubeposture/${leader.identity ?? ''}`;
  const writes = world.audit().filter((e) => e.userAgent === agent && AUDIT_WRITE_VERBS.has(e.verb));
  const at = (t: string | undefined): number => Date.parse(t ?? '');
  const lostLease = (e: AuditEvent): boolean => e.objectRef?.resource === 'leases' && e.responseStatus?.code === 409;
  const inFlight = writes.filter((e) => at(e.requestReceivedTimestamp) < stoppedAt && at(e.stageTimestamp) > stoppedAt);
  const after = writes.filter((e) => at(e.requestReceivedTimestamp) >= contAt);
  rec.figure(
    `${round}: old leader writes before SIGSTOP (audit log)`,
    writes.filter((e) => at(e.requestReceivedTimestamp) < stoppedAt).length,
  );
  rec.figure(`${round}: its writes in flight at SIGSTOP, answered after (audit log)`, inFlight.length);
  rec.figure(`${round}: old leader writes after SIGCONT (audit log)`, after.filter((e) => !lostLease(e)).length);
  rec.figure(`${round}: its Lease updates after SIGCONT refused 409`, after.filter(lostLease).length);
  rec.check(
    writes.length > 0,
    `${round}: the audit log holds no write with user agent ${agent}: a count of zero after SIGCONT would mean nothing`,
  );
  rec.check(inFlight.length > 0, `${round}: none of the leader's writes was in flight when it was stopped: the worst case was not tested`);
  const wrong = after.filter((e) => !lostLease(e));
  rec.check(wrong.length === 0, `${round}: the old leader wrote ${String(wrong.length)} times after SIGCONT: ${describeEvents(wrong)}`);
  rec.check(!follower.process.hasExited(), `${round}: the new leader exited`);
  return { next: follower, ms: done - stoppedAt };
}

const leaderStop: Scenario = {
  id: 'leader-stop',
  title:
    'two replicas with leader election; the leader SIGSTOPped past its lease mid-convergence (with a renewal in flight, then with writes piled up), then continued',
  async run(world, rec) {
    const hold = await LeaseHold.start(world.rest, world.plane.pki, OPERATOR_NAMESPACE);
    try {
      for (const id of ['replica-a', 'replica-b']) await world.startOperator(id, { leaderElection: LEASE, env: { POD_NAME: id } });
      await World.poll('a leader', async () => (await world.leaseHolder()) !== undefined, 30_000);
      const holder = await world.leaseHolder();
      const first = world.replicas.find((r) => r.identity === holder);
      if (first === undefined) throw new Error(`the lease is held by ${holder ?? 'nobody'}, not one of the replicas`);
      rec.figure('first leader', first.identity ?? '');
      await world.createBaseline();
      await world.reach(0.3);
      const one = await freezeRound(world, rec, 'renewal in flight', first, withRenewalInFlight(hold));
      rec.converged('SIGSTOP', one.ms);
      rec.figure('renewals held by the webhook', hold.heldCount);
      // Round two: new namespaces for the second leader to converge, and the first one's turn to take over.
      const more = Array.from({ length: Math.max(20, Math.floor(world.selected.length / 2)) }, (_, i) => `chaos-more-${String(i)}`);
      const before = world.selected.length;
      await world.addNamespaces(more);
      await world.reachCount(before + Math.ceil(0.3 * more.length));
      const two = await freezeRound(world, rec, 'writes piled up', one.next, withWritesPiledUp);
      rec.figure('writes piled up: converged after SIGSTOP (s)', seconds(two.ms));
    } finally {
      await hold.close(world.rest);
    }
  },
};

/**
 * Clusters run the previous release. Converged by it (its own config/default, RBAC and
 * code), the cluster is upgraded: its config/default applied over, and this operator
 * started. It must recognise the previous release's objects (no delete, no re-create) and
 * bring them to the new form in at most one write per object (the Namespace's ownership
 * record, a grantor RoleBinding where workloads are granted rules), by the audit log.
 */
const upgrade: Scenario = {
  id: 'upgrade',
  title: `upgrade from the previous release (${PREVIOUS_RELEASE.slice(0, 7)}): converged by it, then this operator started`,
  async run(world, rec) {
    const old = previousRelease(world.opts.root);
    world.applyConfig(old);
    const first = await world.startOperator('previous', { previousRelease: true }, old);
    await world.createBaseline();
    await World.poll(
      "the previous release to create every namespace's default-deny",
      async () => {
        const list = (await world.rest.request('GET', '/apis/networking.k8s.io/v1/networkpolicies', {
          query: { fieldSelector: 'metadata.name=kubeposture-default-deny' },
        })) as { items: unknown[] };
        return list.items.length >= world.selected.length;
      },
      convergeTimeout(world),
    );
    await settle(first);
    await first.process.stop();
    world.applyConfig(world.opts.root);
    const upgradedAt = Date.now();
    const next = await world.startOperator('upgraded');
    await world.converged(convergeTimeout(world));
    await settle(next);
    // Reviews (who it is, at start) are questions, not writes.
    const writes = world
      .audit()
      .filter(
        (e) =>
          e.user?.username === OPERATOR_USER &&
          AUDIT_WRITE_VERBS.has(e.verb) &&
          Date.parse(e.requestReceivedTimestamp) >= upgradedAt &&
          e.objectRef?.resource?.endsWith('reviews') !== true,
      );
    const deletes = writes.filter((e) => e.verb === 'delete');
    const byObject = new Map<string, number>();
    for (const e of writes) {
      const key = `${e.objectRef?.resource ?? ''} ${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''}`;
      byObject.set(key, (byObject.get(key) ?? 0) + 1);
    }
    const twice = [...byObject].filter(([, n]) => n > 1);
    const byResource = new Map<string, number>();
    for (const e of writes)
      byResource.set(`${e.verb} ${e.objectRef?.resource ?? ''}`, (byResource.get(`${e.verb} ${e.objectRef?.resource ?? ''}`) ?? 0) + 1);
    rec.figure(
      'upgraded operator: writes',
      `${String(writes.length)} (${[...byResource]
        .map(([k, n]) => `${k} ${String(n)}`)
        .sort()
        .join(', ')})`,
    );
    rec.figure('upgraded operator: deletes', deletes.length);
    rec.figure('upgraded operator: objects written more than once', twice.length);
    rec.check(deletes.length === 0, `the upgraded operator deleted ${String(deletes.length)} objects: ${describeEvents(deletes)}`);
    rec.check(
      twice.length === 0,
      `the upgraded operator wrote ${String(twice.length)} objects more than once: ${twice
        .slice(0, 4)
        .map(([k, n]) => `${k} × ${String(n)}`)
        .join(', ')}`,
    );
    const recreated = writes.filter(
      (e) =>
        e.verb === 'create' &&
        e.responseStatus?.code !== 409 &&
        !(e.objectRef?.resource === 'rolebindings' && e.objectRef.name === NAME_GRANTOR),
    );
    rec.check(
      recreated.length === 0,
      `the upgraded operator created ${String(recreated.length)} objects the previous release had made: ${describeEvents(recreated)}`,
    );
  },
};

export const SCENARIOS: readonly Scenario[] = [
  operatorKill,
  apiserverKill,
  etcdCompaction,
  throttled,
  userEdits,
  leaderStop,
  restartListFailing,
  upgrade,
];

/** Runs one scenario on a fresh control plane; never throws: an error is a failure in the result. */
export async function runScenario(scenario: Scenario, opts: ChaosOptions): Promise<ScenarioResult> {
  const t0 = Date.now();
  const rec = new Recorder();
  let world: World | undefined;
  let verdict: Verdict | undefined;
  opts.log(`${scenario.id}: ${scenario.title}, ${String(opts.namespaces)} namespaces`);
  try {
    world = await World.start(scenario.id, opts);
    await world.populate();
    try {
      await scenario.run(world, rec);
    } catch (err: unknown) {
      rec.check(false, errorMessage(err));
    }
    if (world.hasBaseline()) {
      verdict = await world.verify();
      rec.failures.push(...verdictFailures(verdict));
    }
  } catch (err: unknown) {
    rec.check(false, err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    const passed = rec.failures.length === 0;
    await world?.close(passed).catch((err: unknown) => {
      rec.check(false, `cleanup: ${errorMessage(err)}`);
    });
    opts.log(`${scenario.id}: ${passed ? 'passed' : `FAILED (${rec.failures.join(' | ')}); logs kept in ${world?.dir ?? opts.workDir}`}`);
  }
  return {
    id: scenario.id,
    title: scenario.title,
    namespaces: opts.namespaces,
    convergedMs: rec.convergedMs,
    convergedFrom: rec.convergedFrom,
    figures: rec.figures,
    failures: rec.failures,
    verdict,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}
