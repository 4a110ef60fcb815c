/**
 * Who kubeposture is, as the apiserver sees its credentials: a SelfSubjectReview
 * (authentication.k8s.io/v1, every authenticated user may make one). Asked, not
 * configured, so that it is always the identity RBAC will judge: the grantor
 * RoleBindings name exactly that ServiceAccount.
 */
import { asPlainObject } from '../lib/json.ts';
import { REVIEW_PATHS } from './resources.ts';
import type { Transport } from './transport.ts';

const SA_PREFIX = 'system:serviceaccount:';

/** The ServiceAccount a username names (`system:serviceaccount:<namespace>:<name>`), or undefined for any other user. */
export function serviceAccountOf(username: string): { readonly namespace: string; readonly name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  const [namespace, name] = parts;
  if (parts.length !== 2 || namespace === undefined || name === undefined || namespace === '' || name === '') return undefined;
  return { namespace, name };
}

/** The username the apiserver authenticates `rest`'s credentials as. */
export async function whoAmI(rest: Pick<Transport, 'request'>): Promise<string> {
  const answer = await rest.request('POST', REVIEW_PATHS.SelfSubjectReview, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  // Read as reviews.ts reads its answers: a review is not an object of the table's kinds.
  const username = asPlainObject(asPlainObject(asPlainObject(answer)?.status)?.userInfo)?.username;
  if (typeof username !== 'string') throw new Error("the apiserver's SelfSubjectReview named no user");
  return username;
}
