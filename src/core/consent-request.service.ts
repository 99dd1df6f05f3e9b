/**
 * The borrower's consent flow (Plaid Link / Account Aggregator style). A client asks
 * (`create`: a PENDING consent naming no borrower, and a single-use link valid 15 minutes);
 * the borrower opens the hosted page, starts the flow in one browser, proves each provider
 * account (Cairin: the borrower's own app login, with Cairin's liveness gate on a new device;
 * Finfra and Dompet Kilat: a one-time code sent to the phone the provider holds for the NIK),
 * then approves (ACTIVE, accounts linked) or declines (REJECTED). A link not completed in time,
 * or locked after 5 wrong codes or refused logins, ends EXPIRED. Every step reads and writes
 * PostgreSQL only, so any instance can serve any step.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type ConsentDomain, effectiveStatus } from '../domain/consent';
import { maskPhone, normalizePhone } from '../domain/phone';
import type { ProviderCode } from '../domain/types';
import type { Consent, ConsentRequest, PrismaClient } from '../generated/prisma/client';
import { type Clock, LinkMismatchError, LinkStepRequired } from '../providers/connector';
import { ProviderAuthError, ProviderError } from '../providers/errors';
import { type Connectors, providerDefinition } from '../providers/registry';
import type { ClientRegistry } from './client-registry';
import { type ConsentService, ConsentUserError } from './consent.service';
import { TooManyRequests } from './errors';
import { LinkConflictError, storeLinks, type VerifiedAccount } from './linking.service';
import type { OneTimeCodes } from './one-time-codes';

/** How long a consent link works, seconds (15 minutes). */
export const CONSENT_LINK_TTL_SECONDS = 15 * 60;
/** Wrong codes plus refused logins that lock a request (it ends EXPIRED). */
export const MAX_REQUEST_FAILURES = 5;

/** What a client asks the borrower for (GraphQL `consentRequestCreate`). */
export interface ConsentRequestInput {
  readonly clientId: string;
  /** The borrower's NIK (15-16 digits). */
  readonly nik: string;
  /** The borrower's name as the client knows it; kept only for a borrower new to us. */
  readonly fullName?: string | null;
  readonly providers: readonly ProviderCode[];
  readonly domains: readonly ConsentDomain[];
  readonly purpose: string;
  /** When reads may begin; defaults to approval time. */
  readonly startsAt?: Date | null;
  readonly expiresAt: Date;
  readonly dataLifeSeconds: number;
  readonly fetchIntervalSeconds?: number | null;
  /** Must equal one of the client's registered redirect URIs. */
  readonly redirectUri: string;
  /** Opaque value returned to the client on the redirect. */
  readonly state?: string | null;
}

/** What the consent page shows about the request. */
export interface RequestSummary {
  readonly consentId: string;
  readonly clientName: string;
  readonly purpose: string;
  readonly providers: readonly ProviderCode[];
  readonly domains: readonly ConsentDomain[];
  readonly startsAt: Date;
  readonly expiresAt: Date;
  readonly dataLifeSeconds: number;
  readonly fetchIntervalSeconds: number;
  /** When the link stops working. */
  readonly linkExpiresAt: Date;
}

/** One provider's proof step on the page. */
export interface FlowStep {
  readonly provider: ProviderCode;
  /** LOGIN: the borrower's own app login (Cairin); CODE: a one-time code to the phone on file. */
  readonly method: 'LOGIN' | 'CODE';
  readonly verified: boolean;
  /** CODE: the phone on file, masked (e.g. `+62 812****7890`); null when the provider holds none for the NIK. */
  readonly phone?: string | null;
  /** CODE: the phone group (providers holding the same number share one code). */
  readonly group?: number;
  /** CODE: a code was sent to this group's phone. */
  readonly codeSent?: boolean;
  /** LOGIN: the provider asked for its liveness check (KTP photo and selfie). */
  readonly livenessNeeded?: boolean;
  /** CODE: the provider could not be asked for the phone; reload to try again. */
  readonly lookupFailed?: boolean;
}

