/**
 * What `satukredit start` prints for a first query, and the demo's stable ids.
 *
 * The example operations are exported with their variables so that a test can run exactly what the banner shows
 * against the demo data (`cliExamples(demo)`; the banner prints each operation, its variables and a curl line).
 *
 * Demo ids: every demo borrower's database id is derived from the sandbox seed and the borrower's NIK
 * (`demoBorrowerId`), and so is each of their provider accounts' id (`demoAccountId`): `satukredit start` reserves
 * these rows before a borrower goes through the consent flow, and linking (by NIK, and by provider account) then
 * keeps them. The same SANDBOX_SEED gives the same Borrower and Loan global ids on every fresh data directory, so
 * documentation can show them (`satukredit sandbox accounts` prints them).
 */
import { createHash } from 'node:crypto';
import { encodeGlobalId } from './domain/ids';

/** An operation the CLI prints, with the variables it is printed with. */
export interface CliExample {
  /** A short name (the operation's name). */
  readonly name: string;
  /** What the banner says it shows. */
  readonly title: string;
  readonly query: string;
  readonly variables: Readonly<Record<string, unknown>>;
  /** The API client whose token the banner prints for it (its scopes must cover the operation). */
  readonly clientId: 'demo-aggregator' | 'demo-refinancer';
}

/** The credit view of one borrower: totals, what is due next, arrears, per-provider status and every loan. */
export const CREDIT_VIEW_QUERY = `query CreditView($borrowerId: ID!) {
  creditView(borrowerId: $borrowerId) {
    asOf complete
    totalOutstanding { amount currency }
    totalOverdue { amount currency }
    nextPaymentDue { dueDate amount { amount } loan { provider providerLoanId } }
    arrears { amount { amount } oldestDueDate daysPastDue }
    providers { provider health loanCount outstanding { amount } }
    loans { provider providerLoanId status principal { amount } outstanding { total { amount } } daysPastDue }
  }
}`;

/** The example operations `satukredit start` prints, for the demo borrower with this global id (the seed borrower "John"). */
export function cliExamples(demo: { borrowerId: string }): CliExample[] {
  return [
    {
      name: 'CreditView',
      title: 'Example query (the seed borrower "John", linked at Cairin, Finfra and Dompet Kilat)',
      query: CREDIT_VIEW_QUERY,
      variables: { borrowerId: demo.borrowerId },
      clientId: 'demo-aggregator',
    },
  ];
}

/** A curl command line that posts `example` to `apiUrl`/graphql with the token in $TOKEN. */
export function curlLine(apiUrl: string, example: Pick<CliExample, 'query' | 'variables'>): string {
  const body = JSON.stringify({ query: example.query.replace(/\s+/g, ' '), variables: example.variables });
  return `curl -s ${apiUrl}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data '${body.replace(/'/g, "'\\''")}'`;
}

/** A UUID (version 8, RFC 9562: application-defined) from a SHA-256 of `text`. */
function stableUuid(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The database id of the demo borrower with this NIK in the sandbox dataset of `seed`. */
export function demoBorrowerId(seed: number, nik: string): string {
  return stableUuid(`satukredit demo ${seed} borrower ${nik}`);
}

/** The database id of a demo borrower's account at `provider` (CAIRIN, FINFRA, DOMPET_KILAT) with the provider's id `externalId`. */
export function demoAccountId(seed: number, provider: string, externalId: string): string {
  return stableUuid(`satukredit demo ${seed} account ${provider} ${externalId}`);
}

/** The GraphQL global id of a demo borrower. */
export function demoBorrowerGlobalId(seed: number, nik: string): string {
  return encodeGlobalId('Borrower', demoBorrowerId(seed, nik));
}

/** The GraphQL global id of a demo loan: the account's id and the provider's loan id. */
export function demoLoanGlobalId(seed: number, provider: string, externalId: string, providerLoanId: string): string {
  return encodeGlobalId('Loan', demoAccountId(seed, provider, externalId), providerLoanId);
}
