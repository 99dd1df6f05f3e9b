/**
 * The providers' OpenAPI 3.1 documents (docs/openapi/, generated from the connectors' zod wire schemas by
 * `npm run openapi:emit`): the committed files are what the generator emits now, each is a valid OpenAPI 3.1
 * document (@readme/openapi-parser) describing its auth flow, the sandbox serves each at /openapi.json over
 * real HTTP, and real sandbox answers and callback bodies validate against the documents' schemas (ajv,
 * JSON Schema 2020-12), including the error answers, so the documents are proven to describe the wire.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAIRIN_PATHS } from '../src/providers/cairin';
import { DK_PATHS } from '../src/providers/dompetkilat';
import { FINFRA_PATHS } from '../src/providers/finfra';
import { createSandboxBanks, type Sandbox, SEED_CAIRIN, SEED_FINFRA_USER_ID, SEED_PERSON, startSandbox, WebhookSender } from '../src/sandbox';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = ['cairin', 'finfra', 'dompetkilat', 'snap'] as const;
type Name = (typeof NAMES)[number];

/** A parsed JSON document or answer, walked by key. */
type Json = any;

const committed = Object.fromEntries(NAMES.map((n) => [n, JSON.parse(readFileSync(path.join(ROOT, 'docs', 'openapi', `${n}.json`), 'utf8')) as Json])) as Record<Name, Json>;

/** JSON Schema validators over one document: any schema in it by JSON pointer, `$ref`s resolved against it. */
function schemasOf(name: Name) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const id = `https://satukredit.invalid/openapi/${name}.json`;
  ajv.addSchema(committed[name], id);
  const at = (...segments: string[]) => {
    const pointer = segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
    const fn = ajv.getSchema(`${id}#/${pointer}`);
    if (!fn) throw new Error(`${name}: no schema at /${segments.join('/')}`);
    return fn;
  };
  const check = (segments: string[], data: unknown) => {
    const fn = at(...segments);
    fn(data);
    expect(fn.errors ?? [], `${name} ${segments.join(' ')}: ${JSON.stringify(data).slice(0, 400)}`).toEqual([]);
  };
  return {
    /** Asserts the answer's status is documented for the operation and its body matches that response's schema. */
    response(pathKey: string, method: string, res: { status: number; body: unknown }) {
      const responses = committed[name].paths[pathKey]?.[method]?.responses;
      expect(responses, `${name}: ${method.toUpperCase()} ${pathKey} is documented`).toBeDefined();
      expect(Object.keys(responses), `${name}: ${method.toUpperCase()} ${pathKey} documents HTTP ${res.status}`).toContain(String(res.status));
      check(['paths', pathKey, method, 'responses', String(res.status), 'content', 'application/json', 'schema'], res.body);
    },
    /** Asserts a request body matches the operation's request body schema. */
    request(pathKey: string, method: string, body: unknown) {
      check(['paths', pathKey, method, 'requestBody', 'content', 'application/json', 'schema'], body);
    },
    /** Asserts a callback body matches the webhook's request body schema. */
    webhook(webhook: string, body: unknown) {
      check(['webhooks', webhook, 'post', 'requestBody', 'content', 'application/json', 'schema'], body);
    },
    /** The request body example of an operation. */
    example(pathKey: string, method: string): unknown {
      return committed[name].paths[pathKey][method].requestBody.content['application/json'].example;
    },
  };
}

