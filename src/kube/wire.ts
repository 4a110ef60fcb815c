/**
 * client-node's typed calls return instances of its generated model classes,
 * which rename some fields (LimitRangeItem's `default` becomes `_default`) and
 * turn timestamps into Date objects, while watches deliver plain JSON. Every
 * object that leaves src/kube is put back into the apiserver's wire form, so
 * the rest of the code (and the drift engine) sees one shape only.
 */

interface AttributeType { readonly name: string; readonly baseName: string }
interface ModelClass { getAttributeTypeMap?: () => readonly AttributeType[] }

/** The object as the apiserver sent it: JSON field names, timestamps as RFC 3339 strings. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value !== 'object' || value === null) return value;
  const ctor = (value as { constructor?: ModelClass }).constructor;
  const map = typeof ctor?.getAttributeTypeMap === 'function' ? ctor.getAttributeTypeMap() : undefined;
  const rename = new Map(map?.map((a) => [a.name, a.baseName]) ?? []);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[rename.get(k) ?? k] = toWire(v);
  }
  return out;
}
