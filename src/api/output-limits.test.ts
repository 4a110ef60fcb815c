import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import type { SecurityBaselineStatus } from './types.ts';
import { EVENT_LIMITS, OWN_LIMITS, STATUS_LIMITS, boundStatus, clip, cut, eventName, joinWithin, measure } from './output-limits.ts';

const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const codePoints = (s: string): number => Array.from(s).length;

describe('measure', () => {
  it.each([
    ['ascii', 'abc', 3, 3],
    ['two-byte', 'é', 1, 2],
    ['three-byte', '€', 1, 3],
    ['astral (a surrogate pair)', '😀', 1, 4],
    ['a lone surrogate, sent as U+FFFD', '\uD800x', 2, 4],
    ['empty', '', 0, 0],
  ])('counts %s as the apiserver does', (_what, s, cps, bytes) => {
    expect(measure(s, 'codePoints')).toBe(cps);
    expect(measure(s, 'bytes')).toBe(bytes);
    expect(measure(s, 'bytes')).toBe(
      Buffer.byteLength(s.replace(/[\uD800-\uDFFF](?<![\uD800-\uDBFF][\uDC00-\uDFFF])/gu, '\uFFFD'), 'utf8'),
    );
  });
});

describe('clip', () => {
  const max = STATUS_LIMITS.conditionMessage;
  it('leaves a string at the limit unchanged, and cuts one over it with the count left out', () => {
    expect(clip('a'.repeat(max), max, 'codePoints')).toBe('a'.repeat(max));
    const over = clip('a'.repeat(max + 1), max, 'codePoints');
    expect(codePoints(over)).toBe(max);
    expect(codePoints(clip('a'.repeat(max + 99_999), max, 'codePoints'))).toBe(max);
    const m = /… \((\d+) more characters\)$/.exec(over);
    expect(codePoints(over)).toBeLessThanOrEqual(max);
    expect(over.length - (m?.[0].length ?? 0) + Number(m?.[1])).toBe(max + 1);
  });

  it.each([
    ['1024 ASCII bytes', 'a'.repeat(1024), true],
    ['1025 bytes, the last a two-byte é', `${'a'.repeat(1023)}é`, false],
    ['256 four-byte emoji (1024 bytes)', '😀'.repeat(256), true],
    ['256 emoji and one byte more', `${'😀'.repeat(256)}a`, false],
    ['1024 bytes ending in a lone surrogate (sent as 3 bytes)', `${'a'.repeat(1021)}\uD800`, true],
    ['1025 bytes ending in a lone surrogate', `${'a'.repeat(1022)}\uD800`, false],
  ])('counts bytes at the Event note limit exactly: %s', (_what, s, fits) => {
    const out = clip(s, EVENT_LIMITS.note, 'bytes');
    expect(out === s).toBe(fits);
    expect(measure(out, 'bytes')).toBeLessThanOrEqual(EVENT_LIMITS.note);
  });

  it.each([
    ['code points', 'codePoints', max, '😀'],
    ['code points, mixed', 'codePoints', max, 'a😀é'],
    ['bytes', 'bytes', EVENT_LIMITS.note, '😀'],
    ['bytes, mixed', 'bytes', EVENT_LIMITS.note, 'ab€😀é'],
    ['bytes, tiny limit', 'bytes', 5, '😀'],
  ] as const)('fits the limit in %s without splitting a surrogate pair', (_what, unit, limit, piece) => {
    for (let n = limit - 3; n <= limit + 3; n++) {
      // n code points of the pieces, never a half pair.
      const s = Array.from(piece.repeat(n)).slice(0, n).join('');
      const out = clip(s, limit, unit);
      expect(measure(out, unit)).toBeLessThanOrEqual(limit);
      expect(out).toMatch(WELL_FORMED);
      if (measure(s, unit) <= limit) expect(out).toBe(s);
    }
  });

  it('counts the code points left out', () => {
    const out = clip('😀'.repeat(2000), 1024, 'bytes');
    const m = /^((?:😀)*)… \((\d+) more characters\)$/u.exec(out);
    expect(m).not.toBeNull();
    expect(codePoints(m?.[1] ?? '') + Number(m?.[2])).toBe(2000);
    expect(measure(out, 'bytes')).toBeLessThanOrEqual(1024);
    expect(measure(out, 'bytes')).toBeGreaterThan(1024 - 4 - 30);
  });

  it('cut keeps a prefix with no marker', () => {
    expect(cut('a😀b', 2, 'codePoints')).toBe('a😀');
    expect(cut('a😀b', 4, 'bytes')).toBe('a');
    expect(cut('abc', -1, 'bytes')).toBe('');
  });
});

describe('joinWithin', () => {
  const items = Array.from({ length: 1000 }, (_, i) => `spec.limitRange.limits[${String(i)}].min[cpu]: 4 is greater than max 1`);
  it('joins everything that fits, exactly at the limit', () => {
    const all = items.slice(0, 10).join('; ');
    expect(joinWithin(items.slice(0, 10), all.length, 'codePoints')).toBe(all);
  });

  it.each([100, 1000, 32768 - 25, 32768])('lists whole items within %d and counts the rest', (limit) => {
    const out = joinWithin(items, limit, 'codePoints', '; ', (n) => `…and ${String(n)} more errors`);
    expect(codePoints(out)).toBeLessThanOrEqual(limit);
    const m = /; …and (\d+) more errors$/.exec(out);
    const shown = out.slice(0, m?.index).split('; ');
    expect(shown.every((s, i) => s === items[i])).toBe(true);
    expect(shown.length + Number(m?.[1])).toBe(items.length);
    // Filled: one more item would not have fitted.
    expect(codePoints(out) + (items[shown.length]?.length ?? 0) + 2).toBeGreaterThan(limit);
  });

  it('clips the first item when not even it fits', () => {
    const out = joinWithin(['x'.repeat(500), 'y'], 100, 'codePoints');
    expect(codePoints(out)).toBeLessThanOrEqual(100);
    expect(out).toMatch(/^x+… \(\d+ more characters\); …and 1 more$/);
  });
});

