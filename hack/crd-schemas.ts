/**
 * The parts of the SecurityBaseline CRD that are Kubernetes' own types, generated from the
 * OpenAPI of the pinned Kubernetes (k8s.io/kubernetes in test/controlplane/go.mod, the version
 * the tests run): `spec.networkPolicy.additional[]` is a networking.k8s.io/v1 NetworkPolicySpec
 * plus a name, `spec.networkPolicy.dns.to[]` a NetworkPolicyPeer and `dns.ports[]` a
 * NetworkPolicyPort. Never hand-written: `kubectl explain` then documents them as Kubernetes does
 * and the apiserver validates their types. kubeposture adds only list bounds (src/api/limits.ts,
 * which the validator enforces) and the name of an additional policy.
 *
 * `node hack/crd-schemas.ts` rewrites the regions between the `# >>> generated` and `# <<<`
 * markers in crds/; `--check` exits 1 when they differ (test/unit/crd-schemas.test.ts runs it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { SPEC_LIMITS, type Limit } from '../src/api/limits.ts';
import { RESERVED_POLICY_NAMES } from '../src/api/constants.ts';

const ROOT = join(import.meta.dirname, '..');
export const CRD_FILE = join(ROOT, 'crds', 'securitybaselines.kubeposture.io.yaml');
const CONTROLPLANE = join(ROOT, 'test', 'controlplane');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, Json>;

/** The pinned k8s.io/kubernetes version. */
export function pinnedKubernetes(): string {
  const goMod = readFileSync(join(CONTROLPLANE, 'go.mod'), 'utf8');
  const m = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod);
  if (m?.[1] === undefined) throw new Error('test/controlplane/go.mod pins no k8s.io/kubernetes version');
  return m[1];
}

/** networking.k8s.io/v1's OpenAPI v3 components, from the module cache (downloaded when missing). */
export function networkingComponents(version = pinnedKubernetes()): Record<string, Schema> {
  const out = execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], {
    cwd: CONTROLPLANE,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    encoding: 'utf8',
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (dir === undefined) throw new Error(`go mod download k8s.io/kubernetes@${version} gave no directory`);
  const file = join(dir, 'api', 'openapi-spec', 'v3', 'apis__networking.k8s.io__v1_openapi.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { components: { schemas: Record<string, Schema> } }).components.schemas;
}

const isSchema = (v: Json | undefined): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One component as a structural CRD schema: `$ref`s (spelled `allOf: [{$ref}]`) inlined with the
 * referring field's description and default, IntOrString as `x-kubernetes-int-or-string`.
 */
export function structural(components: Record<string, Schema>, schema: Schema): Schema {
  const allOf = schema.allOf;
  if (Array.isArray(allOf)) {
    const ref = isSchema(allOf[0]) ? allOf[0].$ref : undefined;
    if (typeof ref !== 'string' || allOf.length !== 1) throw new Error(`unexpected allOf ${JSON.stringify(allOf)}`);
    const { allOf: _a, ...outer } = schema;
    return possibleDefault({ ...structural(components, resolve(components, ref)), ...outer });
  }
  if (typeof schema.$ref === 'string') return structural(components, resolve(components, schema.$ref));
  if (schema.format === 'int-or-string') {
    const { oneOf: _o, format: _f, type: _t, ...rest } = schema;
    return { ...rest, 'x-kubernetes-int-or-string': true };
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && isSchema(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, isSchema(p) ? structural(components, p) : p]));
    } else if ((k === 'items' || k === 'additionalProperties') && isSchema(v)) {
      out[k] = structural(components, v);
    } else out[k] = v;
  }
  return possibleDefault(out);
}

/**
 * A CRD's defaults must pass its own schema: an empty object for a type with required fields
 * (LabelSelectorRequirement's `default: {}`) cannot, and goes.
 */
function possibleDefault(schema: Schema): Schema {
  const required = Array.isArray(schema.required) ? schema.required : [];
  const value = schema.default;
  if (!isSchema(value) || !required.some((k) => typeof k === 'string' && !(k in value))) return schema;
  const { default: _d, ...rest } = schema;
  return rest;
}

function resolve(components: Record<string, Schema>, ref: string): Schema {
  const name = ref.replace('#/components/schemas/', '');
  const found = components[name];
  if (found === undefined) throw new Error(`OpenAPI has no ${name}`);
  return found;
}

