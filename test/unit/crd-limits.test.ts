/**
 * The validator's limits table (src/api/limits.ts) is the CRD's: every
 * minItems, maxItems, minLength, maxLength, minProperties, maxProperties,
 * minimum and maximum under `spec` read back from crds/, and nothing else. And
 * the validator enforces each of them, naming the field (issue 13, class 10):
 * `kubeposture render` refuses what the apiserver would refuse.
 */
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { SPEC_LIMITS, type Limit } from '../../src/api/limits.ts';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { CRD_PATH } from '../support/crd.ts';
import { fullSpec } from '../support/corpus.ts';

interface Schema extends Limit {
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
}

const KEYS = ['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'minimum', 'maximum'] as const;

/** Every limit in `schema`, by the path spelling of limits.ts. */
function limitsOf(schema: Schema, path: string): Record<string, Limit> {
  const here = Object.fromEntries(KEYS.flatMap((k) => (schema[k] === undefined ? [] : [[k, schema[k]]])));
  const out: Record<string, Limit> = Object.keys(here).length > 0 ? { [path]: here } : {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) Object.assign(out, limitsOf(prop, `${path}.${key}`));
  if (schema.items !== undefined) Object.assign(out, limitsOf(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') Object.assign(out, limitsOf(schema.additionalProperties, `${path}{}`));
  return out;
}

const crd = load(readFileSync(CRD_PATH, 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Schema } } } }[] };
};
const specSchema = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Puts `value` at the schema path `path` of a copy of a full valid spec (the
 * first item of a list, the first entry of a map, made when missing), and
 * returns the spec with the concrete field path the validator must name.
 */
function withValueAt(path: string, value: (old: Json | undefined) => Json): { spec: Record<string, Json>; field: string } {
  const spec = JSON.parse(JSON.stringify(fullSpec({ team: 'a' }))) as Record<string, Json>;
  const segments = path.replace(/^spec\.?/, '').match(/[^.[\]{}]+|\[\]|\{\}/g) ?? [];
  let node: Json = spec;
  let field = 'spec';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    const nextIsList = segments[i + 1] === '[]';
    const fresh = (): Json => (nextIsList ? [] : {});
    if (seg === '[]') {
      const list = node as Json[];
      field += '[0]';
      if (last) list[0] = value(list[0]);
      else node = list[0] ??= fresh();
    } else if (seg === '{}') {
      const map = node as Record<string, Json>;
      const key = Object.keys(map)[0] ?? 'cpu';
      field += `[${key}]`;
      if (last) map[key] = value(map[key]);
      else node = map[key] ??= fresh();
    } else {
      const obj = node as Record<string, Json>;
      field += `.${seg}`;
      if (last) obj[seg] = value(obj[seg]);
      else node = obj[seg] ??= fresh();
    }
  });
  return { spec, field };
}

/** Values just past each limit of `limit`, with the message part that must name the bound. */
function violations(limit: Limit): [string, (old: Json | undefined) => Json, RegExp][] {
  const out: [string, (old: Json | undefined) => Json, RegExp][] = [];
  const first = (old: Json | undefined): Json => (Array.isArray(old) ? (old[0] ?? 'x') : 'x');
  if (limit.maxItems !== undefined) {
    const n = limit.maxItems + 1;
    out.push([
      `${String(n)} items`,
      (old) => Array.from({ length: n }, () => first(old)),
      new RegExp(`at most ${String(limit.maxItems)} items, has ${String(n)}`),
    ]);
  }
  if (limit.minItems !== undefined) out.push(['no items', () => [], /must list at least one/]);
  if (limit.maxLength !== undefined) {
    out.push([
      `${String(limit.maxLength + 1)} characters`,
      () => 'a'.repeat((limit.maxLength ?? 0) + 1),
      new RegExp(`at most ${String(limit.maxLength)} characters`),
    ]);
  }
  if (limit.minLength !== undefined) out.push(['an empty string', () => '', /must not be empty/]);
  if (limit.maxProperties !== undefined) {
    const n = limit.maxProperties + 1;
    out.push([
      `${String(n)} entries`,
      () => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${String(i)}`, '1'])),
      new RegExp(`at most ${String(limit.maxProperties)} entries, has ${String(n)}`),
    ]);
  }
  if (limit.minProperties !== undefined) out.push(['no entries', () => ({}), /must set at least one/]);
  if (limit.maximum !== undefined)
    out.push([
      String(limit.maximum + 1),
      () => (limit.maximum ?? 0) + 1,
      new RegExp(`between ${String(limit.minimum)} and ${String(limit.maximum)}`),
    ]);
  if (limit.minimum !== undefined)
    out.push([String(limit.minimum - 1), () => (limit.minimum ?? 0) - 1, new RegExp(`between ${String(limit.minimum)} and`)]);
  return out;
}

describe('the CRD limits and the validator', () => {
  it('the CRD has limits to compare (the walk found the spec)', () => {
    expect(specSchema).toBeDefined();
    expect(Object.keys(limitsOf(specSchema ?? {}, 'spec')).length).toBeGreaterThan(20);
  });

  it("limits.ts holds exactly the CRD's limits under spec", () => {
    expect(SPEC_LIMITS).toEqual(limitsOf(specSchema ?? {}, 'spec'));
  });

  it('the full spec the violations start from is valid', () => {
    expect(
      parseSecurityBaseline({
        apiVersion: 'kubeposture.io/v1alpha1',
        kind: 'SecurityBaseline',
        metadata: { name: 'b' },
        spec: fullSpec({ team: 'a' }),
      }).ok,
    ).toBe(true);
  });

  const cases = Object.entries(SPEC_LIMITS as Readonly<Record<string, Limit>>).flatMap(([path, limit]) =>
    violations(limit).map(([what, value, message]): [string, string, (old: Json | undefined) => Json, RegExp] => [
      path,
      what,
      value,
      message,
    ]),
  );

  it.each(cases)('%s with %s is refused, naming the field', (path, _what, value, message) => {
    const { spec, field } = withValueAt(path, value);
    const r = parseSecurityBaseline({ apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', metadata: { name: 'b' }, spec });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.filter((e) => e.field === field && message.test(e.message))).toHaveLength(1);
  });
});