/** One HTTP call; the answer's status and JSON body. */
async function call(base: string, method: string, target: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Json; contentType: string | null }> {
  const res = await fetch(new URL(target, base), {
    method,
    headers: { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, contentType: res.headers.get('content-type') };
}

describe('OpenAPI documents', () => {
  it('the committed documents are what the generator emits now (npm run openapi:emit)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'openapi.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr + r.stdout).toContain('up to date');
    expect(r.status).toBe(0);
  });

  it.each(NAMES)('%s is a valid OpenAPI 3.1 document', async (name) => {
    const doc = committed[name];
    expect(doc.openapi).toMatch(/^3\.1\./);
    // The parser dereferences in place: give it a copy.
    const result = await validate(structuredClone(doc));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
  });

  it('the validator refuses a broken document (the check has teeth)', async () => {
    const broken = structuredClone(committed.cairin);
    broken.paths[CAIRIN_PATHS.loanList].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    delete broken.info.title;
    const result = await validate(broken);
    expect(result.valid).toBe(false);
  });

  it('documents every endpoint the connectors use and the callbacks they receive', () => {
    const ops = (name: Name) =>
      Object.entries(committed[name].paths as Record<string, Json>).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops('cairin')).toEqual(
      expect.arrayContaining([
        `POST ${CAIRIN_PATHS.login}`,
        `POST ${CAIRIN_PATHS.liveness}`,
        `POST ${CAIRIN_PATHS.token}`,
        `POST ${CAIRIN_PATHS.refresh}`,
        `GET ${CAIRIN_PATHS.loanList}`,
        `POST ${CAIRIN_PATHS.loanDetail}`,
        `GET ${CAIRIN_PATHS.history}`,
        `GET ${CAIRIN_PATHS.identity}`,
        `GET ${CAIRIN_PATHS.fundingPortfolio}`,
      ]),
    );
    expect(ops('finfra')).toEqual(
      expect.arrayContaining([
        `POST ${FINFRA_PATHS.token}`,
        `POST ${FINFRA_PATHS.refresh}`,
        `GET ${FINFRA_PATHS.users}`,
        `POST ${FINFRA_PATHS.users}`,
        'GET /api/core/users/{userId}',
        'GET /api/core/loans/{userId}',
        'POST /api/core/loans/{userId}',
        'POST /api/core/loans/{userId}/bnpl',
        'GET /api/core/loans/details/{uniqueId}',
      ]),
    );
    expect(ops('dompetkilat')).toEqual(expect.arrayContaining([`POST ${DK_PATHS.registerBorrower}`, 'GET /v1/borrower/{idNumber}', `POST ${DK_PATHS.registerLoan}`]));
    expect(Object.keys(committed.finfra.webhooks)).toEqual(['userStatus', 'paymentGatewayStatus']);
    expect(Object.keys(committed.dompetkilat.webhooks)).toEqual(['disbursement', 'repayment']);
    expect(committed.dompetkilat.webhooks.disbursement.post.description).toContain(DK_PATHS.disbursementCallback);
    expect(committed.dompetkilat.webhooks.repayment.post.description).toContain(DK_PATHS.repaymentCallback);
    expect(Object.keys(committed.snap.webhooks)).toEqual(['vaPaymentNotification']);
  });

  it('describes each auth flow', () => {
    const cairin = committed.cairin;
    expect(cairin.components.securitySchemes.cairinSession).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(cairin.components.securitySchemes.cairinSession.description).toMatch(/liveness/);
    expect(cairin.security).toEqual([{ cairinSession: [] }]);
    for (const p of [CAIRIN_PATHS.login, CAIRIN_PATHS.liveness, CAIRIN_PATHS.token, CAIRIN_PATHS.refresh]) expect(cairin.paths[p].post.security, p).toEqual([]);
    expect(cairin.paths[CAIRIN_PATHS.token].post.responses['403'].description).toContain('LIVENESS_REQUIRED');

    const finfra = committed.finfra;
    expect(finfra.components.securitySchemes).toMatchObject({
      clientCredentials: { type: 'http', scheme: 'basic' },
      partnerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      finfraAuthKey: { type: 'apiKey', in: 'header', name: 'finfra-auth-key' },
    });
    expect(finfra.paths[FINFRA_PATHS.token].post.security).toEqual([{ clientCredentials: [] }]);
    expect(finfra.security).toEqual([{ partnerJwt: [] }]);
    for (const w of Object.values(finfra.webhooks as Record<string, Json>)) expect(w.post.security).toEqual([{ finfraAuthKey: [] }]);

    const dk = committed.dompetkilat;
    expect(dk.security).toEqual([]);
    expect(dk['x-ip-allow-list'].description).toMatch(/IP allow-list/);
    expect(dk.info.description).toContain('## Authentication');

    expect(committed.snap.components.securitySchemes.snapSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-SIGNATURE' });
  });
});

