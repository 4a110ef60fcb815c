/** The local control plane's certificates: a chain the components will accept. */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, kubeconfigYaml, type Pki } from '../controlplane/pki.ts';

let dir: string;
let pki: Pki;
const cert = (file: string): X509Certificate => new X509Certificate(readFileSync(file));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeposture-pki-'));
  pki = createPki(dir);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('createPki', () => {
  it('makes a self-signed CA that signs every leaf', () => {
    const ca = cert(pki.caCert);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const leaf of [pki.servingCert, pki.adminCert, pki.controllerManagerCert]) {
      const c = cert(leaf);
      expect(c.ca).toBe(false);
      expect(c.checkIssued(ca)).toBe(true);
      expect(c.verify(ca.publicKey)).toBe(true);
    }
  });

  it('serves 127.0.0.1 and localhost', () => {
    const serving = cert(pki.servingCert);
    expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serving.checkHost('localhost')).toBe('localhost');
    expect(serving.checkIP('10.0.0.1')).toBeUndefined();
    expect(serving.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
  });

  it('puts the admin identity in system:masters and names the controller-manager as RBAC expects', () => {
    expect(cert(pki.adminCert).subject).toContain('O=system:masters');
    expect(cert(pki.adminCert).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert(pki.controllerManagerCert).subject).toBe('CN=system:kube-controller-manager');
  });

  it('writes a ServiceAccount key pair whose halves match', () => {
    expect(readFileSync(pki.serviceAccountKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(pki.serviceAccountPub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('embeds the certificates in a kubeconfig', () => {
    const yaml = kubeconfigYaml('https://127.0.0.1:6443', pki.caCert, pki.adminCert, pki.adminKey, 'admin');
    expect(yaml).toContain(`certificate-authority-data: ${readFileSync(pki.caCert).toString('base64')}`);
    expect(yaml).toContain('server: https://127.0.0.1:6443');
    expect(yaml).toContain('current-context: kubeposture-local');
  });
});
