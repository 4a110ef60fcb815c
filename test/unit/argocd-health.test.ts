/**
 * The Argo CD health check in docs/argocd runs under a real Lua 5.1 (Argo CD's
 * gopher-lua speaks 5.1) on SecurityBaseline objects in every state.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'argocd', 'securitybaseline-health.lua'), 'utf8');

/** A Lua table constructor for a JSON value. */
function lua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(lua).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${JSON.stringify(k)}] = ${lua(x)}`)
    .join(', ')}}`;
}

/** Runs the health check on `obj` and returns Argo CD's verdict. */
function health(obj: unknown): { status: string; message: string } {
  const program = `obj = ${lua(obj)}\nlocal hs = (function()\n${SCRIPT}\nend)()\nio.write(hs.status, "\\n", hs.message or "")`;
  const out = execFileSync('lua5.1', ['-'], { input: program, encoding: 'utf8' });
  const [status = '', ...message] = out.split('\n');
  return { status, message: message.join('\n') };
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
    expect(health(obj)).toEqual({ status, message });
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
