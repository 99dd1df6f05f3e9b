/**
 * OpenAPI 3.1 document of the Dompet Kilat Middleware API as our connector understands it (./wire.ts,
 * ./client.ts, ./callbacks.ts): borrower registration, the borrower read, loan registration, and the
 * disbursement and repayment callbacks it POSTs to us (`webhooks`). The borrower read and the callbacks are
 * generated from the zod wire schemas; the registration bodies and answers, which the connector does not use,
 * are described here after the middleware document. Written to docs/openapi/dompetkilat.json by
 * `npm run openapi:emit`.
 */
import { z } from 'zod';
import { jsonBody, jsonResponse, OPENAPI_VERSION, type OpenApiDocument, type OpenApiObject, pathParam, schemaComponents } from '../openapi';
import { DK_PATHS, DK_STATUS, DkBorrowerRecord, DkCallback, DkEnvelope, DkHistory, DkLoanData, DkRegisterBorrowerRequest, DkRegisterLoanRequest } from './wire';

/** `data` of a successful borrower registration (the document's example, main fields; the rest are empty placeholders). */
const DkRegisteredBorrower = z.object({
  id: z.number().int(),
  borrowerType: z.string(),
  phoneNumber: z.string(),
  idNumber: z.string(),
  email: z.string(),
  fullName: z.string(),
  birthDate: z.string().describe('ISO instant of the birth date ("1999-09-30T00:00:00Z").'),
  isVerified: z.boolean(),
  status: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `data` of a successful loan registration (the document's example). */
const DkRegisteredLoan = z.object({
  id: z.number().int(),
  borrowerId: z.number().int(),
  productId: z.number().int(),
  state: z.number().int(),
  status: z.string().describe('"INACTIVE" until contracted.'),
  loanCode: z.string().describe('"" until contracted; the `loanCode` of later callbacks.'),
  plafons: z.number().int(),
  tenor: z.number().int(),
  tenorUnit: z.string(),
  amount: z.number().int(),
  contractNo: z.string(),
  contractDate: z.string().nullable(),
  interest: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The envelope of a success, `data` as given. */
const success = <T extends z.ZodType>(data: T) => DkEnvelope.extend({ status: z.literal(DK_STATUS.success), message: z.string(), data });

const DkBorrowerEnvelope = success(DkBorrowerRecord);
const DkRegisteredBorrowerEnvelope = success(DkRegisteredBorrower);
const DkRegisteredLoanEnvelope = success(DkRegisteredLoan);
/** A failure: `data` is `{}` (the middleware) or null (our callback answers). */
const DkErrorEnvelope = DkEnvelope.extend({ data: z.union([z.object({}), z.null()]) });
/** Our answer to an accepted callback. */
const DkCallbackAck = DkEnvelope.extend({ status: z.literal(DK_STATUS.success), data: z.null() });

const IP_ALLOW_LIST = [
  'Dompet Kilat has no tokens or keys: callers are authenticated by an IP allow-list ("Mohon menginformasikan IP yang akan melakukan request ke API agar dimasukan ke whitelist IP").',
  'Requests from an address outside it answer HTTP 403 with envelope status "03" (the sandbox allows loopback by default).',
  'In the other direction Satu Kredit accepts Dompet Kilat\'s callbacks only from the addresses in DOMPETKILAT_CALLBACK_IPS, with the same 403 / "03" answer otherwise.',
  'OpenAPI has no security scheme for an IP allow-list, so every operation declares `security: []` and the document carries `x-ip-allow-list`.',
].join('\n');

/**
 * Builds Dompet Kilat's OpenAPI document (deterministic: the same wire schemas give the same document).
 * @returns the document, ready for JSON serialization.
 */
export function dompetKilatOpenApi(): OpenApiDocument & { 'x-ip-allow-list': { description: string } } {
  const c = schemaComponents(
    {
      DkErrorEnvelope,
      DkRegisterBorrowerRequest,
      DkRegisteredBorrower,
      DkRegisteredBorrowerEnvelope,
      DkLoanData,
      DkBorrowerRecord,
      DkBorrowerEnvelope,
      DkRegisterLoanRequest,
      DkRegisteredLoan,
      DkRegisteredLoanEnvelope,
      DkHistory,
      DkCallback,
      DkCallbackAck,
    },
    {
      DkErrorEnvelope: `A failure envelope. \`status\`: "${DK_STATUS.notFound}" record not found, "${DK_STATUS.duplicate}" duplicate entry, "01" invalid body, "03" IP not allowed, "99" server error.`,
      DkLoanData: 'The borrower\'s loan application or contract. `contractNo`/`contractDate` are empty before the contract is signed; `bankCode` and `paymentAccountNumber` (the repayment virtual account) are read when the middleware gives them. The connector masks `paymentAccountNumber` on parse.',
      DkBorrowerRecord: 'The borrower record, minimized to what the connector reads: every other field (KTP and selfie images, mother\'s maiden name, family card, emergency contacts, religion, marital status, income, ...) is ignored.',
      DkBorrowerEnvelope: 'A borrower record in the success envelope.',
      DkCallback: 'A disbursement or repayment callback. `status` is the loan\'s: active, completed, rejected or closed; `histories` lists the repayments so far (each cleared).',
      DkCallbackAck: 'Our acknowledgement: the callback is stored (a replay is acknowledged again).',
    },
  );
  const failure = (description: string) => jsonResponse(c.ref('DkErrorEnvelope'), description);
  const forbidden = { '403': failure('Envelope status "03": the caller\'s IP is not on the allow-list.') };

  const webhook = (operationId: string, summary: string, path: string): OpenApiObject => ({
    post: {
      operationId,
      tags: ['Callbacks'],
      summary,
      description: `Dompet Kilat POSTs to \`${path}\` on the partner; Satu Kredit receives it at \`/webhooks/dompetkilat${path}\`, from allow-listed IPs only (DOMPETKILAT_CALLBACK_IPS).`,
      security: [],
      requestBody: jsonBody(c.ref('DkCallback'), 'The loan\'s state.'),
      responses: {
        '200': jsonResponse(c.ref('DkCallbackAck'), 'Stored (or already stored): status "00".'),
        '400': failure('Envelope status "01": not JSON, or not a valid callback.'),
        ...forbidden,
        '503': { description: 'Could not be stored; Dompet Kilat should retry (`Retry-After`).' },
      },
    },
  });

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Dompet Kilat Middleware API (as the Satu Kredit connector reads it)',
      version: '1.0.0',
      summary: 'Borrower and loan registration, the borrower read, and the disbursement and repayment callbacks, allowed by IP.',
      description: [
        'Every answer is the envelope `{ status, message, data }`: the envelope `status` ("00" success), not the HTTP status, decides success.',
        'Dates are `dd/MM/yyyy` in request bodies and in the borrower read; amounts are digit strings there and integers in callbacks and the loan answer.',
        'The connector reads borrowers (`GET /v1/borrower/{idNumber}`) and receives the callbacks; the registrations are listed for completeness and are not called by it.',
        '',
        '## Authentication',
        '',
        IP_ALLOW_LIST,
      ].join('\n'),
    },
    'x-ip-allow-list': { description: IP_ALLOW_LIST },
    servers: [{ url: '/', description: 'The Dompet Kilat base URL (DOMPETKILAT_BASE_URL, the document\'s `{{host}}`); relative to where this document is served (the Satu Kredit sandbox serves it at /openapi.json).' }],
    tags: [
      { name: 'Borrower', description: 'Borrower registration and read.' },
      { name: 'Loan', description: 'Loan registration (pengajuan pinjaman).' },
      { name: 'Callbacks', description: 'Disbursement and repayment information pushed to the partner.' },
    ],
    security: [],
    paths: {
      [DK_PATHS.registerBorrower]: {
        post: {
          operationId: 'registerBorrower',
          tags: ['Borrower'],
          summary: 'Register a borrower (not called by the connector)',
          requestBody: jsonBody(c.ref('DkRegisterBorrowerRequest'), 'The borrower (all fields mandatory).'),
          responses: {
            '200': jsonResponse(c.ref('DkRegisteredBorrowerEnvelope'), 'Registered.'),
            '400': failure('Envelope status "02" (NIK, phone number or email already registered) or "01" (invalid body).'),
            ...forbidden,
          },
        },
      },
      '/v1/borrower/{idNumber}': {
        get: {
          operationId: 'getBorrower',
          tags: ['Borrower'],
          summary: 'A borrower record by NIK',
          parameters: [pathParam('idNumber', 'The borrower\'s NIK.', '362638287638783')],
          responses: {
            '200': jsonResponse(c.ref('DkBorrowerEnvelope'), 'The record.'),
            '404': failure(`Envelope status "${DK_STATUS.notFound}": record not found (the connector reads it as "no borrower").`),
            ...forbidden,
          },
        },
      },
      [DK_PATHS.registerLoan]: {
        post: {
          operationId: 'registerLoan',
          tags: ['Loan'],
          summary: 'Apply for a loan for a registered borrower (not called by the connector)',
          requestBody: jsonBody(c.ref('DkRegisterLoanRequest'), 'The borrower\'s full data and the application.'),
          responses: {
            '200': jsonResponse(c.ref('DkRegisteredLoanEnvelope'), 'Applied: status INACTIVE until contracted.'),
            '400': failure('Envelope status "01" (invalid body, amount above plafons) or "02" (already contracted).'),
            '404': failure(`Envelope status "${DK_STATUS.notFound}": no borrower with this idNumber.`),
            ...forbidden,
          },
        },
      },
    },
    webhooks: {
      disbursement: webhook('disbursementCallback', 'A loan was disbursed (Callback Informasi Pencairan Dana)', DK_PATHS.disbursementCallback),
      repayment: webhook('repaymentCallback', 'A borrower paid (callback informasi pembayaran)', DK_PATHS.repaymentCallback),
    },
    components: { schemas: c.schemas },
  };
}
