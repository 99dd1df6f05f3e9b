/**
 * `Loan.repaymentAccount` (issue 13.6): the account the borrower pays into — bank and masked VA number — read
 * from Dompet Kilat with the loan and shown behind the REPAYMENTS consent domain. Real HTTP against the
 * sandbox, a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskAccountNumber } from '../../src/domain/types';
import { DkBorrowerRecord } from '../../src/providers/dompetkilat';
import { dkDocExampleRecord } from '../../src/sandbox';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const ACCOUNT = 'repaymentAccount { kind bank providerBankCode accountNumberMasked }';
const LOANS = `query($id: ID!) { borrower(id: $id) { fullName loans { provider providerLoanId status principal { amount } tenor { value unit } installments { seq } ${ACCOUNT} } } }`;

/** The VA number of the Dompet Kilat doc's callback examples, served on the seed person's loan. */
const DOC_VA = '8808999966040139';
const clock = new TestClock(TEST_START);
let s: Stack;
const globalId = (borrowerId: string) => Buffer.from(JSON.stringify(['Borrower', borrowerId])).toString('base64url');
/** Every full VA number the sandbox serves: none may appear in any answer. */
let fullNumbers: string[];
/** Every answer's raw JSON text, checked for full numbers at the end. */
const answers: string[] = [];

async function gql(query: string, variables: Record<string, unknown>, bearer: string) {
  const r = await s.gql(query, variables, bearer);
  answers.push(JSON.stringify(r));
  return r;
}

beforeAll(async () => {
  // No response cache: the old-payload test rewrites a snapshot underneath and must see the rewrite.
  s = await startStack({ seed: 7, borrowers: 10, clock, env: { RESPONSE_CACHE_MB: '0' } });
  fullNumbers = s.sandbox.dataset.dompetKilat.map((r) => r.loanData?.paymentAccountNumber).filter((n): n is string => !!n);
});
afterAll(async () => {
  await s?.close();
});

/** Index (in the stack's link requests) of the person whose Dompet Kilat record is `nik`. */
const indexOfNik = (nik: string) => s.requests.findIndex((r) => r.nik === nik);

