import { appliedObjects, baselineWith } from '../../test/support/baselines.ts';
import { inputsAfterUpdates, sameInputs, type PlanInputs, type WrittenUpdate } from './inputs.ts';
import type { WireObject } from '../kube/wire.ts';

const sb = baselineWith('sb', { namespaceSelector: { matchLabels: { team: 'a' } }, resourceQuota: { hard: { pods: '60' } } });
const quota = appliedObjects(sb, 'team-a').find((c) => c.kind === 'ResourceQuota');
if (quota === undefined) throw new Error('the baseline makes no quota');
const desired = quota.object as unknown as WrittenUpdate['desired'];
const old = { ...quota.object, spec: { hard: { pods: '50' } } } as unknown as WireObject;

const planned: PlanInputs = { objects: 5, sum: 500, baselines: 3, exemptions: 2 };
// The quota was at version 100 when planned, and is cached at 140 as written.
const write: WrittenUpdate = { desired, planned: { version: 100, object: old }, now: { version: 140, object: quota.object } };

describe('inputsAfterUpdates', () => {
  it('gives the inputs after the writes when they moved by the written objects alone, each cached as written', () => {
    const now = { ...planned, sum: 540 };
    expect(inputsAfterUpdates(planned, now, [write])).toBe(now);
    expect(sameInputs(inputsAfterUpdates(planned, now, [write]), now)).toBe(true);
  });

  it('gives none when anything else moved: the sum, the count, the baselines or the exceptions', () => {
    expect(inputsAfterUpdates(planned, { ...planned, sum: 541 }, [write])).toBeUndefined();
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540, objects: 6 }, [write])).toBeUndefined();
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540, baselines: 4 }, [write])).toBeUndefined();
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540, exemptions: 3 }, [write])).toBeUndefined();
    expect(inputsAfterUpdates(planned, undefined, [write])).toBeUndefined();
  });

  it('gives none without writes, or with a written object not cached then or now', () => {
    expect(inputsAfterUpdates(planned, planned, [])).toBeUndefined();
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540 }, [{ ...write, now: undefined }])).toBeUndefined();
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540 }, [{ ...write, planned: undefined }])).toBeUndefined();
  });

  it('gives none when the object cached now is not as written (a mutating webhook), or is another object of that name', () => {
    const changed = { ...quota.object, spec: { hard: { pods: '70' } } } as unknown as WireObject;
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540 }, [{ ...write, now: { version: 140, object: changed } }])).toBeUndefined();
    const another = { ...quota.object, metadata: { ...quota.object.metadata, uid: 'someone-else' } };
    expect(inputsAfterUpdates(planned, { ...planned, sum: 540 }, [{ ...write, now: { version: 140, object: another } }])).toBeUndefined();
  });
});
