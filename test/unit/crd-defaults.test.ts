/**
 * The validator applies the CRD's defaults itself (render reads files that never
 * met an apiserver). This keeps the two sets of defaults the same: the CRD's
 * `default`s are applied here the way the apiserver applies structural defaults,
 * and the result must equal what parseSecurityBaseline makes of the same input.
 */
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { parseSecurityBaseline } from '../../src/api/validate.ts';
import { CRD_PATH } from '../support/crd.ts';

interface Schema {
  readonly type?: string;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
}

const crd = load(readFileSync(CRD_PATH, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
const specSchema = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;

/** Structural defaulting: fill absent properties that have a default, then recurse into what is present. */
function applyDefaults(schema: Schema | undefined, value: unknown): unknown {
  if (schema === undefined) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => applyDefaults(schema.items, v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [k, prop] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && prop.default !== undefined) out[k] = structuredClone(prop.default);
    if (out[k] !== undefined) out[k] = applyDefaults(prop, out[k]);
  }
  return out;
}

describe("the validator's defaults", () => {
  it.each<[string, Record<string, unknown>]>([
    ['an empty spec', {}],
    [
      'every section present but empty',
      {
        networkPolicy: {},
        serviceAccounts: { workloads: [{ name: 'app', rules: [{ resources: ['pods'], verbs: ['get'] }] }] },
        podSecurity: { enforce: 'baseline' },
        resourceQuota: { hard: { pods: '1' } },
        limitRange: { limits: [{ type: 'Container' }] },
      },
    ],
    [
      'explicit values kept',
      { mode: 'Audit', priority: 7, deletionPolicy: 'Orphan', networkPolicy: { denyIngress: false, allowSameNamespace: true } },
    ],
  ])("equal the CRD's for %s", (_name, spec) => {
    expect(specSchema).toBeDefined();
    const parsed = parseSecurityBaseline({
      apiVersion: 'kubeposture.io/v1alpha1',
      kind: 'SecurityBaseline',
      metadata: { name: 'b' },
      spec,
    });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.baseline.spec).toEqual(applyDefaults(specSchema, spec));
  });
});
