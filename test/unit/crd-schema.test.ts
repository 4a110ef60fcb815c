/**
 * The CRD's OpenAPI schema (the source of truth) and the TypeScript API types
 * (through their run-time shape in src/api/shape.ts, which the compiler checks
 * against the types) describe the same fields, with the same types, enums and
 * optionality; and every schema field has a description for `kubectl explain`.
 */
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { exceptionSpecShape, exceptionStatusShape, specShape, statusShape, type Shape } from '../../src/api/shape.ts';
import { CRD_PATH, EXCEPTION_CRD_PATH } from '../support/crd.ts';
import { EXCEPTION_LIMITS } from '../../src/api/exception.ts';
import type { Limit } from '../../src/api/limits.ts';

interface Schema {
  readonly type?: string;
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly default?: unknown;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly additionalProperties?: Schema;
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

const crd = load(readFileSync(CRD_PATH, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
const root = crd.spec.versions[0]?.schema.openAPIV3Schema;

/** Every mismatch between a shape and a schema, as "path: what". */
function compare(shape: Shape, schema: Schema | undefined, path: string): string[] {
  if (schema === undefined) return [`${path}: in the TypeScript types but not in the CRD`];
  switch (shape.type) {
    case 'string': {
      if (schema.type !== 'string') return [`${path}: string in TypeScript, ${String(schema.type)} in the CRD`];
      const a = JSON.stringify([...(shape.enum ?? [])].sort());
      const b = JSON.stringify([...(schema.enum ?? [])].sort());
      return a === b ? [] : [`${path}: enum ${a} in TypeScript, ${b} in the CRD`];
    }
    case 'integer':
    case 'boolean':
      return schema.type === shape.type ? [] : [`${path}: ${shape.type} in TypeScript, ${String(schema.type)} in the CRD`];
    case 'quantity':
      return schema['x-kubernetes-int-or-string'] === true ? [] : [`${path}: a quantity in TypeScript, not int-or-string in the CRD`];
    case 'intOrString':
      return schema['x-kubernetes-int-or-string'] === true ? [] : [`${path}: int-or-string in TypeScript, not in the CRD`];
    case 'array':
      return schema.type === 'array'
        ? compare(shape.items, schema.items, `${path}[]`)
        : [`${path}: a list in TypeScript, ${String(schema.type)} in the CRD`];
    case 'map':
      return schema.type === 'object' && schema.additionalProperties !== undefined
        ? compare(shape.values, schema.additionalProperties, `${path}{}`)
        : [`${path}: a map in TypeScript, not in the CRD`];
    case 'object': {
      if (schema.type !== 'object' || schema.properties === undefined) return [`${path}: an object in TypeScript, not in the CRD`];
      const props = schema.properties;
      const out: string[] = [];
      for (const key of Object.keys(props)) {
        if (!(key in shape.properties)) out.push(`${path}.${key}: in the CRD but not in the TypeScript types`);
      }
      for (const [key, field] of Object.entries(shape.properties)) {
        const prop = props[key];
        out.push(...compare(field.shape, prop, `${path}.${key}`));
        if (prop === undefined) continue;
        const alwaysThere = (schema.required ?? []).includes(key) || prop.default !== undefined;
        if (alwaysThere === field.optional) {
          out.push(
            `${path}.${key}: ${field.optional ? 'optional' : 'always present'} in TypeScript, ${alwaysThere ? 'required or defaulted' : 'optional'} in the CRD`,
          );
        }
      }
      return out;
    }
  }
}

/** Paths of schema properties without a description. */
function undescribed(schema: Schema, path: string): string[] {
  const out: string[] = [];
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const p = `${path}.${key}`;
    if (key !== 'metadata' && (prop.description ?? '').trim() === '') out.push(p);
    out.push(...undescribed(prop, p));
    if (prop.items !== undefined) out.push(...undescribed(prop.items, `${p}[]`));
  }
  return out;
}

describe('the CRD schema and the TypeScript types', () => {
  it('describe the same spec', () => {
    expect(compare(specShape, root?.properties?.spec, 'spec')).toEqual([]);
  });

  it('describe the same status', () => {
    expect(compare(statusShape, root?.properties?.status, 'status')).toEqual([]);
  });

  it('notice a field that is only in one of them', () => {
    const extra: Schema = {
      ...root?.properties?.spec,
      properties: { ...root?.properties?.spec?.properties, surprise: { type: 'string', description: 'x' } },
    };
    expect(compare(specShape, extra, 'spec')).toEqual(['spec.surprise: in the CRD but not in the TypeScript types']);
    const { mode: _mode, ...withoutMode } = root?.properties?.spec?.properties ?? {};
    expect(compare(specShape, { ...root?.properties?.spec, properties: withoutMode }, 'spec')).toEqual([
      'spec.mode: in the TypeScript types but not in the CRD',
    ]);
  });

  it('notice a changed enum and a lost default', () => {
    const props = root?.properties?.spec?.properties ?? {};
    const changed: Schema = {
      ...root?.properties?.spec,
      properties: { ...props, mode: { ...props.mode, enum: ['Enforce'] }, priority: { ...props.priority, default: undefined } },
    };
    expect(compare(specShape, changed, 'spec')).toEqual([
      'spec.mode: enum ["Audit","Enforce"] in TypeScript, ["Enforce"] in the CRD',
      'spec.priority: always present in TypeScript, optional in the CRD',
    ]);
  });

  it('give every field a description for kubectl explain', () => {
    expect(root).toBeDefined();
    if (root !== undefined) expect(undescribed(root, '')).toEqual([]);
  });
});

describe('the SecurityBaselineException CRD and its TypeScript types', () => {
  const x = load(readFileSync(EXCEPTION_CRD_PATH, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  const xroot = x.spec.versions[0]?.schema.openAPIV3Schema;

  it('describe the same spec and status', () => {
    expect(compare(exceptionSpecShape, xroot?.properties?.spec, 'spec')).toEqual([]);
    expect(compare(exceptionStatusShape, xroot?.properties?.status, 'status')).toEqual([]);
  });

  it('give every field a description for kubectl explain', () => {
    expect(xroot).toBeDefined();
    if (xroot !== undefined) expect(undescribed(xroot, '')).toEqual([]);
  });

  it("bound the fields as the validator's table says", () => {
    const spec = (xroot?.properties?.spec?.properties ?? {}) as Readonly<Record<string, Schema & Limit>>;
    const limits = (s: (Schema & Limit) | undefined): Limit =>
      Object.fromEntries(
        (['minItems', 'maxItems', 'minLength', 'maxLength'] as const).flatMap((k) => (s?.[k] === undefined ? [] : [[k, s[k]]])),
      );
    expect({
      namespaces: limits(spec.namespaces),
      namespace: limits(spec.namespaces?.items as Schema & Limit),
      exempt: limits(spec.exempt),
      part: limits(spec.exempt?.items as Schema & Limit),
      reason: limits(spec.reason),
      baseline: limits(spec.baseline),
    }).toEqual(EXCEPTION_LIMITS);
  });
});
