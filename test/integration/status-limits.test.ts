/**
 * Status and Events the apiserver will take (issue 13, class 5). A baseline the
 * CRD admits but the operator's validator refuses with about two thousand
 * errors (LimitRange orderings, resource names with astral characters) shows
 * Stalled, its message cut to the CRD's 32,768 code points with a count of the
 * errors left out; the Event recorded about a baseline with a 253-character
 * name is stored. First, the limits themselves, on the real apiserver with
 * dryRun: a condition message of 32,768 code points (65,536 UTF-16 units) is
 * taken and one more refused; an Event note of 1,024 UTF-8 bytes is taken and
 * 1,025 refused.
 */
import { randomBytes } from 'node:crypto';
import { API_VERSION, FINALIZER } from '../../src/api/constants.ts';
import { EVENT_LIMITS, STATUS_LIMITS, clip, eventName, measure } from '../../src/api/output-limits.ts';
import { formatErrors, parseSecurityBaseline } from '../../src/api/validate.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { eventually, refusal, uniqueName } from '../support/cluster.ts';
import { installDefaultConfig, startAsOperator } from '../support/identity.ts';
import type { TestOperator } from '../support/operator.ts';
import {
  RESTRICTED_SPEC,
  baselineManifest,
  condition,
  createBaseline,
  deleteBaseline,
  readBaseline,
  timed,
  user,
} from '../support/world.ts';

let op: TestOperator;
beforeAll(async () => {
  await installDefaultConfig();
  op = await startAsOperator();
});
afterAll(async () => {
  await op.stop();
});

const codePoints = (s: string): number => measure(s, 'codePoints');

/** A valid object name of exactly 253 characters. */
function longName(): string {
  const base = uniqueName('limits');
  return [base, 'a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(60 - base.length)].join('.');
}

/** 20 LimitRange items × 16 resources, each min > defaultRequest > default > max: six errors per resource. */
function unworkableLimits(): Record<string, unknown> {
  const resources = Array.from({ length: 16 }, (_, j) => `example.com/${'🔒'.repeat(40)}-${String(j)}`);
  const each = (q: string): Record<string, string> => Object.fromEntries(resources.map((r) => [r, q]));
  return {
    limits: Array.from({ length: 20 }, () => ({
      type: 'Container',
      min: each('4'),
      defaultRequest: each('3'),
      default: each('2'),
      max: each('1'),
    })),
  };
}

describe('the apiserver counts as kubeposture does', () => {
  it('takes a condition message of 32768 code points, not one more', async () => {
    const name = await createBaseline(baselineManifest(uniqueName('none'), RESTRICTED_SPEC));
    const patch = (message: string): Promise<unknown> =>
      user.request('PATCH', `${resourcePath('SecurityBaseline', undefined, name)}/status`, {
        body: {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'R'.repeat(STATUS_LIMITS.conditionReason),
                message,
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        },
        contentType: 'application/merge-patch+json',
        query: { dryRun: 'All' },
      });
    const atLimit = '😀'.repeat(STATUS_LIMITS.conditionMessage);
    expect(atLimit.length).toBeGreaterThan(STATUS_LIMITS.conditionMessage);
    await patch(atLimit);
    const over = await refusal(() => patch(`${atLimit}x`));
    expect(over).toMatchObject({ status: 422, message: expect.stringContaining('status.conditions[0].message') as unknown });
    await deleteBaseline(name);
  });

  it('takes an Event note of 1024 bytes and a 253-character name, not one byte more', async () => {
    const post = (note: string, name = `limits.${randomBytes(8).toString('hex')}`): Promise<unknown> =>
      user.request('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace: 'default' },
          eventTime: new Date().toISOString().replace(/Z$/, '000Z'),
          reportingController: 'kubeposture.io/operator',
          reportingInstance: 'test',
          action: 'Test',
          reason: 'Test',
          note,
          type: 'Normal',
          regarding: { apiVersion: 'v1', kind: 'Namespace', name: 'default' },
        },
        query: { dryRun: 'All' },
      });
    const atLimit = clip('é'.repeat(2000), EVENT_LIMITS.note, 'bytes');
    expect(measure(atLimit, 'bytes')).toBeGreaterThan(EVENT_LIMITS.note - 2);
    await post(atLimit);
    await post('x', eventName('x'.repeat(300), randomBytes(8).toString('hex')));
    expect(await refusal(() => post(`${'é'.repeat(512)}a`))).toMatchObject({ status: 422 });
    expect(await refusal(() => post('x', `${'x'.repeat(237)}.${randomBytes(8).toString('hex')}`))).toMatchObject({ status: 422 });
  });
});

describe('a baseline with thousands of errors', () => {
  it('shows Stalled with as many errors as fit and how many more; its Event is stored', async () => {
    const name = longName();
    expect(name).toHaveLength(253);
    const manifest = baselineManifest(uniqueName('g'), { ...RESTRICTED_SPEC, limitRange: unworkableLimits() }, name);
    await createBaseline(manifest);
    // The errors of the object as stored (the apiserver sorts map keys), as the operator reads it.
    const parsed = parseSecurityBaseline(await readBaseline(name));
    if (parsed.ok) throw new Error('the spec was meant to be invalid');
    const errors = parsed.errors.map((e) => formatErrors([e]));
    expect(errors.length).toBeGreaterThan(1000);

    const stalled = await eventually(async () => {
      const b = await readBaseline(name);
      const s = condition(b, 'Stalled');
      if (s?.status !== 'True') throw new Error(`${name} not Stalled yet`);
      // The status can be written before the finalizer is added (separate queues): deleted before
      // it, the baseline goes at once, with nothing to clean up and so no CleanupDone (below).
      if (!(b?.metadata.finalizers ?? []).includes(FINALIZER)) throw new Error(`${name} has no finalizer yet`);
      return s;
    }, 30_000);
    expect(stalled.reason).toBe('InvalidSpec');
    const m = /^spec cannot be acted on: (.*); …and (\d+) more errors$/su.exec(stalled.message);
    if (m === null) throw new Error(`unexpected message ending ${stalled.message.slice(-200)}`);
    const shown = (m[1] ?? '').split('; ');
    expect(shown).toEqual(errors.slice(0, shown.length));
    expect(shown.length + Number(m[2])).toBe(errors.length);
    // Filled to the limit as the apiserver counts it (code points), though UTF-16 makes it longer.
    expect(codePoints(stalled.message)).toBeLessThanOrEqual(STATUS_LIMITS.conditionMessage);
    expect(codePoints(stalled.message)).toBeGreaterThan(STATUS_LIMITS.conditionMessage - Math.max(...errors.map(codePoints)) - 30);
    expect(stalled.message.length).toBeGreaterThan(STATUS_LIMITS.conditionMessage);
    expect(condition(await readBaseline(name), 'Ready')?.message).toBe(stalled.message);

    const uid = (await readBaseline(name))?.metadata.uid;
    await deleteBaseline(name);
    await timed(async () => {
      expect(await readBaseline(name)).toBeUndefined();
    }, 30_000);
    await timed(async () => {
      const list = (await user.request('GET', resourcePath('Event', 'default'))) as
        { items?: { metadata: { name: string }; reason?: string; regarding?: { uid?: string; apiVersion?: string } }[] } | undefined;
      const mine = (list?.items ?? []).filter((e) => e.regarding?.uid === uid && e.regarding?.apiVersion === API_VERSION);
      expect(mine.map((e) => e.reason)).toContain('CleanupDone');
      for (const e of mine) expect(e.metadata.name.length).toBeLessThanOrEqual(EVENT_LIMITS.name);
    }, 15_000);
  });
});
