/**
 * Small helpers with no knowledge of Kubernetes or of kubeposture, used by every layer.
 * This file: turning a thrown value into text.
 */

/** The message of a thrown value: an Error's message, anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
