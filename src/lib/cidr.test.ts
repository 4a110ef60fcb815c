import { parseCidr } from './cidr.ts';

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
    expect(parseCidr(cidr)).toMatchObject({ family, span: [lo, hi] });
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
