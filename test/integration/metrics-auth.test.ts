/**
 * The operator's metrics, as shipped: `kubeposture run` under its own
 * ServiceAccount (config/default's RBAC) serves /metrics over HTTPS only to
 * scrapers the apiserver authorises (TokenReview, then a SubjectAccessReview
 * for get on /metrics). No token or a made-up one is 401; a namespace admin
 * (built-in `admin` bound in their namespace) is 403; a ServiceAccount bound to
 * kubeposture-metrics-reader reads the metrics. Probes stay plain HTTP on their
 * own port, without a token, and serve no metrics. The NetworkPolicy shipped
 * for the operator's namespace is checked rule by rule.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { installOperator, OPERATOR_NAMESPACE } from '../bench/identity.ts';
import { metricSum, OperatorProcess } from '../bench/operator-process.ts';
import { createTestNamespace, deleteNamespace, uniqueName } from '../support/cluster.ts';
import { kubectl } from '../support/kubectl.ts';
import { core, user } from '../support/world.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kp-metrics-auth-'));
let op: OperatorProcess;
let servedPem = '';
let tenantNs = '';
let readerNs = '';
const readerBinding = uniqueName('metrics-reader');

/** A ServiceAccount's token from the TokenRequest API. */
async function saToken(namespace: string, name: string): Promise<string> {
  await user.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } },
  });
  const answer = (await user.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  })) as { status: { token: string } };
  return answer.status.token;
}

/** GET /metrics over TLS, trusting only the certificate the server presented first. */
async function scrape(token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: op.metricsPort,
        path: '/metrics',
        method: 'GET',
        ca: servedPem,
        agent: false,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The certificate the metrics port presents (not verified here: it is self-signed). */
async function servedCertificate(): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: op.metricsPort, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

/** TokenReviews and SubjectAccessReviews the apiserver has answered, by its own counter (only the operator sends them). */
async function reviewsAnswered(): Promise<number> {
  const text = String(await user.request('GET', '/metrics'));
  return ['tokenreviews', 'subjectaccessreviews'].reduce(
    (sum, r) => sum + metricSum(text, 'apiserver_request_total', `resource="${r}"`),
    0,
  );
}

beforeAll(async () => {
  const kubeconfig = await installOperator(user, process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '', ROOT, work);
  op = await OperatorProcess.start(ROOT, kubeconfig, {
    workers: 2,
    logFile: join(work, 'operator.log'),
    logLevel: 'debug',
    secureMetrics: true,
  });
  tenantNs = await createTestNamespace(core, 'tenant');
  readerNs = await createTestNamespace(core, 'monitoring');
}, 120_000);
afterAll(async () => {
  await op.stop();
  await kubectl('delete', 'clusterrolebinding', readerBinding, '--ignore-not-found');
  await deleteNamespace(core, tenantNs);
  await deleteNamespace(core, readerNs);
  user.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the metrics endpoint', () => {
  it('speaks TLS only, with a self-signed certificate made at start', async () => {
    const peer = await servedCertificate();
    const cert = new X509Certificate(peer.raw);
    expect(cert.subject).toBe(cert.issuer);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
    servedPem = cert.toString();
    await expect(fetch(`http://127.0.0.1:${String(op.metricsPort)}/metrics`)).rejects.toThrow();
  });

  it('answers 401 without a token and with one the apiserver does not know', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('not-a-token')).status).toBe(401);
  });

  it('answers 403 to a namespace admin', async () => {
    const token = await saToken(tenantNs, 'ns-admin');
    await kubectl('create', 'rolebinding', 'ns-admin', '-n', tenantNs, '--clusterrole=admin', `--serviceaccount=${tenantNs}:ns-admin`);
    // The token's holder is a real admin of their namespace.
    expect((await kubectl('auth', 'can-i', 'list', 'pods', '-n', tenantNs, `--as=system:serviceaccount:${tenantNs}:ns-admin`)).trim()).toBe(
      'yes',
    );
    const answer = await scrape(token);
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('kubeposture_');
  });

  it('serves metrics to a ServiceAccount bound to kubeposture-metrics-reader, reviewing its token once for many scrapes', async () => {
    const token = await saToken(readerNs, 'prometheus');
    await kubectl(
      'create',
      'clusterrolebinding',
      readerBinding,
      '--clusterrole=kubeposture-metrics-reader',
      `--serviceaccount=${readerNs}:prometheus`,
    );
    const reviewedBefore = await reviewsAnswered();
    const first = await scrape(token);
    expect(first.status).toBe(200);
    expect(first.body).toContain('kubeposture_reconciles_total');
    // The first scrape is reviewed (a TokenReview and a SubjectAccessReview), the next five are
    // answered from the cache. Counted by the apiserver, per review resource: the operator's own
    // count of POSTs also holds anything else it sent (one run saw two more on a fresh cluster).
    const reviewed = await reviewsAnswered();
    expect(reviewed - reviewedBefore).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 5; i += 1) expect((await scrape(token)).status).toBe(200);
    expect(await reviewsAnswered()).toBe(reviewed);
  });

  it('keeps the probes on their own plain-HTTP port, without a token, and serves no metrics there', async () => {
    for (const path of ['/healthz', '/readyz']) expect((await fetch(`http://127.0.0.1:${String(op.healthPort)}${path}`)).status).toBe(200);
    const there = await fetch(`http://127.0.0.1:${String(op.healthPort)}/metrics`);
    expect(there.status).not.toBe(200);
    expect(await there.text()).not.toContain('kubeposture_');
  });
});

interface Rule {
  ports?: { protocol?: string; port?: number }[];
  to?: Record<string, unknown>[];
  from?: unknown[];
}
interface Policy {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: { podSelector: unknown; policyTypes: string[]; ingress: Rule[]; egress: Rule[] };
}

describe("the operator namespace's NetworkPolicy", () => {
  it('admits only the metrics port, and sends only to the API server ports: no DNS, nothing else', async () => {
    const stored = (await user.request(
      'GET',
      `/apis/networking.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/networkpolicies/kubeposture`,
    )) as Policy;
    expect(stored.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(stored.spec.podSelector).toEqual({});
    expect(stored.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
    expect(stored.spec.egress).toEqual([
      {
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 6443 },
        ],
      },
    ]);
  });

  it('pins egress to the API server endpoint with the apiserver-egress component, and the apiserver accepts it', async () => {
    mkdirSync(join(ROOT, '.cache'), { recursive: true });
    const overlay = mkdtempSync(join(ROOT, '.cache', 'overlay-'));
    try {
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        'resources: [../../config/default]\ncomponents: [../../config/manager/apiserver-egress]\n',
      );
      const rendered = loadAll(await kubectl('kustomize', overlay)) as Policy[];
      const policy = rendered.find((o) => o.kind === 'NetworkPolicy');
      expect(policy?.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '192.0.2.10/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] }]);
      expect(policy?.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
      const dryRun = await user.request('PUT', `/apis/networking.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/networkpolicies/kubeposture`, {
        body: { ...policy, apiVersion: 'networking.k8s.io/v1' },
        query: { dryRun: 'All' },
      });
      expect((dryRun as Policy).spec.egress[0]?.to).toEqual([{ ipBlock: { cidr: '192.0.2.10/32' } }]);
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  });
});
