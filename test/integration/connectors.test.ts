/**
 * Connectors against the sandbox over real HTTP: auth chains, single-flight
 * token renewal, wire validation errors, minimization of personal data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairinClient, CairinConnector } from '../../src/providers/cairin';
import { DompetKilatClient, DompetKilatConnector } from '../../src/providers/dompetkilat';
import { ProviderAuthError, ProviderError, WireFormatError } from '../../src/app';
import { FinfraClient, FinfraConnector, finfraEnvironment } from '../../src/providers/finfra';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { TEST_START, TestClock, until } from '../support/clock';

let sb: Sandbox;
/** One clock for the sandbox and the clients (which take epoch milliseconds). */
const clock = new TestClock(TEST_START);
const now = () => clock.now().getTime();
beforeAll(async () => {
  sb = await startSandbox({ seed: 3, borrowers: 8, now: clock.now });
});
afterAll(async () => {
  await sb?.close();
});

function finfra() {
  return new FinfraClient({ baseUrl: sb.urls.finfra, timeoutMs: 2000, ...sb.finfraClient, now });
}

describe('Finfra', () => {
  it('exchanges Basic credentials for one JWT however many requests wait', async () => {
    const c = finfra();
    sb.resetStats();
    const users = sb.dataset.finfra.slice(0, 5).map((u) => u.userId);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => c.listLoans(users[i % users.length]!)));
    expect(results.every((r) => r !== null)).toBe(true);
    expect(sb.finfra.stats().byEndpoint['POST /api/auth/token/v2']).toBe(1);
  });

  it('renews once when the token expires in the middle of traffic, by refresh token', async () => {
    const c = finfra();
    const userId = sb.dataset.finfra[0]!.userId;
    await c.listLoans(userId);
    sb.resetStats();
    const at = clock.now();
    clock.advance(2 * 3600 * 1000); // past the 3600 s access-token lifetime
    try {
      await Promise.all(Array.from({ length: 30 }, () => c.listLoans(userId)));
      const s = sb.finfra.stats().byEndpoint;
      expect(s['POST /api/auth/refresh'] ?? 0).toBe(1);
      expect(s['POST /api/auth/token/v2'] ?? 0).toBe(0);
      expect(s['GET /api/core/loans/:userId']).toBe(30);
    } finally {
      clock.set(at);
    }
  });

  it('retries once with a fresh token when the provider rejects an unexpired one', async () => {
    const c = finfra();
    const userId = sb.dataset.finfra[0]!.userId;
    await c.listLoans(userId);
    sb.resetStats();
    sb.finfra.setFaults([{ kind: 'expired_token', count: 1, endpoints: ['GET /api/core/loans/:userId'] }]);
    expect(await c.listLoans(userId)).not.toBeNull();
    const s = sb.finfra.stats().byEndpoint;
    expect((s['POST /api/auth/refresh'] ?? 0) + (s['POST /api/auth/token/v2'] ?? 0)).toBe(1);
    expect(s['GET /api/core/loans/:userId']).toBe(2);
  });

  it('refuses production keys against the sandbox, and reads the environment from the key', async () => {
    expect(finfraEnvironment('sk_prod_x')).toBe('production');
    expect(() => finfraEnvironment('secret')).toThrow(/sk_sandbox_/);
    const c = new FinfraClient({ baseUrl: sb.urls.finfra, timeoutMs: 2000, clientId: 'satukredit-sandbox', clientSecret: 'sk_prod_satukredit', now });
    await expect(c.listLoans('usr_000001')).rejects.toBeInstanceOf(ProviderAuthError);
  });

  it('names provider, endpoint and field when a body does not match the wire schema', async () => {
    const c = finfra();
    const uniqueId = sb.dataset.finfra.find((u) => u.loans.length)!.loans[0]!.loanUniqueId;
    sb.finfra.setFaults([{ kind: 'malformed', mode: 'missing_fields', count: 1, endpoints: ['GET /api/core/loans/details/:uniqueId'] }]);
    const err = await c.loanDetails(uniqueId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireFormatError);
    const w = err as WireFormatError;
    expect(w.provider).toBe('FINFRA');
    expect(w.endpoint).toBe('GET /api/core/loans/details/:uniqueId');
    expect(w.field).toBe('loanUniqueId');
    expect(w.code).toBe('PROVIDER_BAD_RESPONSE');
  });
});

