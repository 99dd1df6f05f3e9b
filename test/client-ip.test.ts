/** The client IP behind trusted proxies (TRUST_PROXY): parsing the setting and the right-to-left X-Forwarded-For walk. */
import { describe, expect, it } from 'vitest';
import { deriveClientIp, loadConfig, normalizeIp, parseTrustProxy } from '../src/app';

const ip = (socket: string | undefined, xff: string | string[] | undefined, trust?: string) => deriveClientIp(socket, xff, parseTrustProxy(trust));

describe('TRUST_PROXY parsing', () => {
  it('reads unset/empty as no proxy, an integer as a hop count and a list as trusted ranges', () => {
    expect(parseTrustProxy(undefined)).toEqual({ kind: 'none' });
    expect(parseTrustProxy('')).toEqual({ kind: 'none' });
    expect(parseTrustProxy('  ')).toEqual({ kind: 'none' });
    expect(parseTrustProxy('0')).toEqual({ kind: 'hops', hops: 0 });
    expect(parseTrustProxy('2')).toEqual({ kind: 'hops', hops: 2 });
    const list = parseTrustProxy(' 10.0.0.0/8, 127.0.0.1 ,::1,2001:DB8::/32,::ffff:192.168.0.0/112,');
    expect(list.kind === 'addresses' && list.ranges).toEqual(['10.0.0.0/8', '127.0.0.1/32', '::1/128', '2001:db8::/32', '192.168.0.0/16']);
  });

  it('is parsed with the rest of the configuration', () => {
    expect(loadConfig({}).TRUST_PROXY).toEqual({ kind: 'none' });
    expect(loadConfig({ TRUST_PROXY: '' }).TRUST_PROXY).toEqual({ kind: 'none' });
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toEqual({ kind: 'hops', hops: 1 });
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1,::1' }).TRUST_PROXY).toMatchObject({ kind: 'addresses', ranges: ['127.0.0.1/32', '::1/128'] });
  });

  it('refuses invalid values at start, naming the variable and the entry', () => {
    for (const [value, why] of [
      ['-1', /must not be negative/],
      ['1.5', /"1\.5" is not an IP address or CIDR/],
      ['proxy.example', /"proxy\.example" is not an IP address or CIDR/],
      ['10.0.0.0/8,300.1.1.1', /"300\.1\.1\.1" is not/],
      ['10.0.0.0/33', /prefix \/33 is longer than 32 bits/],
      ['::1/129', /prefix \/129 is longer than 128 bits/],
      ['10.0.0.0/', /not an IP address or CIDR/],
      ['10.0.0.0/8/8', /not an IP address or CIDR/],
      [',', /no address given/],
      ['99999999999999999999', /too large/],
    ] as const) {
      expect(() => loadConfig({ TRUST_PROXY: value }), value).toThrow(/invalid configuration:\n {2}TRUST_PROXY: /);
      expect(() => loadConfig({ TRUST_PROXY: value }), value).toThrow(why);
    }
  });
});

