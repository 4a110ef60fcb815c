/**
 * IPv4 and IPv6 CIDRs as numbers, for the validator (is an `except` inside its `cidr`?) and the
 * reach judge (which addresses a policy admits). Pure.
 */

/** An inclusive range. */
export type Span<T> = readonly [T, T];

export const V4_BITS = 32n;
export const V6_BITS = 128n;

export function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros read as decimal, as the apiserver's lenient parser reads legacy objects.
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

export function parseV6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): bigint[] | undefined => {
    if (h === undefined || h === '') return [];
    const out: bigint[] = [];
    const parts = h.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(BigInt(`0x${p}`));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...Array<bigint>(Math.max(0, missing)).fill(0n), ...tail].reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** A CIDR as its family and the addresses in it (host bits ignored, as the apiserver's parser masks them). */
export function parseCidr(
  v: unknown,
): { readonly family: 'IPv4' | 'IPv6'; readonly prefix: number; readonly span: Span<bigint> } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v.trim());
  if (m === null) return undefined;
  const family = m[1]?.includes(':') === true ? 'IPv6' : 'IPv4';
  const bits = family === 'IPv6' ? V6_BITS : V4_BITS;
  const prefix = BigInt(m[2] ?? '');
  const addr = family === 'IPv6' ? parseV6(m[1] ?? '') : parseV4(m[1] ?? '');
  if (addr === undefined || prefix > bits) return undefined;
  const host = (1n << (bits - prefix)) - 1n;
  const lo = addr & ~host;
  return { family, prefix: Number(prefix), span: [lo, lo | host] };
}
