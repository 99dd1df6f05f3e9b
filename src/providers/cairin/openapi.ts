/**
 * OpenAPI 3.1 document of Cairin's app protocol as our connector understands it (./wire.ts, ./client.ts): the
 * liveness-gated session chain, the loan list and detail, the transaction history, the KYC identity linkage
 * and the funding portfolio. Response schemas are generated from the zod wire schemas; the request bodies,
 * which the client writes inline, are described here. Written to docs/openapi/cairin.json by
 * `npm run openapi:emit`; the bank leg (SNAP payment notifications) is its own document, docs/openapi/snap.json.
 */
import { z } from 'zod';
import { jsonBody, jsonResponse, OPENAPI_VERSION, type OpenApiDocument, schemaComponents } from '../openapi';
import {
  CAIRIN_ERRORS,
  CAIRIN_PATHS,
  CairinBank,
  CairinError,
  CairinFundingPortfolio,
  CairinFundingStatus,
  CairinHistory,
  CairinIdentity,
  CairinInstallment,
  CairinLivenessResponse,
  CairinLoanDetail,
  CairinLoanList,
  CairinLoanStatus,
  CairinLoginResponse,
  CairinSession,
} from './wire';

/** POST /mobile/auth/login body (client.ts `link`). */
const CairinLoginRequest = z.object({
  phoneNumber: z.string().min(1).describe('The borrower\'s phone number, 62...'),
  pin: z.string().min(1).describe('The borrower\'s app PIN; sent once while linking, never stored.'),
  deviceId: z.string().min(1).describe('The device identity the session is issued to; liveness is remembered per device.'),
});
/** POST /mobile/auth/liveness body. */
const CairinLivenessRequest = z.object({
  loginTicket: z.string().min(1),
  ktpImage: z.string().min(1).describe('Base64 photo of the KTP (identity card); checked by Cairin, never stored by us.'),
  selfieImage: z.string().min(1).describe('Base64 selfie for the facial verification; never stored by us.'),
});
/** POST /mobile/auth/token body. */
const CairinTokenRequest = z.object({ loginTicket: z.string().min(1).describe('The ticket of the login, single use.') });
/** POST /mobile/auth/refresh body. */
const CairinRefreshRequest = z.object({ refreshToken: z.string().min(1) });
/** POST /mobile/loan/detail body. */
const CairinLoanDetailRequest = z.object({
  loanId: z.string().min(1),
  include: z.array(z.enum(['installments', 'disbursement'])).optional().describe('Parts to include; the connector asks for both.'),
});

const SESSION_CHAIN = [
  'The session is per borrower account and liveness-gated:',
  '',
  '1. `POST /mobile/auth/login` with phone number, PIN and a device id answers a single-use `loginTicket` (5 minutes) and `livenessRequired`.',
  '2. When `livenessRequired` is true (a device that never passed the check), `POST /mobile/auth/liveness` with the ticket, a KTP photo and a selfie (base64) makes the device known. This is the one-time KTP + facial-verification gate of onboarding.',
  '3. `POST /mobile/auth/token` with the ticket issues the session: a short-lived bearer `accessToken` (`expiresIn` seconds, 900 in the sandbox) and a `refreshToken` (`refreshExpiresIn`, 30 days). Before the device passed liveness it answers 403 `LIVENESS_REQUIRED`.',
  '4. `POST /mobile/auth/refresh` with the refresh token renews the access token; past half its life the refresh token is re-issued (the old one stays valid until its own expiry). 401 `REFRESH_EXPIRED` means the borrower must link again.',
  '',
  'Reads carry `Authorization: Bearer <accessToken>`; an expired one answers 401 `TOKEN_EXPIRED`. The connector keeps only the device id and the refresh token, never the PIN or the images.',
].join('\n');

/**
 * Builds Cairin's OpenAPI document (deterministic: the same wire schemas give the same document).
 * @returns the document, ready for JSON serialization.
 */
