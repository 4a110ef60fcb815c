import { CreateMemory } from './creates.ts';
import type { OwnedEntry, UncertainCreate } from './ownership.ts';

const entry = (name: string): OwnedEntry => ({ kind: 'Role', name, uid: `uid-${name}`, baseline: 'sb' });
const uncertain = (name: string): UncertainCreate => ({ kind: 'Role', name, createId: `id-${name}`, baseline: 'sb' });

describe('CreateMemory', () => {
  it('remembers nothing of a namespace it was told nothing about', () => {
    const memory = new CreateMemory();
    expect(memory.get('a')).toEqual([]);
    expect(memory.uncertain('a')).toEqual([]);
  });

  it('gives back the unrecorded creates set for a namespace, the latest set replacing the one before', () => {
    const memory = new CreateMemory();
    memory.set('a', [entry('r1'), entry('r2')]);
    expect(memory.get('a')).toEqual([entry('r1'), entry('r2')]);
    memory.set('a', [entry('r3')]);
    expect(memory.get('a')).toEqual([entry('r3')]);
    expect(memory.get('b')).toEqual([]);
  });

  it('keeps the uncertain creates of each namespace apart from the unrecorded ones and from other namespaces', () => {
    const memory = new CreateMemory();
    memory.setUncertain('a', [uncertain('r1')]);
    memory.set('b', [entry('r2')]);
    expect(memory.uncertain('a')).toEqual([uncertain('r1')]);
    expect(memory.get('a')).toEqual([]);
    expect(memory.uncertain('b')).toEqual([]);
    expect(memory.get('b')).toEqual([entry('r2')]);
  });

  it("drops a namespace's entry when set empty, keeping the other kind", () => {
    const memory = new CreateMemory();
    memory.set('a', [entry('r1')]);
    memory.setUncertain('a', [uncertain('r2')]);
    memory.set('a', []);
    expect(memory.get('a')).toEqual([]);
    expect(memory.uncertain('a')).toEqual([uncertain('r2')]);
    memory.setUncertain('a', []);
    expect(memory.uncertain('a')).toEqual([]);
  });

  it('forgets both kinds for a namespace that is gone, and nothing of the others', () => {
    const memory = new CreateMemory();
    memory.set('a', [entry('r1')]);
    memory.setUncertain('a', [uncertain('r2')]);
    memory.set('b', [entry('r3')]);
    memory.setUncertain('b', [uncertain('r4')]);
    memory.forget('a');
    expect(memory.get('a')).toEqual([]);
    expect(memory.uncertain('a')).toEqual([]);
    expect(memory.get('b')).toEqual([entry('r3')]);
    expect(memory.uncertain('b')).toEqual([uncertain('r4')]);
  });
});
