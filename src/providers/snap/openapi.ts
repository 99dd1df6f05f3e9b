/**
 * OpenAPI 3.1 document of the bank leg of Cairin repayments: the SNAP (Bank Indonesia) virtual-account payment
 * notifications BCA, Mandiri, BRI and BNI POST to Satu Kredit (`webhooks`), as ./callbacks.ts verifies them.
 * Its own document rather than part of Cairin's: the banks, not Cairin, send these, with their own signature
 * scheme, and the settlement source is not a provider. The body schema is generated from the zod wire schema.
 * Written to docs/openapi/snap.json by `npm run openapi:emit`.
 */
import { z } from 'zod';
import { headerParam, jsonBody, jsonResponse, OPENAPI_VERSION, type OpenApiDocument, schemaComponents } from '../openapi';
import { SNAP_BANKS, SnapAmount, SnapPaymentNotification, snapCode } from './wire';

/** Our answer: `responseCode` is HTTP status (3) + service code (2) + case code (2). */
const SnapResponse = z.object({
  responseCode: z.string().regex(/^\d{7}$/).describe(`HTTP status + service code + case code, e.g. ${snapCode(200, '25', '00')} (accepted), ${snapCode(401, '25', '00')} (unauthorized).`),
  responseMessage: z.string(),
});
/** Our answer to an accepted notification. */
const SnapPaymentAck = SnapResponse.extend({
  virtualAccountData: SnapPaymentNotification.pick({ partnerServiceId: true, customerNo: true, virtualAccountNo: true, paymentRequestId: true, paidAmount: true }),
});

const SIGNATURE = [
  'Each notification is signed by the bank over the string `POST:<path>:lowerhex(sha256(minified body)):<X-TIMESTAMP>`, sent base64 in `X-SIGNATURE`:',
  'SHA256withRSA verified with the bank\'s public key, or HMAC-SHA512 with a shared secret (per bank configuration).',
  'Verified in this order: the bank is configured, the mandatory headers are present, `X-TIMESTAMP` is ISO-8601 and inside the accepted window, `X-PARTNER-ID` is the bank\'s, the signature, then the body.',
  '`X-EXTERNAL-ID` is unique per partner per Jakarta day: a replay is acknowledged again, the same id with another payment is a 409.',
].join('\n');

/**
 * Builds the SNAP settlement notifications' OpenAPI document (deterministic).
 * @returns the document, ready for JSON serialization.
 */
export function snapOpenApi(): OpenApiDocument {
  const c = schemaComponents(
    { SnapAmount, SnapPaymentNotification, SnapResponse, SnapPaymentAck },
    {
      SnapAmount: 'An amount as SNAP writes it: a decimal string with 2 places (whole rupiah only are accepted) and the currency.',
      SnapPaymentNotification: 'A VA payment notification, the fields Satu Kredit reads. `paymentRequestId` is the provider\'s repayment reference (Cairin `txnId`).',
      SnapResponse: 'Every answer: a 7-digit SNAP response code and a message.',
      SnapPaymentAck: 'The answer to an accepted notification, echoing the payment.',
    },
  );
  const failure = (description: string) => jsonResponse(c.ref('SnapResponse'), description);
  const banks = SNAP_BANKS.map((b) => b.toLowerCase()).join(', ');
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'SNAP VA payment notifications (the bank leg of Cairin repayments)',
      version: '1.0.0',
      summary: 'Settlement confirmations the banks send to Satu Kredit under Bank Indonesia\'s National Open API Payment Standard.',
      description: [
        'A Cairin repayment is pending until the bank that carried it confirms the payment. The banks (BCA, Mandiri, BRI, BNI) send a SNAP virtual-account payment notification; Satu Kredit matches it to the pending repayment.',
        `Satu Kredit receives them at \`POST /webhooks/snap/{bank}/v1.0/transfer-va/payment\`, \`{bank}\` one of ${banks}.`,
        '',
        '## Authentication',
        '',
        SIGNATURE,
      ].join('\n'),
    },
    paths: {},
    webhooks: {
      vaPaymentNotification: {
        post: {
          operationId: 'vaPaymentNotification',
          summary: 'A virtual-account payment settled',
          description: `Sent to \`/webhooks/snap/{bank}/v1.0/transfer-va/payment\` (\`{bank}\`: ${banks}).`,
          security: [{ snapSignature: [] }],
          parameters: [
            headerParam('X-TIMESTAMP', 'ISO-8601 instant with offset; must be inside the accepted window.'),
            headerParam('X-SIGNATURE', 'Base64 signature (see the security scheme).'),
            headerParam('X-PARTNER-ID', 'The partner id the bank is configured with.'),
            headerParam('X-EXTERNAL-ID', 'Unique per partner per Jakarta day: the idempotency key.'),
          ],
          requestBody: jsonBody(c.ref('SnapPaymentNotification'), 'The payment.'),
          responses: {
            '200': jsonResponse(c.ref('SnapPaymentAck'), `Stored (or already stored): ${snapCode(200, '25', '00')}.`),
            '400': failure('Missing mandatory header (case 02) or invalid field format (case 01).'),
            '401': failure('Unknown bank or partner, timestamp out of window, or a bad signature (case 00).'),
            '409': failure('`X-EXTERNAL-ID` already used for another payment.'),
            '503': { description: 'Could not be stored; the bank should retry (`Retry-After`).' },
          },
        },
      },
    },
    components: {
      schemas: c.schemas,
      securitySchemes: { snapSignature: { type: 'apiKey', in: 'header', name: 'X-SIGNATURE', description: SIGNATURE } },
    },
  };
}