/** Why a step did not go through, for the page to explain (in the borrower's language). */
export type FlowNotice =
  | { readonly kind: 'CODE_SENT'; readonly phone: string }
  | { readonly kind: 'WRONG_CODE'; readonly triesLeft: number }
  | { readonly kind: 'CODE_EXPIRED' }
  | { readonly kind: 'LOGIN_REFUSED'; readonly triesLeft: number }
  | { readonly kind: 'LIVENESS_NEEDED' }
  | { readonly kind: 'MISMATCH'; readonly provider: ProviderCode }
  | { readonly kind: 'CONFLICT'; readonly provider?: ProviderCode }
  | { readonly kind: 'PROVIDER_DOWN'; readonly provider: ProviderCode }
  | { readonly kind: 'TOO_MANY'; readonly retryAfterSeconds: number }
  | { readonly kind: 'SEND_FAILED' }
  | { readonly kind: 'NOT_READY' };

/** Where the page is. */
export type FlowState =
  | { readonly kind: 'NOT_FOUND' }
  /** The link was started in another browser (single use). */
  | { readonly kind: 'USED' }
  /** Not started yet: the summary and Start / Decline. */
  | { readonly kind: 'START'; readonly summary: RequestSummary }
  /** Started in this browser: the steps, then Approve / Decline. */
  | { readonly kind: 'STEPS'; readonly summary: RequestSummary; readonly steps: readonly FlowStep[]; readonly canApprove: boolean; readonly notice?: FlowNotice }
  /** Decided, expired or locked: the browser goes back to the client. */
  | { readonly kind: 'ENDED'; readonly status: string; readonly redirect: string };

