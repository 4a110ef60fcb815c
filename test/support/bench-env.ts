/**
 * The benchmarks' environment on the shared test control plane, for their small versions in
 * `make test`: the operator installed as config/default does, a client with its identity (the
 * floor's), and a fresh work directory.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/kube/rest.ts';
import type { BenchEnv } from '../bench/bench.ts';
import { installOperator } from '../bench/identity.ts';
import { repoRoot } from '../controlplane/binaries.ts';
import { testKubeConfig } from './cluster.ts';

/** `close` ends both clients. */
export async function benchEnvironment(name: string): Promise<{ readonly env: BenchEnv; readonly close: () => void }> {
  const kubeconfig = process.env.KUBEPOSTURE_TEST_KUBECONFIG ?? '';
  const rest = new RestClient(testKubeConfig(), { userAgent: `kubeposture-${name}-test` });
  const workDir = mkdtempSync(join(tmpdir(), `kubeposture-${name}-`));
  const operatorKubeconfig = await installOperator(rest, kubeconfig, repoRoot(), workDir);
  const okc = new KubeConfig();
  okc.loadFromFile(operatorKubeconfig);
  const operatorRest = new RestClient(okc, { userAgent: `kubeposture-${name}-test-floor` });
  return {
    env: { rest, kubeconfig, operatorKubeconfig, operatorRest, root: repoRoot(), workDir, log: () => undefined },
    close: () => {
      rest.close();
      operatorRest.close();
    },
  };
}
