/**
 * What the reconciler's updates rely on (plan.ts, `update.uid`): a server-side apply that
 * carries the live object's uid never creates an object, and never writes to another object
 * of the same name. Without the uid, an apply to a name deleted since the cache saw it made a
 * new object whose uid no record held: a Conflict for good (the 10,000-namespace soak found
 * one; its queue never drained).
 */
import { FIELD_MANAGER } from '../../src/api/constants.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { createNamespaces, user } from '../support/world.ts';

let ns = '';

beforeAll(async () => {
  [ns = ''] = await createNamespaces('apply-uid', 1, {});
});

const sa = (uid?: string): { apiVersion: string; kind: 'ServiceAccount'; metadata: { name: string; namespace: string; uid?: string } } => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'app', namespace: ns, ...(uid === undefined ? {} : { uid }) },
});

async function status(write: Promise<unknown>): Promise<number> {
  try {
    await write;
    return 200;
  } catch (err: unknown) {
    if (err instanceof ApiError) return err.status;
    throw err;
  }
}

describe('a server-side apply with the live object uid', () => {
  it('creates nothing where the object was deleted, where one without the uid does', async () => {
    const first = await user.create('ServiceAccount', sa(), FIELD_MANAGER);
    const uid = first.metadata.uid ?? '';
    await user.delete('ServiceAccount', ns, 'app', uid);
    expect(await status(user.apply('ServiceAccount', sa(uid), { fieldManager: FIELD_MANAGER, force: true }))).toBe(409);
    expect(await user.get('ServiceAccount', ns, 'app')).toBeUndefined();
    // Without it, the apply makes a new object: what the soak's operator did.
    const made = await user.apply('ServiceAccount', sa(), { fieldManager: FIELD_MANAGER, force: true });
    expect(made.metadata.uid).not.toBe(uid);
  });

  it('writes nothing to another object that took the name', async () => {
    const theirs = await user.get('ServiceAccount', ns, 'app');
    const before = theirs?.metadata.resourceVersion;
    expect(
      await status(
        user.apply('ServiceAccount', { ...sa('00000000-0000-0000-0000-000000000000') }, { fieldManager: FIELD_MANAGER, force: true }),
      ),
    ).toBe(422); // metadata.uid is immutable: refused, not written
    expect((await user.get('ServiceAccount', ns, 'app'))?.metadata.resourceVersion).toBe(before);
  });
});
