/**
 * `make sbom` lists exactly what the image ships. The expected packages are worked out here
 * from the lockfile and the Dockerfile's production `npm ci` flags, by npm's own omit rule,
 * without the generator or npm: a package in the SBOM the image does not install, or one the
 * image installs and the SBOM leaves out, fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

interface LockEntry {
  readonly name?: string;
  readonly version?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
  readonly peer?: boolean;
}

interface Component {
  readonly name: string;
  readonly group?: string;
  readonly version: string;
  readonly purl?: string;
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
  readonly components?: readonly Component[];
}

interface Bom {
  readonly bomFormat: string;
  readonly specVersion: string;
  readonly metadata: { readonly component?: Component };
  readonly components: readonly Component[];
}

/** The dependency types the Dockerfile's production install leaves out (its `--omit=` flags). */
function imageOmits(dockerfile: string): Set<string> {
  const installs = dockerfile.split('\n').filter((l) => /\bnpm ci\b/.test(l) && l.includes('--omit='));
  if (installs.length !== 1) throw new Error(`expected one production npm ci in the Dockerfile, found ${String(installs.length)}`);
  return new Set([...(installs[0] ?? '').matchAll(/--omit=(\w+)/g)].map((m) => m[1] ?? ''));
}

/**
 * What `npm ci --omit=…` puts in node_modules, as "path name@version" lines: every lockfile
 * entry but those npm's omit rule drops (arborist's Node.shouldOmit: a dev, optional or peer
 * flag matching an omitted type, or devOptional when both dev and optional are omitted).
 */
function installedFromLock(lock: { packages: Record<string, LockEntry> }, omit: ReadonlySet<string>): string[] {
  return Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .filter(
      ([, e]) =>
        !(
          (e.peer === true && omit.has('peer')) ||
          (e.dev === true && omit.has('dev')) ||
          (e.optional === true && omit.has('optional')) ||
          (e.devOptional === true && omit.has('dev') && omit.has('optional'))
        ),
    )
    .map(([path, e]) => `${path} ${e.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${e.version ?? '?'}`)
    .sort();
}

/** The SBOM's components, nested ones included, in the same form. */
function listed(components: readonly Component[]): string[] {
  return components
    .flatMap((c) => {
      const path = c.properties?.find((p) => p.name === 'cdx:npm:package:path')?.value ?? '(no path)';
      const name = c.group === undefined || c.group === '' ? c.name : `${c.group}/${c.name}`;
      return [`${path} ${name}@${c.version}`, ...listed(c.components ?? [])];
    })
    .sort();
}

describe('make sbom', () => {
  let bom: Bom;
  let log = '';

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-sbom-'));
    try {
      const out = join(dir, 'sbom.cdx.json');
      const run = spawnSync('bash', [join(root, 'hack', 'sbom.sh'), out], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      log = `${run.stdout}${run.stderr}`;
      if (run.status !== 0) throw new Error(`hack/sbom.sh failed (${String(run.status ?? run.signal)}):\n${log}`);
      bom = JSON.parse(readFileSync(out, 'utf8')) as Bom;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('is a CycloneDX 1.6 BOM the generator validated against the schema', () => {
    expect(log).toContain('validated against its JSON schema');
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
  });

  it('describes kubeposture at the version package.json names', () => {
    const pkg = JSON.parse(read('package.json')) as { name: string; version: string };
    expect(bom.metadata.component).toMatchObject({ name: pkg.name, version: pkg.version });
  });

  it('lists exactly the packages the image installs from the lockfile', () => {
    const expected = installedFromLock(
      JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> },
      imageOmits(read('Dockerfile')),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(listed(bom.components)).toEqual(expected);
  });

  it('names every component by its npm package URL', () => {
    const purls = (cs: readonly Component[]): (string | undefined)[] => cs.flatMap((c) => [c.purl, ...purls(c.components ?? [])]);
    for (const purl of purls(bom.components)) expect(purl).toMatch(/^pkg:npm\/.+@\d/);
  });
});
