/**
 * Defaults the apiserver fills into core objects kubeposture writes (core/v1 defaulting), so
 * that the validator and the drift engine reason about an object as the apiserver stores it.
 */
import type { LimitRangeItem, Quantity } from './types.ts';

type MutableList = Record<string, Quantity>;

/**
 * core/v1 SetDefaults_LimitRangeItem: for Container items, a missing default
 * limit takes the max, a missing default request takes the default limit, else
 * the min. Empty maps are dropped, as the apiserver omits them.
 */
export function defaultLimitRangeItem(item: LimitRangeItem): LimitRangeItem {
  if (item.type !== 'Container') return item;
  const def: MutableList = { ...item.default };
  const req: MutableList = { ...item.defaultRequest };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
  const { default: _d, defaultRequest: _r, ...rest } = item;
  return {
    ...rest,
    ...(Object.keys(def).length > 0 ? { default: def } : {}),
    ...(Object.keys(req).length > 0 ? { defaultRequest: req } : {}),
  };
}
