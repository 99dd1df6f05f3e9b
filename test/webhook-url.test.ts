/**
 * Client webhook endpoints in production (src/core/client-webhooks.ts): https only, and no host a webhook could
 * use to reach the deployment's own network (SSRF), at registration and again at each delivery, on the very address
 * the connection is made to (no second DNS lookup that could answer differently).
 */
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, nonPublicAddress, publicOnlyDispatcher, publicOnlyLookup } from '../src/app';

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

  it('refuses at delivery a name that resolves to a non-public address, and passes on the addresses of a public one', async () => {
    const lookupOf = (addresses: LookupAddress[]) => publicOnlyLookup(async () => addresses);
    const run = (l: ReturnType<typeof publicOnlyLookup>, all: boolean, host = 'partner.example.co.id') =>
      new Promise<{ err: NodeJS.ErrnoException | null; result: unknown }>((resolve) => l(host, { all }, (err, address, family) => resolve({ err, result: all ? address : [address, family] })));
    for (const bad of [[{ address: '127.0.0.1', family: 4 }], [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }], [{ address: '::ffff:169.254.169.254', family: 6 }]]) {
      const r = await run(lookupOf(bad), true);
      expect(r.err?.message).toMatch(/not a public address/);
      expect(r.err?.code).toBe('ENONPUBLIC');
    }
    const good = [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }];
    expect(await run(lookupOf(good), true)).toEqual({ err: null, result: good });
    expect(await run(lookupOf(good), false)).toEqual({ err: null, result: ['93.184.216.34', 4] });
    // The real resolver: localhost is loopback.
    expect((await run(publicOnlyLookup(), true, 'localhost')).err?.code).toBe('ENONPUBLIC');
  });

  it('connects only to the address it checked: a name answering a private address gets no connection at all', async () => {
    // A receiver on loopback that counts connections, and a name that resolves to it (as a rebinding DNS answer would).
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const dispatcher = publicOnlyDispatcher(async () => [{ address: '127.0.0.1', family: 4 }]);
      const e = await request(`http://partner.example.co.id:${port}/hook`, { method: 'POST', body: '{}', dispatcher }).then(
        () => null,
        (err: Error) => err,
      );
      expect(e?.message).toMatch(/partner\.example\.co\.id resolves to 127\.0\.0\.1, which is not a public address/);
      expect(connections).toBe(0);
      // The same request through a dispatcher that does not check reaches the receiver: the count can move.
      const plain = new Agent({ connect: { lookup: (_h, o, cb) => (o.all ? (cb as any)(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) } });
      await request(`http://partner.example.co.id:${port}/hook`, { method: 'POST', body: '{}', dispatcher: plain }).catch(() => undefined);
      expect(connections).toBe(1);
      await plain.close();
      await dispatcher.close();
    } finally {
      server.close();
    }
  });
});
