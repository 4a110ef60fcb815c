/**
 * Writing workload RBAC right after the grantor RoleBinding (build.ts). The apiserver
 * checks a Role, and a RoleBinding to it, against what the writer holds as its RBAC
 * informer cache has it; for a few milliseconds after the grantor is written that cache
 * may not have it yet, and the write is refused as "not currently held". That refusal,
 * and only it, is tried again for a bounded while.
 */
import { ApiError } from '../kube/transport.ts';

/** The apiserver's words (rbac/validation ConfirmNoEscalation) for a grant the writer does not hold. */
const NOT_HELD = 'attempting to grant RBAC permissions not currently held';

/** True for the apiserver's refusal of a Role or RoleBinding that grants what the writer does not hold. */
export function isGrantRefusal(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403 && err.message.includes(NOT_HELD);
}

/** Waits between tries, in ms: 0.8 s in all, far beyond the few ms the apiserver's cache lags. */
export const GRANT_SETTLE_DELAYS: readonly number[] = [25, 50, 100, 200, 400];

/**
 * Runs `write`; while it is refused as a grant not held, waits the next of `delays` and
 * runs it again. Any other error, or the refusal after the last wait, rejects.
 */
export async function whileGrantSettles<T>(
  write: () => Promise<T>,
  pause: (ms: number) => Promise<void>,
  delays: readonly number[] = GRANT_SETTLE_DELAYS,
): Promise<T> {
  for (const delay of delays) {
    try {
      return await write();
    } catch (err: unknown) {
      if (!isGrantRefusal(err)) throw err;
    }
    await pause(delay);
  }
  return write();
}
