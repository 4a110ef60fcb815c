import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildInfo, versionText } from './version.ts';

/** A folder with a package.json of `version`, and a .git when `checkout`. */
function folder(version: unknown, checkout: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'kp-version-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'kubeposture', version }));
  if (checkout) mkdirSync(join(dir, '.git'));
  return dir;
}

describe('readBuildInfo', () => {
  it("reads package.json's version and asks git for the commit of a checkout", () => {
    const dir = folder('1.2.3', true);
    const asked: (readonly string[])[] = [];
    const info = readBuildInfo(dir, (args) => {
      asked.push(args);
      return '0123456789ab\n';
    });
    expect(info).toEqual({ version: '1.2.3', commit: '0123456789ab' });
    expect(asked).toEqual([['-C', dir, 'rev-parse', '--short=12', 'HEAD']]);
  });

  it('asks git nothing where there is no .git (the image), and gives the version alone', () => {
    const info = readBuildInfo(folder('1.2.3', false), () => {
      throw new Error('git asked');
    });
    expect(info).toEqual({ version: '1.2.3', commit: undefined });
  });

  it('gives the version alone when git cannot answer', () => {
    expect(readBuildInfo(folder('1.2.3', true), () => undefined)).toEqual({ version: '1.2.3', commit: undefined });
    expect(readBuildInfo(folder('1.2.3', true), () => '')).toEqual({ version: '1.2.3', commit: undefined });
  });

  it('refuses a package.json without a version', () => {
    expect(() => readBuildInfo(folder(7, false))).toThrow(/package\.json has no version/);
  });
});

describe('versionText', () => {
  it('prints the version, the commit when known, and the API version', () => {
    expect(versionText({ version: '0.1.0', commit: 'abc' }, 'kubeposture.io/v1alpha1')).toBe(
      'version: 0.1.0\ncommit: abc\napiVersion: kubeposture.io/v1alpha1\n',
    );
    expect(versionText({ version: '0.1.0', commit: undefined }, 'kubeposture.io/v1alpha1')).toBe(
      'version: 0.1.0\napiVersion: kubeposture.io/v1alpha1\n',
    );
  });
});
