/**
 * Starts one real control plane for the whole integration run and hands its
 * kubeconfig to the test workers through KUBEPOSTURE_TEST_KUBECONFIG. If it
 * cannot start, the run fails: integration tests are never skipped.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from '../controlplane/binaries.ts';
import { startControlPlane, type RunningControlPlane } from '../controlplane/controlplane.ts';
import { testKubeConfig } from '../support/cluster.ts';
import { installCrd } from '../support/crd.ts';
import { ensureHelm } from '../support/helm.ts';

declare global {
  var kubepostureControlPlane: RunningControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  const binDir = ensureBinaries();
  // Built here, not in a test's beforeAll: a cold build (minutes) would outlast a hook's timeout.
  ensureHelm();
  const workDir = mkdtempSync(join(tmpdir(), 'kubeposture-cp-'));
  const plane = await startControlPlane({ binDir, workDir, lifetime: 'owned' });
  globalThis.kubepostureControlPlane = plane;
  process.env.KUBEPOSTURE_TEST_KUBECONFIG = plane.kubeconfig;
  process.env.PATH = `${binDir}:${process.env.PATH ?? ''}`;
  // The CRDs, then a fresh controller manager, as on a cluster where kubeposture was installed
  // before anything used it: a garbage collector started before the CRDs knows no
  // SecurityBaseline until its discovery resync (30 s), and meanwhile takes each object that
  // names one as owner for an unknown kind, to check one by one at 20 requests a second
  // (measured: bench-wide run first left 5,100 such checks, and the next suite's dependent
  // waited 82 s for its turn; 0.1 s with the CRDs installed first).
  await installCrd(testKubeConfig());
  await plane.restart('kube-controller-manager');
  process.stdout.write(
    `\ncontrol plane: Kubernetes ${plane.version} at ${plane.server} ready in ${(plane.startMillis / 1000).toFixed(1)}s ` +
      `(etcd pid ${String(plane.state.pids.etcd)}, kube-apiserver pid ${String(plane.state.pids['kube-apiserver'])}, ` +
      `kube-controller-manager pid ${String(plane.state.pids['kube-controller-manager'])})\n`,
  );
}
