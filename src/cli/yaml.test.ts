import { MAX_BYTES, MAX_NODES, readManifests } from './yaml.ts';
import { goFloat32Key, keyProblem, kubectlReading, renderReading, valueProblem, type Reading } from './yaml-readings.ts';

const int = (v: bigint): Reading => ({ kind: 'int', value: v });
const float = (v: number): Reading => ({ kind: 'float', value: v });
const str = (v: string): Reading => ({ kind: 'string', value: v });
const bool = (v: boolean): Reading => ({ kind: 'bool', value: v });
const nul: Reading = { kind: 'null' };

describe('kubectlReading: go-yaml v2 resolve, as kubectl reads a plain scalar', () => {
  it.each<[string, Reading]>([
    ['0100', int(64n)],
    ['-0100', int(-64n)],
    ['+0100', int(64n)],
    ['00', int(0n)],
    ['0', int(0n)],
    ['-0', int(0n)],
    ['08', float(8)],
    ['0x1F', int(31n)],
    ['0X1F', int(31n)],
    ['+0x1f', int(31n)],
    ['0o17', int(15n)],
    ['0O17', int(15n)],
    ['0b101', int(5n)],
    ['-0b101', int(-5n)],
    ['0b-101', int(-5n)],
    ['1_000', int(1000n)],
    ['1_0.5', float(10.5)],
    ['_1', str('_1')],
    ['12', int(12n)],
    ['1e3', float(1000)],
    ['.5', float(0.5)],
    ['1.5e400', str('1.5e400')],
    ['.5e400', str('.5e400')],
    ['9223372036854775807', int(2n ** 63n - 1n)],
    ['9223372036854775808', int(2n ** 63n)],
    ['18446744073709551615', int(2n ** 64n - 1n)],
    ['18446744073709551616', float(18446744073709551616)],
    ['9007199254740993', int(9007199254740993n)],
    ['yes', bool(true)],
    ['Yes', bool(true)],
    ['YES', bool(true)],
    ['y', bool(true)],
    ['Y', bool(true)],
    ['on', bool(true)],
    ['ON', bool(true)],
    ['no', bool(false)],
    ['n', bool(false)],
    ['off', bool(false)],
    ['Off', bool(false)],
    ['true', bool(true)],
    ['False', bool(false)],
    ['yEs', str('yEs')],
    ['nope', str('nope')],
    ['~', nul],
    ['', nul],
    ['null', nul],
    ['NULL', nul],
    ['.inf', float(Infinity)],
    ['-.Inf', float(-Infinity)],
    ['+.INF', float(Infinity)],
    ['1:20', str('1:20')],
    ['190:20:30', str('190:20:30')],
    ['2001-12-14', str('2001-12-14')],
    ['0x', str('0x')],
    ['-', str('-')],
    ['<<', str('<<')],
    ['get', str('get')],
    ['v1.30', str('v1.30')],
    ['500m', str('500m')],
    ['1Gi', str('1Gi')],
  ])('%j is %j', (source, reading) => {
    expect(kubectlReading(source)).toEqual(reading);
  });

  it('reads .nan as NaN', () => {
    const r = kubectlReading('.nan');
    expect(r.kind === 'float' && Number.isNaN(r.value)).toBe(true);
  });
});

describe('renderReading: js-yaml core schema (YAML 1.2)', () => {
  it.each<[string, Reading]>([
    ['0100', int(100n)],
    ['0o17', int(15n)],
    ['0x1F', int(31n)],
    ['0X1F', str('0X1F')],
    ['1_000', str('1_000')],
    ['0b101', str('0b101')],
    ['yes', str('yes')],
    ['on', str('on')],
    ['true', bool(true)],
    ['~', nul],
    ['', nul],
    ['1e3', float(1000)],
    ['.inf', float(Infinity)],
    ['12', int(12n)],
  ])('%j is %j', (source, reading) => {
    expect(renderReading(source)).toEqual(reading);
  });
});

