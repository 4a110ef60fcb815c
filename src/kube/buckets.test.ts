import { Buckets, SMALL, wireName } from './buckets.ts';
import type { WireObject } from './wire.ts';

const obj = (namespace: string, name: string, rv = '1'): WireObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, resourceVersion: rv },
});

describe('Buckets', () => {
  it('stores, replaces, finds and removes objects by namespace and name', () => {
    const b = new Buckets<WireObject>(wireName);
    expect(b.set('a', obj('a', 'x'))).toBeUndefined();
    expect(b.set('a', obj('a', 'y'))).toBeUndefined();
    expect(b.set('b', obj('b', 'x'))).toBeUndefined();
    expect(b.set('a', obj('a', 'x', '2'))?.metadata.resourceVersion).toBe('1');
    expect(b.get('a', 'x')?.metadata.resourceVersion).toBe('2');
    expect(b.get('a', 'z')).toBeUndefined();
    expect(b.get('c', 'x')).toBeUndefined();
    expect(b.list('a').map((o) => o.metadata.name)).toEqual(['x', 'y']);
    expect(b.size).toBe(3);
    expect(b.delete('a', 'x')?.metadata.name).toBe('x');
    expect(b.delete('a', 'x')).toBeUndefined();
    expect(b.delete('a', 'y')?.metadata.name).toBe('y');
    expect(b.list('a')).toEqual([]);
    expect(b.all().map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual(['b/x']);
  });

  it('keeps a lone object bare and goes back to it when a namespace is down to one', () => {
    const b = new Buckets<WireObject>(wireName);
    b.set('a', obj('a', 'x'));
    expect(b.set('a', obj('a', 'x', '2'))?.metadata.resourceVersion).toBe('1');
    expect(b.get('a', 'y')).toBeUndefined();
    expect(b.delete('a', 'y')).toBeUndefined();
    b.set('a', obj('a', 'y'));
    expect(b.list('a').map((o) => `${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`)).toEqual(['x@2', 'y@1']);
    expect(b.delete('a', 'x')?.metadata.name).toBe('x');
    expect(b.list('a').map((o) => o.metadata.name)).toEqual(['y']);
    expect(b.get('a', 'y')?.metadata.name).toBe('y');
    expect(b.set('a', obj('a', 'z'))).toBeUndefined();
    expect(b.size).toBe(2);
    expect(b.delete('a', 'y')?.metadata.name).toBe('y');
    expect(b.delete('a', 'z')?.metadata.name).toBe('z');
    expect(b.size).toBe(0);
    expect(b.all()).toEqual([]);
  });

  it('behaves the same past the small size, where a namespace holds thousands', () => {
    const b = new Buckets<WireObject>(wireName);
    const n = SMALL * 200;
    for (let i = 0; i < n; i += 1) b.set('big', obj('big', `p${String(i)}`));
    expect(b.size).toBe(n);
    expect(b.get('big', 'p0')?.metadata.name).toBe('p0');
    expect(b.get('big', `p${String(n - 1)}`)?.metadata.name).toBe(`p${String(n - 1)}`);
    expect(b.set('big', obj('big', 'p5', '9'))?.metadata.resourceVersion).toBe('1');
    for (let i = 0; i < n; i += 1) expect(b.delete('big', `p${String(i)}`)?.metadata.name).toBe(`p${String(i)}`);
    expect(b.size).toBe(0);
    expect(b.list('big')).toEqual([]);
  });
});
