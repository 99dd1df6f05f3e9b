/**
 * Client webhook endpoints in production (src/core/client-webhooks.ts): https only, and no host a webhook could
 * use to reach the deployment's own network (SSRF), at registration and again, after DNS, at each delivery.
 */
import { describe, expect, it } from 'vitest';
import { assertPublicHost, checkEndpointUrl, nonPublicAddress } from '../src/app';

describe('webhook endpoint URLs in production', () => {
  it('refuses loopback, private, link-local and mapped addresses, and accepts public ones', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '[::1]', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) {
      expect(nonPublicAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', 'partner.example.co.id']) expect(nonPublicAddress(a), a).toBe(false);
  });

  it('registers https URLs of public hosts only', () => {
    expect(checkEndpointUrl('https://partner.example.co.id/hook', true)).toBe('https://partner.example.co.id/hook');
    expect(checkEndpointUrl('https://93.184.216.34/hook', true)).toBe('https://93.184.216.34/hook');
    for (const u of ['https://localhost/hook', 'https://127.0.0.1/hook', 'https://10.0.0.5/hook', 'https://169.254.169.254/latest', 'https://[::1]/hook', 'https://api.localhost/hook']) {
      expect(() => checkEndpointUrl(u, true), u).toThrow(/public host/);
    }
    expect(() => checkEndpointUrl('http://partner.example.co.id/hook', true)).toThrow(/https/);
    // Outside production the demo and the tests post to a receiver on loopback.
    expect(checkEndpointUrl('http://127.0.0.1:8080/hook', false)).toBe('http://127.0.0.1:8080/hook');
  });

  it('refuses at delivery a name that resolves to a non-public address', async () => {
    await expect(assertPublicHost('localhost')).rejects.toThrow(/not a public address/);
    await expect(assertPublicHost('[::1]')).rejects.toThrow(/not a public address/);
    await expect(assertPublicHost('93.184.216.34')).resolves.toBeUndefined();
  });
});
