/**
 * OpenAPI 3.1 document of Finfra's partner API as our connector understands it (./wire.ts, ./client.ts,
 * ./callbacks.ts): the Basic-to-JWT token exchange and refresh, borrowers, loans (single payment and BNPL, list
 * and details, origination) and the callbacks Finfra POSTs to us (`webhooks`). Response and callback schemas
 * are generated from the zod wire schemas; request bodies the connector does not send itself (borrower and
 * loan origination) are described here as the sandbox accepts them. Written to docs/openapi/finfra.json by
 * `npm run openapi:emit`.
 */
import { z } from 'zod';
import { jsonBody, jsonResponse, OPENAPI_VERSION, type OpenApiDocument, type OpenApiObject, type OpenApiSchema, pathParam, schemaComponents } from '../openapi';
import { FinfraBnplEventData, FinfraLoanEventData, FinfraPaymentEventData, FinfraUserEventData } from './callbacks';
import {
  FINFRA_KEY_PREFIX,
  FINFRA_PATHS,
  FinfraBorrower,
  FinfraBorrowerList,
  FinfraBorrowerStatus,
  FinfraBorrowerType,
  FinfraCallback,
  FinfraCreditScoreData,
  FinfraDisbursement,
  FinfraError,
  FinfraFrequency,
  FinfraInstallment,
  FinfraLoanDetails,
  FinfraLoanList,
  FinfraLoanStatus,
  FinfraLoanType,
  FinfraPayment,
  FinfraToken,
} from './wire';

const amount = z.number().int().positive().describe('Integer rupiah.');
const percent = z.union([z.string().regex(/^\d+(\.\d+)?$/), z.number().nonnegative()]).describe('Flat interest per month, a decimal percentage (default "2").');

/** POST /api/auth/refresh body. */
const FinfraRefreshRequest = z.object({ refresh_token: z.string().min(1).describe('The refresh token of the last exchange or refresh; single use (rotated).') });
/** POST /api/core/users body. */
const FinfraCreateBorrowerRequest = z.object({
  borrower_type: FinfraBorrowerType,
  name: z.string().min(1),
  id_number: z.string().regex(/^\d{8,20}$/).describe('NIK for PERSONAL, registration number for BUSINESS; unique.'),
  email: z.string().email().optional(),
  phone_number: z.string().regex(/^62\d{6,13}$/).optional(),
});
/** POST /api/core/loans/{userId} body. */
const FinfraSingleLoanRequest = z.object({
  amount,
  interest_rate: percent.optional(),
  tenor: z.number().int().positive().describe('At most 365 DAY or 12 MONTH.'),
  tenor_unit: z.enum(['DAY', 'MONTH']),
});
/** POST /api/core/loans/{userId}/bnpl body. */
const FinfraBnplLoanRequest = z.object({
  amount,
  interest_rate: percent.optional(),
  tenor: z.number().int().min(1).max(52).describe('Number of installments.'),
  frequency: FinfraFrequency,
});

/** A callback body of one `type`, its `data` as the connector reads it. */
const callback = <T extends z.ZodType>(types: [string, ...string[]], data: T) => FinfraCallback.extend({ type: z.enum(types), data });

const FinfraUserCallback = callback(['user_created', 'user_verify'], FinfraUserEventData);
const FinfraCreditScoreCallback = callback(['user_credit_score'], FinfraCreditScoreData);
const FinfraLoanCallback = callback(['loan'], FinfraLoanEventData);
const FinfraBnplCallback = callback(['bnpl'], FinfraBnplEventData);
const FinfraPaymentCallback = callback(['invoice', 'va'], FinfraPaymentEventData);
const FinfraCallbackAck = z.object({ received: z.literal(true), duplicate: z.boolean().describe('The same callback was stored before.') });

const TOKEN_FLOW = [
  'Finfra authenticates the partner, not the borrower: one token serves every call of the process.',
  '',
  `1. \`POST ${FINFRA_PATHS.token}\` with \`Authorization: Basic base64(clientId:clientSecret)\` answers \`access_token\` (a JWT, \`expires_in\` seconds: 3600 in the sandbox) and \`refresh_token\`. The secret's prefix selects the environment (\`${FINFRA_KEY_PREFIX.sandbox}\` sandbox, \`${FINFRA_KEY_PREFIX.production}\` production); there is no URL switch.`,
  `2. Every \`/api/core\` call carries \`Authorization: Bearer <access_token>\`; an invalid or expired one answers 401.`,
  `3. Before expiry, \`POST ${FINFRA_PATHS.refresh}\` with \`{ refresh_token }\` answers a new pair (the refresh token is single use). When the refresh is refused, the connector exchanges the Basic credentials again.`,
].join('\n');

