/**
 * Runs the benchmark's operator as it runs in a cluster: config/default applied
 * (CRD, RBAC, namespace), and a kubeconfig holding a token of its
 * ServiceAccount. Its requests then also stand apart in the apiserver's own
 * metrics: API Priority and Fairness files them under the `service-accounts`
 * flow schema, and the controller manager's under `kube-system-service-accounts`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { RestClient } from '../../src/kube/rest.ts';

export const OPERATOR_NAMESPACE = 'kubeposture-system';
/** The APF flow schema the operator's ServiceAccount falls under. */
export const OPERATOR_FLOW_SCHEMA = 'service-accounts';

/** Waits until the clusterrole-aggregation controller has filled the role the operator grants from. */
export async function waitForGrantableRole(rest: RestClient): Promise<void> {
  for (let i = 0; ; i += 1) {
    const agg = (await rest.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/kubeposture-grants')) as { rules?: unknown[] };
    if ((agg.rules ?? []).length > 0) return;
    if (i > 300) throw new Error('kubeposture-grants was never aggregated');
    await sleep(100);
  }
}

/** A token of the operator's ServiceAccount, from the TokenRequest API. */
export async function operatorToken(rest: RestClient, expirationSeconds: number): Promise<string> {
  const answer = (await rest.request('POST', `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/kubeposture/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
  })) as { status: { token: string } };
  return answer.status.token;
}

/** Applies config/default and returns a kubeconfig file for the operator's ServiceAccount. */
export async function installOperator(rest: RestClient, adminKubeconfig: string, root: string, workDir: string): Promise<string> {
  const kubectl = (...args: string[]): string =>
    execFileSync('kubectl', ['--kubeconfig', adminKubeconfig, ...args], { encoding: 'utf8', cwd: root });
  kubectl('apply', '--server-side', '--force-conflicts', '-k', 'config/default');
  kubectl(
    'wait',
    '--for=condition=Established',
    'crd/securitybaselines.kubeposture.io',
    'crd/securitybaselineexceptions.kubeposture.io',
    '--timeout=60s',
  );
  await waitForGrantableRole(rest);
  const token = await operatorToken(rest, 3 * 3600);
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error(`${adminKubeconfig} has no current cluster`);
  const file = join(workDir, 'operator.kubeconfig');
  writeKubeconfig(file, cluster, 'kubeposture', { token });
  return file;
}

/** Writes a kubeconfig (mode 0600) for `cluster`'s server and CA, as user `name` with the credentials in `user` (a token, say). */
export function writeKubeconfig(
  file: string,
  cluster: { readonly server: string; readonly caFile?: string | undefined; readonly caData?: string | undefined },
  name: string,
  user: Readonly<Record<string, string>>,
): void {
  writeFileSync(
    file,
    dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'local',
          cluster: {
            server: cluster.server,
            ...(cluster.caFile === undefined
              ? { 'certificate-authority-data': cluster.caData }
              : { 'certificate-authority': cluster.caFile }),
          },
        },
      ],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: 'local', user: name } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
}
