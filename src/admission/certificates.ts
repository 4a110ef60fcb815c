/**
 * The allow-all webhook's serving certificate, kept without cert-manager: a self-signed
 * certificate for the names the ValidatingWebhookConfiguration sends requests to, stored in a
 * Secret in kubeposture's namespace (so every replica serves the same one), and given to the
 * apiserver as the webhook's caBundle (a self-signed certificate is its own trust anchor).
 *
 * Every replica runs the same loop (whoever leads: all of them serve the webhook). Writes are
 * safe to race: the Secret is created (a second create is refused and re-read) or replaced at a
 * resourceVersion, and the caBundle is a function of the Secret alone. A renewal keeps the
 * certificate it replaces in the Secret and in the caBundle until that one expires, so a replica
 * still serving it is trusted until it has read the new one.
 *
 * Nothing happens until the webhook configuration exists: installing config/guard/allow-all.yaml
 * is what turns the webhook on, and its RBAC is what lets kubeposture read it.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { JsonPatchOp, RestClient } from '../kube/rest.ts';
import { ApiError } from '../kube/transport.ts';
import type { WireSecret, WireWebhookConfiguration } from '../kube/wire.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { selfSignedCertificate, type KeyPair } from '../lib/self-signed.ts';

/** The webhook configuration config/guard/allow-all.yaml installs. */
export const ALLOW_ALL_WEBHOOK = 'kubeposture-allow-all';
/** The Secret in kubeposture's namespace that holds its serving certificate. */
export const WEBHOOK_SECRET = 'kubeposture-webhook-tls';
const VALID_DAYS = 365;
/** A certificate this close to its end is replaced. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** The names a serving certificate must hold: those the webhook configuration's clients dial. */
export interface ServingNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** The names of every webhook's clientConfig: a service's `<name>.<namespace>.svc` (and `.cluster.local`), a URL's host. */
export function servingNames(config: WireWebhookConfiguration): ServingNames {
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const w of config.webhooks ?? []) {
    const { service, url } = w.clientConfig ?? {};
    if (service?.name !== undefined && service.namespace !== undefined) {
      dns.add(`${service.name}.${service.namespace}.svc`);
      dns.add(`${service.name}.${service.namespace}.svc.cluster.local`);
    }
    if (url !== undefined && URL.canParse(url)) {
      const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
      (isIP(host) === 0 ? dns : ips).add(host);
    }
  }
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/** What the Secret holds: the certificate served, its key, and the one it replaced (trusted until it expires). */
export interface StoredCertificate extends KeyPair {
  readonly previous: string | undefined;
}

const decode = (v: string | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));

/** The certificate in the Secret; undefined when there is none. */
export function readStored(secret: WireSecret | undefined): StoredCertificate | undefined {
  const cert = decode(secret?.data?.['tls.crt']);
  const key = decode(secret?.data?.['tls.key']);
  if (cert === undefined || key === undefined) return undefined;
  return { cert, key, previous: decode(secret?.data?.['previous.crt']) };
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Why the stored certificate must be replaced (missing, unreadable, ending, or not for these names); undefined when it serves. */
export function renewalReason(stored: StoredCertificate | undefined, names: ServingNames, now: number): string | undefined {
  if (stored === undefined) return 'no certificate yet';
  const cert = parse(stored.cert);
  if (cert === undefined) return 'the stored certificate cannot be read';
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return `the certificate ends ${cert.validTo}`;
  const sans = new Set((cert.subjectAltName ?? '').split(', '));
  const missing = [...names.dns.map((n) => `DNS:${n}`), ...names.ips.map((ip) => `IP Address:${ip}`)].filter((n) => !sans.has(n));
  if (missing.length > 0) return `the certificate does not name ${missing.join(', ')}`;
  return undefined;
}

/** The caBundle the webhook configuration should carry: the certificate served, and the one it replaced while that is valid. */
export function caBundleOf(stored: StoredCertificate, now: number): string {
  const previous = stored.previous === undefined ? undefined : parse(stored.previous);
  const keep = previous !== undefined && Date.parse(previous.validTo) > now && stored.previous !== stored.cert;
  return keep ? `${stored.cert}${stored.previous ?? ''}` : stored.cert;
}

/** The Secret holding `pair`, replacing `old` (whose certificate becomes the previous one). */
export function secretFor(namespace: string, pair: KeyPair, old: WireSecret | undefined): unknown {
  const previous = readStored(old)?.cert;
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: WEBHOOK_SECRET,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kubeposture', 'app.kubernetes.io/component': 'allow-all-webhook' },
      ...(old?.metadata.resourceVersion === undefined ? {} : { resourceVersion: old.metadata.resourceVersion }),
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key), ...(previous === undefined ? {} : { 'previous.crt': b64(previous) }) },
  };
}

