/**
 * config/guard/allow-all.yaml on the real apiserver: the webhook kubeposture serves (under its own
 * ServiceAccount, with the RBAC the file grants) refuses a namespace admin's NetworkPolicy that
 * admits everyone past kubeposture's default-deny, and only that: narrow policies, directions the
 * baseline does not deny, namespaces no baseline governs and cluster admins go through. It keeps
 * its own certificate (Secret and caBundle), and with it off, or kubeposture down, writes are
 * admitted as before (failurePolicy Ignore) and reported as findings.
 *
 * The shipped configuration points at a Service; the test control plane runs no pods, so the
 * test points it at the webhook in this process by URL instead, and changes nothing else.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { freePort } from '../controlplane/controlplane.ts';
import { ALLOW_ALL_WEBHOOK, WEBHOOK_SECRET } from '../../src/admission/certificates.ts';
import { ALLOW_ALL_PATH, AllowAllWebhook, type ReviewOutcome } from '../../src/admission/server.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { systemClock } from '../../src/lib/clock.ts';
import type { Logger } from '../../src/lib/log.ts';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { OPERATOR_NAMESPACE, installDefaultConfig, serviceAccountKubeConfig, startAsOperator } from '../support/identity.ts';
import { kubectl } from '../support/kubectl.ts';
import type { TestOperator } from '../support/operator.ts';
import { namespaceAdmin } from '../support/tenant.ts';
import {
  baselineManifest,
  createBaseline,
  createNamespaces,
  deleteBaseline,
  user,
  waitCompliant,
  type Baseline,
} from '../support/world.ts';

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

let op: TestOperator;
let operatorRest: RestClient;
let webhook: AllowAllWebhook | undefined;
let port = 0;
const outcomes: ReviewOutcome[] = [];
let both = '';
let ingressOnly = '';
let governed = '';
let ingressNs = '';
let ungoverned = '';
let tenant: RestClient;
let ingressTenant: RestClient;
let otherTenant: RestClient;

function startWebhook(): AllowAllWebhook {
  const w = new AllowAllWebhook({
    rest: operatorRest,
    namespace: OPERATOR_NAMESPACE,
    clock: systemClock,
    log: quiet,
    host: '127.0.0.1',
    port,
    periodMs: 300,
    onReview: (o) => outcomes.push(o),
  });
  w.start();
  return w;
}

const policy = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name },
  spec,
});
const ALL_INGRESS = { podSelector: {}, ingress: [{}] };
const ALL_EGRESS = {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }] }],
};
const NARROW = { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }] };
const create = (client: RestClient, ns: string, name: string, spec: Record<string, unknown>, dryRun = true): Promise<unknown> =>
  client.request('POST', resourcePath('NetworkPolicy', ns), { body: policy(name, spec), query: dryRun ? { dryRun: 'All' } : {} });

beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
  operatorRest = new RestClient(await serviceAccountKubeConfig(), { userAgent: 'kubeposture-allow-all-test' });
  port = await freePort();
  const group = uniqueName('g');
  both = await createBaseline(baselineManifest(group, {}));
  const ingressGroup = uniqueName('g');
  ingressOnly = await createBaseline(baselineManifest(ingressGroup, { networkPolicy: { denyIngress: true, denyEgress: false } }));
  [governed = ''] = await createNamespaces('allow-all', 1, { 'kp-test': group });
  [ingressNs = ''] = await createNamespaces('allow-all-in', 1, { 'kp-test': ingressGroup });
  [ungoverned = ''] = await createNamespaces('allow-all-none', 1, { 'kp-test': uniqueName('none') });
  await waitCompliant(both, 1);
  await waitCompliant(ingressOnly, 1);
  tenant = (await namespaceAdmin(governed)).client;
  ingressTenant = (await namespaceAdmin(ingressNs)).client;
  otherTenant = (await namespaceAdmin(ungoverned)).client;
  webhook = startWebhook();
});
let opStopped = false;
afterAll(async () => {
  await webhook?.stop();
  await kubectl('delete', '--ignore-not-found', '-f', 'config/guard/allow-all.yaml');
  await user.request('DELETE', resourcePath('Secret', OPERATOR_NAMESPACE, WEBHOOK_SECRET)).catch(() => undefined);
  await deleteBaseline(both);
  await deleteBaseline(ingressOnly);
  if (!opStopped) await op.stop();
  operatorRest.close();
});

describe('the allow-all webhook (config/guard/allow-all.yaml)', () => {
  it('is not served, and changes nothing, until its configuration is installed', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    expect(webhook?.port).toBeUndefined();
    await create(tenant, governed, 'open', ALL_INGRESS);
    expect(await user.get('Secret', OPERATOR_NAMESPACE, WEBHOOK_SECRET)).toBeUndefined();
  });

  it('once installed, keeps its certificate: a Secret for the names it is called at, and the caBundle', async () => {
    await kubectl('apply', '-f', 'config/guard/allow-all.yaml');
    // The test control plane runs no pods: send the reviews to this process, as the Service would to a replica.
    await user.jsonPatch('ValidatingWebhookConfiguration', undefined, ALLOW_ALL_WEBHOOK, [
      { op: 'remove', path: '/webhooks/0/clientConfig/service' },
      { op: 'add', path: '/webhooks/0/clientConfig/url', value: `https://127.0.0.1:${String(port)}${ALLOW_ALL_PATH}` },
    ]);
    // The keeper may first have read the configuration as applied (the Service's names), then
    // renewed for the URL's: the certificate it replaced is then trusted too, until it ends.
    const pem = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');
    await eventually(async () => {
      expect(webhook?.port).toBe(port);
      const secret = await user.get('Secret', OPERATOR_NAMESPACE, WEBHOOK_SECRET);
      expect(secret?.type).toBe('kubernetes.io/tls');
      const cert = new X509Certificate(pem(secret?.data?.['tls.crt']));
      expect(cert.subjectAltName).toBe('IP Address:127.0.0.1');
      const config = await user.get('ValidatingWebhookConfiguration', undefined, ALLOW_ALL_WEBHOOK);
      const previous = secret?.data?.['previous.crt'];
      expect(pem(config?.webhooks?.[0]?.clientConfig?.caBundle)).toBe(
        pem(secret?.data?.['tls.crt']) + (previous === undefined ? '' : pem(previous)),
      );
    }, 15_000);
  });

  it("refuses a namespace admin's policy that admits everyone past the default-deny, naming it, the baseline and the way out", async () => {
    const r = await eventually(async () => {
      const got = await refusal(() => create(tenant, governed, 'open', ALL_INGRESS));
      expect(got.status).toBe(403);
      return got;
    }, 15_000);
    expect(r.message).toContain('admission webhook "allow-all.networkpolicies.kubeposture.io" denied the request');
    expect(r.message).toContain(
      `NetworkPolicy open admits ingress from everyone on every port to all pods, past the default-deny that SecurityBaseline ${both} keeps in namespace ${governed}`,
    );
    expect(r.message).toContain('part networkPolicy.denyIngress');
    const egress = await refusal(() => create(tenant, governed, 'out', ALL_EGRESS));
    expect(egress.message).toContain('allows egress to every address (0.0.0.0/0) and every address (::/0) on every port');
    // Dodges status sees through are refused as well: 0.0.0.0/0 in halves from every namespace's pods too.
    const halves = {
      podSelector: {},
      ingress: [
        {
          from: [
            { ipBlock: { cidr: '0.0.0.0/1' } },
            { ipBlock: { cidr: '128.0.0.0/1' } },
            { ipBlock: { cidr: '::/0' } },
            { namespaceSelector: {} },
          ],
        },
      ],
    };
    expect((await refusal(() => create(tenant, governed, 'halves', halves))).status).toBe(403);
  });

  it('admits narrow policies, and refuses updating one into an allow-all', async () => {
    await create(tenant, governed, 'web', NARROW, false);
    const r = await refusal(() => tenant.mergePatch('NetworkPolicy', governed, 'web', { spec: { ingress: [{}] } }));
    expect(r.message).toContain('NetworkPolicy web admits ingress from everyone');
    await tenant.mergePatch('NetworkPolicy', governed, 'web', { metadata: { labels: { team: 'web' } } });
    await tenant.request('DELETE', resourcePath('NetworkPolicy', governed, 'web'));
  });

  it('admits what no deny of kubeposture closes: a direction the baseline leaves open, a namespace no baseline governs', async () => {
    await create(ingressTenant, ingressNs, 'out', ALL_EGRESS);
    expect((await refusal(() => create(ingressTenant, ingressNs, 'open', ALL_INGRESS))).status).toBe(403);
    await create(otherTenant, ungoverned, 'open', ALL_INGRESS);
  });

  it('never refuses a cluster admin', async () => {
    await create(user, governed, 'open', ALL_INGRESS);
    expect(outcomes).toContain('refused');
    expect(outcomes).not.toContain('error');
  });

  it('with kubeposture down, admits (failurePolicy Ignore); status reports the policy as a finding', async () => {
    await webhook?.stop();
    webhook = undefined;
    await create(tenant, governed, 'while-down', ALL_INGRESS, false);
    await eventually(async () => {
      const b = (await user.get('SecurityBaseline', undefined, both)) as Baseline | undefined;
      expect(JSON.stringify(b?.status?.findings ?? [])).toContain('while-down');
    }, 15_000);
    await user.request('DELETE', resourcePath('NetworkPolicy', governed, 'while-down'));
  });

  it('stops serving when its configuration is deleted', async () => {
    webhook = startWebhook();
    await eventually(async () => {
      expect(webhook?.port).toBe(port);
    }, 15_000);
    await kubectl('delete', '-f', 'config/guard/allow-all.yaml');
    await eventually(async () => {
      expect(webhook?.port).toBeUndefined();
    }, 15_000);
    await create(tenant, governed, 'open', ALL_INGRESS);
  });

  it('is served by `kubeposture run --admission-addr` under its ServiceAccount, as the Deployment runs it', async () => {
    // The in-process operator and webhook make way: this one is the whole operator, leader election and all.
    await webhook?.stop();
    webhook = undefined;
    await op.stop();
    opStopped = true;
    await kubectl('apply', '-f', 'config/guard/allow-all.yaml');
    const runPort = await freePort();
    await user.jsonPatch('ValidatingWebhookConfiguration', undefined, ALLOW_ALL_WEBHOOK, [
      { op: 'remove', path: '/webhooks/0/clientConfig/service' },
      { op: 'add', path: '/webhooks/0/clientConfig/url', value: `https://127.0.0.1:${String(runPort)}${ALLOW_ALL_PATH}` },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'kubeposture-allow-all-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, (await serviceAccountKubeConfig()).exportConfig(), { mode: 0o600 });
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'),
        'run',
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        OPERATOR_NAMESPACE,
        '--health-addr=127.0.0.1:0',
        '--metrics-addr=127.0.0.1:0',
        '--metrics-secure=false',
        `--admission-addr=127.0.0.1:${String(runPort)}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const r = await eventually(async () => {
        const got = await refusal(() => create(tenant, governed, 'open', ALL_INGRESS));
        expect(got.status).toBe(403);
        return got;
      }, 30_000);
      expect(r.message).toContain(`past the default-deny that SecurityBaseline ${both} keeps in namespace ${governed}`);
      await create(tenant, governed, 'web', NARROW);
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await exited).toBe(0);
    expect(out).toContain('"Serving the allow-all webhook"');
  });
});
