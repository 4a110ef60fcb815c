/**
 * Files of upstream projects as they ship them: each module pinned in
 * test/upstream/go.mod is downloaded from the Go module proxy (checked against
 * test/upstream/go.sum) and read from the module cache. The OpenReports CRDs the
 * report tests install come from here (and the legacy PolicyReport ones, from Kyverno's
 * module), never from a copy in this repository.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl } from './kubectl.ts';

const UPSTREAM = join(dirname(fileURLToPath(import.meta.url)), '..', 'upstream');

export const OPENREPORTS_MODULE = 'github.com/openreports/reports-api';
/** Ships the legacy wgpolicyk8s.io/v1alpha2 PolicyReport CRDs (test/upstream/go.mod says why this module). */
export const KYVERNO_MODULE = 'github.com/kyverno/kyverno';

/** The version test/upstream/go.mod pins for `module`. */
export function pinnedVersion(module: string): string {
  const goMod = readFileSync(join(UPSTREAM, 'go.mod'), 'utf8');
  const line = goMod.split('\n').find((l) => l.trim().startsWith(`${module} `) || l.trim().startsWith(`require ${module} `));
  const version = line?.trim().split(/\s+/).pop();
  if (version?.startsWith('v') !== true) throw new Error(`test/upstream/go.mod pins no version of ${module}`);
  return version;
}

/** The directory of the pinned `module` in the Go module cache, downloaded when missing. */
export function moduleDir(module: string): string {
  const version = pinnedVersion(module);
  const out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: UPSTREAM,
    env: { ...process.env, GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' },
    encoding: 'utf8',
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (dir === undefined) throw new Error(`go mod download ${module}@${version} gave no directory`);
  return dir;
}

/** The files of OpenReports' CRDs in the pinned module. */
export function openReportsCrdFiles(): string[] {
  const dir = join(moduleDir(OPENREPORTS_MODULE), 'config', 'crd');
  return ['openreports.io_reports.yaml', 'openreports.io_clusterreports.yaml'].map((f) => join(dir, f));
}

/** kubectl arguments that install OpenReports' CRDs as the pinned module ships them, then wait until both are Established. */
export function openReportsInstallSteps(): string[][] {
  return [
    ['apply', '--server-side', ...openReportsCrdFiles().flatMap((f) => ['-f', f])],
    ['wait', '--for=condition=Established', 'crd/reports.openreports.io', 'crd/clusterreports.openreports.io', '--timeout=60s'],
  ];
}

/** Installs OpenReports' CRDs on the test control plane. */
export async function installOpenReports(): Promise<void> {
  for (const step of openReportsInstallSteps()) await kubectl(...step);
}

/** Removes OpenReports' CRDs (and with them every Report), waiting until they are gone. */
export async function removeOpenReports(): Promise<void> {
  await kubectl(
    'delete',
    '--ignore-not-found',
    '--wait=true',
    '--timeout=60s',
    'crd/reports.openreports.io',
    'crd/clusterreports.openreports.io',
  );
}

const LEGACY_CRDS = ['policyreports.wgpolicyk8s.io', 'clusterpolicyreports.wgpolicyk8s.io'];

/** Installs the legacy wgpolicyk8s.io/v1alpha2 PolicyReport CRDs as the pinned Kyverno module ships them. */
export async function installLegacyPolicyReports(): Promise<void> {
  const dir = join(moduleDir(KYVERNO_MODULE), 'config', 'crds', 'policyreport');
  await kubectl(
    'apply',
    '--server-side',
    ...LEGACY_CRDS.map((c) => ['-f', join(dir, `wgpolicyk8s.io_${c.split('.')[0] ?? ''}.yaml`)]).flat(),
  );
  await kubectl('wait', '--for=condition=Established', ...LEGACY_CRDS.map((c) => `crd/${c}`), '--timeout=60s');
}

/** Removes the legacy CRDs (and every PolicyReport), waiting until they are gone. */
export async function removeLegacyPolicyReports(): Promise<void> {
  await kubectl('delete', '--ignore-not-found', '--wait=true', '--timeout=60s', ...LEGACY_CRDS.map((c) => `crd/${c}`));
}
