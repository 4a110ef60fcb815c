import { FakeClock } from '../../test/support/fake-clock.ts';
import { ValuePool } from './compact.ts';
import {
  asIs,
  Informer,
  keepOwnManagedFields,
  PackingInformer,
  type Codec,
  type InformerEvent,
  type InformerOptions,
  type ListWatchClient,
} from './informer.ts';
import { packing, type PackedObject } from './packed.ts';
import type { WireList, WireObject } from './wire.ts';
import { ApiError, type RequestInit } from './transport.ts';

const obj = (name: string, rv: string, ns = 'a'): WireObject => ({ metadata: { name, namespace: ns, resourceVersion: rv } });

interface OpenWatch {
  readonly rv: string | undefined;
  send(type: string, object: unknown): void;
  end(): void;
  fail(err: Error): void;
}

/** A scripted apiserver: a list answer to give, and the watches the informer opened. */
class FakeServer implements ListWatchClient {
  answer: { items: WireObject[]; rv: string } | Error = { items: [], rv: '1' };
  lists = 0;
  readonly watches: OpenWatch[] = [];

  async list(): Promise<WireList<WireObject>> {
    this.lists++;
    if (this.answer instanceof Error) throw this.answer;
    return { items: this.answer.items, metadata: { resourceVersion: this.answer.rv } };
  }

  stream(
    _path: string,
    query: RequestInit['query'],
    onLine: (line: string) => void,
    onOpen?: () => void,
  ): { done: Promise<void>; abort: () => void } {
    let resolve: () => void = () => undefined;
    let reject: (e: Error) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.watches.push({
      rv: query?.resourceVersion,
      send: (type, object) => {
        try {
          onLine(JSON.stringify({ type, object }));
        } catch (err: unknown) {
          reject(err as Error);
        }
      },
      end: () => {
        resolve();
      },
      fail: (err) => {
        reject(err);
      },
    });
    // The server accepts every watch at once.
    onOpen?.();
    return {
      done,
      abort: () => {
        resolve();
      },
    };
  }

