/**
 * The allow-all check (config/guard/allow-all.yaml): refuse a NetworkPolicy that admits everyone
 * in a direction kubeposture's default-deny closes in its namespace, the `AllowAll*` findings
 * (posture/findings.ts) at the door instead of in status afterwards. Pure.
 *
 * Where the deny stands is decided only on what a namespace admin cannot forge: the ownership
 * record on the Namespace (kubeposture.io/owned, which kubeposture writes and a tenant cannot)
 * naming kubeposture's default-deny, and that policy's uid. So an Audit baseline (which creates
 * nothing), an exception lifting the deny, or a baseline that does not deny a direction refuse
 * nothing there: an allow-all policy only undoes a deny that exists.
 */
import { NAME_DEFAULT_DENY } from '../api/constants.ts';
import { FindingType, type Finding } from '../api/types.ts';
import { readRecord } from '../controller/ownership.ts';
import type { WireObject } from '../kube/wire.ts';
import { asList, asPlainObject } from '../lib/json.ts';
import { networkPolicyFindings } from '../posture/findings.ts';
import type { AdmissionRequest, Verdict } from './review.ts';

export type Direction = 'Ingress' | 'Egress';

/** Kubeposture's default-deny in a namespace: the baseline it is for, and the directions it closes. */
export interface DenyInPlace {
  readonly baseline: string;
  readonly directions: ReadonlySet<Direction>;
}

const BOTH: ReadonlySet<Direction> = new Set(['Ingress', 'Egress']);

/** The default-deny the ownership record on the Namespace names: its baseline and uid; undefined when it names none. */
export function recordedDeny(namespace: WireObject | undefined): { readonly baseline: string; readonly uid: string } | undefined {
  return readRecord(namespace).byKey.get(`NetworkPolicy/${NAME_DEFAULT_DENY}`);
}

/**
 * The default-deny kubeposture keeps in the namespace, from the recorded one and the policy at
 * the deny's name as read. A recorded deny that is missing or was replaced (another uid) is being
 * repaired: both directions count until it is back.
 */
export function denyFrom(
  recorded: { readonly baseline: string; readonly uid: string },
  policy: (WireObject & { readonly spec?: unknown }) | undefined,
): DenyInPlace {
  if (policy?.metadata.uid !== recorded.uid) return { baseline: recorded.baseline, directions: BOTH };
  const types = asList(asPlainObject(policy.spec)?.policyTypes).filter((t): t is Direction => t === 'Ingress' || t === 'Egress');
  return { baseline: recorded.baseline, directions: new Set(types) };
}

/** The direction an allow-all finding opens; undefined for other findings. */
function directionOf(f: Finding): Direction | undefined {
  if (f.type === FindingType.AllowAllIngress) return 'Ingress';
  if (f.type === FindingType.AllowAllEgress) return 'Egress';
  return undefined;
}

/** The allow-all findings of a NetworkPolicy as sent (any name; generateName when it has none yet). */
function findingsOf(obj: unknown, namespace: string): Finding[] {
  const o = asPlainObject(obj);
  if (o === undefined) return [];
  const meta = asPlainObject(o.metadata);
  const name =
    typeof meta?.name === 'string' && meta.name !== ''
      ? meta.name
      : `${typeof meta?.generateName === 'string' ? meta.generateName : ''}<generated>`;
  return networkPolicyFindings({ metadata: { name, namespace }, spec: o.spec });
}

/**
 * Whether to admit a NetworkPolicy create or update. Refused: a policy that admits everyone in a
 * direction `deny` closes. An update may keep what the policy already admitted (so its labels,
 * finalizers and the like can still change, and deleting it is never refused); it may not open
 * a direction it did not.
 */
export function judgeNetworkPolicy(request: AdmissionRequest, deny: DenyInPlace | undefined): Verdict {
  if (deny === undefined || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return { allowed: true };
  const namespace = request.namespace ?? '';
  const before = new Set(request.operation === 'UPDATE' ? findingsOf(request.oldObject, namespace).map((f) => f.type) : []);
  const refused = findingsOf(request.object, namespace).filter((f) => {
    const d = directionOf(f);
    return d !== undefined && deny.directions.has(d) && !before.has(f.type);
  });
  if (refused.length === 0) return { allowed: true };
  const [first] = refused;
  const what = refused.map((f) => f.message.replace(/, past the default-deny$/, '')).join('; it also ');
  const part = refused.map((f) => `networkPolicy.deny${directionOf(f) ?? ''}`).join(' and ');
  return {
    allowed: false,
    message:
      `kubeposture: NetworkPolicy ${first?.name ?? ''} ${what}, past the default-deny that SecurityBaseline ${deny.baseline} keeps in namespace ${namespace}. ` +
      `Allow only the peers and ports the pods need; a platform admin can lift the deny for this namespace with a SecurityBaselineException (part ${part}). ` +
      `Refused by the opt-in webhook kubeposture-allow-all (config/guard/allow-all.yaml).`,
  };
}
