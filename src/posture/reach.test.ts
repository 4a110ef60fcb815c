import { openness, parseCidr, portsOf } from './reach.ts';

describe('parseCidr', () => {
  it.each([
    ['0.0.0.0/0', 'IPv4', 0n, 2n ** 32n - 1n],
    ['10.1.2.3/8', 'IPv4', 10n << 24n, (11n << 24n) - 1n],
    ['010.0.0.0/8', 'IPv4', 10n << 24n, (11n << 24n) - 1n],
    ['192.168.1.7/32', 'IPv4', (192n << 24n) | (168n << 16n) | (1n << 8n) | 7n, (192n << 24n) | (168n << 16n) | (1n << 8n) | 7n],
    ['::/0', 'IPv6', 0n, 2n ** 128n - 1n],
    ['8000::/1', 'IPv6', 2n ** 127n, 2n ** 128n - 1n],
    ['2001:DB8::/32', 'IPv6', 0x20010db8n << 96n, ((0x20010db8n + 1n) << 96n) - 1n],
    ['::ffff:10.0.0.0/104', 'IPv6', (0xffffn << 32n) | (10n << 24n), (0xffffn << 32n) | ((11n << 24n) - 1n)],
    ['1:2:3:4:5:6:7:8/128', 'IPv6', 0x00010002000300040005000600070008n, 0x00010002000300040005000600070008n],
  ])('reads %s', (cidr, family, lo, hi) => {
    expect(parseCidr(cidr)).toEqual({ family, span: [lo, hi] });
  });

  it.each([
    '10.0.0.0',
    '10.0.0/8',
    '256.0.0.0/8',
    '10.0.0.0/33',
    '::/129',
    '1::2::3/64',
    '1:2:3:4:5:6:7:8:9/64',
    'fffff::/16',
    '::1.2.3/96',
    7,
    undefined,
  ])('refuses %p', (cidr) => {
    expect(parseCidr(cidr)).toBeUndefined();
  });
});

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