describe('boundStatus', () => {
  const now = '2026-01-01T00:00:00Z';
  const entry = {
    namespace: 'a',
    kind: 'NetworkPolicy',
    name: 'n',
    reason: 'Modified' as const,
    fields: Array.from({ length: 40 }, (_, i) => `spec.${'x'.repeat(i === 0 ? 600 : 3)}`),
  };
  const huge: SecurityBaselineStatus = {
    conditions: Array.from({ length: 9 }, () => ({
      type: 'Ready' as const,
      status: 'False' as const,
      reason: 'R'.repeat(2000),
      message: '😀'.repeat(40_000),
      lastTransitionTime: now,
    })),
    drift: Array.from({ length: 60 }, () => ({ ...entry, since: now })),
    driftTruncated: false,
    repairs: { total: 12, recent: Array.from({ length: 12 }, () => ({ ...entry, repairedAt: now })) },
    findings: Array.from({ length: 60 }, () => ({ type: 'AllowAllIngress' as const, message: 'm'.repeat(5000) })),
    findingsTruncated: false,
  };

  it('cuts every list and string to the CRD limits, and says so where the schema can', () => {
    const b = boundStatus(huge);
    expect(b.conditions).toHaveLength(STATUS_LIMITS.conditions);
    expect(
      b.conditions?.every(
        (c) =>
          codePoints(c.reason) === STATUS_LIMITS.conditionReason &&
          codePoints(c.message) <= STATUS_LIMITS.conditionMessage &&
          WELL_FORMED.test(c.message),
      ),
    ).toBe(true);
    expect(b.drift).toHaveLength(STATUS_LIMITS.drift);
    expect(b.driftTruncated).toBe(true);
    expect(b.drift?.[0]?.fields).toHaveLength(STATUS_LIMITS.fields);
    expect(codePoints(b.drift?.[0]?.fields?.[0] ?? '')).toBeLessThanOrEqual(OWN_LIMITS.fieldPath);
    expect(b.repairs?.recent).toHaveLength(STATUS_LIMITS.recentRepairs);
    expect(b.repairs?.recent?.[0]?.fields).toHaveLength(STATUS_LIMITS.fields);
    expect(b.findings).toHaveLength(STATUS_LIMITS.findings);
    expect(b.findingsTruncated).toBe(true);
    expect(codePoints(b.findings?.[0]?.message ?? '')).toBeLessThanOrEqual(OWN_LIMITS.findingMessage);
    expect(JSON.stringify(b).length).toBeLessThan(1024 * 1024);
  });

  it('leaves a status within its limits as it is', () => {
    const small: SecurityBaselineStatus = {
      observedGeneration: 3,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: now }],
      drift: [],
      driftTruncated: false,
      repairs: { total: 0 },
    };
    expect(boundStatus(small)).toEqual(small);
  });
});

it('keeps STATUS_LIMITS equal to the CRD', () => {
  interface S {
    maxItems?: number;
    maxLength?: number;
    properties?: Record<string, S>;
    items?: S;
  }
  const crd = load(readFileSync('crds/securitybaselines.kubeposture.io.yaml', 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: S } }[] };
  };
  const status = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.status?.properties ?? {};
  const condition = status.conditions?.items?.properties ?? {};
  expect({
    conditions: status.conditions?.maxItems,
    conditionReason: condition.reason?.maxLength,
    conditionMessage: condition.message?.maxLength,
    drift: status.drift?.maxItems,
    fields: status.drift?.items?.properties?.fields?.maxItems,
    recentRepairs: status.repairs?.properties?.recent?.maxItems,
    findings: status.findings?.maxItems,
    exceptions: status.exceptions?.maxItems,
    exceptionParts: status.exceptions?.items?.properties?.exempt?.maxItems,
  }).toEqual(STATUS_LIMITS);
  expect(status.repairs?.properties?.recent?.items?.properties?.fields?.maxItems).toBe(STATUS_LIMITS.fields);
});

describe('eventName', () => {
  const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  it.each([
    ['a short name', 'team-a', 'team-a.0123456789abcdef'],
    ['a 253-character name', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, undefined],
    ['a name cut at a dot or dash', `${'a'.repeat(235)}.-bbbbbbbbbbbbbbb`, `${'a'.repeat(235)}.0123456789abcdef`],
  ])('is a DNS subdomain of at most 253 characters for %s', (_what, base, expected) => {
    const name = eventName(base, '0123456789abcdef');
    expect(name.length).toBeLessThanOrEqual(EVENT_LIMITS.name);
    expect(name).toMatch(DNS_SUBDOMAIN);
    if (expected !== undefined) expect(name).toBe(expected);
  });
});
