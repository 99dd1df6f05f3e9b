/**
 * The demo's consents, as `satukredit start` and `satukredit seed` give them, and as the documentation examples'
 * test (test/integration/doc-examples.test.ts) gives them to reproduce the demo's data: which client each demo
 * borrower consents to (`demoConsentsOf`), the stable ids reserved before linking (`reserveDemoIds`), and the
 * consent flow itself (`seedDemoConsents`).
 */
import { signClientToken } from './auth';
import { demoAccountId, demoBorrowerId } from './cli-examples';
import { CONSENT_DOMAINS } from './domain/consent';
import { answerConsent, linkRequests, loopbackAddress, postJson, type sandboxAccounts } from './sandbox';
import type { SqlExecutor } from './store/migrate';

/** Demo API clients printed by `start`, with the scopes of their printed tokens. */
export const DEMO_CLIENTS = {
  'demo-aggregator': ['credit:read', 'payoff:read', 'consent:write'],
  'demo-refinancer': ['credit:read', 'payoff:read', 'consent:write'],
} as const;


const REQUEST_CONSENT = `mutation($input: ConsentRequestInput!) { consentRequestCreate(input: $input) { consentUrl userErrors { code message } } }`;

/** The demo clients' consents: every borrower to demo-aggregator for everything, every third (index % 3 == 0) to demo-refinancer. */
export function demoConsentsOf(index: number): { clientId: keyof typeof DEMO_CLIENTS; domains: string[]; purpose: string }[] {
  const asks: { clientId: keyof typeof DEMO_CLIENTS; domains: string[]; purpose: string }[] = [
    { clientId: 'demo-aggregator', domains: [...CONSENT_DOMAINS], purpose: 'Show the borrower their whole credit picture in the demo aggregator app' },
  ];
  if (index % 3 === 0) asks.push({ clientId: 'demo-refinancer', domains: ['LOANS', 'INSTALLMENTS', 'IDENTITY'], purpose: 'Quote a refinancing offer' });
  return asks;
}

/**
 * Reserves a demo borrower's rows under their stable ids (src/cli-examples.ts) before the consent flow links them:
 * the borrower (by NIK) and each provider account (by provider and account id), none replaced when present.
 * Linking finds them (it creates a borrower by NIK and an account by provider and id only when missing), so the
 * same SANDBOX_SEED gives the same Borrower and Loan ids on every new data directory. The rows stay invisible to
 * clients until a consent is given.
 */