describe('OpenAPI documents against the sandbox', () => {
  let sb: Sandbox;
  const cairin = schemasOf('cairin');
  const finfra = schemasOf('finfra');
  const dk = schemasOf('dompetkilat');
  const snap = schemasOf('snap');

  beforeAll(async () => {
    sb = await startSandbox({ seed: 42, borrowers: 8 });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('serves each provider\'s committed document at /openapi.json, outside the provider counters', async () => {
    for (const [name, url] of [
      ['cairin', `${sb.urls.cairin}/openapi.json`],
      ['finfra', `${sb.urls.finfra}/openapi.json`],
      ['dompetkilat', `${sb.urls.dompetKilat}/openapi.json`],
      ['snap', `${sb.urls.cairin}/openapi/snap.json`],
    ] as const) {
      const res = await call(url, 'GET', url);
      expect(res.status, url).toBe(200);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(res.body).toEqual(committed[name]);
    }
    expect(sb.stats().total).toBe(0);
  });

  it('Cairin: the liveness-gated session chain and every read answer as documented', async () => {
    const base = sb.urls.cairin;
    const P = CAIRIN_PATHS;
    const login = cairin.example(P.login, 'post') as { phoneNumber: string; pin: string; deviceId: string };
    expect(login).toEqual({ phoneNumber: SEED_PERSON.phoneNumber, pin: SEED_CAIRIN.pin, deviceId: SEED_CAIRIN.deviceId });
    cairin.request(P.login, 'post', login);
    const ticket = await call(base, 'POST', P.login, { body: login });
    cairin.response(P.login, 'post', ticket);
    expect(ticket.body.livenessRequired).toBe(false);
    cairin.response(P.login, 'post', await call(base, 'POST', P.login, { body: { ...login, pin: '000000' } }));

    const session = await call(base, 'POST', P.token, { body: { loginTicket: ticket.body.loginTicket } });
    cairin.response(P.token, 'post', session);
    expect(session.status).toBe(200);
    const auth = { authorization: `Bearer ${session.body.accessToken}` };

    for (const p of [P.loanList, P.identity, P.fundingPortfolio]) cairin.response(p, 'get', await call(base, 'GET', p, { headers: auth }));
    cairin.response(P.history, 'get', await call(base, 'GET', `${P.history}?type=all&page=1&size=2`, { headers: auth }));
    cairin.response(P.history, 'get', await call(base, 'GET', `${P.history}?size=9999`, { headers: auth }));
    const detailBody = cairin.example(P.loanDetail, 'post');
    cairin.request(P.loanDetail, 'post', detailBody);
    const detail = await call(base, 'POST', P.loanDetail, { body: detailBody, headers: auth });
    expect(detail.status).toBe(200);
    cairin.response(P.loanDetail, 'post', detail);
    cairin.response(P.loanDetail, 'post', await call(base, 'POST', P.loanDetail, { body: { loanId: 'LN-NONE', include: [] }, headers: auth }));
    cairin.response(P.loanList, 'get', await call(base, 'GET', P.loanList));
    cairin.response(P.refresh, 'post', await call(base, 'POST', P.refresh, { body: { refreshToken: session.body.refreshToken } }));
    cairin.response(P.refresh, 'post', await call(base, 'POST', P.refresh, { body: { refreshToken: 'crt_unknown' } }));

    // A new device: the gate answers 403 until the KTP + liveness check passed.
    const newDevice = { ...login, deviceId: 'openapi-test-device' };
    const gated = await call(base, 'POST', P.login, { body: newDevice });
    expect(gated.body.livenessRequired).toBe(true);
    const refused = await call(base, 'POST', P.token, { body: { loginTicket: gated.body.loginTicket } });
    expect(refused.status).toBe(403);
    cairin.response(P.token, 'post', refused);
    const liveness = { loginTicket: gated.body.loginTicket, ktpImage: 'aVZCT1J3MEtHZ28=', selfieImage: 'aVZCT1J3MEtHZ28=' };
    cairin.request(P.liveness, 'post', liveness);
    cairin.response(P.liveness, 'post', await call(base, 'POST', P.liveness, { body: liveness }));
    const live = await call(base, 'POST', P.token, { body: { loginTicket: gated.body.loginTicket } });
    expect(live.status).toBe(200);
    cairin.response(P.token, 'post', live);
  });

  it('Finfra: the Basic-to-JWT exchange, borrowers, loans and BNPL answer as documented', async () => {
    const base = sb.urls.finfra;
    const P = FINFRA_PATHS;
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    const token = await call(base, 'POST', P.token, { headers: basic(sb.finfraClient.clientId, sb.finfraClient.clientSecret) });
    expect(token.status).toBe(200);
    finfra.response(P.token, 'post', token);
    finfra.response(P.token, 'post', await call(base, 'POST', P.token, { headers: basic(sb.finfraClient.clientId, 'sk_sandbox_wrong') }));
    const refreshed = await call(base, 'POST', P.refresh, { body: { refresh_token: token.body.refresh_token } });
    finfra.response(P.refresh, 'post', refreshed);
    finfra.response(P.refresh, 'post', await call(base, 'POST', P.refresh, { body: { refresh_token: token.body.refresh_token } }));
    const auth = { authorization: `Bearer ${refreshed.body.access_token}` };

    finfra.response(P.users, 'get', await call(base, 'GET', `${P.users}?id_number=${SEED_PERSON.nik}`, { headers: auth }));
    finfra.response(P.users, 'get', await call(base, 'GET', P.users));
    finfra.response('/api/core/users/{userId}', 'get', await call(base, 'GET', P.user(SEED_FINFRA_USER_ID), { headers: auth }));
    finfra.response('/api/core/users/{userId}', 'get', await call(base, 'GET', P.user('usr_none'), { headers: auth }));
    const list = await call(base, 'GET', P.listLoans(SEED_FINFRA_USER_ID), { headers: auth });
    finfra.response('/api/core/loans/{userId}', 'get', list);

    const bnplBody = finfra.example('/api/core/loans/{userId}/bnpl', 'post');
    finfra.request('/api/core/loans/{userId}/bnpl', 'post', bnplBody);
    const bnpl = await call(base, 'POST', P.createBnpl(SEED_FINFRA_USER_ID), { body: bnplBody, headers: auth });
    expect(bnpl.status).toBe(201);
    finfra.response('/api/core/loans/{userId}/bnpl', 'post', bnpl);
    expect(bnpl.body).toMatchObject({ loan_type: 'BNPL', frequency: 'MONTHLY' });
    const singleBody = finfra.example('/api/core/loans/{userId}', 'post');
    finfra.request('/api/core/loans/{userId}', 'post', singleBody);
    const single = await call(base, 'POST', P.createLoan(SEED_FINFRA_USER_ID), { body: singleBody, headers: auth });
    expect(single.status).toBe(201);
    finfra.response('/api/core/loans/{userId}', 'post', single);
    finfra.response('/api/core/loans/{userId}/bnpl', 'post', await call(base, 'POST', P.createBnpl(SEED_FINFRA_USER_ID), { body: { amount: 0 }, headers: auth }));

    for (const id of [...list.body.loans.map((l: { loanUniqueId: string }) => l.loanUniqueId), bnpl.body.loanUniqueId]) {
      finfra.response('/api/core/loans/details/{uniqueId}', 'get', await call(base, 'GET', P.loanDetails(id), { headers: auth }));
    }
    finfra.response('/api/core/loans/details/{uniqueId}', 'get', await call(base, 'GET', P.loanDetails('FL-NONE'), { headers: auth }));

    const borrower = { borrower_type: 'PERSONAL', name: 'Open Api', id_number: '3171010101900001', phone_number: '6281200000001' };
    finfra.request(P.users, 'post', borrower);
    const created = await call(base, 'POST', P.users, { body: borrower, headers: auth });
    expect(created.status).toBe(201);
    finfra.response(P.users, 'post', created);
    finfra.response(P.users, 'post', await call(base, 'POST', P.users, { body: borrower, headers: auth }));
  });

  it('Dompet Kilat: the borrower read and the registrations answer as documented', async () => {
    const base = sb.urls.dompetKilat;
    const borrowerPath = '/v1/borrower/{idNumber}';
    const found = await call(base, 'GET', DK_PATHS.getBorrower(SEED_PERSON.nik));
    expect(found.status).toBe(200);
    dk.response(borrowerPath, 'get', found);
    for (const p of sb.dataset.dompetKilat) dk.response(borrowerPath, 'get', await call(base, 'GET', DK_PATHS.getBorrower(p.idNumber)));
    dk.response(borrowerPath, 'get', await call(base, 'GET', DK_PATHS.getBorrower('3626382876387831')));

    const registration = { map: 'PERSONAL_BORROWER', productCode: '95', phoneNumber: '6281299990001', email: 'openapi@example.com', fullName: 'Open Api', idNumber: '3171014101900002', birthDate: '01/01/1990' };
    dk.request(DK_PATHS.registerBorrower, 'post', registration);
    const registered = await call(base, 'POST', DK_PATHS.registerBorrower, { body: registration });
    expect(registered.body.status).toBe('00');
    dk.response(DK_PATHS.registerBorrower, 'post', registered);
    dk.response(DK_PATHS.registerBorrower, 'post', await call(base, 'POST', DK_PATHS.registerBorrower, { body: registration }));

    const application = {
      ...registration,
      gender: 'L',
      birthPlace: 'Jakarta',
      officeName: 'PT ABC',
      startDate: '15/04/2015',
      address: 'Jl Merdeka No. 20',
      village: 'Kampung Jawa',
      subdistrict: 'Tanah Abang',
      city: 'Jakarta Pusat',
      province: 'DKI Jakarta',
      postalCode: '10250',
      plafons: '1000000',
      job: 'Karyawan Swasta',
      jobType: 'Perantara Keuangan',
      jobOnline: 'Berbasis Internet / online',
      income: 'Rp 5.934.041 - Rp 11.868.080',
      homeOwnership: 'MILIK SENDIRI',
      emergencyContactRelationship: 'Saudara',
      emergencyContactName: 'Banu',
      emergencyContactNumber: '6281234567892',
      religion: 'Islam',
      maritalStatus: 'BELUM KAWIN',
      education: 'SARJANA',
      motherMaidenName: 'Shizuka',
      bankName: 'BANK SINARMAS',
      bankAccountNumber: '007812342',
      asset: 'Rp 50.000.001 - Rp 500.000.000',
      familyCard: '123123123123123',
      workExperience: '> 3 Tahun',
      fotoKtp: 'aVZCT1J3MEtHZ28=',
      fotoSelfie: 'aVZCT1J3MEtHZ28=',
      loanData: { tenor: 2, unit: 'MONTH', amount: '1000000' },
      references: { interest: '1.0', npwp: '123456789012345' },
    };
    dk.request(DK_PATHS.registerLoan, 'post', application);
    const applied = await call(base, 'POST', DK_PATHS.registerLoan, { body: application });
    expect(applied.body.status).toBe('00');
    dk.response(DK_PATHS.registerLoan, 'post', applied);
    dk.response(DK_PATHS.registerLoan, 'post', await call(base, 'POST', DK_PATHS.registerLoan, { body: { ...application, idNumber: '3171014101900099' } }));
    dk.response(borrowerPath, 'get', await call(base, 'GET', DK_PATHS.getBorrower(registration.idNumber)));
  });

  it('every endpoint the sandbox answered above is a documented operation', () => {
    const byProvider = sb.stats().byProvider;
    for (const [server, name] of [
      ['cairin', 'cairin'],
      ['finfra', 'finfra'],
      ['dompetKilat', 'dompetkilat'],
    ] as const) {
      const keys = Object.keys(byProvider[server].byEndpoint);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const [method, template] = key.split(' ') as [string, string];
        expect(committed[name].paths[template.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()], `${name}: ${key}`).toBeDefined();
      }
    }
  });

  it('the callbacks the sandbox sends match the documented webhook bodies', async () => {
    const received: { path: string; headers: http.IncomingHttpHeaders; body: unknown }[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const sender = new WebhookSender(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, 'openapi-key', createSandboxBanks());
      await sender.finfraUserVerify(SEED_FINFRA_USER_ID, 'APPROVED');
      await sender.finfraCreditScore({ userId: SEED_FINFRA_USER_ID, credit_score: 710, credit_source: 'clik', scored_at: '2026-11-21T09:00:00+07:00' });
      await sender.finfra('users', 'loan', 'DISBURSED', { loanUniqueId: 'FL-000001', status: 'DISBURSED' });
      await sender.finfra('users', 'bnpl', 'PAID', { loanUniqueId: 'FL-000001', installment_number: 1, status: 'PAID', paid_amount: 400000 });
      await sender.finfra('payment-gateway', 'va', 'PAID', { payment_id: 'pay_1', loanUniqueId: 'FL-000001', amount: 400000, bank_code: 'BCA', status: 'PAID', paid_at: '2026-11-21T09:00:00+07:00' });
      // The Dompet Kilat document's own callback examples.
      const dkDisbursed = { transactionId: 'cb82f2ea-901d-49cc-97d3-34846d8d8e29', loanCode: 'LC1635132008', bankCode: 'BNI', paymentAccountNumber: '8808999966040139', status: 'active', loanAmount: 1000000, loanAmountPaid: 0, tenor: 4, tenorUnit: 'day', numberOfPay: 0, histories: null };
      await sender.dompetKilat('disbursement', dkDisbursed);
      await sender.dompetKilat('repayment', { ...dkDisbursed, status: 'completed', loanAmountPaid: 250000, numberOfPay: 1, histories: [{ transactionTime: '2021-10-25T15:20:16.921Z', paymentAmount: 250000 }] });
      for (const bank of ['BCA', 'BRI'] as const) await sender.snapPayment(bank, { paymentRequestId: 'TX-CA-000001-0003-P', amount: 270000 });
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }

    expect(received).toHaveLength(9);
    for (const r of received) {
      if (r.path.startsWith('/webhooks/finfra/api/core/ftm/users/')) {
        finfra.webhook('userStatus', r.body);
        expect(r.headers['finfra-auth-key']).toBe('openapi-key');
      } else if (r.path.startsWith('/webhooks/finfra/api/core/payment-gateway/')) finfra.webhook('paymentGatewayStatus', r.body);
      else if (r.path === `/webhooks/dompetkilat${DK_PATHS.disbursementCallback}`) dk.webhook('disbursement', r.body);
      else if (r.path === `/webhooks/dompetkilat${DK_PATHS.repaymentCallback}`) dk.webhook('repayment', r.body);
      else {
        expect(r.path).toMatch(/^\/webhooks\/snap\/(bca|bri)\/v1\.0\/transfer-va\/payment$/);
        snap.webhook('vaPaymentNotification', r.body);
        const documented = (committed.snap.webhooks.vaPaymentNotification.post.parameters as { name: string }[]).map((p) => p.name.toLowerCase());
        for (const h of documented) expect(r.headers[h], h).toBeTruthy();
      }
    }
  });
});
