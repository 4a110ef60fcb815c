import { FakeClock } from '../../test/support/fake-clock.ts';
import { silentLogger } from '../lib/log.ts';
import { LeaderElector, type LeaseClient } from './leader.ts';
import type { WireLease } from '../kube/wire.ts';
import { ApiError } from '../kube/transport.ts';

/** A Lease store whose answers the test releases, to play a process paused mid-request. */
class LeaseServer implements LeaseClient {
  lease: WireLease | undefined;
  hold = false;
  down = false;
  private held: (() => void)[] = [];

  async get(): Promise<WireLease | undefined> {
    await this.answer();
    return this.lease;
  }

  async create(_kind: 'Lease', obj: WireLease): Promise<WireLease> {
    return this.write(obj);
  }

  async replace(_kind: 'Lease', obj: WireLease): Promise<WireLease> {
    return this.write(obj);
  }

  private async answer(): Promise<void> {
    if (this.hold)
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
      });
    if (this.down) throw new Error('connect ECONNREFUSED');
  }

  private version = 0;

  /** As the apiserver: a write naming a resourceVersion that is no longer the lease's is refused (409). */
  private async write(obj: WireLease): Promise<WireLease> {
    await this.answer();
    const current = this.lease?.metadata.resourceVersion;
    if (current !== undefined && obj.metadata.resourceVersion !== current)
      throw new ApiError(409, 'Conflict', 'the object has been modified', {});
    this.version += 1;
    this.lease = { ...obj, metadata: { name: 'l', namespace: 'ns', resourceVersion: String(this.version) } };
    return this.lease;
  }

  releaseAll(): void {
    for (const r of this.held.splice(0)) r();
  }

  /** Answers only the request held first, or last. */
  releaseOldest(): void {
    this.held.shift()?.();
  }

  releaseNewest(): void {
    this.held.pop()?.();
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};
const CFG = { namespace: 'ns', name: 'l', identity: 'me', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 };

/** A started elector against a fresh lease store, and the onStart/onStop calls it made. */
async function leading(): Promise<{ server: LeaseServer; clock: FakeClock; e: LeaderElector; events: string[] }> {
  const server = new LeaseServer();
  const clock = new FakeClock();
  const events: string[] = [];
  const e = new LeaderElector(
    server,
    CFG,
    clock,
    silentLogger,
    () => events.push('start'),
    () => events.push('stop'),
  );
  e.start();
  await flush();
  return { server, clock, e, events };
}

describe('LeaderElector', () => {
  it('leads once the lease is written, and renews', async () => {
    const { clock, e, events } = await leading();
    expect(e.isLeader).toBe(true);
    clock.advance(1000);
    await flush();
    clock.advance(1000);
    await flush();
    expect(e.isLeader).toBe(true);
    expect(events).toEqual(['start']);
    await e.stop();
  });

  it('stops leading when a renewal is answered only after the renew deadline: the lease counts from when it was sent', async () => {
    const { server, clock, e, events } = await leading();
    expect(e.isLeader).toBe(true);
    // The next renewal goes out, and the process is paused before its answer is read.
    server.hold = true;
    clock.advance(1000);
    await flush();
    clock.advance(8000);
    expect(e.isLeader).toBe(false);
    server.hold = false;
    server.releaseAll();
    await flush();
    // The write succeeded, but 8 s ago as far as anyone else could tell.
    expect(e.isLeader).toBe(false);
    expect(events).toEqual(['start', 'stop']);
    await e.stop();
  });

  it('stops leading while the apiserver is out of reach past the renew deadline, and leads again once it is back', async () => {
    const { server, clock, e, events } = await leading();
    server.down = true;
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(e.isLeader).toBe(false);
    expect(events).toEqual(['start', 'stop']);
    server.down = false;
    clock.advance(1000);
    await flush();
    // Still its own lease: renewed at once, no need to wait for it to expire.
    expect(e.isLeader).toBe(true);
    expect(events).toEqual(['start', 'stop', 'start']);
    await e.stop();
  });

  it('gives the lease up when stopped while a renewal is in flight: the release is written after the renewal lands, not refused by it', async () => {
    const { server, clock, e } = await leading();
    server.hold = true;
    clock.advance(1000);
    await flush();
    // The renewal's read is answered; its write is in flight.
    server.releaseOldest();
    await flush();
    const stopped = e.stop();
    await flush();
    // Whatever stop() sent meanwhile is answered before the renewal lands.
    server.releaseNewest();
    await flush();
    server.hold = false;
    server.releaseAll();
    await flush();
    await stopped;
    expect(server.lease?.spec?.holderIdentity).toBe('');
    expect(e.isLeader).toBe(false);
  });
});