describe('Loan.repaymentAccount', () => {
  it('shows a client whose consent covers REPAYMENTS the bank and the masked VA number of a Dompet Kilat loan, null elsewhere', async () => {
    expect(fullNumbers.length).toBe(s.sandbox.dataset.dompetKilat.length);
    const i = indexOfNik('362638287638783'); // John: the doc's record and callback VA (BNI 8808999966040139)
    const r = await gql(LOANS, { id: globalId(s.borrowerIds[i]!) }, s.token());
    expect(r.errors).toBeUndefined();
    const loans = r.data.borrower.loans as any[];
    const dk = loans.find((l) => l.provider === 'DOMPET_KILAT');
    expect(dk.providerLoanId).toBe('TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH');
    expect(dk.repaymentAccount).toEqual({ kind: 'VIRTUAL_ACCOUNT', bank: 'BNI', providerBankCode: 'BNI', accountNumberMasked: '************0139' });
    expect(s.sandbox.dataset.dompetKilat[0]!.loanData).toMatchObject({ bankCode: 'BNI', paymentAccountNumber: DOC_VA });
    // Cairin and Finfra reads give no repayment account.
    const others = loans.filter((l) => l.provider !== 'DOMPET_KILAT');
    expect(others.length).toBeGreaterThan(0);
    for (const l of others) expect(l.repaymentAccount).toBeNull();
  });

  it('keeps a bank code outside our channels as OTHER with the provider code', async () => {
    const rec = s.sandbox.dataset.dompetKilat.find((d) => d.loanData?.bankCode === 'PERMATA');
    expect(rec).toBeDefined();
    const i = indexOfNik(rec!.idNumber);
    const r = await gql(LOANS, { id: globalId(s.borrowerIds[i]!) }, s.token());
    expect(r.errors).toBeUndefined();
    const dk = (r.data.borrower.loans as any[]).find((l) => l.provider === 'DOMPET_KILAT');
    expect(dk.repaymentAccount).toEqual({ kind: 'VIRTUAL_ACCOUNT', bank: 'OTHER', providerBankCode: 'PERMATA', accountNumberMasked: `************${rec!.loanData!.paymentAccountNumber!.slice(-4)}` });
  });

  it('gives a client without REPAYMENTS the consent error on that field only, and records no repayments read for it', async () => {
    const i = indexOfNik('362638287638783');
    await s.grant(i, 'refinancer', { domains: ['LOANS', 'INSTALLMENTS', 'IDENTITY'] });
    const token = s.token('refinancer');
    const r = await gql(LOANS, { id: globalId(s.borrowerIds[i]!) }, token);
    const loans = r.data.borrower.loans as any[];
    expect(r.data.borrower.fullName).toBe('John');
    // The loan's other fields are all there, installments (INSTALLMENTS is covered) included.
    const dk = loans.find((l) => l.provider === 'DOMPET_KILAT');
    expect(dk).toMatchObject({ providerLoanId: 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH', status: expect.any(String), principal: { amount: '1000000' }, tenor: { value: 2, unit: 'MONTH' } });
    expect(dk.installments).toHaveLength(2);
    for (const l of loans) expect(l.repaymentAccount).toBeNull();
    // One CONSENT_REQUIRED per loan, each on that loan's repaymentAccount, and no other error.
    expect(r.errors).toHaveLength(loans.length);
    for (const e of r.errors!) {
      expect(e.extensions!.code).toBe('CONSENT_REQUIRED');
      expect(e.path).toEqual(['borrower', 'loans', expect.any(Number), 'repaymentAccount']);
    }
    const dkError = r.errors!.find((e) => e.path![2] === loans.indexOf(dk));
    expect(dkError!.message).toMatch(/DOMPET_KILAT repayments/);

    // The access log (the gate of Loan.repayments): a REPAYMENTS read for the client whose consent covers it, none for this one.
    await s.app.core.accessLog.flush();
    const ACCESS = `query($id: ID!) { accessLog(borrowerId: $id) { clientId kind provider domain } }`;
    const log = (await gql(ACCESS, { id: globalId(s.borrowerIds[i]!) }, token)).data.accessLog as any[];
    const of = (clientId: string) => log.filter((e) => e.clientId === clientId).map(({ clientId: _, ...e }) => e);
    expect(of('refinancer')).toContainEqual({ kind: 'PROVIDER_READ', provider: 'DOMPET_KILAT', domain: 'LOANS' });
    expect(of('refinancer').some((e) => e.domain === 'REPAYMENTS')).toBe(false);
    expect(of('test-client')).toContainEqual({ kind: 'PROVIDER_READ', provider: 'DOMPET_KILAT', domain: 'REPAYMENTS' });
  });

  it('answers null, without an error, for a loan cached before the account was read (an older LOANS payload)', async () => {
    const i = indexOfNik('362638287638783');
    const id = globalId(s.borrowerIds[i]!);
    // A client of its own, so that its LOANS snapshot is rewritten and read back alone.
    const c = await s.grant(i, 'client-a');
    const token = s.token('client-a');
    const first = await gql(LOANS, { id }, token);
    expect((first.data.borrower.loans as any[]).find((l) => l.provider === 'DOMPET_KILAT').repaymentAccount).not.toBeNull();
    const snaps = await s.db.prisma.providerSnapshot.findMany({ where: { consentId: c.id, domain: 'LOANS' } });
    expect(snaps.length).toBeGreaterThan(0);
    for (const snap of snaps) {
      const p = snap.payload as { loans: Record<string, unknown>[] };
      const old = { ...p, loans: p.loans.map(({ repaymentAccount: _, ...rest }) => rest) };
      // A new content hash, so that the in-process snapshot copy is not served (src/core/snapshot-cache.ts).
      await s.db.prisma.providerSnapshot.update({ where: { id: snap.id }, data: { payload: old as any, contentHash: `${snap.contentHash}-without-account` } });
    }
    // The clock stands still: the rewritten snapshots are fresh, so this read is served from them.
    const r = await gql(LOANS, { id }, token);
    expect(r.errors).toBeUndefined();
    const dk = (r.data.borrower.loans as any[]).find((l) => l.provider === 'DOMPET_KILAT');
    expect(dk.providerLoanId).toBe('TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH');
    expect(dk.repaymentAccount).toBeNull();
  });

  it('never puts a full account number in any answer: loans, credit views, a single loan, the data export', async () => {
    const everywhere = `query($id: ID!) { borrower(id: $id) { loans { id ${ACCOUNT} } creditView { loans { ${ACCOUNT} } } } borrowerDataExport(borrowerId: $id) }`;
    for (let i = 0; i < s.requests.length; i++) {
      const r = await gql(everywhere, { id: globalId(s.borrowerIds[i]!) }, s.token('test-client', ['credit:read', 'payoff:read', 'consent:write', 'identity:read']));
      expect(r.errors).toBeUndefined();
      for (const l of r.data.borrower.loans as any[]) {
        const one = await gql(`query($id: ID!) { loan(id: $id) { ${ACCOUNT} } }`, { id: l.id }, s.token());
        expect(one.errors).toBeUndefined();
        expect(one.data.loan.repaymentAccount).toEqual(l.repaymentAccount);
      }
    }
    expect(answers.length).toBeGreaterThan(s.requests.length);
    for (const text of answers) for (const n of fullNumbers) expect(text).not.toContain(n);
    // Nor is the full number stored anywhere in the cached provider data.
    const stored = JSON.stringify(await s.db.prisma.providerSnapshot.findMany({ select: { payload: true } }));
    expect(stored).toContain('************0139');
    for (const n of fullNumbers) expect(stored).not.toContain(n);
  });
});

describe('masking at the connector boundary', () => {
  it('masks all but the last 4 characters, and short numbers entirely', () => {
    expect(maskAccountNumber('8808999966040139')).toBe('************0139');
    expect(maskAccountNumber('8808 9999-6604 0139')).toBe('************0139');
    expect(maskAccountNumber('12345678')).toBe('****5678');
    expect(maskAccountNumber('1234567')).toBe('*******');
  });

  it('never leaves the full number in the parsed Dompet Kilat record', () => {
    const parsed = DkBorrowerRecord.parse(dkDocExampleRecord());
    expect(parsed.loanData).toMatchObject({ bankCode: 'BNI', paymentAccountNumber: '************0139' });
    expect(JSON.stringify(parsed)).not.toContain(DOC_VA);
    const blank = DkBorrowerRecord.parse({ ...dkDocExampleRecord(), loanData: { tenor: 2, unit: 'MONTH', amount: '1000000', contractNo: '', paymentAccountNumber: ' ' } });
    expect(blank.loanData!.paymentAccountNumber).toBeNull();
  });
});
