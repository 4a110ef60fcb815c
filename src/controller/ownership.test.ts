import {
  claimsKubeposture,
  encodeRecord,
  isKubepostureObject,
  madeBy,
  withCreateId,
  mayRecord,
  ownedEntry,
  packRecord,
  readRecord,
  recordText,
  sameEntries,
  withUnrecorded,
  type FoundEvidence,
  type OwnedEntry,
  type RecordHolder,
} from './ownership.ts';
import { ValuePool } from '../kube/compact.ts';

const ns = (value: string | undefined): { metadata: { name: string; annotations?: Record<string, string> } } => ({
  metadata: { name: 'team-a', ...(value === undefined ? {} : { annotations: { 'kubeposture.io/owned': value } }) },
});
const np: OwnedEntry = { kind: 'NetworkPolicy', name: 'kubeposture-default-deny', uid: 'u1', baseline: 'b' };
const quota: OwnedEntry = { kind: 'ResourceQuota', name: 'kubeposture-quota', uid: 'u2', baseline: 'a' };
const claim = { apiVersion: 'kubeposture.io/v1alpha1', kind: 'SecurityBaseline', name: 'b', uid: 'x', controller: true };

describe('the ownership record', () => {
  it('round-trips, in a stable order whatever order the entries come in', () => {
    const v = encodeRecord([np, quota]);
    expect(v).toBe('{"a":{"ResourceQuota/kubeposture-quota":"u2"},"b":{"NetworkPolicy/kubeposture-default-deny":"u1"}}');
    expect(encodeRecord([quota, np])).toBe(v);
    expect(readRecord(ns(v))).toMatchObject({ trustClaims: false, entries: [quota, np] });
    expect([...readRecord(ns(v)).byKey.keys()]).toEqual(['ResourceQuota/kubeposture-quota', 'NetworkPolicy/kubeposture-default-deny']);
    expect(encodeRecord([])).toBeUndefined();
  });

  it.each<[string, string | undefined]>([
    ['no annotation', undefined],
    ['not JSON', '{'],
    ['a list', '[]'],
    ['a kind kubeposture does not make', '{"b":{"Secret/x":"u"}}'],
    ['no kind', '{"b":{"x":"u"}}'],
    ['a uid that is not a string', '{"b":{"Role/x":1}}'],
    ['far too long', `{"b":{"Role/x":"${'u'.repeat(200_000)}"}}`],
  ])('counts %s as no record (claims are trusted once)', (_name, value) => {
    expect(readRecord(ns(value))).toMatchObject({ trustClaims: true, entries: [] });
  });

  it('decides by uid, kind and name; a claim counts only where there is no record', () => {
    const obj = (uid: string, refs = [claim]): { metadata: { name: string; uid: string; ownerReferences: typeof refs } } => ({
      metadata: { name: np.name, uid, ownerReferences: refs },
    });
    const recorded = readRecord(ns(encodeRecord([np])));
    expect(ownedEntry(recorded, 'NetworkPolicy', obj('u1', []))).toEqual(np);
    expect(ownedEntry(recorded, 'NetworkPolicy', obj('forged'))).toBeUndefined();
    expect(ownedEntry(recorded, 'Role', obj('u1'))).toBeUndefined();
    const none = readRecord(ns(undefined));
    expect(ownedEntry(none, 'NetworkPolicy', obj('forged'))).toMatchObject({ uid: 'forged' });
    expect(ownedEntry(none, 'NetworkPolicy', obj('plain', []))).toBeUndefined();
    expect(claimsKubeposture(obj('u', [{ ...claim, controller: false }]))).toBe(false);
  });

  it('adds what was created but not yet recorded, replacing an older entry of the same name', () => {
    const recreated = { ...np, uid: 'u3' };
    expect(withUnrecorded(readRecord(ns(encodeRecord([np, quota]))), [recreated]).entries).toEqual([quota, recreated]);
  });

  it('tells when a record already holds exactly the entries (nothing to write)', () => {
    const recorded = readRecord(ns(encodeRecord([np, quota])));
    expect(sameEntries([quota, np], recorded)).toBe(true);
    expect(sameEntries([np], recorded)).toBe(false);
    expect(sameEntries([{ ...np, uid: 'u3' }, quota], recorded)).toBe(false);
    expect(sameEntries([{ ...np, baseline: 'a' }, quota], recorded)).toBe(false);
    expect(sameEntries([], readRecord(ns(undefined)))).toBe(false);
  });

  it('parses only records that may name a baseline', () => {
    const v = encodeRecord([np, quota]);
    expect(mayRecord(ns(v), 'a')).toBe(true);
    expect(mayRecord(ns(v), 'b')).toBe(true);
    expect(mayRecord(ns(v), 'c')).toBe(false);
    expect(mayRecord(ns(undefined), 'a')).toBe(false);
    // Whatever the spacing, a baseline's key is a quoted name.
    expect(mayRecord(ns('{ "c" : {"Role/x":"u"} }'), 'c')).toBe(true);
  });

  it("takes an object for the one an unanswered create made only when it carries that create's id", () => {
    const u = { kind: 'NetworkPolicy' as const, name: np.name, createId: 'id-1', baseline: 'b' };
    const obj = (id: string | undefined, name = np.name): { metadata: { name: string; annotations?: Record<string, string> } } => ({
      metadata: { name, ...(id === undefined ? {} : { annotations: { 'kubeposture.io/create-id': id } }) },
    });
    expect(madeBy(u, 'NetworkPolicy', obj('id-1'))).toBe(true);
    expect(madeBy(u, 'NetworkPolicy', obj('id-2'))).toBe(false);
    expect(madeBy(u, 'NetworkPolicy', obj(undefined))).toBe(false);
    expect(madeBy(u, 'Role', obj('id-1'))).toBe(false);
    expect(madeBy(u, 'NetworkPolicy', obj('id-1', 'other'))).toBe(false);
  });

  it('sends a create with its id, keeping the annotations it had, and knows the object it made by it', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r', namespace: 'team-a', annotations: { note: 'kept' } },
      rules: [],
    } as const;
    const sent = withCreateId(role, 'id-1');
    expect(sent).toEqual({ ...role, metadata: { ...role.metadata, annotations: { note: 'kept', 'kubeposture.io/create-id': 'id-1' } } });
    expect(role.metadata.annotations).toEqual({ note: 'kept' });
    expect(madeBy({ kind: 'Role', name: 'r', createId: 'id-1', baseline: 'b' }, 'Role', sent)).toBe(true);
  });

  describe('whether the object found at a name kubeposture meant to create at is its own', () => {
    const u = { kind: 'NetworkPolicy' as const, name: np.name, createId: 'id-1', baseline: 'b' };
    const found = (
      uid: string | undefined,
      extra: { id?: string; refs?: (typeof claim)[] } = {},
    ): { metadata: { name: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: (typeof claim)[] } } => ({
      metadata: {
        name: np.name,
        ...(uid === undefined ? {} : { uid }),
        ...(extra.id === undefined ? {} : { annotations: { 'kubeposture.io/create-id': extra.id } }),
        ...(extra.refs === undefined ? {} : { ownerReferences: extra.refs }),
      },
    });
    const none: FoundEvidence = { uncertain: undefined, recorded: undefined, trustClaim: false };
    it.each<[string, ReturnType<typeof found>, FoundEvidence, boolean]>([
      ['the uid the record holds for the name', found('u1'), { ...none, recorded: np }, true],
      ['another uid than the record holds', found('forged', { refs: [claim] }), { ...none, recorded: np }, false],
      ['the id of its unanswered create', found('u9', { id: 'id-1' }), { ...none, uncertain: u }, true],
      ["another create's id", found('u9', { id: 'id-2' }), { ...none, uncertain: u }, false],
      ['a claim, with no record to go by', found('u9', { refs: [claim] }), { ...none, trustClaim: true }, true],
      ['a claim, where there is a record', found('u9', { refs: [claim] }), none, false],
      ['no claim, with no record', found('u9'), { ...none, trustClaim: true }, false],
      ['no uid, whatever else', found(undefined, { id: 'id-1', refs: [claim] }), { uncertain: u, recorded: np, trustClaim: true }, false],
    ])('%s', (_name, obj, evidence, mine) => {
      expect(isKubepostureObject('NetworkPolicy', obj, evidence)).toBe(mine);
    });
  });
});

