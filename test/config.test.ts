/** Configuration: the API-client registry (API_CLIENTS) the consent flow checks redirect URIs against. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientRegistry, loadConfig } from '../src/app';

const clients = (v: unknown) => loadConfig({ API_CLIENTS: JSON.stringify(v) }).API_CLIENTS;

describe('API_CLIENTS', () => {
  it('registers clients with a display name and exact redirect URIs', () => {
    const r = new ClientRegistry(
      clients({ 'demo-aggregator': { displayName: 'Demo Aggregator', redirectUris: ['https://agg.example.co.id/consent/done', 'http://127.0.0.1:5173/cb'] } }),
    );
    expect(r.get('demo-aggregator')).toEqual({ id: 'demo-aggregator', displayName: 'Demo Aggregator', redirectUris: ['https://agg.example.co.id/consent/done', 'http://127.0.0.1:5173/cb'] });
    expect(r.redirectAllowed('demo-aggregator', 'https://agg.example.co.id/consent/done')).toBe(true);
    expect(r.redirectAllowed('demo-aggregator', 'http://127.0.0.1:5173/cb')).toBe(true);
    // Exact match only: no prefixes, no other paths, no query added, no other client's URI.
    expect(r.redirectAllowed('demo-aggregator', 'https://agg.example.co.id/consent/done/x')).toBe(false);
    expect(r.redirectAllowed('demo-aggregator', 'https://agg.example.co.id/consent/done?x=1')).toBe(false);
    expect(r.redirectAllowed('other', 'https://agg.example.co.id/consent/done')).toBe(false);
    expect(r.get('other')).toBeNull();
    expect(r.get('__proto__')).toBeNull();
    expect(new ClientRegistry(loadConfig({}).API_CLIENTS).get('demo-aggregator')).toBeNull();
  });

  it('refuses registrations that would let a request send the borrower somewhere unsafe, naming the variable', () => {
    const bad: [unknown, RegExp][] = [
      [{ a: { displayName: 'A', redirectUris: ['http://agg.example.co.id/cb'] } }, /https/],
      [{ a: { displayName: 'A', redirectUris: ['https://agg.example.co.id/cb#frag'] } }, /fragment/],
      [{ a: { displayName: 'A', redirectUris: ['/relative'] } }, /url|URL/],
      [{ a: { displayName: 'A', redirectUris: [] } }, /redirectUris/],
      [{ a: { displayName: '', redirectUris: ['https://x.example/cb'] } }, /displayName/],
      [{ 'bad id!': { displayName: 'A', redirectUris: ['https://x.example/cb'] } }, /client ids/],
    ];
    for (const [v, why] of bad) {
      expect(() => clients(v), JSON.stringify(v)).toThrow(/API_CLIENTS/);
      expect(() => clients(v), JSON.stringify(v)).toThrow(why);
    }
    expect(() => loadConfig({ API_CLIENTS: '{not json' })).toThrow(/API_CLIENTS: must be JSON/);
  });
});

describe('DATA_DIR', () => {
  it('treats an empty value as unset: the default ./.data, never the current directory', () => {
    expect(loadConfig({ DATA_DIR: '' }).dataDir).toBe(path.resolve('./.data'));
    expect(loadConfig({ DATA_DIR: '/tmp/sk-data' }).dataDir).toBe('/tmp/sk-data');
  });
});
