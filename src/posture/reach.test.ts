import { openness, portsOf } from './reach.ts';

describe('portsOf', () => {
  it('reads every shape of ports', () => {
    expect(portsOf(undefined)).toEqual({ TCP: [[1, 65535]], UDP: [[1, 65535]], SCTP: [[1, 65535]] });
    expect(
      portsOf([
        { port: 80 },
        { port: 81, endPort: 90 },
        { protocol: 'UDP', port: 53 },
        { protocol: 'SCTP' },
        { port: 'http' },
        { protocol: 'ICMP' },
        { port: 0 },
        { port: 100, endPort: 99 },
      ]),
    ).toEqual({
      TCP: [
        [80, 90],
        [100, 100],
      ],
      UDP: [[53, 53]],
      SCTP: [[1, 65535]],
    });
  });
});

describe('openness', () => {
  it('names the universes and protocols a direction is open to', () => {
    const o = openness(
      [{ from: [{ ipBlock: { cidr: '::/0' } }], ports: [{ protocol: 'UDP' }, { protocol: 'SCTP', port: 1, endPort: 65535 }] }],
      'from',
      'ns',
    );
    expect([...o.open]).toEqual([['IPv6', ['UDP', 'SCTP']]]);
    expect(o.undecided).toBe(false);
  });
});