  last(): OpenWatch {
    const w = this.watches.at(-1);
    if (w === undefined) throw new Error('no watch open');
    return w;
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** How the informers under test hold what they cache: each suite below runs with both. */
type Holding = 'as it is' | 'packed';
const HOLDINGS: readonly Holding[] = ['as it is', 'packed'];

function packed(): Codec<WireObject, PackedObject> {
  let version = 0;
  return packing(new ValuePool(), () => ++version);
}

/** The informer under test, holding what it caches one way or the other. */
type HoldingInformer = PackingInformer<WireObject, WireObject> | PackingInformer<WireObject, PackedObject>;

function informerHolding(how: Holding, server: ListWatchClient, opts: InformerOptions<WireObject>): HoldingInformer {
  return how === 'packed' ? new PackingInformer(server, opts, packed()) : new PackingInformer(server, opts, asIs<WireObject>());
}

function setup(how: Holding): {
  server: FakeServer;
  clock: FakeClock;
  informer: HoldingInformer;
  events: string[];
  errors: unknown[];
  relists: string[];
} {
  const server = new FakeServer();
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const relists: string[] = [];
  const informer = informerHolding(how, server, {
    kind: 'NetworkPolicy',
    clock,
    onError: (e) => errors.push(e),
    onRelist: (r) => relists.push(r),
  });
  const events: string[] = [];
  informer.on((e: InformerEvent<WireObject>) => {
    events.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion ?? ''}`);
  });
  return { server, clock, informer, events, errors, relists };
}

describe.each(HOLDINGS)('held %s', (how) => {
  describe('Informer', () => {
    it("lists, reports synced, then watches from the list's resourceVersion", async () => {
      const { server, informer, events } = setup(how);
      server.answer = { items: [obj('x', '5')], rv: '10' };
      await informer.start();
      expect(informer.synced).toBe(true);
      expect(events).toEqual(['add x@5']);
      await flush();
      expect(server.last().rv).toBe('10');
      informer.stop();
    });

    it('applies watch events to the cache and follows their resourceVersion', async () => {
      const { server, informer, events } = setup(how);
      await informer.start();
      await flush();
      server.last().send('ADDED', obj('y', '11'));
      server.last().send('MODIFIED', obj('y', '12'));
      server.last().send('BOOKMARK', { metadata: { resourceVersion: '20' } });
      expect(informer.get('a', 'y')?.metadata.resourceVersion).toBe('12');
      server.last().send('DELETED', obj('y', '21'));
      expect(informer.get('a', 'y')).toBeUndefined();
      expect(events).toEqual(['add y@11', 'update y@12', 'delete y@12']);
      server.last().end();
      await flush();
      // A watch the server closed resumes from the last resourceVersion seen, without a relist.
      expect(server.last().rv).toBe('21');
      expect(server.lists).toBe(1);
      informer.stop();
    });

    it('relists on 410 Gone and emits deletes for objects that vanished in the gap', async () => {
      const { server, informer, events, relists } = setup(how);
      server.answer = { items: [obj('keep', '1'), obj('gone', '2')], rv: '3' };
      await informer.start();
      await flush();
      server.answer = { items: [obj('keep', '1'), obj('new', '40')], rv: '50' };
      server.last().send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
      await flush();
      expect(server.lists).toBe(2);
      expect(events).toEqual(['add keep@1', 'add gone@2', 'delete gone@2', 'add new@40']);
      expect(server.last().rv).toBe('50');
      expect(relists).toEqual(['initial', 'expired']);
      expect(informer.failing).toBeUndefined();
      informer.stop();
    });

    it('reports itself failing from a failed watch until a watch is open again', async () => {
      const { server, informer, clock } = setup(how);
      await informer.start();
      await flush();
      expect(informer.failing).toBeUndefined();
      clock.advance(5000);
      server.last().fail(new Error('connect ECONNREFUSED'));
      await flush();
      expect(informer.failing).toEqual({ since: clock.now(), message: 'connect ECONNREFUSED' });
      clock.advance(1000);
      await flush();
      expect(server.watches).toHaveLength(2);
      expect(informer.failing).toBeUndefined();
      informer.stop();
    });

    it('retries a failed watch after a backoff that doubles, resuming where it was', async () => {
      const { server, informer, clock, errors } = setup(how);
      await informer.start();
      await flush();
      server.last().fail(new Error('connection reset'));
      await flush();
      expect(errors).toHaveLength(1);
      expect(server.watches).toHaveLength(1);
      clock.advance(999);
      await flush();
      expect(server.watches).toHaveLength(1);
      clock.advance(1);
      await flush();
      expect(server.watches).toHaveLength(2);
      expect(server.last().rv).toBe('1');
      server.last().fail(new ApiError(500, 'InternalError', 'boom', {}));
      await flush();
      clock.advance(1999);
      await flush();
      expect(server.watches).toHaveLength(2);
      clock.advance(1);
      await flush();
      expect(server.watches).toHaveLength(3);
      informer.stop();
    });

    it('keeps trying to list until the first list succeeds', async () => {
      const { server, informer, clock, relists } = setup(how);
      server.answer = new ApiError(403, 'Forbidden', 'no', {});
      const started = informer.start();
      await flush();
      expect(informer.synced).toBe(false);
      expect(informer.failing).toEqual({ since: 0, message: 'no' });
      clock.advance(1000);
      await flush();
      // Still refused: the first failure's time is kept.
      expect(informer.failing).toEqual({ since: 0, message: 'no' });
      server.answer = { items: [obj('x', '1')], rv: '2' };
      clock.advance(2000);
      await started;
      expect(informer.list()).toHaveLength(1);
      expect(informer.failing).toBeUndefined();
      expect(relists).toEqual(['initial']);
      informer.stop();
    });
  });

  describe("Informer holding the caller's own writes (upsert)", () => {
    it('passes over watch events older than the write it holds', async () => {
      const { server, informer, events } = setup(how);
      server.answer = { items: [obj('x', '5')], rv: '10' };
      await informer.start();
      await flush();
      informer.upsert(obj('x', '12'));
      // Sent before the write, arriving after it: passed over, the cache keeps the write.
      server.last().send('MODIFIED', obj('x', '11'));
      expect(informer.get('a', 'x')?.metadata.resourceVersion).toBe('12');
      // The write's own echo changes nothing; an older answer to an upsert replaces nothing.
      const held = informer.held('a', 'x');
      server.last().send('MODIFIED', obj('x', '12'));
      // ...and the cache keeps the very object it held: what others keep by it (caches.ts's versions) holds.
      expect(informer.held('a', 'x')).toBe(held);
      informer.upsert(obj('x', '9'));
      expect(informer.get('a', 'x')?.metadata.resourceVersion).toBe('12');
      server.last().send('MODIFIED', obj('x', '13'));
      expect(events).toEqual(['add x@5', 'update x@12', 'update x@13']);
      // Deleted and made again under the name before the deletion arrives: the deletion is the old one's.
      informer.evict('a', 'x');
      informer.upsert(obj('x', '16'));
      server.last().send('DELETED', obj('x', '15'));
      expect(informer.get('a', 'x')?.metadata.resourceVersion).toBe('16');
      expect(events).toEqual(['add x@5', 'update x@12', 'update x@13', 'delete x@13', 'add x@16']);
      informer.stop();
    });
  });

  describe('Informer with keep', () => {
    it('caches only what qualifies; an object that stops qualifying leaves with a delete', async () => {
      const server = new FakeServer();
      const clock = new FakeClock();
      const keepLabelled = (o: WireObject): boolean => o.metadata.labels?.open === 'yes';
      const informer = informerHolding(how, server, { kind: 'NetworkPolicy', clock, keep: keepLabelled });
      const events: string[] = [];
      informer.on((e) => {
        events.push(`${e.type} ${e.object.metadata.name}`);
      });
      const open = (name: string, rv: string, yes: boolean): WireObject => ({
        metadata: { name, namespace: 'a', resourceVersion: rv, labels: { open: yes ? 'yes' : 'no' } },
      });
      server.answer = { items: [open('x', '1', true), open('y', '2', false)], rv: '3' };
      await informer.start();
      await flush();
      expect(informer.list().map((o) => o.metadata.name)).toEqual(['x']);
      server.last().send('MODIFIED', open('y', '4', true));
      server.last().send('MODIFIED', open('x', '5', false));
      server.last().send('DELETED', open('z', '6', false));
      expect(informer.list().map((o) => o.metadata.name)).toEqual(['y']);
      expect(events).toEqual(['add x', 'add y', 'delete x']);
      informer.stop();
    });
  });
});

describe('Informer listing in pages', () => {
  /** Three pages of two; the transform counts how many objects it has seen when each page is asked for. */
  class PagedServer extends FakeServer {
    readonly pages: WireObject[][] = [
      [obj('a1', '1'), obj('a2', '2')],
      [obj('b1', '3'), obj('b2', '4')],
      [obj('c1', '5'), obj('c2', '6')],
    ];
    readonly transformedWhenAsked: number[] = [];
    transformed = 0;

    override async list(_kind?: unknown, query?: Readonly<Record<string, string | undefined>>): Promise<WireList<WireObject>> {
      this.lists++;
      this.transformedWhenAsked.push(this.transformed);
      const i = query?.continue === undefined ? 0 : Number(query.continue);
      const next = i + 1 < this.pages.length ? String(i + 1) : '';
      return Promise.resolve({ items: this.pages[i] ?? [], metadata: { resourceVersion: '7', continue: next } });
    }
  }

  it('transforms each page as it arrives, so a long list never holds every object as sent', async () => {
    const server = new PagedServer();
    const informer = new Informer<WireObject>(server, {
      kind: 'NetworkPolicy',
      clock: new FakeClock(),
      transform: (o) => {
        server.transformed++;
        return { metadata: { ...o.metadata, annotations: { compact: 'yes' } } };
      },
      keep: (o) => !o.metadata.name.endsWith('2'),
    });
    await informer.start();
    // Page two is asked for after page one's two objects were transformed, and so on.
    expect(server.transformedWhenAsked).toEqual([0, 2, 4]);
    expect(informer.list().map((o) => [o.metadata.name, o.metadata.annotations?.compact])).toEqual([
      ['a1', 'yes'],
      ['b1', 'yes'],
      ['c1', 'yes'],
    ]);
    informer.stop();
  });
});

describe('Informer stopped while it lists', () => {
  /** Pages of one object each, each answered only when the test says so. */
  class HeldServer extends FakeServer {
    readonly held: (() => void)[] = [];
    private readonly pageCount: number;

    constructor(pageCount: number) {
      super();
      this.pageCount = pageCount;
    }

    override async list(_kind?: unknown, query?: Readonly<Record<string, string | undefined>>): Promise<WireList<WireObject>> {
      this.lists++;
      const i = query?.continue === undefined ? 0 : Number(query.continue);
      const next = i + 1 < this.pageCount ? String(i + 1) : '';
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
      });
      return { items: [obj(`p${String(i)}`, String(i + 1))], metadata: { resourceVersion: '9', continue: next } };
    }

    /** Answers the list request waiting longest. */
    release(): void {
      const r = this.held.shift();
      if (r === undefined) throw new Error('no list waiting');
      r();
    }
  }

  // `kubeposture run` stopped by SIGTERM while its caches still listed (a cluster of thousands
  // of namespaces): the list's answer came after stop(), and the informer went on to open a
  // watch that nothing aborted, open for its timeoutSeconds (5 to 6 minutes), and the
  // process, done with everything else, waited for it to end.
  it('opens no watch when stopped while its list was on its way', async () => {
    const server = new HeldServer(1);
    const informer = new Informer<WireObject>(server, { kind: 'Namespace', clock: new FakeClock() });
    const started = informer.start();
    await flush();
    informer.stop();
    await expect(started).rejects.toThrow('Namespace informer stopped before it synced');
    server.release();
    await flush();
    expect(server.watches).toHaveLength(0);
    expect(informer.synced).toBe(false);
  });

  it('asks for no further page when stopped between pages, and caches none of the list', async () => {
    const server = new HeldServer(3);
    const events: string[] = [];
    const informer = new Informer<WireObject>(server, { kind: 'Namespace', clock: new FakeClock() });
    informer.on((e) => events.push(`${e.type} ${e.object.metadata.name}`));
    const started = informer.start().catch(() => undefined);
    await flush();
    informer.stop();
    server.release();
    await flush();
    await started;
    expect(server.lists).toBe(1);
    expect(server.held).toHaveLength(0);
    expect(server.watches).toHaveLength(0);
    expect(events).toEqual([]);
  });
});

describe('keepOwnManagedFields', () => {
  it("keeps only the named manager's entries, and drops the field when none is left", () => {
    const strip = keepOwnManagedFields<WireObject>('kubeposture');
    const o = { metadata: { name: 'x', managedFields: [{ manager: 'kubectl' }, { manager: 'kubeposture', operation: 'Apply' }] } };
    expect(strip(o).metadata.managedFields).toEqual([{ manager: 'kubeposture', operation: 'Apply' }]);
    expect('managedFields' in strip({ metadata: { name: 'x', managedFields: [{ manager: 'kubectl' }] } }).metadata).toBe(false);
  });
});