describe('the record as the Namespace cache keeps it (packed)', () => {
  const uid = (i: number): string => `${i.toString(16).padStart(8, '0')}-00ff-4a80-9f7f-${(0xfedcba98 - i).toString(16).padStart(12, '0')}`;
  const entries = (n: number, baseline = 'wide'): OwnedEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      kind: i % 2 === 0 ? 'Role' : 'RoleBinding',
      name: `kubeposture-sa-${String(i)}`,
      uid: uid(i),
      baseline,
    }));
  const pool = new ValuePool();
  const pack = (o: RecordHolder): RecordHolder => packRecord(o, pool);
  const withHolds = (value: string): { metadata: { name: string; annotations: Record<string, string> } } => ({
    metadata: { name: 'team-a', annotations: { 'kubeposture.io/owned': value, 'kubeposture.io/holds': 'wide' } },
  });

  it('reads, tells and prints as the text it was made from, the text itself dropped', () => {
    const text = encodeRecord([...entries(39), { ...np, uid: uid(500) }, { ...quota, uid: uid(501) }]) ?? '';
    const packed = pack(withHolds(text));
    expect(packed.record).toBeDefined();
    expect(packed.metadata.annotations).toEqual({ 'kubeposture.io/holds': 'wide' });
    expect(readRecord(packed)).toEqual(readRecord(withHolds(text)));
    expect([...readRecord(packed).byKey.keys()]).toEqual([...readRecord(withHolds(text)).byKey.keys()]);
    expect(recordText(packed)).toBe(text);
    for (const b of ['wide', 'a', 'b', 'c', 'wid']) expect(mayRecord(packed, b)).toBe(mayRecord(withHolds(text), b));
    // 16 characters a uid, each one byte: a quarter of the text.
    expect(packed.record?.uids.length).toBe(16 * 41);
    expect((packed.record?.uids.length ?? 0) * 4).toBeLessThan(text.length);
  });

  it('keeps every byte of a uid, 00 to ff', () => {
    const extremes = [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '80808080-7f7f-8181-9f9f-a0a0a0a0a0a0',
    ];
    const all = extremes.map((u, i) => ({ ...np, name: `n${String(i)}`, uid: u }));
    const packed = pack(ns(encodeRecord(all)));
    expect(packed.record).toBeDefined();
    expect(readRecord(packed).entries.map((e) => e.uid)).toEqual(extremes);
  });

  it('gives back exactly the text it was made from, in whatever order it was written', () => {
    const texts = [
      encodeRecord([
        { ...np, baseline: '10', uid: uid(1) },
        { ...np, baseline: '9', uid: uid(2) },
        { ...quota, baseline: 'a', uid: uid(3) },
      ]),
      `{"b":{"Role/y":"${uid(1)}","Role/x":"${uid(2)}"},"a":{"Role/x":"${uid(3)}"}}`,
    ];
    for (const text of texts) {
      const packed = pack(ns(text));
      expect(packed.record).toBeDefined();
      expect(recordText(packed)).toBe(text);
      expect(readRecord(packed).entries).toEqual(readRecord(ns(text)).entries);
    }
    // A baseline named by a number is read in another order than this text's: it is left as it is.
    const renumbered = `{"10":{"Role/x":"${uid(1)}"},"9":{"Role/x":"${uid(2)}"}}`;
    expect(pack(ns(renumbered)).record).toBeUndefined();
    expect(readRecord(ns(renumbered)).entries).toHaveLength(2);
  });

  it('shares the layout between namespaces holding the same objects, not the uids', () => {
    const one = pack(ns(encodeRecord(entries(5))));
    const other = pack(ns(encodeRecord(entries(5).map((e, i) => ({ ...e, uid: uid(i + 100) })))));
    expect(one.record?.layout).toBe(other.record?.layout);
    expect(one.record?.uids).not.toBe(other.record?.uids);
    expect(readRecord(other).entries[0]?.uid).toBe(uid(100));
  });

  it.each<[string, string | undefined]>([
    ['no record', undefined],
    ['text kubeposture cannot have written', '{'],
    ['an empty record', '{}'],
    ['spaces kubeposture does not write', `{"b": {"Role/x":"${uid(1)}"}}`],
    ['a name recorded twice', `{"b":{"Role/x":"${uid(1)}","Role/x":"${uid(2)}"}}`],
    ['a uid that is not a lowercase UUID', `{"b":{"Role/x":"${uid(1).toUpperCase()}"}}`],
    ['a uid of another form', '{"b":{"Role/x":"u1"}}'],
  ])('leaves %s as it is, read as before', (_name, value) => {
    const cached = ns(value);
    const out = pack(cached);
    expect(out).toBe(cached);
    expect(recordText(out)).toBe(value);
  });
});