describe('Cairin', () => {
  const john = () => sb.dataset.cairin.find((a) => a.nik === '362638287638783')!;

  it('links through login and token issuance and keeps no PIN', async () => {
    const c = new CairinClient({ baseUrl: sb.urls.cairin, timeoutMs: 2000, now });
    const a = john();
    const { accountId, credentials } = await c.link({ phoneNumber: a.phoneNumber, pin: a.pin, deviceId: a.deviceId });
    expect(accountId).toBe(a.accountId);
    expect(Object.keys(credentials).sort()).toEqual(['deviceId', 'refreshExpiresAt', 'refreshToken']);
    expect(JSON.stringify(credentials)).not.toContain(a.pin);
    await expect(c.link({ phoneNumber: a.phoneNumber, pin: '000000', deviceId: a.deviceId })).rejects.toBeInstanceOf(ProviderAuthError);
  });

  it('refreshes an expired session once for many concurrent reads', async () => {
    const updates: string[] = [];
    const c = new CairinClient({ baseUrl: sb.urls.cairin, timeoutMs: 2000, now, onCredentials: async (id) => void updates.push(id) });
    const a = john();
    const { accountId, credentials } = await c.link({ phoneNumber: a.phoneNumber, pin: a.pin, deviceId: a.deviceId });
    const tokens = c.tokensFor(accountId, credentials);
    sb.resetStats();
    const at = clock.now();
    clock.advance(3600 * 1000); // past the 900 s access token
    try {
      const lists = await Promise.all(Array.from({ length: 25 }, () => c.loanList(tokens)));
      expect(lists.every((l) => l.accountId === accountId)).toBe(true);
      expect(sb.cairin.stats().byEndpoint['POST /mobile/auth/refresh']).toBe(1);
    } finally {
      clock.set(at);
    }
  });

  it('reads detail with installments missing their split, and answers null for a loan of another account', async () => {
    const c = new CairinClient({ baseUrl: sb.urls.cairin, timeoutMs: 2000, now });
    const a = john();
    const { accountId, credentials } = await c.link({ phoneNumber: a.phoneNumber, pin: a.pin, deviceId: a.deviceId });
    const t = c.tokensFor(accountId, credentials);
    const d = await c.loanDetail(t, 'LN-0001');
    expect(d?.installments?.map((i) => i.amountDue)).toEqual([270000, 270000, 270000, 270000]);
    const other = sb.dataset.cairin.find((x) => x.accountId !== accountId && x.loans.length)!.loans[0]!.loanId;
    expect(await c.loanDetail(t, other)).toBeNull();
  });
});

describe('Dompet Kilat', () => {
  it('keeps only what we need from the borrower record (no KTP/selfie, family card, mother, religion, income)', async () => {
    const c = new DompetKilatClient({ baseUrl: sb.urls.dompetKilat, timeoutMs: 2000 });
    const raw = (await (await fetch(`${sb.urls.dompetKilat}/v1/borrower/362638287638783`)).json()) as { data: Record<string, unknown> };
    expect(raw.data.motherMaidenName).toBe('Shizuka');
    const r = await c.getBorrower('362638287638783');
    expect(r?.fullName).toBe('John');
    const kept = JSON.stringify(r);
    for (const f of ['motherMaidenName', 'fotoKtp', 'fotoSelfie', 'familyCard', 'emergencyContact', 'religion', 'maritalStatus', 'income', 'Shizuka']) {
      expect(kept).not.toContain(f);
    }
  });

  it('reads "001 record not found" as null and an IP rejection as a provider error', async () => {
    const c = new DompetKilatClient({ baseUrl: sb.urls.dompetKilat, timeoutMs: 2000 });
    expect(await c.getBorrower('3626382876387831')).toBeNull();
    sb.dompetKilat.setFaults([{ kind: 'expired_token', count: 1 }]);
    const err = await c.getBorrower('362638287638783').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toContain('03');
  });

  it('turns a hung connection into a timeout error', async () => {
    const c = new DompetKilatClient({ baseUrl: sb.urls.dompetKilat, timeoutMs: 200, resilience: { retries: 0 } });
    sb.dompetKilat.setFaults([{ kind: 'timeout', count: 1 }]);
    const err = await c.getBorrower('362638287638783').catch((e: unknown) => e);
    expect((err as ProviderError).code).toBe('PROVIDER_TIMEOUT');
  });
});

