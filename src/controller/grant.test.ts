import { ApiError } from '../kube/transport.ts';
import { isGrantRefusal, whileGrantSettles } from './grant.ts';

const notHeld = new ApiError(
  403,
  'Forbidden',
  'roles.rbac.authorization.k8s.io "kubeposture-app" is forbidden: user "system:serviceaccount:kubeposture-system:kubeposture" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}',
  {},
);
const otherForbidden = new ApiError(
  403,
  'Forbidden',
  'roles.rbac.authorization.k8s.io is forbidden: User "x" cannot create resource "roles"',
  {},
);

describe('isGrantRefusal', () => {
  it.each<[string, unknown, boolean]>([
    ['the apiserver\'s "not currently held" refusal', notHeld, true],
    ['another 403 (no create verb)', otherForbidden, false],
    ['the same words with another status', new ApiError(422, 'Invalid', notHeld.message, {}), false],
    ['a plain error with the words', new Error(notHeld.message), false],
  ])('%s: %s', (_, err, want) => {
    expect(isGrantRefusal(err)).toBe(want);
  });
});

describe('whileGrantSettles', () => {
  const run = async (failures: readonly Error[], delays = [1, 2, 3]): Promise<{ result: unknown; calls: number; waits: number[] }> => {
    const waits: number[] = [];
    let calls = 0;
    const write = async (): Promise<string> => {
      const failure = failures[calls];
      calls += 1;
      if (failure !== undefined) throw failure;
      return Promise.resolve('done');
    };
    const result = await whileGrantSettles(
      write,
      async (ms) => {
        waits.push(ms);
        await Promise.resolve();
      },
      delays,
    ).catch((err: unknown) => err);
    return { result, calls, waits };
  };

  it.each<[string, Error[], unknown, number, number[]]>([
    ['succeeds at once without waiting', [], 'done', 1, []],
    ['tries again after each "not held" refusal until the write goes through', [notHeld, notHeld], 'done', 3, [1, 2]],
    ['gives up after the last wait with the refusal', [notHeld, notHeld, notHeld, notHeld], notHeld, 4, [1, 2, 3]],
    ['never retries any other error', [otherForbidden], otherForbidden, 1, []],
  ])('%s', async (_, failures, want, calls, waits) => {
    expect(await run(failures)).toEqual({ result: want, calls, waits });
  });
});
