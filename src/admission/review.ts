/**
 * The admission.k8s.io/v1 AdmissionReview a validating webhook is sent and answers, read
 * defensively (the body comes over the network) and typed only as far as kubeposture reads it.
 * Pure.
 */
import { asPlainObject } from '../lib/json.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** The request of one review, as far as the allow-all check reads it. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  /** group/version/kind of `object`, e.g. networking.k8s.io/v1 NetworkPolicy. */
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly namespace: string | undefined;
  readonly username: string;
  readonly object: unknown;
  readonly oldObject: unknown;
}

export type ParsedReview = { readonly ok: true; readonly request: AdmissionRequest } | { readonly ok: false; readonly error: string };

const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** The review in `body`, or what is wrong with it (naming the field). */
export function parseReview(body: unknown): ParsedReview {
  const review = asPlainObject(body);
  if (review === undefined) return { ok: false, error: 'the body is not a JSON object' };
  if (review.apiVersion !== ADMISSION_API_VERSION || review.kind !== 'AdmissionReview')
    return { ok: false, error: `apiVersion and kind must be ${ADMISSION_API_VERSION} AdmissionReview` };
  const req = asPlainObject(review.request);
  if (req === undefined) return { ok: false, error: 'request: missing' };
  if (typeof req.uid !== 'string' || req.uid === '') return { ok: false, error: 'request.uid: missing' };
  if (typeof req.operation !== 'string' || !OPERATIONS.includes(req.operation))
    return { ok: false, error: `request.operation: must be one of ${OPERATIONS.join(', ')}` };
  const kind = asPlainObject(req.kind);
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    ok: true,
    request: {
      uid: req.uid,
      operation: req.operation as AdmissionRequest['operation'],
      kind: { group: str(kind?.group), version: str(kind?.version), kind: str(kind?.kind) },
      namespace: typeof req.namespace === 'string' && req.namespace !== '' ? req.namespace : undefined,
      username: str(asPlainObject(req.userInfo)?.username),
      object: req.object ?? undefined,
      oldObject: req.oldObject ?? undefined,
    },
  };
}

/** A verdict on one request. */
export type Verdict = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** The AdmissionReview that answers request `uid` with `verdict` (a refusal is 403 Forbidden, as the apiserver words its own). */
export function reviewResponse(uid: string, verdict: Verdict): unknown {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: verdict.allowed
      ? { uid, allowed: true }
      : { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: verdict.message } },
  };
}
