import { apiserverJudges, CLEAN, describeVerdict, isClean, podSecurityVerdict, refusedPods, verdictFindings } from './pod-security.ts';

const HEADER = 'existing pods in namespace "team-a" violate the new PodSecurity enforce level "restricted:latest"';

describe('podSecurityVerdict', () => {
  it('is clean when the apiserver said nothing about pods', () => {
    expect(podSecurityVerdict([])).toBe(CLEAN);
    expect(isClean(podSecurityVerdict(['some other warning: about something else']))).toBe(true);
  });

  it('reads the level and one line per reason, with how many pods share it', () => {
    const v = podSecurityVerdict([
      HEADER,
      'debug: privileged (container "box" must not set securityContext.privileged=true)',
      'web-7c9d-abcde (and 1 other pod): allowPrivilegeEscalation != false, seccompProfile',
      'api-0 (and 12 other pods): runAsNonRoot != true',
    ]);
    expect(v.level).toBe('restricted:latest');
    expect(v.partial).toBeUndefined();
    expect(v.violations).toEqual([
      { pod: 'debug', others: 0, reasons: 'privileged (container "box" must not set securityContext.privileged=true)' },
      { pod: 'web-7c9d-abcde', others: 1, reasons: 'allowPrivilegeEscalation != false, seccompProfile' },
      { pod: 'api-0', others: 12, reasons: 'runAsNonRoot != true' },
    ]);
    expect(refusedPods(v)).toBe(16);
    expect(isClean(v)).toBe(false);
  });

  it('takes only the lines that follow the header as pods', () => {
    const v = podSecurityVerdict(['metadata.name: not a pod line', HEADER, 'a: x', 'Some Title: not a pod']);
    expect(v.violations.map((x) => x.pod)).toEqual(['a']);
  });

  it('a partial check is never clean, with or without violations', () => {
    const limited = podSecurityVerdict(['new PodSecurity enforce level only checked against the first 3000 of 3001 existing pods']);
    expect(limited.partial).toMatchObject({ type: 'limited', checked: 3000, total: 3001 });
    expect(limited.violations).toEqual([]);
    expect(isClean(limited)).toBe(false);
    const both = podSecurityVerdict([
      'new PodSecurity enforce level only checked against the first 2 of 4 existing pods',
      HEADER,
      'p (and 1 other pod): m',
    ]);
    expect(both.partial?.type).toBe('limited');
    expect(refusedPods(both)).toBe(2);
    const failed = podSecurityVerdict(['failed to list pods while checking new PodSecurity enforce level']);
    expect(failed.partial?.type).toBe('failed');
    expect(isClean(failed)).toBe(false);
  });

  it('says what would be refused, and what was not judged, in one line', () => {
    const v = podSecurityVerdict([
      'new PodSecurity enforce level only checked against the first 3000 of 3500 existing pods',
      HEADER,
      'a: r1',
      'b (and 2 other pods): r2',
      'c: r3',
      'd: r4',
    ]);
    expect(describeVerdict(v)).toBe(
      '6 existing pods would be refused by restricted:latest (a: r1; b and 2 more: r2; c: r3; 1 more reason); ' +
        'only 3000 of 3500 pods were checked, so the rest are not known to pass',
    );
    expect(describeVerdict(podSecurityVerdict([HEADER, 'a: r1']))).toBe('1 existing pod would be refused by restricted:latest (a: r1)');
  });
});

describe('verdictFindings', () => {
  it('makes one finding per reason, about its first pod, and one for pods not judged', () => {
    const v = podSecurityVerdict([
      'new PodSecurity enforce level only checked against the first 3000 of 3001 existing pods',
      HEADER,
      'a (and 2 other pods): r1',
      'b: r2',
    ]);
    expect(verdictFindings('team-a', v)).toEqual([
      {
        type: 'PodSecurityViolations',
        namespace: 'team-a',
        kind: 'Pod',
        name: 'a',
        message: 'pod a and 2 more pods would be refused by restricted:latest when next created: r1',
      },
      {
        type: 'PodSecurityViolations',
        namespace: 'team-a',
        kind: 'Pod',
        name: 'b',
        message: 'pod b would be refused by restricted:latest when next created: r2',
      },
      {
        type: 'PodSecurityViolations',
        namespace: 'team-a',
        kind: 'Namespace',
        name: 'team-a',
        message: 'the apiserver checked only 3000 of 3001 pods against restricted:latest: the others are not known to pass',
      },
    ]);
    expect(verdictFindings('team-a', CLEAN)).toEqual([]);
    // A partial check with no violation does not name the level: the one asked for is named.
    const partial = podSecurityVerdict(['new PodSecurity enforce level only checked against the first 3000 of 3001 existing pods']);
    expect(verdictFindings('team-a', partial, 'pending', 'restricted:latest')[0]).toEqual({
      type: 'PodSecurityPending',
      namespace: 'team-a',
      kind: 'Namespace',
      name: 'team-a',
      message: 'the apiserver checked only 3000 of 3001 pods against restricted:latest: the others are not known to pass',
    });
  });

  it('says what each use means for the pods', () => {
    const v = podSecurityVerdict([
      'existing pods in namespace "team-a" violate the new PodSecurity enforce level "restricted:latest"',
      'web-1: runAsNonRoot != true',
    ]);
    const said = (use: 'enforced' | 'pending' | 'preview'): string => {
      const [f] = verdictFindings('team-a', v, use);
      return `${f?.type ?? ''} ${f?.message ?? ''}`;
    };
    expect(said('enforced')).toBe(
      'PodSecurityViolations pod web-1 would be refused by restricted:latest when next created: runAsNonRoot != true',
    );
    expect(said('pending')).toBe(
      'PodSecurityPending pod web-1 holds enforce back from restricted:latest (rollout WhenClean): runAsNonRoot != true',
    );
    expect(said('preview')).toBe(
      'PodSecurityViolations pod web-1 would be refused by restricted:latest if it were enforced (the baseline is in Audit mode): runAsNonRoot != true',
    );
  });
});

describe('apiserverJudges', () => {
  it('is true for a tightening or a new version, never for privileged or a loosening', () => {
    expect(apiserverJudges(undefined, 'restricted:latest')).toBe(true);
    expect(apiserverJudges('baseline:latest', 'restricted:latest')).toBe(true);
    expect(apiserverJudges('restricted:v1.30', 'restricted:latest')).toBe(true);
    expect(apiserverJudges('restricted:latest', 'baseline:v1.30')).toBe(true);
    expect(apiserverJudges('restricted:latest', 'baseline:latest')).toBe(false);
    expect(apiserverJudges('baseline:latest', 'baseline:latest')).toBe(false);
    expect(apiserverJudges(undefined, 'privileged:latest')).toBe(false);
    expect(apiserverJudges('restricted:v1.30', 'privileged:latest')).toBe(false);
  });
});
