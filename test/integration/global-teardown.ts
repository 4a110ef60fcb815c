/** Stops the control plane that global-setup started, by PID, and removes its files. */
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const plane = globalThis.kubepostureControlPlane;
  if (plane === undefined) return;
  await plane.stop();
  rmSync(plane.state.workDir, { recursive: true, force: true });
  globalThis.kubepostureControlPlane = undefined;
}
