/**
 * kubectl against the test control plane (the build's kubectl is first on PATH).
 * Always asynchronous: an in-process operator must keep running meanwhile.
 */
import { command, type Command, type CommandResult } from './command.ts';

function kubeconfig(): string {
  const file = process.env.KUBEPOSTURE_TEST_KUBECONFIG;
  if (file === undefined || file === '') throw new Error('KUBEPOSTURE_TEST_KUBECONFIG is not set');
  return file;
}

/** kubectl against the cluster of kubeconfig `file` (a control plane of a test's own). */
export function kubectlWith(file: string): Command {
  return command('kubectl', ['--kubeconfig', file]);
}

/** Runs kubectl; resolves with its exit code and output. */
export async function kubectlRun(...args: string[]): Promise<CommandResult> {
  return kubectlWith(kubeconfig()).run(...args);
}

/** Runs kubectl and returns stdout; rejects with stderr if it exits non-zero. */
export async function kubectl(...args: string[]): Promise<string> {
  return kubectlWith(kubeconfig()).ok(...args);
}
