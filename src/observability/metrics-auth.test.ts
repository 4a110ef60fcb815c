import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Reviewer, UserInfo } from '../kube/reviews.ts';
import { ExpiringCache, ScrapeAuthorizer, bearerToken, decisionStatus } from './metrics-auth.ts';
import { selfSignedCertificate } from '../lib/self-signed.ts';

const reader: UserInfo = {
  username: 'system:serviceaccount:monitoring:prometheus',
  uid: 'u1',
  groups: ['system:serviceaccounts'],
  extra: {},
};
const admin: UserInfo = { username: 'system:serviceaccount:team:admin', uid: 'u2', groups: [], extra: {} };

/** A reviewer that knows two tokens and allows only the reader, counting its calls. */
function fakeReviewer(): Reviewer & { calls: number } {
  const r = {
    calls: 0,
    reviewToken: async (token: string) => {
      r.calls += 1;
      const user = token === 'reader' ? reader : token === 'admin' ? admin : undefined;
      if (token === 'boom') throw new Error('apiserver unreachable');
      return user === undefined ? { authenticated: false as const, error: 'invalid token' } : { authenticated: true as const, user };
    },
    reviewAccess: async (user: UserInfo) => {
      r.calls += 1;
      return user === reader ? { allowed: true as const } : { allowed: false as const, reason: 'no RBAC rule' };
    },
  };
  return r;
}

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['  Bearer   abc ', 'abc'],
    [undefined, undefined],
    ['', undefined],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
  ])('%j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('ScrapeAuthorizer', () => {
  it.each([
    [undefined, 401, 0],
    ['Bearer nope', 401, 1],
    ['Bearer admin', 403, 2],
    ['Bearer reader', 200, 2],
    ['Bearer boom', 500, 1],
  ] as const)('%j answers %d after %d reviews', async (header, status, calls) => {
    const reviewer = fakeReviewer();
    const auth = new ScrapeAuthorizer(reviewer, () => 0);
    expect(decisionStatus(await auth.decide(header))).toBe(status);
    expect(reviewer.calls).toBe(calls);
  });

  it('asks again only after the TTL: 60 s when allowed, 10 s when refused; never caches a failure', async () => {
    let now = 0;
    const reviewer = fakeReviewer();
    const auth = new ScrapeAuthorizer(reviewer, () => now);
    for (const t of [0, 15_000, 59_999]) {
      now = t;
      expect(decisionStatus(await auth.decide('Bearer reader'))).toBe(200);
    }
    expect(reviewer.calls).toBe(2);
    now = 60_000;
    await auth.decide('Bearer reader');
    expect(reviewer.calls).toBe(4);
    await auth.decide('Bearer admin');
    now = 69_999;
    await auth.decide('Bearer admin');
    expect(reviewer.calls).toBe(6);
    now = 70_000;
    expect(decisionStatus(await auth.decide('Bearer admin'))).toBe(403);
    expect(reviewer.calls).toBe(8);
    await auth.decide('Bearer boom');
    await auth.decide('Bearer boom');
    expect(reviewer.calls).toBe(10);
  });

  it('limits reviews of uncached tokens (429), and cached ones still pass', async () => {
    const reviewer = fakeReviewer();
    const auth = new ScrapeAuthorizer(reviewer, () => 0, { reviewsPerSecond: 2 });
    expect(decisionStatus(await auth.decide('Bearer reader'))).toBe(200);
    expect(decisionStatus(await auth.decide('Bearer x1'))).toBe(401);
    expect(decisionStatus(await auth.decide('Bearer x2'))).toBe(429);
    expect(decisionStatus(await auth.decide('Bearer reader'))).toBe(200);
  });
});

describe('ExpiringCache', () => {
  it('keeps at most its bound, dropping the oldest', () => {
    const c = new ExpiringCache<number>(2);
    c.set('a', 1, 10);
    c.set('b', 2, 10);
    c.set('c', 3, 10);
    expect([c.get('a', 0), c.get('b', 0), c.get('c', 0), c.size]).toEqual([undefined, 2, 3, 2]);
    expect(c.get('b', 10)).toBeUndefined();
  });
});

describe('selfSignedCertificate', () => {
  it('is a self-signed serving certificate for the names, with its key', () => {
    const pair = selfSignedCertificate(['localhost'], ['127.0.0.1', '::1']);
    const cert = new X509Certificate(pair.cert);
    expect(cert.subject).toBe(cert.issuer);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect([cert.checkHost('localhost'), cert.checkIP('127.0.0.1'), cert.checkIP('::1'), cert.ca]).toEqual([
      'localhost',
      '127.0.0.1',
      '::1',
      false,
    ]);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
  });
});
