/**
 * Provider sandbox: dataset determinism and seed examples, wire-contract
 * conformance of every happy-path answer (real HTTP against servers on
 * ephemeral loopback ports), provider error bodies, auth flows on an injected
 * clock, counters, fault and latency injection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { daysBetween } from '../src/domain/dates';
import {
  CairinError,
  CairinHistory,
  CairinLivenessResponse,
  CairinLoanDetail,
  CairinLoanList,
  CairinLoginResponse,
  CairinSession,
} from '../src/providers/cairin';
import { DkBorrowerRecord, DkEnvelope } from '../src/providers/dompetkilat';
import { FinfraBorrower, FinfraError, FinfraLoanDetails, FinfraLoanList, FinfraToken } from '../src/providers/finfra';
import {
  type CairinAccountRecord,
  type Dataset,
  DEFAULT_FINFRA_CLIENT,
  generateDataset,
  linkCredentials,
  linkRequests,
  type Sandbox,
  type SandboxServerHandle,
  startCairinServer,
  startDompetKilatServer,
  startSandbox,
} from '../src/sandbox';
import { until } from './support/clock';

const TODAY = '2026-11-21';
/** 09:00 WIB on TODAY. */
const T0 = Date.parse('2026-11-21T09:00:00+07:00');

/** The fixed instant for servers whose tests never move time. */
const atT0 = () => new Date(T0);

