import { V1LimitRangeItem, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer, V1ObjectMeta } from '@kubernetes/client-node';
import { toWire } from './wire.ts';

describe('toWire', () => {
  it('puts back the field names client-node renames', () => {
    const item = Object.assign(new V1LimitRangeItem(), { type: 'Container', _default: { cpu: '1' }, defaultRequest: { cpu: '100m' } });
    expect(toWire(item)).toEqual({ type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '100m' } });
    const rule = Object.assign(new V1NetworkPolicyIngressRule(), { _from: [Object.assign(new V1NetworkPolicyPeer(), { podSelector: {} })] });
    expect(toWire(rule)).toEqual({ from: [{ podSelector: {} }] });
  });

  it('turns Dates into RFC 3339 seconds and drops undefined fields', () => {
    const meta = Object.assign(new V1ObjectMeta(), { name: 'x', creationTimestamp: new Date('2026-11-24T10:00:00.000Z'), uid: undefined });
    expect(toWire(meta)).toEqual({ name: 'x', creationTimestamp: '2026-11-24T10:00:00Z' });
  });

  it('leaves plain JSON as it is', () => {
    const plain = { a: [1, { b: 'c' }], d: null };
    expect(toWire(plain)).toEqual(plain);
  });
});
