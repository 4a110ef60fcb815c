/**
 * What proves that an object in a namespace is kubeposture's: the uid the
 * apiserver returned when kubeposture created it, recorded in an annotation on
 * the Namespace (ANNOTATION_OWNED). Whoever may write an object can copy
 * kubeposture's labels and a controller ownerReference onto it, or strip them
 * from kubeposture's own; neither changes its uid, and a namespace admin cannot
 * write their Namespace (`admin` has no update on namespaces, namespaces/status
 * or namespaces/finalize). The record is bounded by what the baselines want in
 * the namespace, not by what anyone else creates, and survives restarts.
 *
 * A namespace with no record at all (an upgrade from a release that kept none,
 * or one kubeposture has not yet written) trusts, once, the controller
 * ownerReference its objects carry (trust on first use); the first write records
 * them. docs/security.md says what that leaves open.
 *
 * A create whose answer never came (the connection broke, the apiserver died mid-request) may
 * or may not have been stored, and its uid is unknown. Each create carries a fresh random id
 * (ANNOTATION_CREATE_ID), remembered until the outcome is known: the object at the name is
 * kubeposture's only if it carries that id. Nobody else can know the id before kubeposture's
 * object exists, and while it exists nobody else can hold the name.
 *
 * Pure: parsing and printing the record, and deciding by it.
 */
import { ANNOTATION_CREATE_ID, ANNOTATION_OWNED, GROUP, KIND, LABEL_BASELINE } from '../api/constants.ts';
import { OWNED_KINDS, type ManagedObject } from '../baseline/objects.ts';
import type { WireObject } from '../kube/wire.ts';
import { isPlainObject } from '../lib/json.ts';

export type OwnedKind = (typeof OWNED_KINDS)[number];

/** One object kubeposture created in a namespace and has not yet deleted or given away. */
export interface OwnedEntry {
  readonly kind: OwnedKind;
  readonly name: string;
  readonly uid: string;
  /** The baseline it was made for: its deletionPolicy and mode decide the object's end. */
  readonly baseline: string;
}

/** A create of kubeposture's whose outcome is unknown: the object at the name is its own only if it carries `createId`. */
export interface UncertainCreate {
  readonly kind: OwnedKind;
  readonly name: string;
  readonly createId: string;
  readonly baseline: string;
}

/** `o` as a create sends it: carrying `createId`, which tells kubeposture's object apart if the answer is lost (see madeBy). */
export function withCreateId(
  o: ManagedObject,
  createId: string,
): { readonly metadata: { readonly name: string; readonly namespace?: string; readonly annotations: Readonly<Record<string, string>> } } {
  const { annotations } = o.metadata as { readonly annotations?: Readonly<Record<string, string>> };
  return { ...o, metadata: { ...o.metadata, annotations: { ...annotations, [ANNOTATION_CREATE_ID]: createId } } };
}

/** True when `obj` is the object the uncertain create `u` made (it carries u's id). */
export function madeBy(u: UncertainCreate, kind: OwnedKind, obj: WireObject): boolean {
  return u.kind === kind && u.name === obj.metadata.name && obj.metadata.annotations?.[ANNOTATION_CREATE_ID] === u.createId;
}

export interface OwnershipRecord {
  readonly entries: readonly OwnedEntry[];
  /** The entries by "Kind/name" (the first, should a name be recorded twice). */
  readonly byKey: ReadonlyMap<string, OwnedEntry>;
  /** No record on the Namespace: objects with kubeposture's controller ownerReference are trusted once. */
  readonly trustClaims: boolean;
}

function makeRecord(entries: readonly OwnedEntry[], trustClaims: boolean, keys?: readonly string[]): OwnershipRecord {
  const byKey = new Map<string, OwnedEntry>();
  entries.forEach((e, i) => {
    const key = keys?.[i] ?? `${e.kind}/${e.name}`;
    if (!byKey.has(key)) byKey.set(key, e);
  });
  return { entries, byKey, trustClaims };
}

const ABSENT: OwnershipRecord = makeRecord([], true);

const KINDS: ReadonlySet<string> = new Set(OWNED_KINDS);
/** Well above what any baseline wants in one namespace; a longer value is not kubeposture's. */
const MAX_RECORD_CHARS = 128 * 1024;

/** The record on a Namespace. A value kubeposture cannot have written counts as no record. */
export function readRecord(ns: WireObject | undefined): OwnershipRecord {
  const raw = ns?.metadata.annotations?.[ANNOTATION_OWNED];
  if (raw === undefined || raw.length > MAX_RECORD_CHARS) return ABSENT;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return ABSENT;
  }
  if (!isPlainObject(parsed)) return ABSENT;
  const entries: OwnedEntry[] = [];
  const keys: string[] = [];
  for (const baseline in parsed) {
    const objects = parsed[baseline];
    if (!isPlainObject(objects)) return ABSENT;
    for (const key in objects) {
      const uid = objects[key];
      const slash = key.indexOf('/');
      const kind = key.slice(0, slash);
      if (slash < 0 || typeof uid !== 'string' || !KINDS.has(kind)) return ABSENT;
      entries.push({ kind: kind as OwnedKind, name: key.slice(slash + 1), uid, baseline });
      keys.push(key);
    }
  }
  return makeRecord(entries, false, keys);
}

