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

/**
 * A record as the Namespace cache keeps it (packRecord): what every namespace holding the same
 * objects shares (their baselines, kinds and names, in the record's order), and the uids, 16
 * bytes each, in one string of as many characters. A quarter of the record's text: at 10,000
 * namespaces of a baseline of 39 objects the text was 2.5 KB a namespace, an eighth of the
 * operator's heap.
 */
export interface PackedRecord {
  /** Shared by every namespace with the same entries (the cache's pool). */
  readonly layout: readonly PackedEntry[];
  /** Each entry's uid as 16 characters of 0 to 255, its bytes (pushUidBytes), in the layout's order. */
  readonly uids: string;
}

interface PackedEntry {
  readonly baseline: string;
  readonly kind: OwnedKind;
  readonly name: string;
}

/** A Namespace as read: from the apiserver, its record the annotation's text; from the cache, packed. */
export type RecordHolder = WireObject & { readonly record?: PackedRecord };

/** Each hex digit's value by its character code, -1 for any other character (uppercase too: the apiserver writes lowercase). */
const NIBBLE = Int8Array.from({ length: 128 }, (_, c) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1));
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A lowercase UUID (as the apiserver makes uids) as its 16 bytes, pushed on `out`; false for any other string. */
function pushUidBytes(uid: string, out: number[]): boolean {
  if (uid.length !== 36) return false;
  let high = -1;
  for (let i = 0; i < 36; i++) {
    const c = uid.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
      continue;
    }
    const v = c < 128 ? (NIBBLE[c] ?? -1) : -1;
    if (v < 0) return false;
    if (high < 0) high = v;
    else {
      out.push(high * 16 + v);
      high = -1;
    }
  }
  return true;
}

function unpackUid(uids: string, i: number): string {
  const hex = (j: number): string => HEX[uids.charCodeAt(i * 16 + j)] ?? '';
  return `${hex(0)}${hex(1)}${hex(2)}${hex(3)}-${hex(4)}${hex(5)}-${hex(6)}${hex(7)}-${hex(8)}${hex(9)}-${hex(10)}${hex(11)}${hex(12)}${hex(13)}${hex(14)}${hex(15)}`;
}

/**
 * The record's text for `entries` in their order (as recordOf reads them, grouped by baseline), as
 * JSON.stringify writes it: the same text as JSON.stringify of the value they were read from.
 */
function printInOrder(entries: readonly OwnedEntry[]): string {
  const out: Record<string, Record<string, string>> = {};
  for (const e of entries) (out[e.baseline] ??= {})[`${e.kind}/${e.name}`] = e.uid;
  return JSON.stringify(out);
}

/** At most this many arguments to String.fromCharCode at once. */
const CHUNK = 4096;

/** What the cache keeps to share a packed record's layout with other namespaces: see ValuePool.byKey. */
export interface LayoutPool {
  byKey<T>(key: string, make: () => T): T;
}

/**
 * `ns` (a Namespace as the cache keeps it) with its record packed (PackedRecord), the annotation's
 * text dropped; `layouts` gives one copy of equal layouts. Only a record whose text is exactly
 * what JSON.stringify prints of it (as kubeposture writes it: no spaces, no name twice, names in
 * the order they are read) and whose uids are all lowercase UUIDs is packed, so that packing loses
 * nothing: recordText gives the text back, and readRecord the same entries in the same order.
 * Any other text stays as it is, to be judged by readRecord as before. The uids are made one
 * flat string: one made by `+=` would be kept as a tree of its pieces.
 */
export function packRecord<T extends RecordHolder>(ns: T, layouts: LayoutPool): T & RecordHolder {
  const { [ANNOTATION_OWNED]: text, ...others } = ns.metadata.annotations ?? {};
  if (text === undefined) return ns;
  const parsed = parseJson(text);
  const record = recordOf(parsed);
  if (record === ABSENT || record.entries.length === 0 || JSON.stringify(parsed) !== text) return ns;
  const bytes: number[] = [];
  for (const e of record.entries) if (!pushUidBytes(e.uid, bytes)) return ns;
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(String.fromCharCode(...bytes.slice(i, i + CHUNK)));
  // Each baseline and Kind/name, its length first (so that no two layouts have one key): cheaper than printing the layout.
  const key = record.entries.map(
    (e) => `${String(e.baseline.length)}:${e.baseline}${String(e.kind.length + e.name.length + 1)}:${e.kind}/${e.name}`,
  );
  const layout = layouts.byKey(`owned:${key.join('')}`, () =>
    Object.freeze(record.entries.map(({ baseline, kind, name }) => Object.freeze({ baseline, kind, name }))),
  );
  const annotations = Object.keys(others).length > 0 ? others : undefined;
  return { ...ns, metadata: { ...ns.metadata, annotations }, record: { layout, uids: chunks.join('') } };
}

/** The record's text on `ns`: the annotation's value, or the one its packed record was made from. */
export function recordText(ns: RecordHolder): string | undefined {
  return ns.record === undefined ? ns.metadata.annotations?.[ANNOTATION_OWNED] : printInOrder(unpack(ns.record).entries);
}

function unpack(packed: PackedRecord): OwnershipRecord {
  const entries = packed.layout.map(({ baseline, kind, name }, i) => ({ kind, name, uid: unpackUid(packed.uids, i), baseline }));
  return makeRecord(entries, false);
}

/** The record on a Namespace. A value kubeposture cannot have written counts as no record. */
export function readRecord(ns: RecordHolder | undefined): OwnershipRecord {
  if (ns?.record !== undefined) return unpack(ns.record);
  const raw = ns?.metadata.annotations?.[ANNOTATION_OWNED];
  return raw === undefined ? ABSENT : parseRecord(raw);
}

function parseRecord(raw: string): OwnershipRecord {
  return recordOf(parseJson(raw));
}

/** The annotation's value parsed; undefined when it is too long or not JSON. */
function parseJson(raw: string): unknown {
  if (raw.length > MAX_RECORD_CHARS) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function recordOf(parsed: unknown): OwnershipRecord {
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
export function mayRecord(ns: RecordHolder, baseline: string): boolean {
  if (ns.record !== undefined) return ns.record.layout.some((e) => e.baseline === baseline);
  return ns.metadata.annotations?.[ANNOTATION_OWNED]?.includes(`"${baseline}"`) === true;
}

/** The annotation's value for `entries`, in a stable order; undefined when there are none. */
export function encodeRecord(entries: readonly OwnedEntry[]): string | undefined {
  if (entries.length === 0) return undefined;
  const key = (e: OwnedEntry): string => `${e.kind}/${e.name}`;
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return printInOrder([...entries].sort((x, y) => cmp(x.baseline, y.baseline) || cmp(key(x), key(y))));
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