/** The JSON patch that sets every webhook's caBundle to `bundle`, at the configuration's resourceVersion; empty when all carry it. */
export function caBundlePatch(config: WireWebhookConfiguration, bundle: string): JsonPatchOp[] {
  const b64 = Buffer.from(bundle, 'utf8').toString('base64');
  const ops: JsonPatchOp[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (w.clientConfig !== undefined && w.clientConfig.caBundle !== b64)
      ops.push({ op: 'add', path: `/webhooks/${String(i)}/clientConfig/caBundle`, value: b64 });
  });
  if (ops.length === 0) return [];
  return [{ op: 'test', path: '/metadata/resourceVersion', value: config.metadata.resourceVersion }, ...ops];
}

export interface CertificateKeeperDeps {
  /** A client of its own, not gated on leadership: every replica serves the webhook. */
  readonly rest: Pick<RestClient, 'get' | 'create' | 'replace' | 'jsonPatch'>;
  readonly namespace: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** The certificate to serve, or undefined: the webhook is not installed (or not readable), serve nothing. */
  readonly onServe: (pair: KeyPair | undefined) => Promise<void>;
}

/** One pass: read the configuration and the Secret, renew and write what is due, hand over what to serve. */
export async function keepCertificate(deps: CertificateKeeperDeps): Promise<void> {
  const { rest, namespace, clock, log } = deps;
  let config: WireWebhookConfiguration | undefined;
  try {
    config = await rest.get('ValidatingWebhookConfiguration', undefined, ALLOW_ALL_WEBHOOK);
  } catch (err: unknown) {
    // Without config/guard/allow-all.yaml kubeposture may not even read it: not installed.
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  if (config === undefined) {
    await deps.onServe(undefined);
    return;
  }
  const names = servingNames(config);
  let secret = await rest.get('Secret', namespace, WEBHOOK_SECRET);
  const now = clock.now();
  const reason = renewalReason(readStored(secret), names, now);
  if (reason !== undefined) {
    const pair = selfSignedCertificate(names.dns, names.ips, new Date(now), VALID_DAYS, ALLOW_ALL_WEBHOOK);
    const body = secretFor(namespace, pair, secret) as WireSecret;
    try {
      secret = secret === undefined ? await rest.create('Secret', body) : await rest.replace('Secret', body);
      log.info('Wrote the allow-all webhook serving certificate', { secret: `${namespace}/${WEBHOOK_SECRET}`, reason, ...names });
    } catch (err: unknown) {
      // Another replica wrote it first: take theirs.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
      secret = await rest.get('Secret', namespace, WEBHOOK_SECRET);
    }
  }
  const stored = readStored(secret);
  if (stored === undefined) throw new Error(`Secret ${namespace}/${WEBHOOK_SECRET} holds no certificate`);
  const patch = caBundlePatch(config, caBundleOf(stored, now));
  if (patch.length > 0) {
    try {
      await rest.jsonPatch('ValidatingWebhookConfiguration', undefined, ALLOW_ALL_WEBHOOK, patch);
    } catch (err: unknown) {
      // Changed since it was read (the test op): the next pass reads it again.
      if (!(err instanceof ApiError && (err.status === 409 || err.status === 422))) throw err;
      log.debug('The allow-all webhook configuration changed while its caBundle was set; again at the next pass', {
        error: errorMessage(err),
      });
    }
  }
  await deps.onServe(stored);
}
