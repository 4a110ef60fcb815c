/**
 * The image's node_modules holds `dependencies` only (the Dockerfile omits dev and optional
 * ones), so what the image runs may load nothing else, except where a missing package is
 * expected and handled. Checked on the JavaScript the image runs: src compiled as the
 * Dockerfile compiles it, then read with TypeScript's parser. Type-only imports are erased by
 * then, so what is left is exactly what Node loads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

interface Imported {
  readonly file: string;
  readonly pkg: string;
  readonly dynamic: boolean;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`); undefined for files and builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every package the JavaScript file imports, statically or with import(). */
function importsOf(file: string, text: string): Imported[] {
  const found: Imported[] = [];
  const add = (spec: ts.Expression | undefined, dynamic: boolean): void => {
    const name = spec !== undefined && ts.isStringLiteral(spec) ? packageOf(spec.text) : '(computed specifier)';
    if (name !== undefined) found.push({ file, pkg: name, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined))
      add(node.moduleSpecifier, false);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], true);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS));
  return found;
}

describe('what the image runs', () => {
  let imported: Imported[] = [];

  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), 'kp-build-'));
    try {
      const tsc = spawnSync(
        process.execPath,
        [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
        { cwd: root, encoding: 'utf8', timeout: 120_000 },
      );
      if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
      const files = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
      imported = files.flatMap((f) => importsOf(relative(out, join(out, f)), readFileSync(join(out, f), 'utf8')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('imports at load time only packages the image installs', () => {
    const statics = new Set(imported.filter((i) => !i.dynamic).map((i) => i.pkg));
    expect(statics).toContain('js-yaml');
    expect([...statics].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });

  it('reaches client-node, which the image leaves out, only through the import that names it when missing', () => {
    const elsewhere = imported.filter((i) => i.dynamic && !(i.pkg in pkg.dependencies)).map((i) => `${i.file}: ${i.pkg}`);
    expect(elsewhere).toEqual(['kube/access.js: @kubernetes/client-node']);
    expect(pkg.optionalDependencies).toHaveProperty(['@kubernetes/client-node']);
  });
});