/** A copy of `schema` with kubeposture's bounds at `base` (schema paths of limits.ts) and below. */
function bounded(schema: Schema, base: string): Schema {
  const limits = (SPEC_LIMITS as Readonly<Record<string, Limit>>)[base];
  const out: Schema = { ...schema };
  if (limits !== undefined) {
    // The bounds go right after `type`, where a reader of the CRD looks for them.
    const { type, ...rest } = out;
    for (const k of Object.keys(out)) Reflect.deleteProperty(out, k);
    if (type !== undefined) out.type = type;
    Object.assign(out, limits, rest);
  }
  if (isSchema(out.properties)) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, p]) => [k, isSchema(p) ? bounded(p, `${base}.${k}`) : p]));
  }
  if (isSchema(out.items)) out.items = bounded(out.items, `${base}[]`);
  return out;
}

const NP = 'io.k8s.api.networking.v1.';

/** The generated regions, by marker id, for the pinned Kubernetes. */
export function generatedRegions(components = networkingComponents()): Record<string, Schema> {
  const of = (name: string): Schema => {
    const s = components[`${NP}${name}`];
    if (s === undefined) throw new Error(`OpenAPI has no ${NP}${name}`);
    return structural(components, s);
  };
  const spec = of('NetworkPolicySpec');
  const specProps = isSchema(spec.properties) ? spec.properties : {};
  const reserved = RESERVED_POLICY_NAMES.map((n) => `'${n}'`).join(', ');
  const additional: Schema = {
    type: 'object',
    description:
      'A platform-wide allowance: a networking.k8s.io/v1 NetworkPolicySpec and a name, created as NetworkPolicy ' +
      'kubeposture-<name> in every selected namespace. ' +
      (typeof spec.description === 'string' ? spec.description : ''),
    required: ['name'],
    properties: {
      name: {
        type: 'string',
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
        description:
          'The policy is kubeposture-<name>: a DNS label of at most 51 characters (so the whole name is one), unique ' +
          `in the list, and none of kubeposture's own (${RESERVED_POLICY_NAMES.join(', ')}).`,
        'x-kubernetes-validations': [
          {
            rule: `!(self in [${reserved}])`,
            message: `must not be one of kubeposture's own policy names (${RESERVED_POLICY_NAMES.join(', ')})`,
          },
        ],
      },
      ...specProps,
    },
  };
  return {
    additional: bounded(additional, 'spec.networkPolicy.additional[]'),
    'dns-peer': bounded(of('NetworkPolicyPeer'), 'spec.networkPolicy.dns.to[]'),
    'dns-port': bounded(of('NetworkPolicyPort'), 'spec.networkPolicy.dns.ports[]'),
  };
}

const MARKER = /^( *)# >>> generated by hack\/crd-schemas\.ts: ([a-z-]+).*\n[\s\S]*?^ *# <<< \2\n/gm;

/** The CRD text with every generated region rewritten. */
export function regenerate(text: string, regions: Record<string, Schema>, version: string): string {
  const seen = new Set<string>();
  const out = text.replace(MARKER, (_all, indent: string, id: string) => {
    const schema = regions[id];
    if (schema === undefined) throw new Error(`crds/ has a generated region ${id} that hack/crd-schemas.ts does not make`);
    seen.add(id);
    const body = dump(schema, { lineWidth: -1, noRefs: true })
      .trimEnd()
      .split('\n')
      .map((l) => (l === '' ? '' : `${indent}${l}`))
      .join('\n');
    return `${indent}# >>> generated by hack/crd-schemas.ts: ${id} (k8s.io/kubernetes ${version} OpenAPI; do not edit)\n${body}\n${indent}# <<< ${id}\n`;
  });
  const missing = Object.keys(regions).filter((id) => !seen.has(id));
  if (missing.length > 0) throw new Error(`crds/ lacks the generated regions ${missing.join(', ')}`);
  return out;
}

if (import.meta.main) {
  const version = pinnedKubernetes();
  const text = readFileSync(CRD_FILE, 'utf8');
  const next = regenerate(text, generatedRegions(networkingComponents(version)), version);
  if (process.argv.includes('--check')) {
    if (next !== text) {
      console.error('crds/: the generated schemas are out of date; run node hack/crd-schemas.ts');
      process.exitCode = 1;
    }
  } else if (next !== text) {
    writeFileSync(CRD_FILE, next);
    console.log('crds/: generated schemas rewritten');
  }
}