type Row = ConsentRequest & { consent: Consent };
type Proofs = Record<string, unknown>;
interface PhoneProof {
  readonly phone: string | null;
  readonly linkRequest: unknown;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The consent flow's operations; the page routes (src/consent-page) call them. */
export class ConsentRequestService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly connectors: Connectors,
    private readonly consents: ConsentService,
    private readonly codes: OneTimeCodes,
    private readonly clients: ClientRegistry,
    private readonly clock: Clock,
    /** The API's public base URL (PUBLIC_URL, or where the server listens), for consent links. */
    private readonly publicUrl: () => string,
  ) {}

  /**
   * Records a PENDING consent for the borrower to approve and returns its single-use link. The answer is
   * the same whether or not the NIK is known to us: nothing is looked up until the borrower opens the link.
   * @throws ConsentUserError (CLIENT_NOT_REGISTERED, REDIRECT_URI_NOT_REGISTERED, INVALID_NIK, NO_PROVIDERS,
   * NO_DOMAINS, NO_PURPOSE, INVALID_PERIOD, INVALID_DATA_LIFE, INVALID_FETCH_INTERVAL, INVALID_STATE).
   */
  async create(r: ConsentRequestInput): Promise<{ consent: Consent; consentUrl: string }> {
    const now = this.clock.now();
    const startsAt = r.startsAt ?? now;
    const client = this.clients.get(r.clientId);
    if (!client) throw new ConsentUserError('CLIENT_NOT_REGISTERED', 'this API client is not registered for the consent flow (API_CLIENTS)', []);
    if (!this.clients.redirectAllowed(r.clientId, r.redirectUri)) throw new ConsentUserError('REDIRECT_URI_NOT_REGISTERED', 'redirectUri must equal one registered for this client', ['redirectUri']);
    if (!/^\d{15,16}$/.test(r.nik)) throw new ConsentUserError('INVALID_NIK', 'NIK must be 15 or 16 digits', ['nik']);
    if (!r.providers.length) throw new ConsentUserError('NO_PROVIDERS', 'at least one provider is required', ['providers']);
    if (!r.domains.length) throw new ConsentUserError('NO_DOMAINS', 'at least one data domain is required', ['domains']);
    if (!r.purpose.trim() || r.purpose.length > 300) throw new ConsentUserError('NO_PURPOSE', 'a purpose of 1-300 characters is required', ['purpose']);
    if (r.expiresAt <= startsAt || r.expiresAt <= now) throw new ConsentUserError('INVALID_PERIOD', 'expiresAt must be after startsAt and in the future', ['expiresAt']);
    if (!Number.isInteger(r.dataLifeSeconds) || r.dataLifeSeconds <= 0) throw new ConsentUserError('INVALID_DATA_LIFE', 'dataLifeSeconds must be a positive integer', ['dataLifeSeconds']);
    const fetchIntervalSeconds = r.fetchIntervalSeconds ?? 0;
    if (!Number.isInteger(fetchIntervalSeconds) || fetchIntervalSeconds < 0) throw new ConsentUserError('INVALID_FETCH_INTERVAL', 'fetchIntervalSeconds must be 0 or more', ['fetchIntervalSeconds']);
    if (r.state && r.state.length > 500) throw new ConsentUserError('INVALID_STATE', 'state is at most 500 characters', ['state']);

    const handle = randomBytes(32).toString('base64url');
    const linkExpiresAt = new Date(now.getTime() + CONSENT_LINK_TTL_SECONDS * 1000);
    const id = randomUUID();
    // The consent, its REQUESTED event and the request in one statement (a nested create takes a transaction of
    // five round trips); the consent comes back as JSON and gets its Dates back.
    const [row] = await this.prisma.$queryRaw<{ c: Record<string, unknown> }[]>`
      WITH c AS (
        INSERT INTO "Consent" ("id", "clientId", "providers", "domains", "purpose", "startsAt", "expiresAt", "dataLifeSeconds", "fetchIntervalSeconds", "status", "requestExpiresAt", "updatedAt")
        VALUES (${id}::uuid, ${r.clientId}, ${[...new Set(r.providers)]}::text[]::"Provider"[], ${[...new Set(r.domains)]}::text[]::"ConsentDomain"[], ${r.purpose.trim()},
                ${startsAt}::timestamptz, ${r.expiresAt}::timestamptz, ${r.dataLifeSeconds}::int, ${fetchIntervalSeconds}::int, 'PENDING'::"ConsentStatus", ${linkExpiresAt}::timestamptz, ${new Date()}::timestamptz)
        RETURNING *
      ), e AS (
        INSERT INTO "ConsentEvent" ("id", "consentId", "type", "status", "actor", "at")
        SELECT ${randomUUID()}::uuid, c."id", 'REQUESTED', 'PENDING'::"ConsentStatus", ${r.clientId}, ${now}::timestamptz FROM c
      ), q AS (
        INSERT INTO "ConsentRequest" ("consentId", "handleHash", "nik", "fullName", "redirectUri", "state", "expiresAt", "deviceId", "createdAt")
        SELECT c."id", ${sha256(handle)}, ${r.nik}, ${r.fullName?.trim() || null}, ${r.redirectUri}, ${r.state ?? null}, ${linkExpiresAt}::timestamptz, ${`satukredit-consent-${randomUUID()}`}, ${now}::timestamptz FROM c
      )
      SELECT to_jsonb(c) AS "c" FROM c`;
    const consent = withDates<Consent>(row!.c, CONSENT_DATES);
    this.consents.announce(consent, 'REQUESTED');
    return { consent, consentUrl: `${this.publicUrl().replace(/\/$/, '')}/consent/${handle}` };
  }

  /**
   * The request behind a handle with its consent, in one statement (every step of the page opens it first; an
   * `include` would read the two rows in two round trips). The rows come as JSON and get their Dates back.
   */
  private async find(handle: string): Promise<Row | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(handle)) return null;
    const [found] = await this.prisma.$queryRaw<{ r: Record<string, unknown>; c: Record<string, unknown> }[]>`
      SELECT to_jsonb(r) AS "r", to_jsonb(c) AS "c" FROM "ConsentRequest" AS r JOIN "Consent" AS c ON c."id" = r."consentId" WHERE r."handleHash" = ${sha256(handle)}`;
    if (!found) return null;
    return { ...withDates<ConsentRequest>(found.r, REQUEST_DATES), consent: withDates<Consent>(found.c, CONSENT_DATES) };
  }

  private redirectFor(row: Row, status: string): string {
    const u = new URL(row.redirectUri);
    u.searchParams.set('consent_id', row.consentId);
    u.searchParams.set('status', status);
    if (row.state !== null) u.searchParams.set('state', row.state);
    return u.toString();
  }

  private summary(row: Row): RequestSummary {
    const c = row.consent;
    return {
      consentId: c.id,
      clientName: this.clients.get(c.clientId)?.displayName ?? c.clientId,
      purpose: c.purpose,
      providers: c.providers,
      domains: c.domains,
      startsAt: c.startsAt,
      expiresAt: c.expiresAt,
      dataLifeSeconds: c.dataLifeSeconds,
      fetchIntervalSeconds: c.fetchIntervalSeconds,
      linkExpiresAt: row.expiresAt,
    };
  }

  /** Whether the browser holding `secret` is the one that started the request. */
  private owns(row: Row, secret: string | undefined): boolean {
    return row.browserHash !== null && secret !== undefined && sha256(secret) === row.browserHash;
  }

  /**
   * Resolves the request behind a handle for a browser, ending it EXPIRED when its link lapsed.
   * @returns the row while PENDING and usable by this browser, or the page state to show instead.
   */
  private async open(handle: string, secret: string | undefined, needStarted: boolean): Promise<{ row: Row } | { state: FlowState }> {
    let row = await this.find(handle);
    if (!row) return { state: { kind: 'NOT_FOUND' } };
    const now = this.clock.now();
    if (row.consent.status === 'PENDING' && effectiveStatus(row.consent, now) === 'EXPIRED') {
      await this.consents.end(row.consentId, 'EXPIRED', null, 'consent link not completed in time');
      row = (await this.find(handle))!;
    }
    if (row.browserHash !== null && !this.owns(row, secret)) return { state: { kind: 'USED' } };
    if (row.consent.status !== 'PENDING') return { state: { kind: 'ENDED', status: row.consent.status, redirect: this.redirectFor(row, row.consent.status) } };
    if (needStarted && row.browserHash === null) return { state: { kind: 'START', summary: this.summary(row) } };
    return { row };
  }

  /** The page for a handle, as seen by the browser holding `secret` (the flow cookie), with an optional notice. */
  async view(handle: string, secret: string | undefined, notice?: FlowNotice): Promise<FlowState> {
    const o = await this.open(handle, secret, false);
    if ('state' in o) return o.state;
    if (o.row.browserHash === null) return { kind: 'START', summary: this.summary(o.row) };
    return this.steps(o.row, notice);
  }

  private async steps(row: Row, notice?: FlowNotice): Promise<FlowState> {
    let proofs = row.proofs as Proofs;
    // Phones on file are looked up once the borrower starts; a provider that failed is asked again on the next view.
    const missing = row.consent.providers.filter((p) => providerDefinition(p).linkProof !== 'LOGIN' && !(`phone:${p}` in proofs));
    if (missing.length && row.nik) {
      const patch: Proofs = {};
      await Promise.all(
        missing.map(async (p) => {
          try {
            const on = await this.connectors[p].phoneOnFile(row.nik!);
            patch[`phone:${p}`] = { phone: on ? normalizePhone(on.phone) : null, linkRequest: on?.linkRequest ?? null } satisfies PhoneProof;
          } catch {
            // left out: shown as lookupFailed
          }
        }),
      );
      if (Object.keys(patch).length) proofs = await this.merge(row.consentId, patch);
    }
    const groups = this.phoneGroups(row.consent.providers, proofs);
    const steps: FlowStep[] = row.consent.providers.map((p) => {
      const verified = `verified:${p}` in proofs;
      if (providerDefinition(p).linkProof === 'LOGIN') return { provider: p, method: 'LOGIN', verified, livenessNeeded: proofs[`liveness:${p}`] === true };
      const on = proofs[`phone:${p}`] as PhoneProof | undefined;
      if (!on) return { provider: p, method: 'CODE', verified, lookupFailed: true };
      const group = on.phone ? groups.indexOf(on.phone) : undefined;
      return { provider: p, method: 'CODE', verified, phone: on.phone ? maskPhone(on.phone) : null, group, codeSent: group !== undefined && proofs[`sent:${group}`] === true };
    });
    return { kind: 'STEPS', summary: this.summary(row), steps, canApprove: steps.every((s) => s.verified), notice };
  }

  /** Distinct phones on file, in provider order (one code per phone). */
  private phoneGroups(providers: readonly ProviderCode[], proofs: Proofs): string[] {
    const phones: string[] = [];
    for (const p of providers) {
      const on = proofs[`phone:${p}`] as PhoneProof | undefined;
      if (on?.phone && !phones.includes(on.phone)) phones.push(on.phone);
    }
    return phones;
  }

  /** Merges keys into a request's proofs in one statement (concurrent steps never lose each other's keys). */
  private async merge(consentId: string, patch: Proofs): Promise<Proofs> {
    const rows = await this.prisma.$queryRaw<{ proofs: Proofs }[]>`UPDATE "ConsentRequest" SET "proofs" = "proofs" || ${JSON.stringify(patch)}::jsonb WHERE "consentId" = ${consentId}::uuid RETURNING "proofs"`;
    return rows[0]?.proofs ?? patch;
  }

  /**
   * Starts the flow in this browser: the link is bound to it (single use).
   * @returns the secret to keep in the browser's flow cookie, or the state to show when the link cannot be started.
   */
  async start(handle: string): Promise<{ secret: string } | { state: FlowState }> {
    const o = await this.open(handle, undefined, false);
    if ('state' in o) return o;
    const secret = randomBytes(32).toString('base64url');
    const claimed = await this.prisma.consentRequest.updateMany({
      where: { consentId: o.row.consentId, browserHash: null },
      data: { browserHash: sha256(secret), startedAt: this.clock.now() },
    });
    if (claimed.count !== 1) return { state: { kind: 'USED' } };
    await this.prisma.consentEvent.create({ data: { consentId: o.row.consentId, type: 'OPENED', status: 'PENDING', actor: 'borrower', at: this.clock.now() } });
    return { secret };
  }

  /** Counts a wrong code or refused login; the fifth locks the request (EXPIRED, event LOCKED). */
  private async fail(row: Row): Promise<{ locked: FlowState } | { triesLeft: number }> {
    const r = await this.prisma.consentRequest.update({ where: { consentId: row.consentId }, data: { failures: { increment: 1 } } });
    if (r.failures < MAX_REQUEST_FAILURES) return { triesLeft: MAX_REQUEST_FAILURES - r.failures };
    return { locked: await this.lock(row) };
  }

  private async lock(row: Row): Promise<FlowState> {
    const c = await this.consents.end(row.consentId, 'EXPIRED', null, `${MAX_REQUEST_FAILURES} wrong codes or refused logins`, 'LOCKED');
    return { kind: 'ENDED', status: c.status, redirect: this.redirectFor(row, c.status) };
  }

  /**
   * The borrower's own login at a LOGIN provider (Cairin): phone and PIN, and the KTP photo and selfie
   * when the provider asks for its liveness check. The images go to the provider only; nothing of them is kept.
   */
  async login(handle: string, secret: string | undefined, provider: ProviderCode, form: { phoneNumber: string; pin: string; ktpImage?: string; selfieImage?: string }): Promise<FlowState> {
    const o = await this.open(handle, secret, true);
    if ('state' in o) return o.state;
    const { row } = o;
    if (!row.consent.providers.includes(provider) || providerDefinition(provider).linkProof !== 'LOGIN' || !row.nik) return this.steps(row);
    try {
      const linked = await this.connectors[provider].link(row.nik, {
        phoneNumber: normalizeLoginPhone(form.phoneNumber),
        pin: form.pin,
        deviceId: row.deviceId,
        ...(form.ktpImage && form.selfieImage ? { ktpImage: form.ktpImage, selfieImage: form.selfieImage } : {}),
      });
      const proofs = await this.merge(row.consentId, { [`verified:${provider}`]: { externalId: linked.externalId, credentials: linked.credentials ?? null } });
      return this.steps(withProofs(row, proofs));
    } catch (e) {
      if (e instanceof LinkStepRequired) {
        const proofs = await this.merge(row.consentId, { [`liveness:${provider}`]: true });
        return this.steps(withProofs(row, proofs), { kind: 'LIVENESS_NEEDED' });
      }
      if (e instanceof LinkMismatchError || e instanceof ProviderAuthError) {
        const f = await this.fail(row);
        if ('locked' in f) return f.locked;
        return this.steps(row, e instanceof LinkMismatchError ? { kind: 'MISMATCH', provider } : { kind: 'LOGIN_REFUSED', triesLeft: f.triesLeft });
      }
      if (e instanceof ProviderError) return this.steps(row, { kind: 'PROVIDER_DOWN', provider });
      throw e;
    }
  }

  /** Sends a one-time code to the phone of a group (the providers holding that number). */
  async sendCode(handle: string, secret: string | undefined, group: number, ip: string): Promise<FlowState> {
    const o = await this.open(handle, secret, true);
    if ('state' in o) return o.state;
    const { row } = o;
    const phone = this.phoneGroups(row.consent.providers, row.proofs as Proofs)[group];
    if (!phone || !row.nik) return this.steps(row);
    try {
      await this.codes.send({
        subject: codeSubject(row.consentId, phone),
        nik: row.nik,
        phone,
        ip,
        message: (code) => `Kode Satu Kredit Anda: ${code}. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun, termasuk petugas.`,
      });
    } catch (e) {
      if (e instanceof TooManyRequests) {
        if (await this.codes.locked(codeSubject(row.consentId, phone))) return this.lock(row);
        return this.steps(row, { kind: 'TOO_MANY', retryAfterSeconds: e.retryAfterSeconds });
      }
      return this.steps(row, { kind: 'SEND_FAILED' });
    }
    const merged = await this.merge(row.consentId, { [`sent:${group}`]: true });
    return this.steps(withProofs(row, merged), { kind: 'CODE_SENT', phone: maskPhone(phone) });
  }

  /** Checks a code for a group; accepted, each provider holding that phone is linked after checking the NIK there. */
  async checkCode(handle: string, secret: string | undefined, group: number, code: string): Promise<FlowState> {
    const o = await this.open(handle, secret, true);
    if ('state' in o) return o.state;
    const { row } = o;
    const proofs = row.proofs as Proofs;
    const phone = this.phoneGroups(row.consent.providers, proofs)[group];
    if (!phone || !row.nik) return this.steps(row);
    const r = await this.codes.check(codeSubject(row.consentId, phone), code.trim());
    if (r.outcome === 'LOCKED') return this.lock(row);
    if (r.outcome === 'EXPIRED') return this.steps(row, { kind: 'CODE_EXPIRED' });
    if (r.outcome === 'WRONG') {
      const f = await this.fail(row);
      return 'locked' in f ? f.locked : this.steps(row, { kind: 'WRONG_CODE', triesLeft: f.triesLeft });
    }
    const patch: Proofs = {};
    for (const p of row.consent.providers) {
      const on = proofs[`phone:${p}`] as PhoneProof | undefined;
      if (on?.phone !== phone) continue;
      try {
        const linked = await this.connectors[p].link(row.nik, on.linkRequest);
        patch[`verified:${p}`] = { externalId: linked.externalId, credentials: linked.credentials ?? null };
      } catch (e) {
        if (e instanceof LinkMismatchError) return this.steps(row, { kind: 'MISMATCH', provider: p });
        if (e instanceof ProviderError) return this.steps(row, { kind: 'PROVIDER_DOWN', provider: p });
        throw e;
      }
    }
    return this.steps(withProofs(row, await this.merge(row.consentId, patch)));
  }

  /**
   * The borrower approves: the consent becomes ACTIVE and the proven accounts are linked under it, in one
   * transaction that first claims the PENDING consent (so a consent revoked or expired meanwhile links nothing).
   * @returns the ENDED state with the redirect back to the client, or the steps with a notice.
   */
  async approve(handle: string, secret: string | undefined): Promise<FlowState> {
    const o = await this.open(handle, secret, true);
    if ('state' in o) return o.state;
    const { row } = o;
    const proofs = row.proofs as Proofs;
    const accounts: VerifiedAccount[] = [];
    for (const p of row.consent.providers) {
      const v = proofs[`verified:${p}`] as { externalId: string; credentials: object | null } | undefined;
      if (!v) return this.steps(row, { kind: 'NOT_READY' });
      accounts.push({ provider: p, externalId: v.externalId, credentials: v.credentials ?? undefined });
    }
    const now = this.clock.now();
    try {
      const consent = await this.prisma.$transaction(async (tx) => {
        const claimed = await tx.consent.updateMany({ where: { id: row.consentId, status: 'PENDING', requestExpiresAt: { gt: now } }, data: { status: 'ACTIVE', requestExpiresAt: null } });
        if (claimed.count !== 1) return null;
        const borrowerId = await storeLinks(tx, row.nik!, row.fullName, accounts);
        await tx.consentEvent.create({ data: { consentId: row.consentId, type: 'APPROVED', status: 'ACTIVE', actor: 'borrower', at: now } });
        await tx.consentRequest.update({ where: { consentId: row.consentId }, data: { completedAt: now, nik: null, fullName: null, proofs: {} } });
        const approved = await tx.consent.update({ where: { id: row.consentId }, data: { borrowerId } });
        // The client's CONSENT_STATUS_CHANGED webhooks commit with the approval.
        await this.consents.outbox(tx, approved, 'APPROVED');
        return approved;
      });
      if (!consent) return this.view(handle, secret);
      this.consents.announce(consent, 'APPROVED');
      return { kind: 'ENDED', status: consent.status, redirect: this.redirectFor(row, consent.status) };
    } catch (e) {
      if (e instanceof LinkConflictError) return this.steps(row, { kind: 'CONFLICT' });
      throw e;
    }
  }

  /** The borrower declines: REJECTED, nothing linked, and back to the client. */
  async decline(handle: string, secret: string | undefined): Promise<FlowState> {
    // Declining needs no started flow: the borrower may refuse from the first page.
    const o = await this.open(handle, secret, false);
    if ('state' in o) return o.state;
    const c = await this.consents.end(o.row.consentId, 'REJECTED', 'borrower', 'declined by the borrower');
    return { kind: 'ENDED', status: c.status, redirect: this.redirectFor(o.row, c.status) };
  }
}