/**
 * False when the record on `ns` surely holds nothing for `baseline`: a substring test, so that a
 * scan of every Namespace for one baseline parses only the records that name it (baseline names
 * are DNS subdomains, which JSON writes unescaped).
 */
export function mayRecord(ns: WireObject, baseline: string): boolean {
  return ns.metadata.annotations?.[ANNOTATION_OWNED]?.includes(`"${baseline}"`) === true;
}

/** The annotation's value for `entries`, in a stable order; undefined when there are none. */
export function encodeRecord(entries: readonly OwnedEntry[]): string | undefined {
  if (entries.length === 0) return undefined;
  const byBaseline = new Map<string, [string, string][]>();
  for (const e of entries) {
    const list = byBaseline.get(e.baseline) ?? [];
    list.push([`${e.kind}/${e.name}`, e.uid]);
    byBaseline.set(e.baseline, list);
  }
  const out: Record<string, Record<string, string>> = {};
  for (const b of [...byBaseline.keys()].sort()) {
    out[b] = Object.fromEntries((byBaseline.get(b) ?? []).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  }
  return JSON.stringify(out);
}

/** True when `record` (read from a Namespace) holds exactly `entries`: writing them would change nothing. */
export function sameEntries(entries: readonly OwnedEntry[], record: OwnershipRecord): boolean {
  if (record.trustClaims || entries.length !== record.entries.length) return false;
  return entries.every((e) => {
    const r = record.byKey.get(`${e.kind}/${e.name}`);
    return r?.uid === e.uid && r.baseline === e.baseline;
  });
}

/**
 * The record with objects kubeposture created but could not yet record (the Namespace write
 * failed): their uids came from its own creates, so they are as good as recorded.
 */
export function withUnrecorded(record: OwnershipRecord, unrecorded: readonly OwnedEntry[]): OwnershipRecord {
  if (unrecorded.length === 0) return record;
  const keys = new Set(unrecorded.map((e) => `${e.kind}/${e.name}`));
  return makeRecord([...record.entries.filter((e) => !keys.has(`${e.kind}/${e.name}`)), ...unrecorded], record.trustClaims);
}

/** True when `obj` carries a controller ownerReference to a SecurityBaseline (a claim anyone who writes it can make). */
export function claimsKubeposture(obj: WireObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.kind === KIND && r.apiVersion.startsWith(`${GROUP}/`) && r.controller === true);
}

/**
 * Whose `obj` (live, of `kind`) is by the record: the entry that proves it kubeposture's,
 * or, with no record at all, one made from its claim (trust on first use); undefined when
 * it is someone else's.
 */
export function ownedEntry(record: OwnershipRecord, kind: OwnedKind, obj: WireObject): OwnedEntry | undefined {
  const uid = obj.metadata.uid;
  if (uid === undefined) return undefined;
  const hit = record.byKey.get(`${kind}/${obj.metadata.name}`);
  // No entry at the name: none can match. Another uid there: a name recorded twice, scan them.
  const recorded =
    hit === undefined || hit.uid === uid
      ? hit
      : record.entries.find((e) => e.uid === uid && e.kind === kind && e.name === obj.metadata.name);
  if (recorded !== undefined) return recorded;
  if (!record.trustClaims || !claimsKubeposture(obj)) return undefined;
  return { kind, name: obj.metadata.name, uid, baseline: obj.metadata.labels?.[LABEL_BASELINE] ?? '' };
}

/** What is known about a name kubeposture wanted to create at and found held: see {@link isKubepostureObject}. */
export interface FoundEvidence {
  /** kubeposture's create at the name whose answer never came, if there was one. */
  readonly uncertain: UncertainCreate | undefined;
  /** The record's entry for the name (recorded, or created and not yet recorded), if any. */
  readonly recorded: OwnedEntry | undefined;
  /** No record on the Namespace: a claim to be kubeposture's is trusted, once. */
  readonly trustClaim: boolean;
}

/**
 * True when `found`, the object holding a name kubeposture wanted to create at, is kubeposture's
 * own: it has the uid the record holds for the name, or carries the id of kubeposture's unanswered
 * create there, or (with no record yet) claims kubeposture as its controller. Labels and
 * ownerReferences alone prove nothing: anyone who may write the object can write them.
 */
export function isKubepostureObject(
  kind: OwnedKind,
  found: WireObject,
  evidence: FoundEvidence,
): found is WireObject & { readonly metadata: { readonly uid: string } } {
  const uid = found.metadata.uid;
  if (uid === undefined) return false;
  const made = evidence.uncertain !== undefined && madeBy(evidence.uncertain, kind, found);
  return made || evidence.recorded?.uid === uid || (evidence.trustClaim && claimsKubeposture(found));
}
