/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection does it: the holder renews every retry period; a candidate
 * takes the lease once it has gone unrenewed for the lease duration; a leader
 * that cannot renew within the renew deadline stops leading at once.
 * Writes are guarded by optimistic concurrency (resourceVersion), so two
 * candidates never both win.
 */
import { ApiError } from '../kube/transport.ts';
import type { WireLease } from '../kube/wire.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import { microTime } from '../lib/time.ts';

export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  /** This candidate's identity (the Pod name, say). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** The part of the REST client leader election uses (rest.ts's RestClient is one): its Lease read, created, replaced. */
export interface LeaseClient {
  /** The Lease; undefined when there is none. */
  get(kind: 'Lease', namespace: string, name: string): Promise<WireLease | undefined>;
  create(kind: 'Lease', obj: WireLease): Promise<unknown>;
  /** Refused with 409 when the Lease is no longer at the resourceVersion `obj` carries. */
  replace(kind: 'Lease', obj: WireLease): Promise<unknown>;
}

export class LeaderElector {
  private readonly rest: LeaseClient;
  private readonly cfg: LeaderElectionConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private cancelTimer: (() => void) | undefined;
  /** The tick under way (it never rejects), for stop() to wait on. */
  private current: Promise<void> | undefined;
  /** The lease record as last seen, and when (local time): expiry is judged on our clock, not the holder's. */
  private observed: { record: string; at: number } | undefined;
  private readonly onStart: () => void;
  private readonly onStop: () => void;

  constructor(rest: LeaseClient, cfg: LeaderElectionConfig, clock: Clock, log: Logger, onStart: () => void, onStop: () => void) {
    this.rest = rest;
    this.cfg = cfg;
    this.clock = clock;
    this.log = log;
    this.onStart = onStart;
    this.onStop = onStop;
  }

  /** True while this candidate holds the lease (and renewed it within the deadline). */
  get isLeader(): boolean {
    return this.leading && this.clock.now() - this.lastRenew < this.cfg.renewDeadlineMs;
  }

  /** A method, not the field, so that the compiler does not narrow it across awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  /** Starts campaigning; keeps renewing while leading. */
  start(): void {
    this.stopped = false;
    this.current = this.tick();
  }

  /** Stops campaigning; a leader gives the lease up so a follower need not wait it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    // A renewal (or an acquisition) in flight lands first: the release is then written over it,
    // not read before it and refused after it (409), which left the lease held by a stopped process.
    await this.current;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.cfg.identity) {
        await this.write(lease, { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.clock.now()) });
      }
    } catch (err: unknown) {
      this.log.warn('Failed to release the leader lease', { error: errorMessage(err) });
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info(leading ? 'Became leader' : 'Stopped leading', {
      lease: `${this.cfg.namespace}/${this.cfg.name}`,
      identity: this.cfg.identity,
    });
    if (leading) this.onStart();
    else this.onStop();
  }

  private async read(): Promise<WireLease | undefined> {
    return this.rest.get('Lease', this.cfg.namespace, this.cfg.name);
  }

  private async write(current: WireLease | undefined, spec: NonNullable<WireLease['spec']>): Promise<void> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.cfg.name,
        namespace: this.cfg.namespace,
        ...(current?.metadata.resourceVersion === undefined ? {} : { resourceVersion: current.metadata.resourceVersion }),
      },
      spec,
    };
    if (current === undefined) await this.rest.create('Lease', body);
    else await this.rest.replace('Lease', body);
  }

  /** One attempt to acquire or renew; true when this candidate holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const lease = await this.read();
    const spec = lease?.spec ?? {};
    const mine = spec.holderIdentity === this.cfg.identity;
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}`;
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const expired =
      spec.holderIdentity === undefined || spec.holderIdentity === '' || this.observed.at + (spec.leaseDurationSeconds ?? 0) * 1000 < now;
    if (!mine && !expired) return false;
    await this.write(lease, {
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.ceil(this.cfg.leaseDurationMs / 1000),
      acquireTime: mine && spec.acquireTime !== undefined ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    });
    return true;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    // The lease counts from when the renewal was sent, not when its answer came: the
    // apiserver may have written it long before a paused process reads the answer.
    const sentAt = this.clock.now();
    try {
      if (await this.tryAcquireOrRenew()) {
        this.lastRenew = sentAt;
        // Answered too late to lead on: the others may already have taken the lease over.
        this.setLeading(this.clock.now() - sentAt < this.cfg.renewDeadlineMs);
      } else {
        this.setLeading(false);
      }
    } catch (err: unknown) {
      // A conflict means someone else wrote the lease first; anything else is a failed renewal.
      if (!(err instanceof ApiError && err.status === 409)) {
        this.log.warn('Failed to acquire or renew the leader lease', { error: errorMessage(err) });
      }
      if (this.leading && this.clock.now() - this.lastRenew >= this.cfg.renewDeadlineMs) this.setLeading(false);
    }
    if (this.isStopped()) return;
    this.cancelTimer = this.clock.setTimer(() => {
      this.current = this.tick();
    }, this.cfg.retryPeriodMs);
  }
}
