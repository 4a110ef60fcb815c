/**
 * The Helm chart (charts/kubeposture) takes the CRDs and every manifest that needs no value
 * from the kustomize tree, never from a hand copy: it keeps byte-for-byte copies under
 * charts/kubeposture/files/ (a chart is packaged and served on its own, so it cannot reach
 * outside its folder), which its templates render with its labels and namespace.
 *
 * `node hack/chart-files.ts` writes the copies (run it after changing crds/ or config/rbac,
 * admission, policy, guard or prometheus); test/unit/chart-files.test.ts fails while one differs.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/** Where the chart keeps its copies, relative to the repository root. */
export const CHART_FILES_DIR = 'charts/kubeposture/files';

/** Each source folder and the folder under files/ that holds its copies. */
const SOURCES: readonly (readonly [from: string, to: string])[] = [
  ['crds', 'crds'],
  ['config/rbac', 'rbac'],
  ['config/admission', 'admission'],
  ['config/policy', 'policy'],
  ['config/guard', 'guard'],
  ['config/prometheus', 'prometheus'],
];
/**
 * Not copied: what the chart templates from its values instead (grants.rules), and the
 * kube-state-metrics configuration, which goes to kube-state-metrics, not to the cluster.
 */
const NOT_COPIED = new Set(['config/rbac/grantable_default.yaml', 'config/prometheus/kube-state-metrics.yaml']);

/** Every copy, as [source, copy] paths relative to the repository root, sorted. */
export function chartFiles(): (readonly [source: string, copy: string])[] {
  return SOURCES.flatMap(([from, to]) =>
    readdirSync(join(ROOT, from))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !NOT_COPIED.has(`${from}/${f}`))
      .sort()
      .map((f) => [`${from}/${f}`, `${CHART_FILES_DIR}/${to}/${f}`] as const),
  );
}

/** The files now under files/, relative to the repository root, sorted. */
export function presentCopies(): string[] {
  return SOURCES.flatMap(([, to]) => {
    const dir = join(ROOT, CHART_FILES_DIR, to);
    try {
      return readdirSync(dir)
        .sort()
        .map((f) => `${CHART_FILES_DIR}/${to}/${f}`);
    } catch {
      return [];
    }
  });
}

/** Rewrites files/ from the sources; returns how many copies it wrote. */
export function writeChartFiles(): number {
  rmSync(join(ROOT, CHART_FILES_DIR), { recursive: true, force: true });
  const files = chartFiles();
  for (const [source, copy] of files) {
    mkdirSync(join(ROOT, copy, '..'), { recursive: true });
    writeFileSync(join(ROOT, copy), readFileSync(join(ROOT, source)));
  }
  return files.length;
}

if (import.meta.main) {
  process.stdout.write(`hack/chart-files.ts: wrote ${String(writeChartFiles())} files into ${CHART_FILES_DIR}\n`);
}
