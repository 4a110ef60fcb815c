/**
 * Asking the apiserver who holds a bearer token (TokenReview) and whether they
 * may do something (SubjectAccessReview), as the apiserver's own delegated
 * authentication and authorization do: the metrics endpoint uses both.
 */
import { REVIEW_PATHS } from './resources.ts';
import type { Transport } from './transport.ts';
import { asPlainObject } from '../lib/json.ts';

/** Who the apiserver says holds a token. */
export interface UserInfo {
  readonly username: string;
  readonly uid: string | undefined;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** A TokenReview's answer. */
export type TokenReviewResult =
  { readonly authenticated: true; readonly user: UserInfo } | { readonly authenticated: false; readonly error: string };

/** A SubjectAccessReview's answer. */
export type AccessReviewResult = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** A request to a URL that is not an API resource, as RBAC's `nonResourceURLs` rules name it. */
export interface NonResourceAttributes {
  readonly path: string;
  readonly verb: string;
}

/** Reviews tokens and access with the apiserver. */
export interface Reviewer {
  reviewToken(token: string): Promise<TokenReviewResult>;
  reviewAccess(user: UserInfo, attributes: NonResourceAttributes): Promise<AccessReviewResult>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const record = (v: unknown): Readonly<Record<string, unknown>> => asPlainObject(v) ?? {};

/** Reads a TokenReview's status; anything but `authenticated: true` with a username is not authenticated. */
export function tokenReviewResult(answer: unknown): TokenReviewResult {
  const status = record(record(answer).status);
  const user = record(status.user);
  const username = text(user.username);
  if (status.authenticated !== true || username === undefined || username === '') {
    return { authenticated: false, error: text(status.error) ?? 'token not authenticated' };
  }
  const extra = Object.fromEntries(Object.entries(record(user.extra)).map(([k, v]) => [k, strings(v)]));
  return { authenticated: true, user: { username, uid: text(user.uid), groups: strings(user.groups), extra } };
}

/** Reads a SubjectAccessReview's status; anything but `allowed: true` is a refusal. */
export function accessReviewResult(answer: unknown): AccessReviewResult {
  const status = record(record(answer).status);
  if (status.allowed === true && status.denied !== true) return { allowed: true };
  const reason = [text(status.reason), text(status.evaluationError)].filter((s) => s !== undefined && s !== '').join('; ');
  return { allowed: false, reason: reason === '' ? 'no RBAC rule allows it' : reason };
}

/** A {@link Reviewer} posting TokenReviews and SubjectAccessReviews through `rest`. */
export function apiReviewer(rest: Pick<Transport, 'request'>): Reviewer {
  return {
    reviewToken: async (token) =>
      tokenReviewResult(
        await rest.request('POST', REVIEW_PATHS.TokenReview, {
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
        }),
      ),
    reviewAccess: async (user, attributes) =>
      accessReviewResult(
        await rest.request('POST', REVIEW_PATHS.SubjectAccessReview, {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              ...(user.uid === undefined ? {} : { uid: user.uid }),
              groups: user.groups,
              extra: user.extra,
              nonResourceAttributes: { path: attributes.path, verb: attributes.verb },
            },
          },
        }),
      ),
  };
}