describe('valueProblem: a plain scalar both read alike, or why not', () => {
  it.each<[string, string | undefined]>([
    ['0100', '`0100` is 100 to render (YAML 1.2) but 64 to kubectl (YAML 1.1); write 100 or 64'],
    ['-0100', '`-0100` is -100 to render (YAML 1.2) but -64 to kubectl (YAML 1.1); write -100 or -64'],
    ['yes', '`yes` is "yes" to render (YAML 1.2) but true to kubectl (YAML 1.1); write "yes" or true'],
    ['off', '`off` is "off" to render (YAML 1.2) but false to kubectl (YAML 1.1); write "off" or false'],
    ['y', '`y` is "y" to render (YAML 1.2) but true to kubectl (YAML 1.1); write "y" or true'],
    ['1_000', '`1_000` is "1_000" to render (YAML 1.2) but 1000 to kubectl (YAML 1.1); write "1_000" or 1000'],
    ['0b101', '`0b101` is "0b101" to render (YAML 1.2) but 5 to kubectl (YAML 1.1); write "0b101" or 5'],
    ['0X1F', '`0X1F` is "0X1F" to render (YAML 1.2) but 31 to kubectl (YAML 1.1); write "0X1F" or 31'],
    [
      '9007199254740993',
      '`9007199254740993` is 9007199254740992 to render (YAML 1.2) but 9007199254740993 to kubectl (YAML 1.1); write 9007199254740992 or 9007199254740993',
    ],
    ['.inf', '`.inf` is infinity, which kubectl cannot send (JSON has no infinity or NaN)'],
    ['.nan', '`.nan` is NaN, which kubectl cannot send (JSON has no infinity or NaN)'],
    // The same to both.
    ['100', undefined],
    ['08', undefined],
    ['0x1F', undefined],
    ['0o17', undefined],
    ['1e3', undefined],
    ['true', undefined],
    ['~', undefined],
    ['null', undefined],
    ['1e400', undefined],
    ['1:20', undefined],
    ['2001-12-14', undefined],
    ['get', undefined],
    ['500m', undefined],
    ['Enforce', undefined],
    ['', undefined],
  ])('%j: %s', (source, problem) => {
    expect(valueProblem(source)).toBe(problem);
  });
});

describe('keyProblem: a plain map key both make the same string of, or why not', () => {
  it.each<[string, string | undefined]>([
    ['yes', 'key `yes` is "yes" to render (YAML 1.2) but "true" to kubectl (YAML 1.1); write "yes" or "true"'],
    ['0100', 'key `0100` is "100" to render (YAML 1.2) but "64" to kubectl (YAML 1.1); write "100" or "64"'],
    ['~', 'key `~` is null to kubectl (YAML 1.1), which refuses a null key; quote it'],
    ['<<', 'key `<<` merges a map into this one for kubectl (YAML 1.1) but is an ordinary key to render (YAML 1.2); write the keys out'],
    [
      '1234567.0',
      'key `1234567.0` is "1234567" to render (YAML 1.2) but "1.234567e+06" to kubectl (YAML 1.1); write "1234567" or "1.234567e+06"',
    ],
    ['team', undefined],
    ['true', undefined],
    ['10', undefined],
    ['1.5', undefined],
    ['0x1F', undefined],
    ['example.com/tier', undefined],
  ])('%j: %s', (source, problem) => {
    expect(keyProblem(source)).toBe(problem);
  });
});