/** A controllable clock. */
function testClock() {
  let t = T0;
  return { now: () => new Date(t), advance: (seconds: number) => void (t += seconds * 1000) };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(base: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, base), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Parses with a wire schema, failing the test with the first issue. */
function wire<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new Error(`wire mismatch: ${JSON.stringify(r.error.issues[0])} in ${JSON.stringify(body).slice(0, 400)}`);
  return r.data;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function cairinSession(base: string, a: Pick<CairinAccountRecord, 'phoneNumber' | 'pin' | 'deviceId'>) {
  const login = await call(base, 'POST', '/mobile/auth/login', { body: { phoneNumber: a.phoneNumber, pin: a.pin, deviceId: a.deviceId } });
  expect(login.status).toBe(200);
  const l = wire(CairinLoginResponse, login.json);
  const tok = await call(base, 'POST', '/mobile/auth/token', { body: { loginTicket: l.loginTicket } });
  expect(tok.status).toBe(200);
  return wire(CairinSession, tok.json);
}

async function finfraToken(base: string, id = DEFAULT_FINFRA_CLIENT.clientId, secret = DEFAULT_FINFRA_CLIENT.clientSecret) {
  const r = await call(base, 'POST', '/api/auth/token/v2', { headers: { authorization: basic(id, secret) } });
  expect(r.status).toBe(200);
  return wire(FinfraToken, r.json);
}

/** Every field of the doc's GET /v1/borrower/{idNumber} `data`, in the doc's order. */
const DK_DOC_FIELDS = [
  'map', 'productCode', 'phoneNumber', 'idNumber', 'email', 'fullName', 'gender', 'birthDate', 'birthPlace', 'officeName', 'startDate',
  'address', 'village', 'subdistrict', 'city', 'province', 'postalCode', 'plafons', 'job', 'jobType', 'jobOnline', 'income', 'asset',
  'homeOwnership', 'religion', 'maritalStatus', 'education', 'motherMaidenName', 'emergencyContactNumber', 'emergencyContactName',
  'emergencyContactRelationship', 'bankName', 'bankAccountNumber', 'familyCard', 'workExperience', 'fotoKtp', 'fotoSelfie', 'loanData', 'references',
];
const DK_DOC_REFERENCES = ['interest', 'businessAddress', 'businessVillage', 'businessSubdistrict', 'businessCity', 'businessProvince', 'businessOwnership', 'npwp', 'jobPosition'];

// ---------------------------------------------------------------------------

describe('dataset', () => {
  const opts = { seed: 1234, borrowers: 120, today: TODAY };
  const d = generateDataset(opts);

  it('is deterministic for the same seed, count and today, and differs for another seed', () => {
    expect(generateDataset(opts)).toStrictEqual(d);
    const other = generateDataset({ ...opts, seed: 1235 });
    expect(other.people.slice(1).map((p) => p.nik)).not.toEqual(d.people.slice(1).map((p) => p.nik));
    expect(generateDataset({ ...opts, today: '2026-11-22' }).cairin[0]!.loans[0]!.installments[0]!.dueDate).not.toBe(d.cairin[0]!.loans[0]!.installments[0]!.dueDate);
  });

  it('spreads people over one, two or three providers, every provider well populated', () => {
    expect(d.people).toHaveLength(120);
    const bySpan = [1, 2, 3].map((n) => d.people.filter((p) => p.providers.length === n).length);
    for (const n of bySpan) expect(n).toBeGreaterThan(15);
    for (const list of [d.cairin, d.finfra, d.dompetKilat]) expect(list.length).toBeGreaterThan(50);
    // Same NIK at every provider where the person holds an account.
    for (const p of d.people) {
      expect(d.cairin.some((a) => a.nik === p.nik)).toBe(p.providers.includes('cairin'));
      expect(d.finfra.some((u) => u.idNumber === p.nik)).toBe(p.providers.includes('finfra'));
      expect(d.dompetKilat.some((b) => b.idNumber === p.nik)).toBe(p.providers.includes('dompetKilat'));
    }
    expect(new Set(d.people.map((p) => p.nik)).size).toBe(120);
    expect(new Set(d.people.map((p) => p.phoneNumber)).size).toBe(120);
    for (const p of d.people.slice(1)) {
      expect(p.nik).toMatch(/^\d{16}$/);
      expect(p.phoneNumber).toMatch(/^62\d+$/);
      expect(p.email).toContain('@');
    }
  });

  it('generates realistic Cairin loans within the brief limits', () => {
    const loans = d.cairin.flatMap((a) => a.loans);
    const statuses = new Set(loans.map((l) => l.status));
    expect(statuses).toEqual(new Set(['active', 'paid_off', 'pending_disbursement']));
    const inst = new Set(loans.flatMap((l) => l.installments.map((i) => i.status)));
    expect(inst).toEqual(new Set(['paid', 'partial', 'due', 'overdue', 'pending']));
    for (const l of loans) {
      expect(l.principal >= 500_000n && l.principal <= 80_000_000n && l.principal % 100_000n === 0n).toBe(true);
      expect(l.tenorDays >= 91 && l.tenorDays <= 365).toBe(true);
      expect(Number.isInteger(l.annualRatePct) && l.annualRatePct >= 12 && l.annualRatePct <= 24).toBe(true);
      if (l.status !== 'pending_disbursement') expect(l.installments.reduce((s, i) => s + i.principal, 0n)).toBe(l.principal);
    }
    const txns = d.cairin.flatMap((a) => a.transactions);
    expect(new Set(txns.map((t) => t.bank))).toEqual(new Set(['BCA', 'MANDIRI', 'BRI', 'BNI']));
    const pending = txns.filter((t) => t.status === 'pending');
    expect(pending.length).toBeGreaterThan(0);
    for (const t of pending) expect(t.clearedAt).toBeNull();
    for (const t of txns.filter((x) => x.status === 'cleared')) expect(Date.parse(t.clearedAt!)).toBeGreaterThan(Date.parse(t.ts));
    expect(d.cairin.every((a) => a.livenessDone && /^\d{6}$/.test(a.pin) && a.deviceId.length > 0)).toBe(true);
  });

  it('generates realistic Finfra borrowers and loans', () => {
    expect(new Set(d.finfra.map((u) => u.status))).toEqual(new Set(['APPROVED', 'PENDING', 'VERIFIED', 'BLOCKED']));
    for (const u of d.finfra) if (u.status !== 'APPROVED') expect(u.loans).toHaveLength(0);
    const loans = d.finfra.flatMap((u) => u.loans);
    expect(new Set(loans.map((l) => l.loanType))).toEqual(new Set(['SINGLE_PAYMENT', 'BNPL']));
    for (const s of ['DISBURSED', 'REPAID', 'ACTIVE', 'PENDING', 'REJECTED']) expect(loans.some((l) => l.status === s)).toBe(true);
    for (const l of loans) {
      expect(['1.5', '2', '2.5']).toContain(l.interestRate);
      if (l.loanType === 'SINGLE_PAYMENT' && l.status !== 'REJECTED') expect(l.installments).toHaveLength(1);
      if (l.loanType === 'BNPL') expect(l.tenor >= 3 && l.tenor <= 12).toBe(true);
      for (const p of l.payments) expect(p.settledAt === null).toBe(p.status !== 'PAID');
    }
    expect(new Set(loans.flatMap((l) => l.payments.map((p) => p.status)))).toEqual(new Set(['PENDING', 'PAID', 'FAILED']));
    expect(new Set(loans.flatMap((l) => l.installments.map((i) => i.status)))).toEqual(new Set(['UNPAID', 'PARTIAL', 'PAID', 'OVERDUE']));
  });

  it('starts with the seed documents’ own examples, exactly', () => {
    const dk = d.dompetKilat[0]!;
    expect(Object.keys(dk)).toEqual(DK_DOC_FIELDS);
    expect(dk).toMatchObject({
      map: 'PERSONAL_BORROWER',
      productCode: '95',
      idNumber: '362638287638783',
      fullName: 'John',
      phoneNumber: '62123123123',
      email: 'johndoe@mail.com',
      birthDate: '30/09/1999',
      motherMaidenName: 'Shizuka',
      familyCard: '123123123123123',
      emergencyContactNumber: '6281234567892',
      plafons: '1000000',
      loanData: { tenor: 2, unit: 'MONTH', amount: '1000000', contractNo: 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH', contractDate: '11/01/2022' },
      references: { interest: '1.0', businessCity: 'Jakarta Barat', npwp: '123456789012345', jobPosition: 'Staff Akunting' },
    });
    expect(dk.fotoKtp!.startsWith('iVBORw0KGgoAAAANSUhEUgAAA+gAAAPoCAYAAABNo9TkAAAgAElEQVR4nOzd+ VcTf7ru/fOnP2fv091fBZkcUeZ5HpRBQRQQEUGcERRBEMhQQ+a5klzPD9UJGFNJZeK uJhrWuFx')).toBe(true);
    expect(dk.fotoSelfie!.endsWith('uu/JhrWuFxhBopffaL941/J//9/8BYub3z//wXuP/1s9a/asda')).toBe(true);

    const john = d.people[0]!;
    expect(john).toMatchObject({ nik: '362638287638783', fullName: 'John', phoneNumber: '62123123123', email: 'johndoe@mail.com' });
    expect(john.providers).toEqual(['cairin', 'finfra', 'dompetKilat']);

    const acct = d.cairin[0]!;
    expect(acct.nik).toBe(john.nik);
    const ln = acct.loans.find((l) => l.loanId === 'LN-0001')!;
    expect(ln).toMatchObject({ principal: 1_000_000n, tenorDays: 120, annualRatePct: 24, status: 'active' });
    expect(ln.installments.map((i) => [i.principal, i.interest, i.amountDue])).toEqual(Array(4).fill([250_000n, 20_000n, 270_000n]));
    expect(ln.installments.map((i) => i.status)).toEqual(['paid', 'due', 'due', 'due']);
    expect(ln.disbursement).toMatchObject({ bank: 'BCA', amount: 1_000_000n, status: 'cleared' });
    expect(daysBetween(ln.installments[0]!.dueDate, ln.installments[3]!.dueDate)).toBe(90);

    expect(d.finfra[0]).toMatchObject({ idNumber: john.nik, name: 'John', status: 'APPROVED' });
    expect(d.finfra[0]!.loans.length).toBeGreaterThan(0);
  });

  it('lists link credentials per person, John first across all three providers', () => {
    const creds = linkCredentials(d);
    expect(creds).toHaveLength(d.people.length);
    expect(creds[0]).toEqual({
      nik: '362638287638783',
      fullName: 'John',
      phoneNumber: '62123123123',
      cairin: { phoneNumber: '62123123123', pin: d.cairin[0]!.pin, deviceId: d.cairin[0]!.deviceId, accountId: d.cairin[0]!.accountId },
      finfra: { userId: d.finfra[0]!.userId },
      dompetKilat: { idNumber: '362638287638783' },
    });
    const reqs = linkRequests(d);
    const johnAccounts = {
      cairin: { phoneNumber: '62123123123', pin: d.cairin[0]!.pin, deviceId: d.cairin[0]!.deviceId },
      finfraUserId: d.finfra[0]!.userId,
      dompetKilatIdNumber: '362638287638783',
    };
    expect(reqs[0]).toEqual({ nik: '362638287638783', fullName: 'John', phoneNumber: '62123123123', ...johnAccounts, providers: ['CAIRIN', 'FINFRA', 'DOMPET_KILAT'], accounts: johnAccounts });
    const single = d.people.findIndex((p) => p.providers.length === 1 && p.providers[0] === 'dompetKilat');
    const nik = d.people[single]!.nik;
    expect(reqs[single]).toEqual({
      nik,
      fullName: d.people[single]!.fullName,
      phoneNumber: d.people[single]!.phoneNumber,
      dompetKilatIdNumber: nik,
      providers: ['DOMPET_KILAT'],
      accounts: { cairin: undefined, finfraUserId: undefined, dompetKilatIdNumber: nik },
    });
  });
});

// ---------------------------------------------------------------------------

describe('sandbox over HTTP (happy paths match wire.ts)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 7, borrowers: 40, today: TODAY, now: atT0 });
  });
  afterAll(async () => {
    await sb.close();
  });

  it('binds three loopback servers on ephemeral ports and returns the default Finfra client', () => {
    for (const u of Object.values(sb.urls)) expect(u).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(Object.values(sb.urls)).size).toBe(3);
    expect(sb.finfraClient).toEqual({ clientId: 'satukredit-sandbox', clientSecret: 'sk_sandbox_satukredit' });
  });

  it('Cairin: every account logs in and every list, detail and history page parses', async () => {
    const base = sb.urls.cairin;
    for (const a of sb.dataset.cairin) {
      const s = await cairinSession(base, a);
      expect(s.accountId).toBe(a.accountId);
      const list = wire(CairinLoanList, (await call(base, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) })).json);
      expect(list.loans.map((l) => l.loanId)).toEqual(a.loans.map((l) => l.loanId));
      for (const l of list.loans) {
        const r = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: l.loanId, include: ['installments', 'disbursement'] } });
        expect(r.status).toBe(200);
        const detail = wire(CairinLoanDetail, r.json);
        expect(detail.installments).toBeDefined();
        expect('disbursement' in r.json).toBe(true);
      }
      const h = await call(base, 'GET', '/mobile/transaction/history?type=all&page=1&size=100', { headers: bearer(s.accessToken) });
      const hist = wire(CairinHistory, h.json);
      expect(hist.total).toBe(a.transactions.length);
      const ts = hist.transactions.map((t) => Date.parse(t.ts));
      expect([...ts].sort((x, y) => y - x)).toEqual(ts);
    }
  });

  it('Cairin: LN-0001 answers as in the brief; include is honoured; history pages and filters', async () => {
    const base = sb.urls.cairin;
    const s = await cairinSession(base, sb.dataset.cairin[0]!);
    const full = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: 'LN-0001', include: ['installments', 'disbursement'] } });
    const d = wire(CairinLoanDetail, full.json);
    expect(d).toMatchObject({ loanId: 'LN-0001', principal: 1000000, currency: 'IDR', tenorDays: 120, annualRatePct: 24, disbursement: { bank: 'BCA', amount: 1000000, status: 'cleared' } });
    expect(full.json.installments[0]).toMatchObject({ seq: 1, principal: 250000, interest: 20000, amountDue: 270000, status: 'paid' });
    // The brief's seq 2: only amountDue, no split.
    expect(Object.keys(full.json.installments[1]).sort()).toEqual(['amountDue', 'dueDate', 'seq', 'status']);
    expect(full.json.installments[1]).toMatchObject({ seq: 2, amountDue: 270000, status: 'due' });

    const bare = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: 'LN-0001' } });
    wire(CairinLoanDetail, bare.json);
    expect('installments' in bare.json || 'disbursement' in bare.json).toBe(false);
    const onlyInst = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: 'LN-0001', include: ['installments'] } });
    expect('installments' in onlyInst.json && !('disbursement' in onlyInst.json)).toBe(true);

    const other = sb.dataset.cairin[1]!.loans[0]!.loanId;
    const nf = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: other, include: [] } });
    expect(nf.status).toBe(404);
    expect(wire(CairinError, nf.json).code).toBe('LOAN_NOT_FOUND');

    const busy = [...sb.dataset.cairin].sort((x, y) => y.transactions.length - x.transactions.length)[0]!;
    const bs = await cairinSession(base, busy);
    const all = wire(CairinHistory, (await call(base, 'GET', '/mobile/transaction/history', { headers: bearer(bs.accessToken) })).json);
    expect(all.size).toBe(100);
    const p1 = wire(CairinHistory, (await call(base, 'GET', '/mobile/transaction/history?type=all&page=1&size=2', { headers: bearer(bs.accessToken) })).json);
    const p2 = wire(CairinHistory, (await call(base, 'GET', '/mobile/transaction/history?type=all&page=2&size=2', { headers: bearer(bs.accessToken) })).json);
    expect(p1.hasMore).toBe(true);
    expect([...p1.transactions, ...p2.transactions].map((t) => t.txnId)).toEqual(all.transactions.slice(0, 4).map((t) => t.txnId));
    const rep = wire(CairinHistory, (await call(base, 'GET', '/mobile/transaction/history?type=repayment', { headers: bearer(bs.accessToken) })).json);
    expect(rep.transactions.length).toBeGreaterThan(0);
    expect(rep.transactions.every((t) => t.type === 'repayment')).toBe(true);
    const bad = await call(base, 'GET', '/mobile/transaction/history?type=bogus', { headers: bearer(bs.accessToken) });
    expect(bad.status).toBe(400);
  });

  it('Cairin: some unpaid installments omit principal/interest; pending repayments surface', async () => {
    const base = sb.urls.cairin;
    let omitted = 0;
    let pendingInst = 0;
    let pendingTxn = 0;
    for (const a of sb.dataset.cairin) {
      const s = await cairinSession(base, a);
      for (const l of a.loans) {
        const r = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: l.loanId, include: ['installments'] } });
        for (const i of r.json.installments as any[]) {
          if (!('principal' in i)) omitted++;
          if (i.status === 'pending') pendingInst++;
        }
      }
      const h = await call(base, 'GET', '/mobile/transaction/history?size=500', { headers: bearer(s.accessToken) });
      pendingTxn += (h.json.transactions as any[]).filter((t) => t.status === 'pending' && t.clearedAt === null).length;
    }
    expect(omitted).toBeGreaterThan(0);
    expect(pendingInst).toBeGreaterThan(0);
    expect(pendingTxn).toBeGreaterThan(0);
  });

  it('Finfra: every user, loan list and loan details parses', async () => {
    const base = sb.urls.finfra;
    const t = await finfraToken(base);
    for (const u of sb.dataset.finfra) {
      const b = wire(FinfraBorrower, (await call(base, 'GET', `/api/core/users/${u.userId}`, { headers: bearer(t.access_token) })).json);
      expect(b).toMatchObject({ userId: u.userId, id_number: u.idNumber, status: u.status });
      const list = wire(FinfraLoanList, (await call(base, 'GET', `/api/core/loans/${u.userId}`, { headers: bearer(t.access_token) })).json);
      expect(list.loans).toHaveLength(u.loans.length);
      for (const l of list.loans) {
        const det = wire(FinfraLoanDetails, (await call(base, 'GET', `/api/core/loans/details/${l.loanUniqueId}`, { headers: bearer(t.access_token) })).json);
        expect(det.userId).toBe(u.userId);
        expect(det.amount).toBe(l.amount);
        if (det.status === 'DISBURSED' || det.status === 'REPAID') expect(det.disbursement?.status).toBe('SUCCESS');
      }
    }
  });

  it('Dompet Kilat: every borrower record parses and carries every documented field, personal ones included', async () => {
    const base = sb.urls.dompetKilat;
    for (const b of sb.dataset.dompetKilat) {
      const r = await call(base, 'GET', `/v1/borrower/${b.idNumber}`);
      expect(r.status).toBe(200);
      const env = wire(DkEnvelope, r.json);
      expect(env.status).toBe('00');
      const rec = wire(DkBorrowerRecord, env.data);
      expect(rec.idNumber).toBe(b.idNumber);
      const data = r.json.data as Record<string, unknown>;
      expect(Object.keys(data)).toEqual(DK_DOC_FIELDS);
      expect(Object.keys(data.references as object)).toEqual(DK_DOC_REFERENCES);
      for (const f of ['motherMaidenName', 'fotoKtp', 'fotoSelfie', 'familyCard', 'emergencyContactName', 'emergencyContactNumber', 'religion', 'maritalStatus', 'income']) {
        expect(typeof data[f] === 'string' && (data[f] as string).length > 0).toBe(true);
      }
      // The connector's schema strips them.
      expect('motherMaidenName' in rec || 'fotoKtp' in rec).toBe(false);
    }
    const john = await call(base, 'GET', '/v1/borrower/362638287638783');
    expect(john.json).toEqual({ status: '00', message: 'success', data: sb.dataset.dompetKilat[0] });
  });

  it('Cairin: the settle-pending control clears in-flight repayments (runs last: it mutates state)', async () => {
    const base = sb.urls.cairin;
    const a = sb.dataset.cairin.find((x) => x.transactions.some((t) => t.status === 'pending'))!;
    const s = await cairinSession(base, a);
    const history = async () => wire(CairinHistory, (await call(base, 'GET', '/mobile/transaction/history?size=500', { headers: bearer(s.accessToken) })).json).transactions;
    const pending = (await history()).filter((t) => t.status === 'pending');
    expect(pending.length).toBeGreaterThan(0);
    const r = await call(base, 'POST', `/__sandbox/accounts/${a.accountId}/settle-pending`);
    expect(r.json).toEqual({ settled: pending.length });
    const after = await history();
    for (const p of pending) expect(after.find((t) => t.txnId === p.txnId)).toMatchObject({ status: 'cleared', clearedAt: expect.any(String) });
    const detail = await call(base, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: pending[0]!.loanId, include: ['installments'] } });
    expect((detail.json.installments as any[]).some((i) => i.status === 'pending')).toBe(false);
    // The dataset snapshot is untouched: servers keep their own copies.
    expect(a.transactions.some((t) => t.status === 'pending')).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('Dompet Kilat envelopes', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 3, borrowers: 5, today: TODAY, now: atT0 });
  });
  afterAll(async () => {
    await sb.close();
  });

  const registration = { map: 'PERSONAL_BORROWER', productCode: '95', phoneNumber: '6281299990001', email: 'new.borrower@example.com', fullName: 'Rina Baru', idNumber: '3174055501990001', birthDate: '15/01/1999' };

  it('registers a borrower (doc response shape), then refuses the duplicate with status 02', async () => {
    const base = sb.urls.dompetKilat;
    const ok = await call(base, 'POST', '/v1/borrower/register', { body: registration });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: '00', message: 'success', data: { borrowerType: 'PERSONAL_BORROWER', idNumber: registration.idNumber, birthDate: '1999-01-15T00:00:00Z', isVerified: false, deletedAt: null } });
    expect(ok.json.data.id).toEqual(expect.any(Number));
    expect(ok.json.data.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(ok.json.data.createdAt).toBe(new Date(T0).toISOString().replace(/\.\d{3}Z$/, 'Z')); // the injected clock's instant

    const dup = await call(base, 'POST', '/v1/borrower/register', { body: { ...registration, phoneNumber: '6281299990002', email: 'other@example.com' } });
    expect(dup.status).toBe(400);
    expect(dup.json).toEqual({ data: {}, status: '02', message: `Error 1062: Duplicate entry '${registration.idNumber}' for key 'id_number'` });
    expect(dup.text.startsWith('{"data":{},"status":"02"')).toBe(true);

    const docDup = await call(base, 'POST', '/v1/borrower/register', {
      body: { map: 'PERSONAL_BORROWER', productCode: '95', phoneNumber: '62123123123', email: 'johndoe@mail.com', fullName: 'John', idNumber: '362638287638783', birthDate: '30/09/1999' },
    });
    expect(docDup.json).toEqual({ data: {}, status: '02', message: "Error 1062: Duplicate entry '362638287638783' for key 'id_number'" });

    const rec = await call(base, 'GET', `/v1/borrower/${registration.idNumber}`);
    const parsed = wire(DkBorrowerRecord, wire(DkEnvelope, rec.json).data);
    expect(parsed).toMatchObject({ fullName: 'Rina Baru', birthDate: '15/01/1999', loanData: null });
    expect(Object.keys(rec.json.data)).toEqual(DK_DOC_FIELDS);
  });

  it('validates the registration body (62 prefix, dd/MM/yyyy)', async () => {
    const base = sb.urls.dompetKilat;
    const phone = await call(base, 'POST', '/v1/borrower/register', { body: { ...registration, idNumber: '3174055501990002', phoneNumber: '081299990003' } });
    expect(phone.status).toBe(400);
    expect(phone.json).toMatchObject({ data: {}, status: '01' });
    const date = await call(base, 'POST', '/v1/borrower/register', { body: { ...registration, idNumber: '3174055501990002', birthDate: '1999-01-15' } });
    expect(date.status).toBe(400);
    expect(date.json.message).toContain('birthDate');
  });

  it('answers 404 / status 001 for an unknown borrower, on read and on loan registration', async () => {
    const base = sb.urls.dompetKilat;
    const nf = await call(base, 'GET', '/v1/borrower/3626382876387831');
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ data: {}, status: '001', message: 'IdNumber 3626382876387831 record not found' });

    const loan = {
      ...registration, idNumber: '362638287638712', gender: 'L', birthPlace: 'Jakarta', officeName: 'PT ABC', startDate: '15/04/2001', address: 'Jl Merdeka No. 20',
      village: 'Kampung Jawa', subdistrict: 'Tanah Abang', city: 'Jakarta Pusat', province: 'DKI Jakarta', postalCode: '10250', plafons: '1000000',
      job: 'Karyawan Swasta', jobType: 'Perantara Keuangan', jobOnline: 'Berbasis Internet / online', income: 'Rp 5.934.041 - Rp 11.868.080',
      homeOwnership: 'MILIK SENDIRI', emergencyContactRelationship: 'Saudara', emergencyContactName: 'Banu', emergencyContactNumber: '6281234567892',
      religion: 'Islam', maritalStatus: 'BELUM KAWIN', education: 'SARJANA', motherMaidenName: 'Shizuka', bankName: 'BANK SINARMAS',
      bankAccountNumber: '007812342', asset: 'Rp 50.000.001 - Rp 500.000.000', familyCard: '123123123123123', workExperience: '> 3 Tahun',
      fotoKtp: 'iVBORw0KGgo=', fotoSelfie: 'iVBORw0KGgo=', loanData: { tenor: 2, unit: 'MONTH', amount: '1000000' },
      references: { interest: '1.0', businessAddress: 'Jl. Kyai Tapa', npwp: '123456789012345', jobPosition: 'Staff Akunting' },
    };
    const unknown = await call(base, 'POST', '/v1/loan/register', { body: loan });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ data: {}, status: '001', message: 'borrower with idNumber 362638287638712, is not found' });

    // A registered borrower applies: doc response shape, and the record now carries the application.
    const reg = { ...registration, idNumber: '3174055501990009', phoneNumber: '6281299990009', email: 'applicant@example.com' };
    expect((await call(base, 'POST', '/v1/borrower/register', { body: reg })).status).toBe(200);
    const applied = await call(base, 'POST', '/v1/loan/register', { body: { ...loan, ...reg } });
    expect(applied.status).toBe(200);
    expect(applied.json).toMatchObject({ status: '00', message: 'success', data: { status: 'INACTIVE', plafons: 1000000, tenor: 2, tenorUnit: 'MONTH', amount: 1000000, contractNo: '', contractDate: null, interest: '1.0' } });
    const after = wire(DkBorrowerRecord, (await call(base, 'GET', `/v1/borrower/${reg.idNumber}`)).json.data);
    expect(after.loanData).toMatchObject({ tenor: 2, unit: 'MONTH', amount: '1000000' });
    expect(after.references?.interest).toBe('1.0');
  });

  it('rejects callers outside the IP allow-list with status 03', async () => {
    const dk = await startDompetKilatServer({ borrowers: sb.dataset.dompetKilat, allowIps: ['10.20.30.40'], now: atT0 });
    try {
      const r = await call(dk.url, 'GET', '/v1/borrower/362638287638783');
      expect(r.status).toBe(403);
      expect(r.json).toEqual({ data: {}, status: '03', message: 'IP 127.0.0.1 is not whitelisted' });
      const w = await call(dk.url, 'POST', '/v1/borrower/register', { body: registration });
      expect(w.status).toBe(403);
      expect(dk.stats().total).toBe(2);
    } finally {
      await dk.close();
    }
  });
});

