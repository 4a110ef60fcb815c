import { X509Certificate } from 'node:crypto';
import { ApiError } from '../kube/transport.ts';
import type { WireSecret, WireWebhookConfiguration } from '../kube/wire.ts';
import type { Logger } from '../lib/log.ts';
import { selfSignedCertificate } from '../lib/self-signed.ts';
import {
  ALLOW_ALL_WEBHOOK,
  WEBHOOK_SECRET,
  caBundleOf,
  caBundlePatch,
  keepCertificate,
  readStored,
  renewalReason,
  secretFor,
  servingNames,
  type CertificateKeeperDeps,
} from './certificates.ts';

const DAY = 86_400_000;
const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const config = (clientConfig: Record<string, unknown>, caBundle?: string): WireWebhookConfiguration => ({
  metadata: { name: ALLOW_ALL_WEBHOOK, resourceVersion: '7' },
  webhooks: [{ name: 'w', clientConfig: { ...clientConfig, ...(caBundle === undefined ? {} : { caBundle }) } }],
});
const service = { service: { name: 'kubeposture-webhook', namespace: 'kubeposture-system', path: '/validate-networkpolicy' } };
const SERVICE_NAMES = {
  dns: ['kubeposture-webhook.kubeposture-system.svc', 'kubeposture-webhook.kubeposture-system.svc.cluster.local'],
  ips: [],
};

describe('servingNames', () => {
  it("names a service's DNS names and a URL's host, IP or DNS", () => {
    expect(servingNames(config(service))).toEqual(SERVICE_NAMES);
    expect(servingNames(config({ url: 'https://127.0.0.1:9443/x' }))).toEqual({ dns: [], ips: ['127.0.0.1'] });
    expect(servingNames(config({ url: 'https://[::1]:9443/x' }))).toEqual({ dns: [], ips: ['::1'] });
    expect(servingNames(config({ url: 'https://webhook.example.com/x' }))).toEqual({ dns: ['webhook.example.com'], ips: [] });
    expect(servingNames({ metadata: { name: ALLOW_ALL_WEBHOOK } })).toEqual({ dns: [], ips: [] });
  });
});

describe('renewalReason', () => {
  const now = Date.parse('2026-12-05T00:00:00Z');
  const stored = (days: number, dns = SERVICE_NAMES.dns): ReturnType<typeof readStored> => ({
    ...selfSignedCertificate(dns, [], new Date(now), days),
    previous: undefined,
  });
  it('renews what is missing, unreadable, within 30 days of its end, or not for the names called', () => {
    expect(renewalReason(undefined, SERVICE_NAMES, now)).toBe('no certificate yet');
    expect(renewalReason({ cert: 'nonsense', key: 'k', previous: undefined }, SERVICE_NAMES, now)).toBe(
      'the stored certificate cannot be read',
    );
    expect(renewalReason(stored(365), SERVICE_NAMES, now)).toBeUndefined();
    expect(renewalReason(stored(365), SERVICE_NAMES, now + 334 * DAY)).toBeUndefined();
    expect(renewalReason(stored(365), SERVICE_NAMES, now + 336 * DAY)).toMatch(/^the certificate ends /);
    expect(renewalReason(stored(365, ['other.svc']), SERVICE_NAMES, now)).toBe(
      'the certificate does not name DNS:kubeposture-webhook.kubeposture-system.svc, DNS:kubeposture-webhook.kubeposture-system.svc.cluster.local',
    );
  });
});

describe('the Secret and the caBundle', () => {
  const now = Date.now();
  const first = selfSignedCertificate(['a.svc'], [], new Date(now), 365);
  const second = selfSignedCertificate(['a.svc'], [], new Date(now), 365);
  it('round-trips a certificate through the Secret, keeping the one it replaces as previous', () => {
    const s1 = secretFor('ns', first, undefined) as WireSecret;
    expect(s1.type).toBe('kubernetes.io/tls');
    expect(readStored(s1)).toEqual({ ...first, previous: undefined });
    const s2 = secretFor('ns', second, { ...s1, metadata: { ...s1.metadata, resourceVersion: '5' } }) as WireSecret;
    expect(s2.metadata.resourceVersion).toBe('5');
    expect(readStored(s2)).toEqual({ ...second, previous: first.cert });
  });
  it('trusts the previous certificate until it ends', () => {
    const stored = { ...second, previous: first.cert };
    expect(caBundleOf(stored, now)).toBe(`${second.cert}${first.cert}`);
    expect(caBundleOf(stored, now + 400 * DAY)).toBe(second.cert);
    expect(caBundleOf({ ...second, previous: undefined }, now)).toBe(second.cert);
  });
  it('patches only webhooks whose caBundle differs, at the resourceVersion read', () => {
    const b64 = Buffer.from(first.cert).toString('base64');
    expect(caBundlePatch(config(service, b64), first.cert)).toEqual([]);
    expect(caBundlePatch(config(service), first.cert)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: b64 },
    ]);
  });
});