describe('fault tolerance', () => {
  it('retries an idempotent read after a 503 and a timeout, with backoff', async () => {
    const c = new DompetKilatClient({ baseUrl: sb.urls.dompetKilat, timeoutMs: 300 });
    sb.resetStats();
    sb.dompetKilat.setFaults([{ kind: 'status', status: 503, count: 1 }, { kind: 'timeout', count: 1 }]);
    expect((await c.getBorrower('362638287638783'))?.fullName).toBe('John');
    expect(sb.dompetKilat.stats().byEndpoint['GET /v1/borrower/:idNumber']).toBe(3);
  });

  it('does not retry a malformed body or a write', async () => {
    const c = finfra();
    const uniqueId = sb.dataset.finfra.find((u) => u.loans.length)!.loans[0]!.loanUniqueId;
    await c.loanDetails(uniqueId);
    sb.resetStats();
    sb.finfra.setFaults([{ kind: 'malformed', count: 3, endpoints: ['GET /api/core/loans/details/:uniqueId'] }]);
    await expect(c.loanDetails(uniqueId)).rejects.toBeInstanceOf(WireFormatError);
    expect(sb.finfra.stats().byEndpoint['GET /api/core/loans/details/:uniqueId']).toBe(1);
    sb.finfra.clearFaults();
  });

  it('opens the circuit after repeated failures and then fails fast without calling the provider', async () => {
    const c = new DompetKilatClient({ baseUrl: sb.urls.dompetKilat, timeoutMs: 300, resilience: { retries: 0, breakerThreshold: 3, halfOpenAfterMs: 60_000 } });
    sb.dompetKilat.setFaults([{ kind: 'status', status: 500 }]);
    for (let i = 0; i < 3; i++) await expect(c.getBorrower('362638287638783')).rejects.toBeInstanceOf(ProviderError);
    expect(c.circuit).toBe('open');
    sb.resetStats();
    const err = await c.getBorrower('362638287638783').catch((e: ProviderError) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toContain('circuit open');
    expect(sb.dompetKilat.stats().total).toBe(0);
    sb.dompetKilat.clearFaults();
  });

  it('limits concurrent calls to the provider', async () => {
    const c = new DompetKilatClient({ baseUrl: sb.urls.dompetKilat, timeoutMs: 2000, resilience: { concurrency: 2, queue: 100 } });
    // The sandbox counts the requests it is handling at once; holding them there makes the limit reach its bound.
    sb.resetStats();
    const release = sb.dompetKilat.hold();
    try {
      const all = Promise.all(Array.from({ length: 6 }, () => c.getBorrower('362638287638783')));
      await until(() => sb.dompetKilat.held() === 2, 'two calls reached the provider');
      expect(sb.dompetKilat.stats().byEndpoint['GET /v1/borrower/:idNumber']).toBe(2); // the other four wait in the client
      release();
      const answers = await all;
      expect(answers.map((a) => a?.fullName)).toEqual(Array(6).fill('John'));
    } finally {
      release();
    }
    expect(sb.dompetKilat.stats().byEndpoint['GET /v1/borrower/:idNumber']).toBe(6); // all six reached the provider...
    expect(sb.dompetKilat.inFlight().peak).toBe(2); // ...never more than two at a time, and two did run together
  });
});

describe('phone on file (one-time codes go to the phone the provider holds for the NIK)', () => {
  it('reads Finfra phone_number by NIK and Dompet Kilat phoneNumber by idNumber, with the account to link; null for an unknown NIK and for Cairin', async () => {
    const f = new FinfraConnector({ baseUrl: sb.urls.finfra, timeoutMs: 2000, ...sb.finfraClient, now });
    const d = new DompetKilatConnector({ baseUrl: sb.urls.dompetKilat, timeoutMs: 2000 }, clock);
    const c = new CairinConnector({ baseUrl: sb.urls.cairin, timeoutMs: 2000, now });
    const fu = sb.dataset.finfra.find((u) => u.phoneNumber)!;
    expect(await f.phoneOnFile(fu.idNumber)).toEqual({ phone: fu.phoneNumber, linkRequest: fu.userId });
    const dk = sb.dataset.dompetKilat[0]!;
    expect(await d.phoneOnFile(dk.idNumber)).toEqual({ phone: dk.phoneNumber, linkRequest: dk.idNumber });
    expect(await f.phoneOnFile('9999999999999999')).toBeNull();
    expect(await d.phoneOnFile('9999999999999999')).toBeNull();
    expect(await c.phoneOnFile()).toBeNull();
  });
});
