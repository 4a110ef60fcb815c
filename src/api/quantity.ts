/**
 * Kubernetes resource quantities ("500m", "1.5Gi", "2e3", 4) as exact values.
 * The apiserver stores quantities in canonical form ("1000m" reads back as "1"),
 * so comparisons go by value, never by string.
 */
import type { Quantity } from './types.ts';

const PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;
const BINARY: Readonly<Record<string, bigint>> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Kubernetes keeps nine decimal places and rounds anything finer up. */
const NANO_DIGITS = 9;

/** The quantity's value in units of 10^-9, or undefined when it is not a valid quantity. */
export function parseQuantity(q: Quantity): bigint | undefined {
  const text = typeof q === 'number' ? (Number.isFinite(q) ? String(q) : '') : q;
  const m = PATTERN.exec(text);
  if (m === null) return undefined;
  const [, sign = '', number = '', binary, decimal, exponent] = m;
  const [whole = '', fraction = ''] = number.split('.');
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  let power10 = NANO_DIGITS - fraction.length;
  if (binary !== undefined) mantissa <<= BINARY[binary] ?? 0n;
  if (decimal !== undefined) power10 += DECIMAL[decimal] ?? 0;
  if (exponent !== undefined) {
    const e = Number(exponent);
    if (Math.abs(e) > 1000) return undefined;
    power10 += e;
  }
  let nano: bigint;
  if (power10 >= 0) {
    nano = mantissa * 10n ** BigInt(power10);
  } else {
    const div = 10n ** BigInt(-power10);
    nano = (mantissa + div - 1n) / div;
  }
  return sign === '-' ? -nano : nano;
}

/** True when `q` is a quantity Kubernetes accepts. */
export function isQuantity(q: Quantity): boolean {
  return parseQuantity(q) !== undefined;
}

/** -1, 0 or 1 as a < b, a = b, a > b; undefined if either is not a quantity. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 | undefined {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}
