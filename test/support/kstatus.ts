/**
 * kstatus and API-convention rules for a SecurityBaseline's conditions, as
 * Flux and Argo CD read them.
 */
import type { Baseline } from './world.ts';

const PASCAL = /^[A-Z][A-Za-z0-9]*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Every rule the baseline's status breaks; empty when it is well-formed. */
export function kstatusProblems(b: Baseline | undefined): string[] {
  if (b === undefined) return ['no baseline'];
  const out: string[] = [];
  const status = b.status;
  if (status === undefined) return ['no status'];
  if (status.observedGeneration === undefined) out.push('status.observedGeneration missing');
  const conditions = status.conditions ?? [];
  const types = conditions.map((c) => c.type);
  if (new Set(types).size !== types.length) out.push(`duplicate condition types: ${types.join(',')}`);
  if (!types.includes('Ready')) out.push('no Ready condition');
  for (const c of conditions) {
    if (!['True', 'False', 'Unknown'].includes(c.status)) out.push(`${c.type}: status ${c.status}`);
    if (!PASCAL.test(c.reason)) out.push(`${c.type}: reason ${JSON.stringify(c.reason)} is not PascalCase`);
    if (c.message.trim() === '') out.push(`${c.type}: empty message`);
    if (!RFC3339.test(c.lastTransitionTime)) out.push(`${c.type}: lastTransitionTime ${c.lastTransitionTime}`);
    if (c.observedGeneration === undefined) out.push(`${c.type}: no observedGeneration`);
    else if (c.observedGeneration > (b.metadata.generation ?? 0)) out.push(`${c.type}: observedGeneration ahead of generation`);
    // Abnormal-true conditions appear only while true.
    if ((c.type === 'Reconciling' || c.type === 'Stalled') && c.status !== 'True') out.push(`${c.type} present while ${c.status}`);
  }
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True' && types.includes('Reconciling')) out.push('Ready=True while Reconciling');
  if (ready?.status === 'True' && types.includes('Stalled')) out.push('Ready=True while Stalled');
  return out;
}