export async function reserveDemoIds(sql: SqlExecutor, seed: number, person: ReturnType<typeof sandboxAccounts>[number]): Promise<void> {
  await sql.query('INSERT INTO "Borrower" ("id", "nik", "fullName") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [demoBorrowerId(seed, person.nik), person.nik, person.fullName]);
  for (const a of person.accounts) {
    await sql.query(
      'INSERT INTO "ProviderAccount" ("id", "borrowerId", "provider", "externalId") SELECT $1, b."id", $2::"Provider", $3 FROM "Borrower" b WHERE b."nik" = $4 ON CONFLICT DO NOTHING',
      [demoAccountId(seed, a.provider, a.externalId), a.provider, a.externalId, person.nik],
    );
  }
}

/** What the demo seeding reached. */
export interface SeedResult {
  readonly borrowers: number;
  /** Borrowers seen to the end (their consents given now, or already held). */
  readonly done: number;
  /** Consents given now, and consents skipped as already ACTIVE. */
  readonly created: number;
  readonly existing: number;
  /** Whether `signal` stopped the seeding before every borrower was seen. */
  readonly stopped: boolean;
}

/**
 * Seeds the demo's consents the way any client gets one: a consent request over GraphQL, then the
 * borrower's answer on the hosted consent page (Cairin login, codes from the sandbox SMS gateway,
 * approve). Every borrower consents to demo-aggregator for all providers and data; every third to
 * demo-refinancer for loans, schedules and identity. A (client, borrower) pair that already holds an ACTIVE
 * consent (`held`, read once before seeding: a restart on the same data, or a borrower half done when the
 * previous run stopped, whose first consent is kept and only the missing one asked) is skipped; a consent request
 * abandoned mid-flow by a stop stays PENDING until its 15-minute link lapses (EXPIRED) and is asked again.
 * Each borrower's browser connects from a loopback address of its own (the API counts code sends per client IP).
 *
 * `seedDemoConsents` prepares (reads `held`) and returns two steps: `first()` seeds the seed person "John"
 * (borrower 0; `npm start` prints its banner right after), `rest()` the others, `concurrency` borrowers at a time
 * (default 8, below the connectors' 16 calls in flight per provider; more does not help: the seeding is bound by
 * this process's CPU, and 16 or 32 measured no faster). `signal` is checked before each borrower: once aborted no
 * borrower is started, those in flight finish, and `rest()` resolves with `stopped`. The first borrower that fails
 * stops the others from starting; `rest()` then rejects with its error once those in flight have finished.
 * `progress` hears how far it got at most every 5 s and once at the end.
 */
export async function seedDemoConsents(o: {
  apiUrl: string;
  requests: ReturnType<typeof linkRequests>;
  smsUrl: string;
  redirectUri: string;
  jwt: Parameters<typeof signClientToken>[0];
  /** The (client, NIK) pairs among these clients that already have an ACTIVE consent. */
  held: (clientIds: string[]) => Promise<{ clientId: string; borrower: { nik: string | null } | null }[]>;
  /** Called before a borrower with a consent still to give goes through the consent flow (`reserveDemoIds`). */
  reserve?: (index: number) => Promise<void>;
  concurrency?: number;
  signal?: AbortSignal;
  progress?: (p: { done: number; borrowers: number; created: number; existing: number }) => void;
  /** The time the consents' one-year expiry counts from (default: now). */
  now?: Date;
}): Promise<{ first: () => Promise<void>; rest: () => Promise<SeedResult> }> {
  const { requests } = o;
  const expiresAt = new Date((o.now ?? new Date()).getTime() + 365 * 24 * 3600 * 1000).toISOString();
  const tokens = Object.fromEntries(Object.entries(DEMO_CLIENTS).map(([id, scopes]) => [id, signClientToken(o.jwt, id, scopes)]));
  const held = new Set((await o.held(Object.keys(DEMO_CLIENTS))).map((h) => `${h.clientId}\u0000${h.borrower?.nik ?? ''}`));
  let created = 0;
  let existing = 0;
  let done = 0;
  let told = Date.now();
  const tell = (force: boolean) => {
    if (!o.progress || (!force && Date.now() - told < 5000)) return;
    told = Date.now();
    o.progress({ done, borrowers: requests.length, created, existing });
  };
  const one = async (i: number) => {
    const r = requests[i]!;
    const asks = demoConsentsOf(i);
    if (o.reserve && asks.some((ask) => !held.has(`${ask.clientId}\u0000${r.nik}`))) await o.reserve(i);
    for (const ask of asks) {
      if (held.has(`${ask.clientId}\u0000${r.nik}`)) {
        existing++;
        continue;
      }
      const res = await postJson(`${o.apiUrl}/graphql`, { authorization: `Bearer ${tokens[ask.clientId]}` }, {
        query: REQUEST_CONSENT,
        variables: { input: { nik: r.nik, fullName: r.fullName, providers: r.providers, domains: ask.domains, purpose: ask.purpose, expiresAt, dataLifeSeconds: 30 * 24 * 3600, redirectUri: o.redirectUri, state: `demo-${i}` } },
      });
      const body = res.json as { data?: { consentRequestCreate?: { consentUrl: string | null; userErrors: { message: string }[] } } } | null;
      const url = body?.data?.consentRequestCreate?.consentUrl;
      if (!url) throw new Error(`demo consent request failed (HTTP ${res.status}): ${JSON.stringify(body)}`);
      const out = await answerConsent({ consentUrl: url, smsUrl: o.smsUrl, person: r, decision: 'APPROVE', clientAddress: loopbackAddress(i) });
      if (out.status !== 'ACTIVE') throw new Error(`demo consent for borrower ${i} ended ${out.status}`);
      held.add(`${ask.clientId}\u0000${r.nik}`);
      created++;
    }
    done++;
    tell(false);
  };
  let firstDone = false;
  return {
    async first() {
      if (requests.length && !firstDone) await one(0);
      firstDone = true;
    },
    async rest() {
      let next = firstDone ? 1 : 0;
      let failure = null as { error: unknown } | null;
      await Promise.all(
        Array.from({ length: Math.max(1, o.concurrency ?? 8) }, async () => {
          while (next < requests.length && !failure && !o.signal?.aborted) {
            try {
              await one(next++);
            } catch (error) {
              failure ??= { error };
            }
          }
        }),
      );
      tell(true);
      if (failure) throw failure.error;
      return { borrowers: requests.length, done, created, existing, stopped: done < requests.length };
    },
  };
}
