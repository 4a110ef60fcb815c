/** Times as Kubernetes writes them. */

/** RFC 3339 in whole seconds, UTC (metav1.Time): conditions, status times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds, UTC (metav1.MicroTime): Events, Leases. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
