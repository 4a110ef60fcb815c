/**
 * The Helm chart takes the CRDs and its value-free manifests from crds/ and config/, as copies
 * under charts/kubeposture/files/ (hack/chart-files.ts writes them); and the comparison that
 * test/integration/chart.test.ts makes between the chart and kustomize sees every difference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartFiles, presentCopies } from '../../hack/chart-files.ts';
import { compareManifests, normalise, type Manifest } from '../support/manifests.ts';

const root = join(import.meta.dirname, '..', '..');

describe("the chart's copies of crds/ and config/", () => {
  it('include both CRDs', () => {
    expect(chartFiles().map(([source]) => source)).toEqual(
      expect.arrayContaining(['crds/securitybaselines.kubeposture.io.yaml', 'crds/securitybaselineexceptions.kubeposture.io.yaml']),
    );
  });

  it.each(chartFiles())('%s is copied byte for byte to %s (else: node hack/chart-files.ts)', (source, copy) => {
    expect(readFileSync(join(root, copy), 'utf8')).toBe(readFileSync(join(root, source), 'utf8'));
  });

  it('are all that files/ holds: no copy of a file that is gone', () => {
    expect(presentCopies()).toEqual(chartFiles().map(([, copy]) => copy));
  });
});

const role = (name: string, verbs: string[], labels: Record<string, string> = {}): Manifest => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels: { 'app.kubernetes.io/part-of': 'kubeposture', ...labels } },
  rules: [{ apiGroups: [''], resources: ['pods'], verbs }],
});
const helmLabels = {
  'helm.sh/chart': 'kubeposture-0.1.0',
  'app.kubernetes.io/managed-by': 'Helm',
  'app.kubernetes.io/instance': 'kubeposture',
  'app.kubernetes.io/version': '0.1.0',
};

describe('compareManifests', () => {
  const kustomize = [role('a', ['get']), role('b', ['get'])];
  const names = ['kustomize', 'helm'] as const;

  it("sees no difference in Helm's labels and keep annotation alone", () => {
    const chart = kustomize.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...helmLabels } } }));
    const kept = {
      ...role('a', ['get'], helmLabels),
      metadata: { ...role('a', ['get'], helmLabels).metadata, annotations: { 'helm.sh/resource-policy': 'keep' } },
    };
    expect(normalise(kept)).toEqual(role('a', ['get']));
    expect(compareManifests(kustomize, [kept, ...chart.slice(1)], names)).toEqual([]);
  });

  it('names an object one side lacks, or has twice', () => {
    expect(compareManifests(kustomize, [role('a', ['get'])], names)).toEqual([
      'rbac.authorization.k8s.io/ClusterRole//b: only in kustomize',
    ]);
    expect(compareManifests([role('a', ['get'])], kustomize, names)).toEqual(['rbac.authorization.k8s.io/ClusterRole//b: only in helm']);
    expect(compareManifests(kustomize, [...kustomize, role('b', ['get'])], names)).toEqual([
      'rbac.authorization.k8s.io/ClusterRole//b: twice in helm',
    ]);
  });

  it('names each field that differs, gained, or lost, down to list items and labels', () => {
    const changed = [role('a', ['get', 'list'], { other: 'x' }), { ...role('b', ['get']), aggregationRule: {} }];
    expect(compareManifests(kustomize, changed, names)).toEqual([
      'rbac.authorization.k8s.io/ClusterRole//a: metadata.labels.other differs',
      'rbac.authorization.k8s.io/ClusterRole//a: rules.0.verbs.1 differs',
      'rbac.authorization.k8s.io/ClusterRole//b: aggregationRule differs',
    ]);
  });
});
