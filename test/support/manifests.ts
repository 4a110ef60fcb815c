/**
 * Rendered manifests as data, and the comparison of two renderings (the Helm chart's and
 * kustomize's) after dropping what only Helm adds: its labels and its resource-policy annotation.
 */
import { loadAll } from 'js-yaml';

/** A Kubernetes object as rendered. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/** Labels Helm (and the chart's helpers) put on every object, which kustomize does not. */
export const HELM_LABELS: readonly string[] = [
  'helm.sh/chart',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
];
/** Annotations only a Helm release means anything by. */
export const HELM_ANNOTATIONS: readonly string[] = ['helm.sh/resource-policy'];

/** Every object in a multi-document YAML stream (empty documents dropped). */
export function parseManifests(yaml: string): Manifest[] {
  return loadAll(yaml).filter((d): d is Manifest => typeof d === 'object' && d !== null);
}

/** `group/kind/namespace/name`: one object's identity. */
export function identity(o: Manifest): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group ?? ''}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function without(map: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> | undefined {
  if (map === undefined) return undefined;
  const kept = Object.fromEntries(Object.entries(map).filter(([k]) => !keys.includes(k)));
  return Object.keys(kept).length === 0 ? undefined : kept;
}

/** A copy of `o` without Helm's labels and annotations (an emptied map is dropped). */
export function normalise(o: Manifest): Manifest {
  const { labels, annotations, ...meta } = o.metadata;
  const l = without(labels, HELM_LABELS);
  const a = without(annotations, HELM_ANNOTATIONS);
  return { ...o, metadata: { ...meta, ...(l === undefined ? {} : { labels: l }), ...(a === undefined ? {} : { annotations: a }) } };
}

/** The field paths at which two values differ ("" for the values themselves). */
export function fieldDifferences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    // List items in index order, object fields sorted.
    const keys = Array.isArray(a)
      ? Array.from({ length: Math.max(a.length, (b as unknown[]).length) }, (_, i) => String(i))
      : [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) =>
      fieldDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`),
    );
  }
  return a === b ? [] : [path];
}

/**
 * How two renderings differ after normalisation, one line per difference: an object only on
 * one side, or a field path of an object on both. Empty when they install the same.
 */
export function compareManifests(left: readonly Manifest[], right: readonly Manifest[], names: readonly [string, string]): string[] {
  const byId = (list: readonly Manifest[]): Map<string, Manifest> => new Map(list.map((o) => [identity(o), normalise(o)]));
  const twice = (list: readonly Manifest[], name: string): string[] =>
    list.map(identity).flatMap((id, i, all) => (all.indexOf(id) === i ? [] : [`${id}: twice in ${name}`]));
  const [l, r] = [byId(left), byId(right)];
  const ids = [...new Set([...l.keys(), ...r.keys()])].sort();
  return [...twice(left, names[0]), ...twice(right, names[1])].concat(
    ids.flatMap((id) => {
      const [a, b] = [l.get(id), r.get(id)];
      if (a === undefined) return [`${id}: only in ${names[1]}`];
      if (b === undefined) return [`${id}: only in ${names[0]}`];
      return fieldDifferences(a, b).map((f) => `${id}: ${f} differs`);
    }),
  );
}
