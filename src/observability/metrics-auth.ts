/**
 * Who may read /metrics, decided as controller-runtime's
 * `filters.WithAuthenticationAndAuthorization` does: the bearer token is
 * reviewed by the apiserver (TokenReview), then its holder's access to the
 * non-resource URL `/metrics` with verb `get` (SubjectAccessReview). No token,
 * or one the apiserver does not know, is 401; a known holder without the RBAC
 * rule (a namespace admin, say) is 403.
 *
 * Answers are cached by the token's SHA-256 (never the token itself), in two
 * bounded maps: allowed tokens for `allowTtlMs` (so a scrape every 15 s costs
 * two apiserver requests a minute, and a removed binding or deleted
 * ServiceAccount stops working within that time), refused ones for
 * `denyTtlMs`. Only tokens an authorised scraper holds get into the first, so
 * a flood of made-up tokens cannot evict them. Reviews for tokens not cached
 * are limited to `reviewsPerSecond` (a token bucket): whoever can reach the
 * port cannot make the operator flood the apiserver under its own
 * ServiceAccount (whose API Priority and Fairness share its reconciles use
 * too); past the limit the answer is 429.
 */
import { createHash } from 'node:crypto';
import type { NonResourceAttributes, Reviewer } from '../kube/reviews.ts';
import { errorMessage } from '../lib/errors.ts';

/** What to do with one request for /metrics. */
export type ScrapeDecision =
  | { readonly kind: 'allowed'; readonly username: string }
  | { readonly kind: 'unauthenticated'; readonly reason: string }
  | { readonly kind: 'forbidden'; readonly username: string; readonly reason: string }
  | { readonly kind: 'throttled' }
  | { readonly kind: 'failed'; readonly message: string };

/** The HTTP status for a decision. */
export function decisionStatus(d: ScrapeDecision): number {
  switch (d.kind) {
    case 'allowed':
      return 200;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'throttled':
      return 429;
    case 'failed':
      return 500;
  }
}

/** The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, as the apiserver reads it), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? '').trim().split(/\s+/);
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'bearer') return undefined;
  return parts[1];
}

/** The access a scraper needs: RBAC `nonResourceURLs: [/metrics]`, `verbs: [get]`. */
export const METRICS_ACCESS: NonResourceAttributes = { path: '/metrics', verb: 'get' };

export interface ScrapeAuthorizerOptions {
  /** How long an allowed token is trusted without asking again (default 60 s). */
  readonly allowTtlMs?: number;
  /** How long a refused token is refused without asking again (default 10 s). */
  readonly denyTtlMs?: number;
  /** Entries in each cache (default 1024); the oldest goes first. */
  readonly maxEntries?: number;
  /** Reviews of tokens not cached, per second, and the burst (default 10). */
  readonly reviewsPerSecond?: number;
}

/** A bounded map whose entries expire; the oldest entry is evicted when full. */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expires: number }>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expires > now) return e.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, expires: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A token bucket: `rate` per second, holding at most `rate`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;

  constructor(rate: number, now: number) {
    this.rate = rate;
    this.tokens = rate;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.rate, this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

type Refusal = Extract<ScrapeDecision, { kind: 'unauthenticated' | 'forbidden' }>;

/** Decides, with the apiserver's reviews and a cache, who may read /metrics. */
export class ScrapeAuthorizer {
  private readonly reviewer: Reviewer;
  private readonly now: () => number;
  private readonly allowTtlMs: number;
  private readonly denyTtlMs: number;
  private readonly allowed: ExpiringCache<string>;
  private readonly refused: ExpiringCache<Refusal>;
  private readonly bucket: TokenBucket;

  constructor(reviewer: Reviewer, now: () => number, opts: ScrapeAuthorizerOptions = {}) {
    this.reviewer = reviewer;
    this.now = now;
    this.allowTtlMs = opts.allowTtlMs ?? 60_000;
    this.denyTtlMs = opts.denyTtlMs ?? 10_000;
    this.allowed = new ExpiringCache(opts.maxEntries ?? 1024);
    this.refused = new ExpiringCache(opts.maxEntries ?? 1024);
    this.bucket = new TokenBucket(opts.reviewsPerSecond ?? 10, now());
  }

  /** Decides for a request carrying this Authorization header. Never rejects. */
  async decide(authorization: string | undefined): Promise<ScrapeDecision> {
    const token = bearerToken(authorization);
    if (token === undefined) return { kind: 'unauthenticated', reason: 'no bearer token' };
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.now();
    const username = this.allowed.get(key, now);
    if (username !== undefined) return { kind: 'allowed', username };
    const refusal = this.refused.get(key, now);
    if (refusal !== undefined) return refusal;
    if (!this.bucket.take(now)) return { kind: 'throttled' };
    let decision: ScrapeDecision;
    try {
      decision = await this.review(token);
    } catch (err: unknown) {
      // Not cached: the next scrape asks again.
      return { kind: 'failed', message: errorMessage(err) };
    }
    const at = this.now();
    if (decision.kind === 'allowed') this.allowed.set(key, decision.username, at + this.allowTtlMs);
    else if (decision.kind === 'unauthenticated' || decision.kind === 'forbidden') this.refused.set(key, decision, at + this.denyTtlMs);
    return decision;
  }

  private async review(token: string): Promise<ScrapeDecision> {
    const who = await this.reviewer.reviewToken(token);
    if (!who.authenticated) return { kind: 'unauthenticated', reason: who.error };
    const access = await this.reviewer.reviewAccess(who.user, METRICS_ACCESS);
    return access.allowed
      ? { kind: 'allowed', username: who.user.username }
      : { kind: 'forbidden', username: who.user.username, reason: access.reason };
  }
}