/** An apiserver of one webhook configuration and one Secret, refusing stale writes as the real one does. */
function fakeApi(initial: WireWebhookConfiguration | undefined): {
  deps: (onServe: CertificateKeeperDeps['onServe']) => CertificateKeeperDeps;
  state: { config: WireWebhookConfiguration | undefined; secret: WireSecret | undefined; writes: number };
} {
  const state = { config: initial, secret: undefined as WireSecret | undefined, writes: 0 };
  let rv = 1;
  const rest: CertificateKeeperDeps['rest'] = {
    get: (kind: string) => Promise.resolve((kind === 'Secret' ? state.secret : state.config) as never),
    create: (_kind: string, obj: unknown) => {
      if (state.secret !== undefined) return Promise.reject(new ApiError(409, 'AlreadyExists', 'exists', undefined));
      state.writes++;
      const s = obj as WireSecret;
      state.secret = { ...s, metadata: { ...s.metadata, resourceVersion: String(++rv) } };
      return Promise.resolve(state.secret as never);
    },
    replace: (_kind: string, obj: unknown) => {
      const s = obj as WireSecret;
      if (s.metadata.resourceVersion !== state.secret?.metadata.resourceVersion)
        return Promise.reject(new ApiError(409, 'Conflict', 'stale', undefined));
      state.writes++;
      state.secret = { ...s, metadata: { ...s.metadata, resourceVersion: String(++rv) } };
      return Promise.resolve(state.secret as never);
    },
    jsonPatch: (_kind: string, _ns: unknown, _name: string, ops: readonly { op: string; path: string; value?: unknown }[]) => {
      const c = state.config;
      if (c === undefined) return Promise.reject(new ApiError(404, 'NotFound', 'gone', undefined));
      if (ops[0]?.value !== c.metadata.resourceVersion) return Promise.reject(new ApiError(422, 'Invalid', 'test failed', undefined));
      state.writes++;
      const bundle = ops[1]?.value as string;
      state.config = {
        metadata: { ...c.metadata, resourceVersion: String(++rv) },
        webhooks: (c.webhooks ?? []).map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: bundle } })),
      };
      return Promise.resolve(state.config as never);
    },
  } as CertificateKeeperDeps['rest'];
  return {
    state,
    deps: (onServe) => ({
      rest,
      namespace: 'kubeposture-system',
      clock: { now: () => Date.now(), setTimer: () => () => undefined },
      log: quiet,
      onServe,
    }),
  };
}

describe('keepCertificate', () => {
  it('serves nothing and writes nothing while the webhook configuration is absent', async () => {
    const api = fakeApi(undefined);
    const served: unknown[] = [];
    await keepCertificate(api.deps(async (p) => void served.push(p)));
    expect(served).toEqual([undefined]);
    expect(api.state.writes).toBe(0);
  });

  it('makes the certificate once, puts it in the caBundle, and then writes nothing more', async () => {
    const api = fakeApi(config(service));
    const served: { cert: string }[] = [];
    const onServe: CertificateKeeperDeps['onServe'] = async (p) => {
      if (p !== undefined) served.push(p);
    };
    await keepCertificate(api.deps(onServe));
    expect(api.state.writes).toBe(2);
    const cert = readStored(api.state.secret)?.cert ?? '';
    expect(new X509Certificate(cert).subjectAltName).toBe(
      'DNS:kubeposture-webhook.kubeposture-system.svc, DNS:kubeposture-webhook.kubeposture-system.svc.cluster.local',
    );
    expect(api.state.secret?.metadata.name).toBe(WEBHOOK_SECRET);
    expect(api.state.config?.webhooks?.[0]?.clientConfig?.caBundle).toBe(Buffer.from(cert).toString('base64'));
    await keepCertificate(api.deps(onServe));
    expect(api.state.writes).toBe(2);
    expect(served.map((s) => s.cert)).toEqual([cert, cert]);
  });

  it('renews for new names, and trusts the old certificate in the caBundle meanwhile', async () => {
    const api = fakeApi(config(service));
    const noop: CertificateKeeperDeps['onServe'] = async () => undefined;
    await keepCertificate(api.deps(noop));
    const old = readStored(api.state.secret)?.cert ?? '';
    api.state.config = { ...config({ url: 'https://10.0.0.1/x' }), metadata: { name: ALLOW_ALL_WEBHOOK, resourceVersion: '99' } };
    await keepCertificate(api.deps(noop));
    const stored = readStored(api.state.secret);
    expect(stored?.previous).toBe(old);
    expect(new X509Certificate(stored?.cert ?? '').subjectAltName).toBe('IP Address:10.0.0.1');
    expect(Buffer.from(api.state.config.webhooks?.[0]?.clientConfig?.caBundle ?? '', 'base64').toString()).toBe(
      `${stored?.cert ?? ''}${old}`,
    );
  });
});
