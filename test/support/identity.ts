/**
 * The operator's own identity on the test control plane: config/default applied,
 * and a kubeconfig holding a token of its ServiceAccount (not admin).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from './cluster.ts';
import { kubectl } from './kubectl.ts';
import { kc, user } from './world.ts';

export const OPERATOR_NAMESPACE = 'kubeposture-system';

/** Applies `kubectl kustomize config/default` and waits for the CRD and the aggregated role; returns the rendered YAML. */
export async function installDefaultConfig(): Promise<string> {
  const yaml = await kubectl('kustomize', 'config/default');
  await kubectl('apply', '--server-side', '--force-conflicts', '-k', 'config/default');
  await kubectl('wait', '--for=condition=Established', 'crd/securitybaselines.kubeposture.io', '--timeout=60s');
  // The clusterrole-aggregation controller fills kubeposture-grantable.
  await eventually(async () => {
    const agg = (await user.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/kubeposture-grantable')) as { rules?: unknown[] };
    if ((agg.rules ?? []).length === 0) throw new Error('kubeposture-grantable not aggregated yet');
  });
  return yaml;
}

/** A kubeconfig for the operator's ServiceAccount: same server and CA, a token from the TokenRequest API. */
export async function serviceAccountKubeConfig(): Promise<KubeConfig> {
  const answer = (await user.request('POST', `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/kubeposture/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  })) as { status: { token: string } };
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in the test kubeconfig');
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'kubeposture', token: answer.status.token }],
    contexts: [{ name: 'kubeposture', cluster: 'local', user: 'kubeposture' }],
    currentContext: 'kubeposture',
  });
  return out;
}