describe('normalizeIp', () => {
  it('spells IPv4-mapped IPv6 as IPv4 and IPv6 canonically; refuses what is not an address', () => {
    expect(normalizeIp('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(normalizeIp('0:0:0:0:0:ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(normalizeIp('203.0.113.7')).toBe('203.0.113.7');
    for (const bad of ['', 'unknown', '1.2.3', '01.2.3.4', '1.2.3.4:80', '[::1]', 'fe80::1%eth0', ' 1.2.3.4']) expect(normalizeIp(bad), bad).toBeNull();
  });
});

describe('deriveClientIp', () => {
  it('without TRUST_PROXY is the socket address, whatever X-Forwarded-For says', () => {
    expect(ip('127.0.0.1', '203.0.113.7')).toBe('127.0.0.1');
    expect(ip('198.51.100.1', ['203.0.113.7', '10.0.0.1'])).toBe('198.51.100.1');
    expect(ip('::ffff:198.51.100.1', undefined)).toBe('198.51.100.1');
    expect(ip('::1', '203.0.113.7', '')).toBe('::1');
    expect(ip('127.0.0.1', '203.0.113.7', '0')).toBe('127.0.0.1'); // zero hops: nothing trusted
  });

  it('with a hop count trusts that many nearest addresses, the socket peer first', () => {
    const xff = '198.51.100.9, 203.0.113.7, 10.0.0.2';
    expect(ip('10.0.0.1', xff, '1')).toBe('10.0.0.2');
    expect(ip('10.0.0.1', xff, '2')).toBe('203.0.113.7');
    expect(ip('10.0.0.1', xff, '3')).toBe('198.51.100.9');
    // More hops than addresses: the leftmost entry.
    expect(ip('10.0.0.1', xff, '10')).toBe('198.51.100.9');
    // No X-Forwarded-For: the socket peer.
    expect(ip('10.0.0.1', undefined, '2')).toBe('10.0.0.1');
  });

  it('with IPv4 ranges walks left past trusted proxies to the first untrusted address', () => {
    const trust = '10.0.0.0/8,127.0.0.1';
    expect(ip('127.0.0.1', '203.0.113.7', trust)).toBe('203.0.113.7');
    expect(ip('127.0.0.1', '203.0.113.7, 10.1.2.3, 10.200.0.1', trust)).toBe('203.0.113.7');
    // The socket peer is not a trusted proxy: X-Forwarded-For is not read.
    expect(ip('198.51.100.1', '203.0.113.7', trust)).toBe('198.51.100.1');
    // Every address trusted: the leftmost.
    expect(ip('127.0.0.1', '10.0.0.5, 10.0.0.6', trust)).toBe('10.0.0.5');
  });

  it('with IPv6 ranges matches IPv6 peers and entries', () => {
    const trust = '::1,2001:db8:10::/48';
    expect(ip('::1', '2001:db8:ffff::42', trust)).toBe('2001:db8:ffff::42');
    expect(ip('::1', '2001:db8:ffff::42, 2001:db8:10:1::9', trust)).toBe('2001:db8:ffff::42');
    expect(ip('::1', '2001:DB8:FFFF:0:0:0:0:42', trust)).toBe('2001:db8:ffff::42');
    expect(ip('2001:db8:11::1', '203.0.113.7', trust)).toBe('2001:db8:11::1');
    expect(ip('::1', '203.0.113.7, 2001:db8:10::5', trust)).toBe('203.0.113.7');
  });

  it('normalizes IPv4-mapped IPv6 addresses before matching and in the answer', () => {
    const trust = '127.0.0.1,10.0.0.0/8';
    expect(ip('::ffff:127.0.0.1', '203.0.113.7', trust)).toBe('203.0.113.7');
    expect(ip('::ffff:127.0.0.1', '::ffff:203.0.113.7, ::ffff:10.0.0.3', trust)).toBe('203.0.113.7');
    // A range written in mapped form matches plain IPv4, and a mapped peer matches a plain IPv4 range.
    expect(ip('10.9.8.7', '203.0.113.7', '::ffff:10.0.0.0/104')).toBe('203.0.113.7');
    expect(ip('::ffff:a09:807', '203.0.113.7', '10.0.0.0/8')).toBe('203.0.113.7');
  });

  it('ignores spoofed leftmost entries: the rightmost untrusted address wins', () => {
    const trust = '127.0.0.1,::1';
    // The client wrote "203.0.113.7" (an allowed address) itself; the proxy appended the real peer.
    expect(ip('127.0.0.1', '203.0.113.7, 198.51.100.1', trust)).toBe('198.51.100.1');
    expect(ip('127.0.0.1', '127.0.0.1, 10.0.0.1, 198.51.100.1', trust)).toBe('198.51.100.1');
    expect(ip('10.0.0.1', '203.0.113.7, 198.51.100.1', '1')).toBe('198.51.100.1');
    // Several headers are read as one list, in order.
    expect(ip('127.0.0.1', ['203.0.113.7', '198.51.100.1'], trust)).toBe('198.51.100.1');
    expect(ip('127.0.0.1', ['198.51.100.1', '127.0.0.1'], trust)).toBe('198.51.100.1');
  });

  it('stops at the last good address when an entry is malformed', () => {
    const trust = '127.0.0.1,10.0.0.0/8';
    expect(ip('127.0.0.1', 'not-an-ip', trust)).toBe('127.0.0.1');
    expect(ip('127.0.0.1', '203.0.113.7, garbage, 10.0.0.2', trust)).toBe('10.0.0.2');
    expect(ip('127.0.0.1', '203.0.113.7,,10.0.0.2', trust)).toBe('10.0.0.2');
    expect(ip('127.0.0.1', '203.0.113.7:4711', trust)).toBe('127.0.0.1');
    expect(ip('127.0.0.1', '', trust)).toBe('127.0.0.1');
    expect(ip('127.0.0.1', 'unknown, 10.0.0.2', '5')).toBe('10.0.0.2');
    // Untrusted addresses stop the walk before a malformed entry matters.
    expect(ip('127.0.0.1', 'garbage, 198.51.100.1', trust)).toBe('198.51.100.1');
  });

  it('answers the socket address as given when it is not an address, and "" when there is none', () => {
    expect(ip(undefined, '203.0.113.7', '1')).toBe('');
    expect(ip('fe80::1%eth0', '203.0.113.7', '1')).toBe('fe80::1%eth0');
  });
});
