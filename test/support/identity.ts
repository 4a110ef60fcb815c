/**
 * The operator's own identity on the test control plane: config/default applied,
 * and a kubeconfig holding a token of its ServiceAccount (not admin).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { OPERATOR_NAMESPACE, operatorToken, waitForGrantableRole } from '../bench/identity.ts';
import type { ControllerConfig } from '../../src/controller/controller.ts';
import { kubectl } from './kubectl.ts';
import { startOperator, type RestFactory, type TestOperator } from './operator.ts';
import { kc, user } from './world.ts';

export { OPERATOR_NAMESPACE };

/** Applies `kubectl kustomize config/default` and waits for the CRD and the aggregated role; returns the rendered YAML. */
export async function installDefaultConfig(): Promise<string> {
  const yaml = await kubectl('kustomize', 'config/default');
  await kubectl('apply', '--server-side', '--force-conflicts', '-k', 'config/default');
  await kubectl(
    'wait',
    '--for=condition=Established',
    'crd/securitybaselines.kubeposture.io',
    'crd/securitybaselineexceptions.kubeposture.io',
    '--timeout=60s',
  );
  await waitForGrantableRole(user);
  return yaml;
}

/** A kubeconfig for the operator's ServiceAccount: same server and CA, a token from the TokenRequest API. */
export async function serviceAccountKubeConfig(): Promise<KubeConfig> {
  const token = await operatorToken(user, 3600);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in the test kubeconfig');
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'kubeposture', token }],
    contexts: [{ name: 'kubeposture', cluster: 'local', user: 'kubeposture' }],
    currentContext: 'kubeposture',
  });
  return out;
}

/** The operator in this process as installed: under its own ServiceAccount, in its own namespace, status every 100 ms (`config` on top). */
export async function startAsOperator(config: Partial<ControllerConfig> = {}, makeRest?: RestFactory): Promise<TestOperator> {
  return startOperator(
    { operatorNamespace: OPERATOR_NAMESPACE, statusIntervalMs: 100, ...config },
    await serviceAccountKubeConfig(),
    makeRest,
  );
}