/**
 * Builds Finfra's OpenAPI document (deterministic: the same wire schemas give the same document).
 * @returns the document, ready for JSON serialization.
 */
export function finfraOpenApi(): OpenApiDocument {
  const c = schemaComponents(
    {
      FinfraError,
      FinfraToken,
      FinfraRefreshRequest,
      FinfraBorrowerType,
      FinfraBorrowerStatus,
      FinfraBorrower,
      FinfraBorrowerList,
      FinfraCreateBorrowerRequest,
      FinfraLoanType,
      FinfraLoanStatus,
      FinfraFrequency,
      FinfraLoanList,
      FinfraInstallment,
      FinfraPayment,
      FinfraDisbursement,
      FinfraLoanDetails,
      FinfraSingleLoanRequest,
      FinfraBnplLoanRequest,
      FinfraUserCallback,
      FinfraCreditScoreCallback,
      FinfraLoanCallback,
      FinfraBnplCallback,
      FinfraPaymentCallback,
      FinfraCallbackAck,
    },
    {
      FinfraError: 'Every non-2xx body: `error` a snake_case code (bad_request, unauthorized, invalid_client, invalid_grant, not_found, conflict, rate_limited, ...), `message` for people.',
      FinfraToken: 'The token exchange and refresh answer; `expires_in` in seconds.',
      FinfraBorrowerStatus: 'PENDING (KYC not started), VERIFIED (under review), APPROVED (may receive loans), REJECTED (KYC failed), BLOCKED (suspended).',
      FinfraBorrowerType: 'PERSONAL (a natural person: KTP + biometrics) or BUSINESS (a registered legal entity).',
      FinfraBorrower: 'A borrower, minimized to what the connector reads.',
      FinfraBorrowerList: 'The partner\'s borrowers holding a NIK (at most one: NIKs are unique).',
      FinfraLoanStatus: 'PENDING (awaiting signing), SIGNING, ACTIVE (signed, awaiting disbursement), DISBURSED, REPAID, REJECTED.',
      FinfraLoanType: 'SINGLE_PAYMENT (principal and interest at maturity) or BNPL (scheduled installments).',
      FinfraLoanList: 'A borrower\'s loans.',
      FinfraLoanDetails: 'A loan with its installments, payments and disbursement. `interest_rate` is a flat percentage per month; `tenor` counts `tenor_unit`s (single payment) or installments (BNPL, with `frequency`).',
      FinfraUserCallback: '`user_created` (borrower created) and `user_verify` (KYC result, `status` APPROVED or REJECTED). Only `data.userId` is kept.',
      FinfraCreditScoreCallback: '`user_credit_score`: a borrower\'s credit score and the bureau it came from.',
      FinfraLoanCallback: '`loan`: a loan status change.',
      FinfraBnplCallback: '`bnpl`: a BNPL installment status change; `updated_at` when the status changed (else the receipt time orders reports).',
      FinfraPaymentCallback: '`invoice` (payment link) or `va` (virtual account): a payment received. PAID is settled money; PENDING and FAILED are not.',
      FinfraCallbackAck: 'Our acknowledgement: the callback is stored (a replay is acknowledged again, `duplicate: true`).',
    },
  );
  const error = (description: string) => jsonResponse(c.ref('FinfraError'), description);
  const bearerErrors = { '401': error('`unauthorized`: missing, invalid or expired access token (the connector renews it and retries once).'), '429': error('`rate_limited` (`Retry-After` seconds).') };
  const userId = pathParam('userId', 'Finfra\'s borrower id.', 'usr_000001');

  const webhook = (operationId: string, summary: string, path: string, schema: OpenApiSchema): OpenApiObject => ({
    post: {
      operationId,
      tags: ['Callbacks'],
      summary,
      description: `Finfra POSTs to \`${path}\` on the partner's registered HTTPS endpoint; Satu Kredit receives it at \`/webhooks/finfra${path}\`. The \`finfra-auth-key\` header is compared in constant time before anything else.`,
      security: [{ finfraAuthKey: [] }],
      requestBody: jsonBody(schema, 'The callback `{ type, status, data }`.'),
      responses: {
        '200': jsonResponse(c.ref('FinfraCallbackAck'), 'Stored (or already stored).'),
        '400': { description: 'Not JSON, or not a callback of this path (`{ error: "bad_request", message }`).', content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } } } },
        '401': { description: 'Missing or wrong `finfra-auth-key` (`{ error: "Unauthorized" }`).', content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' } } } } } },
        '503': { description: 'Could not be stored; Finfra should retry (`Retry-After`).' },
      },
    },
  });

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Finfra partner API (as the Satu Kredit connector reads it)',
      version: '1.0.0',
      summary: 'Basic-to-JWT token exchange, borrowers, single-payment and BNPL loans, and the callbacks Finfra sends.',
      description: [
        'Finfra is a lending-infrastructure platform. Its platform documents fix the token endpoints, borrower and loan statuses, the loan creation paths, `GET /api/core/loans/details/{uniqueId}` and the callbacks; they defer the rest to an API reference we do not have, so the borrower paths, the loan list and the body fields were fixed by us (src/providers/finfra/wire.ts) and are what the Satu Kredit sandbox serves.',
        'Amounts are integer rupiah, dates `YYYY-MM-DD` (Jakarta), instants ISO-8601 with offset. Unknown fields are ignored.',
        'The connector reads borrowers and loans; the origination calls (borrower registration, loan creation) are listed for completeness and are not called by it.',
        '',
        '## Authentication',
        '',
        TOKEN_FLOW,
        '',
        'Callbacks (`webhooks`) are authenticated by the shared `finfra-auth-key` header (FINFRA_CALLBACK_KEY).',
      ].join('\n'),
    },
    servers: [
      { url: '/', description: 'The Finfra base URL (FINFRA_BASE_URL); relative to where this document is served (the Satu Kredit sandbox serves it at /openapi.json).' },
      { url: 'https://sandbox-partner-service.elp.finfra.io', description: 'Finfra\'s sandbox environment, as its documents name it.' },
    ],
    tags: [
      { name: 'Auth', description: 'Basic-to-JWT token exchange and refresh.' },
      { name: 'Borrowers', description: 'Borrower lookup and registration.' },
      { name: 'Loans', description: 'Loan list and details, single-payment and BNPL origination.' },
      { name: 'Callbacks', description: 'Status changes Finfra pushes to the partner.' },
    ],
    security: [{ partnerJwt: [] }],
    paths: {
      [FINFRA_PATHS.token]: {
        post: {
          operationId: 'exchangeToken',
          tags: ['Auth'],
          summary: 'Exchange the Basic client credentials for a JWT',
          security: [{ clientCredentials: [] }],
          responses: {
            '200': jsonResponse(c.ref('FinfraToken'), 'The token pair.'),
            '401': error('`invalid_client`: missing Basic credentials, unknown client, wrong secret, or a key of the other environment.'),
          },
        },
      },
      [FINFRA_PATHS.refresh]: {
        post: {
          operationId: 'refreshToken',
          tags: ['Auth'],
          summary: 'Renew the token pair with the refresh token',
          security: [],
          requestBody: jsonBody(c.ref('FinfraRefreshRequest'), 'The refresh token.'),
          responses: {
            '200': jsonResponse(c.ref('FinfraToken'), 'A new token pair (the presented refresh token is used up).'),
            '400': error('`bad_request`: refresh_token is required.'),
            '401': error('`invalid_grant`: unknown, used or expired refresh token (exchange the Basic credentials again).'),
          },
        },
      },
      [FINFRA_PATHS.users]: {
        get: {
          operationId: 'findBorrowers',
          tags: ['Borrowers'],
          summary: 'The borrowers holding a NIK',
          parameters: [{ name: 'id_number', in: 'query', required: true, description: 'The NIK.', schema: { type: 'string' }, example: '362638287638783' }],
          responses: { '200': jsonResponse(c.ref('FinfraBorrowerList'), 'Matching borrowers (none: an empty list).'), '400': error('`bad_request`: id_number is required.'), ...bearerErrors },
        },
        post: {
          operationId: 'registerBorrower',
          tags: ['Borrowers'],
          summary: 'Register a borrower (origination; not called by the connector)',
          requestBody: jsonBody(c.ref('FinfraCreateBorrowerRequest'), 'The borrower.'),
          responses: {
            '201': jsonResponse(c.ref('FinfraBorrower'), 'Created, PENDING until KYC.'),
            '400': error('`bad_request`: invalid body.'),
            '409': error('`conflict`: a borrower with this id_number exists.'),
            ...bearerErrors,
          },
        },
      },
      '/api/core/users/{userId}': {
        get: {
          operationId: 'getBorrower',
          tags: ['Borrowers'],
          summary: 'A borrower',
          parameters: [userId],
          responses: { '200': jsonResponse(c.ref('FinfraBorrower'), 'The borrower.'), '404': error('`not_found` (the connector reads it as "no borrower").'), ...bearerErrors },
        },
      },
      '/api/core/loans/{userId}': {
        get: {
          operationId: 'listLoans',
          tags: ['Loans'],
          summary: 'A borrower\'s loans',
          parameters: [userId],
          responses: { '200': jsonResponse(c.ref('FinfraLoanList'), 'The loans.'), '404': error('`not_found`: unknown borrower.'), ...bearerErrors },
        },
        post: {
          operationId: 'createSinglePaymentLoan',
          tags: ['Loans'],
          summary: 'Create a single-payment loan (origination; not called by the connector)',
          parameters: [userId],
          requestBody: jsonBody(c.ref('FinfraSingleLoanRequest'), 'The loan terms.', { amount: 1000000, interest_rate: '2', tenor: 30, tenor_unit: 'DAY' }),
          responses: {
            '201': jsonResponse(c.ref('FinfraLoanDetails'), 'Created, PENDING signing.'),
            '400': error('`bad_request`: invalid terms, or the borrower is not APPROVED.'),
            '404': error('`not_found`: unknown borrower.'),
            ...bearerErrors,
          },
        },
      },
      '/api/core/loans/{userId}/bnpl': {
        post: {
          operationId: 'createBnplLoan',
          tags: ['Loans'],
          summary: 'Create a BNPL installment loan (origination; not called by the connector)',
          description: 'Repaid in `tenor` installments every week, two weeks or month; each covers principal and interest. Its installment changes arrive as `bnpl` callbacks.',
          parameters: [userId],
          requestBody: jsonBody(c.ref('FinfraBnplLoanRequest'), 'The loan terms.', { amount: 1200000, interest_rate: '2', tenor: 3, frequency: 'MONTHLY' }),
          responses: {
            '201': jsonResponse(c.ref('FinfraLoanDetails'), 'Created, PENDING signing, with its installment plan.'),
            '400': error('`bad_request`: invalid terms, or the borrower is not APPROVED.'),
            '404': error('`not_found`: unknown borrower.'),
            ...bearerErrors,
          },
        },
      },
      '/api/core/loans/details/{uniqueId}': {
        get: {
          operationId: 'loanDetails',
          tags: ['Loans'],
          summary: 'A loan with its installments, payments and disbursement',
          parameters: [pathParam('uniqueId', 'The loan\'s `loanUniqueId`.')],
          responses: { '200': jsonResponse(c.ref('FinfraLoanDetails'), 'The loan.'), '404': error('`not_found` (the connector reads it as "no loan").'), ...bearerErrors },
        },
      },
    },
    webhooks: {
      userStatus: webhook(
        'userStatusCallback',
        'Borrower, credit-score, loan and BNPL status changes',
        '/api/core/ftm/users/{callbackTitle}/status',
        { oneOf: [c.ref('FinfraUserCallback'), c.ref('FinfraCreditScoreCallback'), c.ref('FinfraLoanCallback'), c.ref('FinfraBnplCallback')] },
      ),
      paymentGatewayStatus: webhook('paymentGatewayCallback', 'Invoice (payment link) and virtual-account payments', '/api/core/payment-gateway/{kind}/status', c.ref('FinfraPaymentCallback')),
    },
    components: {
      schemas: c.schemas,
      securitySchemes: {
        clientCredentials: { type: 'http', scheme: 'basic', description: `\`clientId:clientSecret\`, only on the token exchange.\n\n${TOKEN_FLOW}` },
        partnerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `access_token` of the token exchange or refresh.' },
        finfraAuthKey: { type: 'apiKey', in: 'header', name: 'finfra-auth-key', description: 'Sent by Finfra on every callback; must equal FINFRA_CALLBACK_KEY.' },
      },
    },
  };
}
