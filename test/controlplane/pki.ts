/**
 * Fresh certificates for one local control plane, made with the openssl CLI
 * (Node's crypto can make keys but not X.509 certificates). ECDSA P-256 keys
 * throughout: quick to generate, accepted by every component.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the files that {@link createPki} writes into its directory. */
export interface Pki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** Client identity in group system:masters, for tests, the demo and kubectl. */
  readonly adminCert: string;
  readonly adminKey: string;
  /** Client identity system:kube-controller-manager (RBAC's bootstrap role for it). */
  readonly controllerManagerCert: string;
  readonly controllerManagerKey: string;
  /** Key pair that signs and verifies ServiceAccount tokens. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

const DAYS = '30';

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err: unknown) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

function newKey(dir: string, name: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
}

type Usage = { readonly kind: 'server'; readonly ip: string } | { readonly kind: 'client' };

function signLeaf(dir: string, name: string, subject: string, usage: Usage): void {
  newKey(dir, name);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    usage.kind === 'server' ? `extendedKeyUsage=serverAuth\nsubjectAltName=IP:${usage.ip},DNS:localhost` : 'extendedKeyUsage=clientAuth',
  ].join('\n');
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      DAYS,
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/** Writes a new CA, serving, client and ServiceAccount keys into `dir`. */
export function createPki(dir: string): Pki {
  newKey(dir, 'ca');
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=kubeposture-local-ca',
      '-days',
      DAYS,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  signLeaf(dir, 'serving', '/CN=kube-apiserver', { kind: 'server', ip: '127.0.0.1' });
  signLeaf(dir, 'admin', '/O=system:masters/CN=kubeposture-admin', { kind: 'client' });
  signLeaf(dir, 'controller-manager', '/CN=system:kube-controller-manager', { kind: 'client' });
  newKey(dir, 'service-account');
  openssl(['pkey', '-in', 'service-account.key', '-pubout', '-out', 'service-account.pub'], dir);
  const p = (f: string): string => join(dir, f);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('serving.crt'),
    servingKey: p('serving.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    controllerManagerCert: p('controller-manager.crt'),
    controllerManagerKey: p('controller-manager.key'),
    serviceAccountKey: p('service-account.key'),
    serviceAccountPub: p('service-account.pub'),
  };
}

/** A kubeconfig with the certificates embedded, so the file stands alone. */
export function kubeconfigYaml(server: string, caCert: string, cert: string, key: string, user: string): string {
  const b64 = (f: string): string => readFileSync(f).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kubeposture-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caCert)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(cert)}`,
    `    client-key-data: ${b64(key)}`,
    'contexts:',
    '- name: kubeposture-local',
    '  context:',
    '    cluster: kubeposture-local',
    `    user: ${user}`,
    'current-context: kubeposture-local',
    '',
  ].join('\n');
}
