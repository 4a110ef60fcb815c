/**
 * kubectl against the test control plane (the build's kubectl is first on PATH).
 * Always asynchronous: an in-process operator must keep running meanwhile.
 */
import { execFile } from 'node:child_process';

function kubeconfig(): string {
  const file = process.env.KUBEPOSTURE_TEST_KUBECONFIG;
  if (file === undefined || file === '') throw new Error('KUBEPOSTURE_TEST_KUBECONFIG is not set');
  return file;
}

/** Runs kubectl; resolves with its exit code and output. */
export async function kubectlRun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig(), ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`kubectl did not run: ${err.message}`));
        return;
      }
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

/** Runs kubectl and returns stdout; rejects with stderr if it exits non-zero. */
export async function kubectl(...args: string[]): Promise<string> {
  const r = await kubectlRun(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${String(r.code)}: ${r.stderr.trim()}`);
  return r.stdout;
}