export function cairinOpenApi(): OpenApiDocument {
  const c = schemaComponents(
    {
      CairinError,
      CairinBank,
      CairinLoanStatus,
      CairinInstallment,
      CairinFundingStatus,
      CairinLoginRequest,
      CairinLoginResponse,
      CairinLivenessRequest,
      CairinLivenessResponse,
      CairinTokenRequest,
      CairinRefreshRequest,
      CairinSession,
      CairinIdentity,
      CairinLoanList,
      CairinLoanDetailRequest,
      CairinLoanDetail,
      CairinHistory,
      CairinFundingPortfolio,
    },
    {
      CairinError: `Every error body. \`code\` is one of ${Object.values(CAIRIN_ERRORS).join(', ')} or an HTTP-derived code (FORBIDDEN, NOT_FOUND, RATE_LIMITED, SERVICE_UNAVAILABLE, ...).`,
      CairinBank: 'The bank rail of a disbursement or repayment.',
      CairinInstallment: 'One installment of the schedule. An unpaid installment may carry only `amountDue` (no principal/interest split).',
      CairinLoginResponse: 'A single-use login ticket; `livenessRequired` when the device has not passed the KTP + liveness check.',
      CairinSession: 'The session: bearer access token and refresh token, lifetimes in seconds.',
      CairinIdentity: 'The KYC identity linkage of the session\'s account: the NIK onboarding verified, nothing else.',
      CairinLoanList: 'The account\'s loans and its approved limit; amounts integer rupiah.',
      CairinLoanDetail: 'A loan with its disbursement and installment schedule (each when asked for in `include`). Dates `YYYY-MM-DD` (Jakarta), instants ISO-8601 with offset.',
      CairinHistory: 'One page of the account\'s money movements, newest first.',
      CairinFundingPortfolio: 'The account\'s positions as a lender on Cairin\'s funding product. `annualBenefitPct` is a plain decimal percentage (10.5 = 10.5% a year).',
    },
  );
  const error = (description: string) => jsonResponse(c.ref('CairinError'), description);
  const readErrors = {
    '401': error('`UNAUTHORIZED` (missing or unknown bearer) or `TOKEN_EXPIRED` (renew with /mobile/auth/refresh).'),
    '429': error('Rate limited (`Retry-After` seconds).'),
    '503': error('Unavailable; retried by the connector.'),
  };
  const session = [{ cairinSession: [] }];
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Cairin app protocol (as the Satu Kredit connector reads it)',
      version: '1.0.0',
      summary: 'Liveness-gated session, loans, transaction history, identity and funding positions of a Cairin borrower account.',
      description: [
        'Cairin (PT Idana Solusi Sejahtera) is an OJK-licensed cash-loan app reached through its app protocol under the borrower\'s consent.',
        'The connector brief fixes `POST /mobile/loan/detail` and its answer; the other shapes were fixed by us while building the connector (src/providers/cairin/wire.ts) and are what the Satu Kredit sandbox serves.',
        'Amounts are integer rupiah, dates `YYYY-MM-DD` (Jakarta), instants ISO-8601 with offset. Unknown fields are ignored.',
        '',
        '## Authentication',
        '',
        SESSION_CHAIN,
        '',
        'Repayments settle through the banks\' SNAP VA payment notifications, described in their own document (docs/openapi/snap.json; the sandbox serves it at /openapi/snap.json of the Cairin base URL). Cairin itself sends no callbacks.',
      ].join('\n'),
    },
    servers: [{ url: '/', description: 'The Cairin base URL (CAIRIN_BASE_URL); relative to where this document is served (the Satu Kredit sandbox serves it at /openapi.json).' }],
    tags: [
      { name: 'Session', description: 'The liveness-gated session chain.' },
      { name: 'Loans', description: 'Loan list, loan detail and transaction history.' },
      { name: 'Account', description: 'KYC identity linkage and funding positions.' },
    ],
    security: session,
    paths: {
      [CAIRIN_PATHS.login]: {
        post: {
          operationId: 'login',
          tags: ['Session'],
          summary: 'Log in with phone number, PIN and device id',
          security: [],
          requestBody: jsonBody(c.ref('CairinLoginRequest'), 'The borrower\'s login (values come from the borrower, under consent).', { phoneNumber: '62123123123', pin: '123456', deviceId: 'a1b2c3d4-0000-4000-8000-000000000001' }),
          responses: {
            '200': {
              ...jsonResponse(c.ref('CairinLoginResponse'), 'A login ticket.'),
              links: {
                liveness: { operationId: 'liveness', description: 'When `livenessRequired`: pass the KTP + liveness gate with this ticket.' },
                issueSession: { operationId: 'issueSession', description: 'Exchange this ticket (`loginTicket`) for the session.' },
              },
            },
            '400': error('`BAD_REQUEST`: phoneNumber, pin and deviceId are required.'),
            '401': error('`INVALID_CREDENTIALS`: phone number or PIN not recognised.'),
          },
        },
      },
      [CAIRIN_PATHS.liveness]: {
        post: {
          operationId: 'liveness',
          tags: ['Session'],
          summary: 'Pass the one-time KTP + facial-verification gate for the ticket\'s device',
          security: [],
          requestBody: jsonBody(c.ref('CairinLivenessRequest'), 'The login ticket with base64 KTP photo and selfie.'),
          responses: {
            '200': jsonResponse(c.ref('CairinLivenessResponse'), 'The device is now known; later logins from it skip the check.'),
            '400': error('`BAD_REQUEST`: loginTicket, ktpImage and selfieImage are required.'),
            '401': error('`UNAUTHORIZED`: the login ticket is invalid or expired.'),
          },
        },
      },
      [CAIRIN_PATHS.token]: {
        post: {
          operationId: 'issueSession',
          tags: ['Session'],
          summary: 'Exchange a login ticket for the session',
          security: [],
          requestBody: jsonBody(c.ref('CairinTokenRequest'), 'The login ticket.'),
          responses: {
            '200': jsonResponse(c.ref('CairinSession'), 'The session (the ticket is used up).'),
            '400': error('`BAD_REQUEST`: loginTicket is required.'),
            '401': error('`UNAUTHORIZED`: the login ticket is invalid or expired.'),
            '403': error('`LIVENESS_REQUIRED`: the ticket\'s device has not passed the liveness gate.'),
          },
        },
      },
      [CAIRIN_PATHS.refresh]: {
        post: {
          operationId: 'refreshSession',
          tags: ['Session'],
          summary: 'Renew the access token',
          security: [],
          requestBody: jsonBody(c.ref('CairinRefreshRequest'), 'The refresh token.'),
          responses: {
            '200': jsonResponse(c.ref('CairinSession'), 'A new access token; `refreshToken` is a new one when re-issued (past half its life), else the same.'),
            '400': error('`BAD_REQUEST`: refreshToken is required.'),
            '401': error('`UNAUTHORIZED` (unknown refresh token) or `REFRESH_EXPIRED` (the borrower must link again).'),
          },
        },
      },
      [CAIRIN_PATHS.identity]: {
        get: {
          operationId: 'identity',
          tags: ['Account'],
          summary: 'The NIK Cairin\'s KYC verified for the session\'s account',
          responses: { '200': jsonResponse(c.ref('CairinIdentity'), 'The identity linkage.'), ...readErrors },
        },
      },
      [CAIRIN_PATHS.loanList]: {
        get: {
          operationId: 'loanList',
          tags: ['Loans'],
          summary: 'The account\'s loans and approved limit',
          responses: { '200': jsonResponse(c.ref('CairinLoanList'), 'The loans.'), ...readErrors },
        },
      },
      [CAIRIN_PATHS.loanDetail]: {
        post: {
          operationId: 'loanDetail',
          tags: ['Loans'],
          summary: 'A loan with its disbursement and installment schedule',
          description: 'A read despite the POST: the connector retries it like a GET.',
          requestBody: jsonBody(c.ref('CairinLoanDetailRequest'), 'The loan and the parts to include.', { loanId: 'LN-0001', include: ['installments', 'disbursement'] }),
          responses: {
            '200': jsonResponse(c.ref('CairinLoanDetail'), 'The loan.'),
            '400': error('`BAD_REQUEST`: loanId is required; include lists only "installments" and "disbursement".'),
            '404': error('`LOAN_NOT_FOUND`: no such loan on this account (the connector reads it as "no loan").'),
            ...readErrors,
          },
        },
      },
      [CAIRIN_PATHS.history]: {
        get: {
          operationId: 'transactionHistory',
          tags: ['Loans'],
          summary: 'The account\'s disbursements and repayments, newest first, one page',
          description: 'The connector reads every page (`size` 100) until `hasMore` is false. A repayment is `pending` until its bank settlement clears it.',
          parameters: [
            { name: 'type', in: 'query', required: false, description: 'Which movements.', schema: { type: 'string', enum: ['all', 'repayment', 'disbursement'], default: 'all' } },
            { name: 'page', in: 'query', required: false, description: 'Page number, from 1.', schema: { type: 'integer', minimum: 1, default: 1 } },
            { name: 'size', in: 'query', required: false, description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: {
            '200': jsonResponse(c.ref('CairinHistory'), 'One page.'),
            '400': error('`BAD_REQUEST`: type, page or size out of range.'),
            ...readErrors,
          },
        },
      },
      [CAIRIN_PATHS.fundingPortfolio]: {
        get: {
          operationId: 'fundingPortfolio',
          tags: ['Account'],
          summary: 'The account\'s funding positions (lender side)',
          responses: { '200': jsonResponse(c.ref('CairinFundingPortfolio'), 'The positions.'), ...readErrors },
        },
      },
    },
    components: {
      schemas: c.schemas,
      securitySchemes: {
        cairinSession: { type: 'http', scheme: 'bearer', description: `The access token of a borrower's session.\n\n${SESSION_CHAIN}` },
      },
    },
  };
}
