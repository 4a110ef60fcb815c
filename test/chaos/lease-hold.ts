/**
 * A validating admission webhook on the Lease kubeposture elects its leader on,
 * which can hold one renewal for as long as the suite wants: the renewal is in
 * the apiserver, not yet written, while the suite freezes the leader (SIGSTOP);
 * let go, it is written and its answer waits in the frozen leader's socket. So
 * "the leader stopped with a renewal in flight" happens every time, not by luck.
 * It allows everything; with nothing held it answers at once.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Pki } from '../controlplane/pki.ts';
import type { RestClient } from '../../src/kube/rest.ts';

const WEBHOOKS = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
const NAME = 'chaos-lease-hold';

interface LeaseReview {
  readonly request?: {
    readonly uid?: string;
    readonly object?: { readonly spec?: { readonly holderIdentity?: string } };
    readonly oldObject?: { readonly spec?: { readonly holderIdentity?: string } };
  };
}

export class LeaseHold {
  private readonly server: Server;
  private armed: { readonly identity: string; readonly held: () => void; readonly release: Promise<void> } | undefined;
  /** Renewals held so far. */
  heldCount = 0;

  private constructor(pki: Pki) {
    this.server = createServer({ cert: readFileSync(pki.servingCert), key: readFileSync(pki.servingKey) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LeaseReview;
        const answer = (): void => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: { uid: review.request?.uid ?? '', allowed: true },
            }),
          );
        };
        const waitFor = this.take(review);
        if (waitFor === undefined) answer();
        else void waitFor.then(answer);
      });
    });
  }

  /** Serves on a free loopback port with the control plane's serving certificate and registers the webhook for Lease updates in `namespace`. */
  static async start(rest: RestClient, pki: Pki, namespace: string): Promise<LeaseHold> {
    const hold = new LeaseHold(pki);
    const server = hold.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await rest.request('POST', WEBHOOKS, {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: NAME },
        webhooks: [
          {
            name: 'lease-hold.chaos.kubeposture.io',
            clientConfig: { url: `https://127.0.0.1:${String(port)}/`, caBundle: readFileSync(pki.caCert).toString('base64') },
            rules: [
              {
                apiGroups: ['coordination.k8s.io'],
                apiVersions: ['v1'],
                operations: ['UPDATE'],
                resources: ['leases'],
                scope: 'Namespaced',
              },
            ],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            failurePolicy: 'Ignore',
            timeoutSeconds: 30,
          },
        ],
      },
    });
    return hold;
  }

  /**
   * Holds the next renewal by `identity` (an update of a Lease it holds, keeping it);
   * resolves once one is held. `release` lets it through.
   */
  async holdNextRenewal(identity: string, release: Promise<void>): Promise<void> {
    await new Promise<void>((held) => {
      this.armed = { identity, held, release };
    });
  }

  /** The promise to wait on before answering `review`, when it is the renewal to hold. */
  private take(review: LeaseReview): Promise<void> | undefined {
    const armed = this.armed;
    const r = review.request;
    if (armed === undefined || r?.object?.spec?.holderIdentity !== armed.identity || r.oldObject?.spec?.holderIdentity !== armed.identity)
      return undefined;
    this.armed = undefined;
    this.heldCount += 1;
    armed.held();
    return armed.release;
  }

  /** Unregisters the webhook (if the apiserver still answers) and stops serving. */
  async close(rest: RestClient): Promise<void> {
    await rest.request('DELETE', `${WEBHOOKS}/${NAME}`).catch(() => undefined);
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
      this.server.closeAllConnections();
    });
  }
}