// ---------------------------------------------------------------------------

describe('Finfra auth and lifecycle', () => {
  const clock = testClock();
  let sb: Sandbox;
  let base: string;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 5, borrowers: 8, today: TODAY, now: clock.now });
    base = sb.urls.finfra;
  });
  afterAll(async () => {
    await sb.close();
  });

  it('exchanges Basic credentials for an HS256 JWT and refuses bad or production keys', async () => {
    const t = await finfraToken(base);
    expect(t.expires_in).toBe(3600);
    const [h, p, s] = t.access_token.split('.');
    expect(s).toBeTruthy();
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ sub: 'satukredit-sandbox', exp: Math.floor(T0 / 1000) + 3600 });

    const prod = await call(base, 'POST', '/api/auth/token/v2', { headers: { authorization: basic('satukredit-sandbox', 'sk_prod_abc123') } });
    expect(prod.status).toBe(401);
    expect(prod.json).toEqual({ error: 'invalid_client', message: 'production keys are not valid in the sandbox environment' });
    const wrong = await call(base, 'POST', '/api/auth/token/v2', { headers: { authorization: basic('satukredit-sandbox', 'sk_sandbox_wrong') } });
    expect(wrong.status).toBe(401);
    expect(wire(FinfraError, wrong.json).error).toBe('invalid_client');
    const none = await call(base, 'POST', '/api/auth/token/v2');
    expect(none.status).toBe(401);
  });

  it('requires a valid, unexpired Bearer on /api/core and renews with the refresh token', async () => {
    const userPath = `/api/core/users/${sb.dataset.finfra[0]!.userId}`;
    const missing = await call(base, 'GET', userPath);
    expect(missing.status).toBe(401);
    expect(wire(FinfraError, missing.json).error).toBe('unauthorized');
    const forged = await call(base, 'GET', userPath, { headers: bearer('eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.AAAA') });
    expect(forged.status).toBe(401);

    const t = await finfraToken(base);
    expect((await call(base, 'GET', userPath, { headers: bearer(t.access_token) })).status).toBe(200);
    clock.advance(3599);
    expect((await call(base, 'GET', userPath, { headers: bearer(t.access_token) })).status).toBe(200);
    clock.advance(2);
    const expired = await call(base, 'GET', userPath, { headers: bearer(t.access_token) });
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual({ error: 'unauthorized', message: 'access token expired' });

    const refreshed = await call(base, 'POST', '/api/auth/refresh', { body: { refresh_token: t.refresh_token } });
    expect(refreshed.status).toBe(200);
    const t2 = wire(FinfraToken, refreshed.json);
    expect((await call(base, 'GET', userPath, { headers: bearer(t2.access_token) })).status).toBe(200);
    // Refresh tokens rotate: the used one is gone.
    const reused = await call(base, 'POST', '/api/auth/refresh', { body: { refresh_token: t.refresh_token } });
    expect(reused.status).toBe(401);
  });

  it('walks a borrower through KYC and loans through PENDING -> SIGNING -> ACTIVE -> DISBURSED -> REPAID, refusing invalid transitions', async () => {
    const t = await finfraToken(base);
    const auth = bearer(t.access_token);
    const created = await call(base, 'POST', '/api/core/users', { headers: auth, body: { borrower_type: 'PERSONAL', name: 'Putri Baru', id_number: '3273015003990004' } });
    expect(created.status).toBe(201);
    const u = wire(FinfraBorrower, created.json);
    expect(u.status).toBe('PENDING');

    const early = await call(base, 'POST', `/api/core/loans/${u.userId}`, { headers: auth, body: { amount: 2_000_000, tenor: 30, tenor_unit: 'DAY', interest_rate: '2' } });
    expect(early.status).toBe(400);
    expect(wire(FinfraError, early.json).error).toBe('bad_request');

    const verified = await call(base, 'POST', `/api/core/users/${u.userId}/kyc/verify`, { headers: auth });
    expect(verified.json.status).toBe('VERIFIED');
    expect((await call(base, 'GET', `/api/core/users/${u.userId}`, { headers: auth })).json.status).toBe('APPROVED');
    expect((await call(base, 'POST', `/api/core/users/${u.userId}/kyc/verify`, { headers: auth })).status).toBe(400);

    const single = await call(base, 'POST', `/api/core/loans/${u.userId}`, { headers: auth, body: { amount: 2_000_000, tenor: 30, tenor_unit: 'DAY', interest_rate: '2' } });
    expect(single.status).toBe(201);
    const loan = wire(FinfraLoanDetails, single.json);
    expect(loan).toMatchObject({ status: 'PENDING', loan_type: 'SINGLE_PAYMENT', amount: 2_000_000, disbursement: null });
    // 2% a month flat over 30 days = 40,000 interest, one bullet installment.
    expect(loan.installments).toEqual([expect.objectContaining({ installment_number: 1, principal_amount: 2_000_000, interest_amount: 40_000, total_amount: 2_040_000, paid_amount: 0 })]);
    const id = loan.loanUniqueId;

    const tooEarly = await call(base, 'POST', `/api/core/loans/${id}/disbursement`, { headers: auth, body: {} });
    expect(tooEarly.status).toBe(400);
    const sign = await call(base, 'POST', '/api/core/loans/signing/initiate', { headers: auth, body: { loanUniqueId: id } });
    expect(sign.json).toMatchObject({ loanUniqueId: id, status: 'SIGNING' });
    expect((await call(base, 'POST', '/api/core/loans/signing/initiate', { headers: auth, body: { loanUniqueId: id } })).status).toBe(400);
    const signed = await call(sign.json.signing_url, 'POST', '');
    expect(signed.json).toMatchObject({ status: 'ACTIVE' });
    expect((await call(base, 'GET', `/api/core/loans/details/${id}`, { headers: auth })).json.status).toBe('ACTIVE');

    const disbursed = await call(base, 'POST', `/api/core/loans/${id}/disbursement`, { headers: auth, body: { bank_code: 'BRI', account_number: '0123456789' } });
    expect(disbursed.status).toBe(200);
    const d = wire(FinfraLoanDetails, disbursed.json);
    expect(d).toMatchObject({ status: 'DISBURSED', disbursement: { amount: 2_000_000, bank_code: 'BRI', account_number: '0123456789', status: 'SUCCESS' } });
    expect(d.disbursed_at).not.toBeNull();
    expect((await call(base, 'POST', `/api/core/loans/${id}/reject`, { headers: auth })).status).toBe(400);
    expect((await call(base, 'POST', `/api/core/loans/${id}/disbursement`, { headers: auth })).status).toBe(400);

    const repaid = await call(base, 'POST', `/__sandbox/loans/${id}/repay`, {});
    expect(wire(FinfraLoanDetails, repaid.json)).toMatchObject({ status: 'REPAID', payments: [expect.objectContaining({ amount: 2_040_000, status: 'PAID' })] });

    const bnpl = await call(base, 'POST', `/api/core/loans/${u.userId}/bnpl`, { headers: auth, body: { amount: 1_200_000, tenor: 3, frequency: 'MONTHLY', interest_rate: '1.5' } });
    expect(bnpl.status).toBe(201);
    const b = wire(FinfraLoanDetails, bnpl.json);
    expect(b).toMatchObject({ loan_type: 'BNPL', tenor: 3, frequency: 'MONTHLY', tenor_unit: null });
    expect(b.installments.map((i) => i.total_amount)).toEqual([418_000, 418_000, 418_000]);
    const rejected = await call(base, 'POST', `/api/core/loans/${b.loanUniqueId}/reject`, { headers: auth });
    expect(wire(FinfraLoanDetails, rejected.json).status).toBe('REJECTED');
    expect((await call(base, 'POST', '/api/core/loans/signing/initiate', { headers: auth, body: { loanUniqueId: b.loanUniqueId } })).status).toBe(400);

    const list = wire(FinfraLoanList, (await call(base, 'GET', `/api/core/loans/${u.userId}`, { headers: auth })).json);
    expect(list.loans.map((l) => l.status)).toEqual(['REPAID', 'REJECTED']);
    const nf = await call(base, 'GET', '/api/core/loans/details/FL-999999', { headers: auth });
    expect(nf.status).toBe(404);
    expect(wire(FinfraError, nf.json).error).toBe('not_found');
    expect((await call(base, 'GET', '/api/core/users/usr_nope', { headers: auth })).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------

describe('Cairin session chain', () => {
  const clock = testClock();
  let server: SandboxServerHandle;
  let dataset: Dataset;
  const fresh = { phoneNumber: '6281100000001', pin: '654321', deviceId: 'dev-fresh-1' };
  beforeAll(async () => {
    dataset = generateDataset({ seed: 11, borrowers: 6, today: TODAY });
    const newcomer: CairinAccountRecord = { accountId: 'CA-NEW', nik: '3173000101900001', fullName: 'Baru Daftar', ...fresh, livenessDone: false, approvedLimit: 2_000_000n, loans: [], transactions: [] };
    server = await startCairinServer({ accounts: [...dataset.cairin, newcomer], now: clock.now, accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 1000 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses wrong credentials', async () => {
    const r = await call(server.url, 'POST', '/mobile/auth/login', { body: { ...fresh, pin: '000000' } });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('INVALID_CREDENTIALS');
    const phone = await call(server.url, 'POST', '/mobile/auth/login', { body: { ...fresh, phoneNumber: '6281100009999' } });
    expect(phone.status).toBe(401);
    expect(phone.json.code).toBe('INVALID_CREDENTIALS');
  });

  it('asks a new device for liveness once, then remembers it', async () => {
    const a = dataset.cairin[1]!;
    const fromNew = { phoneNumber: a.phoneNumber, pin: a.pin, deviceId: 'new-phone-1' };
    const login = async (body: Record<string, string>) => call(server.url, 'POST', '/mobile/auth/login', { body });

    // A wrong PIN from a new device is refused as before.
    const wrong = await login({ ...fromNew, pin: a.pin === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe('INVALID_CREDENTIALS');

    // Right phone and PIN from a new device: a ticket, gated on liveness.
    const first = wire(CairinLoginResponse, (await login(fromNew)).json);
    expect(first.livenessRequired).toBe(true);
    const gated = await call(server.url, 'POST', '/mobile/auth/token', { body: { loginTicket: first.loginTicket } });
    expect(gated.status).toBe(403);
    expect(gated.json.code).toBe('LIVENESS_REQUIRED');
    expect((await call(server.url, 'POST', '/mobile/auth/liveness', { body: { loginTicket: first.loginTicket, ktpImage: 'iVBORw0KGgo=' } })).status).toBe(400);
    // The registered device is unaffected meanwhile.
    expect(wire(CairinLoginResponse, (await login({ phoneNumber: a.phoneNumber, pin: a.pin, deviceId: a.deviceId })).json).livenessRequired).toBe(false);

    const live = await call(server.url, 'POST', '/mobile/auth/liveness', { body: { loginTicket: first.loginTicket, ktpImage: 'iVBORw0KGgo=', selfieImage: 'iVBORw0KGgo=' } });
    expect(wire(CairinLivenessResponse, live.json).verified).toBe(true);
    const s = wire(CairinSession, (await call(server.url, 'POST', '/mobile/auth/token', { body: { loginTicket: first.loginTicket } })).json);
    expect(s.accountId).toBe(a.accountId);
    expect((await call(server.url, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) })).status).toBe(200);
    const renewed = wire(CairinSession, (await call(server.url, 'POST', '/mobile/auth/refresh', { body: { refreshToken: s.refreshToken } })).json);
    expect((await call(server.url, 'GET', '/mobile/loan/list', { headers: bearer(renewed.accessToken) })).status).toBe(200);

    // The same device again: no liveness, straight to a token.
    const again = wire(CairinLoginResponse, (await login(fromNew)).json);
    expect(again.livenessRequired).toBe(false);
    expect((await call(server.url, 'POST', '/mobile/auth/token', { body: { loginTicket: again.loginTicket } })).status).toBe(200);
    // Another new device still needs its own check.
    expect(wire(CairinLoginResponse, (await login({ ...fromNew, deviceId: 'new-phone-2' })).json).livenessRequired).toBe(true);
  });

  it('gates token issuance on the one-time liveness check', async () => {
    const login = wire(CairinLoginResponse, (await call(server.url, 'POST', '/mobile/auth/login', { body: fresh })).json);
    expect(login.livenessRequired).toBe(true);
    const gated = await call(server.url, 'POST', '/mobile/auth/token', { body: { loginTicket: login.loginTicket } });
    expect(gated.status).toBe(403);
    expect(gated.json.code).toBe('LIVENESS_REQUIRED');
    expect((await call(server.url, 'POST', '/mobile/auth/liveness', { body: { loginTicket: login.loginTicket } })).status).toBe(400);
    const live = await call(server.url, 'POST', '/mobile/auth/liveness', { body: { loginTicket: login.loginTicket, ktpImage: 'iVBORw0KGgo=', selfieImage: 'iVBORw0KGgo=' } });
    expect(wire(CairinLivenessResponse, live.json).verified).toBe(true);
    const s = wire(CairinSession, (await call(server.url, 'POST', '/mobile/auth/token', { body: { loginTicket: login.loginTicket } })).json);
    expect(s).toMatchObject({ accountId: 'CA-NEW', tokenType: 'Bearer', expiresIn: 60, refreshExpiresIn: 1000 });
    const list = wire(CairinLoanList, (await call(server.url, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) })).json);
    expect(list).toEqual({ accountId: 'CA-NEW', limit: { approvedLimit: 2_000_000, outstanding: 0 }, loans: [] });
    // The ticket is single use; the next login no longer asks for liveness.
    expect((await call(server.url, 'POST', '/mobile/auth/token', { body: { loginTicket: login.loginTicket } })).status).toBe(401);
    expect(wire(CairinLoginResponse, (await call(server.url, 'POST', '/mobile/auth/login', { body: fresh })).json).livenessRequired).toBe(false);
  });

  it('expires access tokens (TOKEN_EXPIRED) and rotates refresh tokens past half their life', async () => {
    const s = await cairinSession(server.url, dataset.cairin[0]!);
    const list = () => call(server.url, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) });
    expect((await call(server.url, 'GET', '/mobile/loan/list')).json.code).toBe('UNAUTHORIZED');
    expect((await list()).status).toBe(200);
    clock.advance(61);
    const expired = await list();
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual({ code: 'TOKEN_EXPIRED', message: 'access token expired' });

    const early = wire(CairinSession, (await call(server.url, 'POST', '/mobile/auth/refresh', { body: { refreshToken: s.refreshToken } })).json);
    expect(early.refreshToken).toBe(s.refreshToken);
    expect(early.accessToken).not.toBe(s.accessToken);
    expect((await call(server.url, 'GET', '/mobile/loan/list', { headers: bearer(early.accessToken) })).status).toBe(200);

    clock.advance(500); // 561 s of a 1000 s life: past half.
    const rotated = wire(CairinSession, (await call(server.url, 'POST', '/mobile/auth/refresh', { body: { refreshToken: s.refreshToken } })).json);
    expect(rotated.refreshToken).not.toBe(s.refreshToken);
    expect(rotated.refreshExpiresIn).toBe(1000);

    clock.advance(440); // 1001 s: the old refresh token is dead, the new one lives.
    const dead = await call(server.url, 'POST', '/mobile/auth/refresh', { body: { refreshToken: s.refreshToken } });
    expect(dead.status).toBe(401);
    expect(dead.json.code).toBe('REFRESH_EXPIRED');
    expect((await call(server.url, 'POST', '/mobile/auth/refresh', { body: { refreshToken: rotated.refreshToken } })).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------

describe('counters, faults and latency', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 9, borrowers: 6, today: TODAY, now: atT0 });
  });
  afterAll(async () => {
    await sb.close();
  });

  it('counts requests per endpoint template; control requests are not counted', async () => {
    sb.resetStats();
    const dk = sb.urls.dompetKilat;
    await call(dk, 'GET', '/v1/borrower/362638287638783');
    await call(dk, 'GET', `/v1/borrower/${sb.dataset.dompetKilat[1]!.idNumber}`);
    await call(dk, 'GET', '/v1/borrower/0000');
    await call(dk, 'POST', '/v1/borrower/register', { body: {} });
    await call(dk, 'GET', '/nope');
    const t = await finfraToken(sb.urls.finfra);
    await call(sb.urls.finfra, 'GET', `/api/core/loans/details/${sb.dataset.finfra[0]!.loans[0]!.loanUniqueId}`, { headers: bearer(t.access_token) });
    const s = await cairinSession(sb.urls.cairin, sb.dataset.cairin[0]!);
    await call(sb.urls.cairin, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: 'LN-0001' } });

    expect(sb.dompetKilat.stats()).toEqual({ total: 5, byEndpoint: { 'GET (unmatched)': 1, 'GET /v1/borrower/:idNumber': 3, 'POST /v1/borrower/register': 1 } });
    const viaHttp = await call(dk, 'GET', '/__sandbox/stats');
    await call(dk, 'GET', '/__sandbox/stats');
    expect(viaHttp.json).toEqual(sb.dompetKilat.stats());
    expect(sb.finfra.stats().byEndpoint).toEqual({ 'POST /api/auth/token/v2': 1, 'GET /api/core/loans/details/:uniqueId': 1 });
    expect(sb.cairin.stats().byEndpoint).toEqual({ 'POST /mobile/auth/login': 1, 'POST /mobile/auth/token': 1, 'POST /mobile/loan/detail': 1 });
    const all = sb.stats();
    expect(all.total).toBe(10);
    expect(all.byEndpoint['POST /mobile/loan/detail']).toBe(1);
    expect(all.byProvider.finfra.total).toBe(2);

    expect((await call(dk, 'POST', '/__sandbox/stats/reset')).status).toBe(204);
    expect(sb.dompetKilat.stats()).toEqual({ total: 0, byEndpoint: {} });
    expect(sb.cairin.stats().total).toBe(3);
    sb.resetStats();
    expect(sb.stats().total).toBe(0);
  });

  it('status fault: provider-style body, scoped to an endpoint, for the next N requests', async () => {
    const s = await cairinSession(sb.urls.cairin, sb.dataset.cairin[0]!);
    sb.cairin.setFaults([{ kind: 'status', status: 503, count: 2, endpoints: ['GET /mobile/loan/list'] }]);
    const list = () => call(sb.urls.cairin, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) });
    const detail = await call(sb.urls.cairin, 'POST', '/mobile/loan/detail', { headers: bearer(s.accessToken), body: { loanId: 'LN-0001' } });
    expect(detail.status).toBe(200);
    const f1 = await list();
    expect(f1.status).toBe(503);
    expect(wire(CairinError, f1.json).code).toBe('SERVICE_UNAVAILABLE');
    expect((await list()).status).toBe(503);
    expect((await list()).status).toBe(200);
    expect(sb.cairin.faults()).toEqual([]);

    sb.finfra.setFaults([{ kind: 'status', status: 500 }]);
    const r = await call(sb.urls.finfra, 'POST', '/api/auth/token/v2', { headers: { authorization: basic(sb.finfraClient.clientId, sb.finfraClient.clientSecret) } });
    expect(r.status).toBe(500);
    expect(wire(FinfraError, r.json).error).toBe('internal_error');
    sb.finfra.clearFaults();
  });

  it('timeout fault holds the socket until the client gives up', async () => {
    sb.dompetKilat.setFaults([{ kind: 'timeout', count: 1 }]);
    const client = new AbortController();
    let answered = false;
    const held = call(sb.urls.dompetKilat, 'GET', '/v1/borrower/362638287638783', { signal: client.signal }).finally(() => void (answered = true));
    held.catch(() => undefined); // awaited below, after the abort
    // The server took the request and consumed the fault: from here on it never answers that request.
    await until(() => sb.dompetKilat.faults().length === 0, 'the timeout fault fired');
    expect(sb.dompetKilat.faults()).toEqual([]);
    // A whole round trip to the same server completes while the faulted request is still unanswered.
    expect((await call(sb.urls.dompetKilat, 'GET', '/__sandbox/stats')).status).toBe(200);
    expect(answered).toBe(false);
    client.abort(); // the client gives up: only then does its request end, with an error
    await expect(held).rejects.toThrow();
    expect((await call(sb.urls.dompetKilat, 'GET', '/v1/borrower/362638287638783')).status).toBe(200);
  });

  it('malformed fault: 200 with non-JSON, or JSON missing required fields', async () => {
    const dk = sb.urls.dompetKilat;
    sb.dompetKilat.setFaults([{ kind: 'malformed', count: 1 }]);
    const broken = await call(dk, 'GET', '/v1/borrower/362638287638783');
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.text)).toThrow();
    sb.dompetKilat.setFaults([{ kind: 'malformed', mode: 'missing_fields', count: 1 }]);
    const partial = await call(dk, 'GET', '/v1/borrower/362638287638783');
    expect(partial.status).toBe(200);
    expect(DkEnvelope.safeParse(partial.json).success).toBe(false);

    const t = await finfraToken(sb.urls.finfra);
    sb.finfra.setFaults([{ kind: 'malformed', mode: 'missing_fields', endpoints: ['/api/core/loans/details/:uniqueId'] }]);
    const det = await call(sb.urls.finfra, 'GET', `/api/core/loans/details/${sb.dataset.finfra[0]!.loans[0]!.loanUniqueId}`, { headers: bearer(t.access_token) });
    expect(det.status).toBe(200);
    expect(FinfraLoanDetails.safeParse(det.json).success).toBe(false);
    sb.finfra.clearFaults();
  });

  it('expired_token fault: each provider’s own 401 (Dompet Kilat: its IP rejection), only on authenticated routes', async () => {
    sb.cairin.setFaults([{ kind: 'expired_token', count: 1 }]);
    const s = await cairinSession(sb.urls.cairin, sb.dataset.cairin[0]!); // login/token are not authenticated routes: untouched
    const r = await call(sb.urls.cairin, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ code: 'TOKEN_EXPIRED', message: 'access token expired' });
    expect((await call(sb.urls.cairin, 'GET', '/mobile/loan/list', { headers: bearer(s.accessToken) })).status).toBe(200);

    const t = await finfraToken(sb.urls.finfra);
    sb.finfra.setFaults([{ kind: 'expired_token', count: 1 }]);
    const f = await call(sb.urls.finfra, 'GET', `/api/core/users/${sb.dataset.finfra[0]!.userId}`, { headers: bearer(t.access_token) });
    expect(f.status).toBe(401);
    expect(f.json).toEqual({ error: 'unauthorized', message: 'access token expired' });

    sb.dompetKilat.setFaults([{ kind: 'expired_token', count: 1 }]);
    const d = await call(sb.urls.dompetKilat, 'GET', '/v1/borrower/362638287638783');
    expect(d.status).toBe(403);
    expect(d.json).toMatchObject({ data: {}, status: '03' });
  });

  it('rate_limit fault: 429 with Retry-After; rate-based faults fire on a seeded fraction', async () => {
    sb.finfra.setFaults([{ kind: 'rate_limit', retryAfterSeconds: 7, count: 1 }]);
    const r = await call(sb.urls.finfra, 'POST', '/api/auth/token/v2', { headers: { authorization: basic(sb.finfraClient.clientId, sb.finfraClient.clientSecret) } });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(wire(FinfraError, r.json).error).toBe('rate_limited');

    sb.dompetKilat.setFaults([{ kind: 'rate_limit', rate: 0.5 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await call(sb.urls.dompetKilat, 'GET', '/v1/borrower/362638287638783')).status);
    const limited = statuses.filter((x) => x === 429).length;
    expect(limited).toBeGreaterThan(5);
    expect(limited).toBeLessThan(35);
    expect(statuses.filter((x) => x !== 429).every((x) => x === 200)).toBe(true);
    sb.dompetKilat.setFaults([{ kind: 'rate_limit', rate: 0 }]);
    expect((await call(sb.urls.dompetKilat, 'GET', '/v1/borrower/362638287638783')).status).toBe(200);
    sb.dompetKilat.clearFaults();
  });

  it('faults and latency are settable over the /__sandbox control surface', async () => {
    const dk = sb.urls.dompetKilat;
    const put = await call(dk, 'PUT', '/__sandbox/faults', { body: [{ kind: 'status', status: 502, endpoints: ['GET /v1/borrower/:idNumber'] }] });
    expect(put.status).toBe(200);
    expect(put.json.faults).toHaveLength(1);
    const r = await call(dk, 'GET', '/v1/borrower/362638287638783');
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ data: {}, status: '99' });
    expect((await call(dk, 'DELETE', '/__sandbox/faults')).status).toBe(204);
    expect((await call(dk, 'GET', '/v1/borrower/362638287638783')).status).toBe(200);
    expect((await call(dk, 'PUT', '/__sandbox/faults', { body: [{ kind: 'explode' }] })).status).toBe(400);
    expect((await call(dk, 'PUT', '/__sandbox/latency', { body: { minMs: 10, maxMs: 5 } })).status).toBe(400);

    const set = await call(dk, 'PUT', '/__sandbox/latency', { body: { minMs: 80, maxMs: 90 } });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ latency: { minMs: 80, maxMs: 90 } });
    expect((await call(dk, 'GET', '/__sandbox/latency')).json).toEqual({ latency: { minMs: 80, maxMs: 90 } });
    expect((await call(dk, 'GET', '/v1/borrower/362638287638783')).status).toBe(200); // delayed, then answered

    // Control requests are never delayed: while a provider request sits in a 10-minute delay,
    // control round trips to the same server complete (no elapsed-time limit is asserted).
    expect((await call(dk, 'PUT', '/__sandbox/latency', { body: { minMs: 600_000 } })).status).toBe(200);
    sb.dompetKilat.resetStats();
    const client = new AbortController();
    let answered = false;
    const held = call(dk, 'GET', '/v1/borrower/362638287638783', { signal: client.signal }).finally(() => void (answered = true));
    held.catch(() => undefined); // awaited below, after the abort
    await until(async () => (await call(dk, 'GET', '/__sandbox/stats')).json.total === 1, 'the delayed request reached the server');
    expect((await call(dk, 'GET', '/__sandbox/latency')).json).toEqual({ latency: { minMs: 600_000 } });
    expect(answered).toBe(false);
    client.abort();
    await expect(held).rejects.toThrow();
    expect((await call(dk, 'PUT', '/__sandbox/latency', { body: {} })).json).toEqual({ latency: null });
    expect((await call(dk, 'GET', '/__sandbox/latency')).json).toEqual({ latency: null });
  });

  it('latency injection at start is applied by every server', async () => {
    // A 10-minute latency: a request that reaches a server stays unanswered while its control routes answer.
    const slow = await startSandbox({ seed: 9, borrowers: 3, today: TODAY, now: atT0, latency: { minMs: 600_000, maxMs: 600_000 } });
    try {
      for (const [base, path] of [
        [slow.urls.dompetKilat, '/v1/borrower/362638287638783'],
        [slow.urls.cairin, '/mobile/loan/list'],
        [slow.urls.finfra, '/api/core/loans/details/x'],
      ] as const) {
        // Each server reports the latency it was started with...
        expect((await call(base, 'GET', '/__sandbox/latency')).json, base).toEqual({ latency: { minMs: 600_000, maxMs: 600_000 } });
        // ...and applies it: the request is counted, and still unanswered after a control round trip.
        const before = (await call(base, 'GET', '/__sandbox/stats')).json.total as number;
        const client = new AbortController();
        let answered = false;
        const held = call(base, 'GET', path, { signal: client.signal }).finally(() => void (answered = true));
        held.catch(() => undefined);
        await until(async () => (await call(base, 'GET', '/__sandbox/stats')).json.total === before + 1, `the delayed request reached ${base}`);
        expect(answered).toBe(false);
        client.abort();
        await expect(held).rejects.toThrow();
      }
      // Removing it on one server leaves the others alone; the provider keeps answering.
      slow.dompetKilat.setLatency(null);
      expect((await call(slow.urls.dompetKilat, 'GET', '/__sandbox/latency')).json).toEqual({ latency: null });
      expect((await call(slow.urls.cairin, 'GET', '/__sandbox/latency')).json).toEqual({ latency: { minMs: 600_000, maxMs: 600_000 } });
      expect((await call(slow.urls.dompetKilat, 'GET', '/v1/borrower/362638287638783')).status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
