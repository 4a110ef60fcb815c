/**
 * The Argo CD health check in docs/argocd runs on gopher-lua, the Lua VM Argo CD
 * embeds, opened as Argo CD opens it for a health check from argocd-cm
 * (test/lua/main.go), on SecurityBaseline objects in every state.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT_FILE = join(ROOT, 'docs', 'argocd', 'securitybaseline-health.lua');
const SCRIPT = readFileSync(SCRIPT_FILE, 'utf8');

let binary = '';
beforeAll(() => {
  // Cached after the first build (make test builds it first; cold, about 15 s).
  binary = execFileSync('bash', [join(ROOT, 'test', 'lua', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}, 180_000);

/** Argo CD's verdict on `obj` from the health script in `scriptFile`, or the VM's error. */
function evaluate(obj: unknown, scriptFile = SCRIPT_FILE): { status: string; message: string } | { error: string } {
  const r = spawnSync(binary, [scriptFile], { input: JSON.stringify(obj), encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return { error: r.stderr };
  const { status, message = '' } = JSON.parse(r.stdout) as { status: string; message?: string };
  return { status, message };
}

const cond = (type: string, status: string, reason: string, message = `${type} ${status}`): Record<string, unknown> => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 2,
  lastTransitionTime: '2026-11-24T10:00:00Z',
});
const sb = (status: unknown, generation = 2): Record<string, unknown> => ({ metadata: { name: 'b', generation }, status });

describe('the Argo CD health check', () => {
  it.each<[string, string, string, unknown]>([
    ['no status yet', 'Progressing', 'Waiting for kubeposture to observe the baseline', sb(undefined)],
    [
      'an older generation observed',
      'Progressing',
      'Waiting for kubeposture to observe generation 2',
      sb({ observedGeneration: 1, conditions: [cond('Ready', 'True', 'Reconciled')] }),
    ],
    [
      'rolling out',
      'Progressing',
      'Applying generation 2',
      sb({
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'Progressing'), cond('Reconciling', 'True', 'Progressing', 'Applying generation 2')],
      }),
    ],
    [
      'an invalid spec',
      'Degraded',
      'spec.mode: bad',
      sb({
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'InvalidSpec'), cond('Stalled', 'True', 'InvalidSpec', 'spec.mode: bad')],
      }),
    ],
    [
      'failing namespaces',
      'Degraded',
      '1 of 3 namespaces failed',
      sb({ observedGeneration: 2, conditions: [cond('Ready', 'False', 'ReconcileFailed', '1 of 3 namespaces failed')] }),
    ],
    [
      'drift it cannot repair',
      'Degraded',
      '2 of 9 namespaces drift',
      sb({
        observedGeneration: 2,
        conditions: [cond('Ready', 'True', 'Reconciled'), cond('Compliant', 'False', 'DriftDetected', '2 of 9 namespaces drift')],
      }),
    ],
    [
      'compliant',
      'Healthy',
      'Generation 2 applied to 9 namespaces',
      sb({
        observedGeneration: 2,
        conditions: [cond('Ready', 'True', 'Reconciled', 'Generation 2 applied to 9 namespaces'), cond('Compliant', 'True', 'NoDrift')],
      }),
    ],
    [
      'being deleted',
      'Progressing',
      'Removing managed objects',
      sb({
        observedGeneration: 2,
        conditions: [
          cond('Ready', 'False', 'Terminating', 'Deleting'),
          cond('Reconciling', 'True', 'Terminating', 'Removing managed objects'),
        ],
      }),
    ],
  ])('%s → %s', (_name, status, message, obj) => {
    expect(evaluate(obj)).toEqual({ status, message });
  });

  it('is the script docs/gitops.md shows', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'gitops.md'), 'utf8');
    const indented = SCRIPT.trimEnd()
      .split('\n')
      .map((l) => (l === '' ? '' : `    ${l}`))
      .join('\n');
    expect(doc).toContain(indented);
  });
});

describe('the VM the check runs on, set up as Argo CD sets it up for argocd-cm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-lua-'));
  const script = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each<[string, string, { status: string; message: string } | { error: RegExp }]>([
    ['reads obj as a table', 'return {status = "Healthy", message = obj.metadata.name}', { status: 'Healthy', message: 'b' }],
    ['opens no string library', 'return {status = "Healthy", message = string.format("%d", 1)}', { error: /key 'format'/ }],
    ['has no global os', 'os.exit(3)', { error: /non-table object\(nil\) with key 'exit'/ }],
    [
      'gives require("os") only time and date',
      'local os = require("os"); return {status = "Healthy", message = type(os.time()) .. " " .. type(os.date) .. " " .. type(os.exit)}',
      { status: 'Healthy', message: 'number function nil' },
    ],
    [
      'turns a status Argo CD does not know into Unknown',
      'return {status = "Fine"}',
      { status: 'Unknown', message: 'Lua returned an invalid health status' },
    ],
    ['refuses a result that is not a table', 'return "Healthy"', { error: /expect table output from Lua script, not string/ }],
    ['stops a script after a second', 'while true do end', { error: /context deadline exceeded/ }],
  ])('%s', (name, text, want) => {
    const got = evaluate(sb(undefined), script(`${name.replace(/\W+/g, '-')}.lua`, text));
    if ('error' in want) expect('error' in got ? got.error : JSON.stringify(got)).toMatch(want.error);
    else expect(got).toEqual(want);
  });
});