describe("goFloat32Key: strconv.FormatFloat(f, 'g', -1, 32)", () => {
  it.each<[number, string]>([
    [1.5, '1.5'],
    [1000, '1000'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [1e-5, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
    [3.14159265, '3.1415927'],
    [0, '0'],
    [Infinity, '.inf'],
    [-Infinity, '-.inf'],
    [NaN, '.nan'],
  ])('%d is %j', (f, s) => {
    expect(goFloat32Key(f)).toBe(s);
  });
});

describe('readManifests', () => {
  const refused = (text: string): { document: number; field: string; message: string }[] => {
    const r = readManifests(text);
    return r.kind === 'refused' ? [...r.problems] : [];
  };

  it('builds documents as js-yaml does, empty ones dropped, quoted scalars left alone', () => {
    expect(readManifests('---\n---\nspec:\n  priority: 100\n  q: "0100"\n  s: \'yes\'\n  b: |\n    on\n  t: !!str 0100\n')).toEqual({
      kind: 'documents',
      documents: [{ spec: { priority: 100, q: '0100', s: 'yes', b: 'on\n', t: '0100' } }],
    });
  });

  it('names the field of each differing scalar, the document and both readings', () => {
    const text =
      'spec: {priority: 10}\n---\nspec:\n  priority: 0100\n  networkPolicy: {denyIngress: yes}\n  rules: [{verbs: [get, on]}]\n  namespaceSelector: {matchLabels: {yes: x}}\n';
    expect(refused(text)).toEqual([
      { document: 2, field: 'spec.priority', message: expect.stringContaining('is 100 to render (YAML 1.2) but 64 to kubectl') as unknown },
      {
        document: 2,
        field: 'spec.networkPolicy.denyIngress',
        message: expect.stringContaining('"yes" to render (YAML 1.2) but true to kubectl') as unknown,
      },
      { document: 2, field: 'spec.rules[0].verbs[1]', message: expect.stringContaining('`on`') as unknown },
      { document: 2, field: 'spec.namespaceSelector.matchLabels', message: expect.stringContaining('key `yes`') as unknown },
    ]);
  });

  it('names keys that are not identifiers in brackets, and the document root', () => {
    expect(refused('spec: {hard: {requests.cpu: 0100}}\n').map((p) => p.field)).toEqual(['spec.hard[requests.cpu]']);
    expect(refused('0100\n').map((p) => p.field)).toEqual(['(document)']);
  });

  it('refuses a merge key, an explicit tag, a list as a key, an alias as a key', () => {
    expect(refused('base: &b {mode: Audit}\nspec:\n  <<: *b\n').map((p) => p.field)).toEqual(['spec']);
    expect(refused('spec: {priority: !!int 0100}\n')[0]?.message).toMatch(/explicit tag !!int/);
    expect(refused('spec: {? [a]\n  : b}\n')[0]?.message).toMatch(/a list as a map key/);
    expect(refused('a: &k x\nspec: {*k : b}\n')[0]?.message).toMatch(/alias \*k as a map key/);
  });

  it('refuses a cycle, naming where', () => {
    expect(refused('spec: &s {serviceAccounts: *s}\n')).toEqual([
      { document: 1, field: 'spec.serviceAccounts', message: 'alias *s is inside its own anchor (a cycle): kubectl refuses it' },
    ]);
  });

  it('counts what aliases expand to without expanding them, and refuses past the bound where it is crossed', () => {
    // 10 levels of 10 aliases: 10^10 values once expanded, 200 bytes of text.
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 10; i++)
      levels.push(`a${String(i)}: &a${String(i)} [${Array.from({ length: 10 }, () => `*a${String(i - 1)}`).join(', ')}]`);
    const started = Date.now();
    const problems = refused(`${levels.join('\n')}\n`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('a5[7]');
    expect(problems[0]?.message).toMatch(/^alias \*a4 makes the document more than 1,000,000 values once aliases are expanded/);
  });

  it('accepts aliases that stay under the bound, and counts each document on its own', () => {
    const doc = `v: &v [${Array.from({ length: 1000 }, () => 'get').join(', ')}]\nr: [${Array.from({ length: Math.floor(MAX_NODES / 1001) - 2 }, () => '*v').join(', ')}]\n`;
    const r = readManifests(`${doc}---\n${doc}`);
    expect(r.kind).toBe('documents');
  });

  it('refuses a document over the bound without any alias', () => {
    const problems = refused(`[${'0,'.repeat(MAX_NODES)}0]\n`);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^the document holds more than 1,000,000 values/)]);
  });

  it('refuses a file over MAX_BYTES before parsing it', () => {
    const problems = refused(`# ${'x'.repeat(MAX_BYTES)}\n`);
    expect(problems).toEqual([
      { document: 0, field: '(file)', message: expect.stringMatching(/^is 4,194,30\d bytes; render reads at most 4,194,304/) as unknown },
    ]);
  });

  it('reports invalid YAML as such', () => {
    expect(readManifests('a: [')).toMatchObject({ kind: 'invalid' });
    expect(readManifests('a: *nope')).toEqual({ kind: 'invalid', message: 'unidentified alias "nope" (1:5)' });
  });
});