/** The keys of a row whose values are Dates (DateTime columns). */
type DateKeys<T> = { [K in keyof T]-?: T[K] extends Date | null ? K : never }[keyof T];
/** Every DateTime column of Consent and ConsentRequest (the compiler checks the lists are complete). */
const CONSENT_DATES = ['startsAt', 'expiresAt', 'requestExpiresAt', 'createdAt', 'updatedAt'] as const satisfies readonly DateKeys<Consent>[];
const REQUEST_DATES = ['expiresAt', 'startedAt', 'completedAt', 'createdAt'] as const satisfies readonly DateKeys<ConsentRequest>[];
const COMPLETE: [Exclude<DateKeys<Consent>, (typeof CONSENT_DATES)[number]>, Exclude<DateKeys<ConsentRequest>, (typeof REQUEST_DATES)[number]>] extends [never, never] ? true : never = true;
void COMPLETE;

/** A row read as JSON (`to_jsonb`), with its DateTime columns turned back into Dates. */
function withDates<T>(json: Record<string, unknown>, dates: readonly string[]): T {
  const out: Record<string, unknown> = { ...json };
  for (const k of dates) if (typeof out[k] === 'string') out[k] = new Date(out[k] as string);
  return out as T;
}

/** The request with its proofs as a merge returned them (no second read). */
function withProofs(row: Row, proofs: Proofs): Row {
  return { ...row, proofs: proofs as Row['proofs'] };
}

/** The one-time-code subject of a request's phone. */
function codeSubject(consentId: string, phone: string): string {
  return `consent-request:${consentId}:${sha256(phone).slice(0, 16)}`;
}

/** Cairin logs in with the number as the borrower types it in the app: `08…`. */
function normalizeLoginPhone(phone: string): string {
  return phone.replace(/[\s-]/g, '');
}
