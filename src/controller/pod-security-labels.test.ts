import { enforceLabel, holdEnforce, sameRecord, type PodSecurityRecord } from './reconciler.ts';

const P = 'pod-security.kubernetes.io/';

describe('enforceLabel', () => {
  it('is level:version, "latest" without a version label, undefined without a level', () => {
    expect(enforceLabel({ [`${P}enforce`]: 'restricted' })).toBe('restricted:latest');
    expect(enforceLabel({ [`${P}enforce`]: 'baseline', [`${P}enforce-version`]: 'v1.30' })).toBe('baseline:v1.30');
    expect(enforceLabel({ [`${P}warn`]: 'restricted' })).toBeUndefined();
    expect(enforceLabel(undefined)).toBeUndefined();
  });
});

describe('holdEnforce', () => {
  const wanted = {
    [`${P}enforce`]: 'restricted',
    [`${P}enforce-version`]: 'latest',
    [`${P}warn`]: 'restricted',
    [`${P}warn-version`]: 'latest',
  };

  it('keeps the live enforce level and version, and moves the rest', () => {
    expect(holdEnforce(wanted, { [`${P}enforce`]: 'baseline', [`${P}enforce-version`]: 'v1.30', team: 'a' })).toEqual({
      [`${P}enforce`]: 'baseline',
      [`${P}enforce-version`]: 'v1.30',
      [`${P}warn`]: 'restricted',
      [`${P}warn-version`]: 'latest',
    });
  });

  it('leaves enforce out where the namespace has none (an apply without it gives back what kubeposture set)', () => {
    expect(holdEnforce(wanted, { team: 'a' })).toEqual({ [`${P}warn`]: 'restricted', [`${P}warn-version`]: 'latest' });
    expect(holdEnforce(wanted, undefined)).toEqual({ [`${P}warn`]: 'restricted', [`${P}warn-version`]: 'latest' });
  });
});

describe('sameRecord', () => {
  const finding = (message: string): PodSecurityRecord['findings'][number] => ({
    type: 'PodSecurityPending',
    namespace: 'a',
    kind: 'Pod',
    name: 'debug',
    message,
  });
  const held = (message: string): PodSecurityRecord => ({ state: 'pending', enforce: 'restricted:latest', findings: [finding(message)] });
  const preview = (at: number): PodSecurityRecord => ({
    state: 'preview',
    from: 'baseline:latest',
    enforce: 'restricted:latest',
    pods: '7',
    at,
    findings: [finding('m')],
  });

  it('is true for the same verdict asked again, false when a pod, the level or the state differs', () => {
    expect(sameRecord(held('m'), held('m'))).toBe(true);
    expect(sameRecord(held('m'), held('n'))).toBe(false);
    expect(sameRecord(held('m'), { ...held('m'), enforce: 'baseline:latest' })).toBe(false);
    expect(sameRecord(held('m'), { state: 'enforced', enforce: 'restricted:latest', findings: [finding('m')] })).toBe(false);
    expect(sameRecord(undefined, undefined)).toBe(true);
    expect(sameRecord(held('m'), undefined)).toBe(false);
  });

  it('is true for a preview only when it is the same one (a new one says when to ask again)', () => {
    const p = preview(1);
    expect(sameRecord(p, p)).toBe(true);
    expect(sameRecord(p, preview(1))).toBe(false);
    expect(sameRecord(p, held('m'))).toBe(false);
  });
});
