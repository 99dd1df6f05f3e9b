/**
 * API-client authentication: bearer JWTs signed HS256 with JWT_SECRET, or
 * RS256 with a configured public key. `sub` is the client id, `scope` a
 * space-separated list of scopes; `iss`, `aud`, `exp` (required) and `nbf`
 * are checked with a small clock-skew allowance.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';

// jsonwebtoken turns a string HS256 secret into a KeyObject on every verify (a third of the CPU of a
// trivial request in the benchmark); build it once per secret instead.
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let k = secretKeys.get(secret);
  if (!k) {
    k = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, k);
  }
  return k;
}

/** Scopes an API client can hold. */
export const SCOPES = ['credit:read', 'payoff:read', 'consent:write', 'identity:read', 'ops:read', 'ops:write', 'webhook:read', 'webhook:write'] as const;
export type Scope = (typeof SCOPES)[number];

/** The verified caller of a request. */
export interface ApiClient {
  /** Client id (JWT `sub`), e.g. "demo-aggregator". */
  readonly id: string;
  readonly scopes: ReadonlySet<string>;
}

/** Keys and claims checked on every token. */
export interface JwtSettings {
  /** HS256 shared secret. */
  secret: string;
  /** RS256 public key (PEM); when set, RS256 tokens are accepted too. */
  publicKey?: string;
  issuer: string;
  audience: string;
  /** Allowed clock skew, seconds. */
  clockToleranceSeconds?: number;
}

/**
 * Signs a token for a client (the `satukredit token` command, the demo, tests).
 * @param expiresIn seconds until expiry (default 12 hours).
 */
export function signClientToken(s: JwtSettings, clientId: string, scopes: readonly string[], expiresIn = 12 * 3600): string {
  return jwt.sign({ scope: scopes.join(' ') }, s.secret, {
    algorithm: 'HS256',
    subject: clientId,
    issuer: s.issuer,
    audience: s.audience,
    expiresIn,
  });
}

/** A token that verified: its client, and the expiry still checked on every use. */
interface Verified {
  readonly client: ApiClient;
  /** The token's `exp`, seconds since the epoch. */
  readonly exp: number;
}

/** Tokens that verified, per settings object (a client sends the same token with every request). */
const verifiedTokens = new WeakMap<JwtSettings, LRUCache<string, Verified>>();
/** Verified tokens remembered per settings object. */
const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Verifies a bearer token (signature, `iss`, `aud`, `exp`, `nbf`). A token that verified is remembered (up to
 * 10,000 per settings object, least recently used first out), so a client's next requests with it skip the
 * signature check, which was a tenth of the server's CPU for a credit view answered from the response cache;
 * its expiry is still checked on every use. A token that fails is never remembered.
 * @param nowMs the time to check `exp` and `nbf` against, milliseconds since the epoch (default: now).
 * @throws Error with a short reason ("token expired", "invalid signature", ...) when it does not verify.
 */
export function verifyClientToken(s: JwtSettings, token: string, nowMs: number = Date.now()): ApiClient {
  const tolerance = s.clockToleranceSeconds ?? 30;
  let cache = verifiedTokens.get(s);
  const hit = cache?.get(token);
  if (hit) {
    if (nowMs / 1000 >= hit.exp + tolerance) {
      cache!.delete(token);
      throw new Error('token expired');
    }
    return hit.client;
  }
  let claims: jwt.JwtPayload;
  try {
    const alg = jwt.decode(token, { complete: true })?.header.alg;
    const rs = alg === 'RS256' && s.publicKey !== undefined;
    const v = jwt.verify(token, rs ? s.publicKey! : secretKey(s.secret), {
      algorithms: [rs ? 'RS256' : 'HS256'],
      issuer: s.issuer,
      audience: s.audience,
      clockTolerance: tolerance,
      clockTimestamp: Math.floor(nowMs / 1000),
    });
    if (typeof v === 'string') throw new Error('token payload is not an object');
    claims = v;
  } catch (e) {
    const err = e as Error;
    throw new Error(err.name === 'TokenExpiredError' ? 'token expired' : err.message);
  }
  if (typeof claims.sub !== 'string' || !claims.sub) throw new Error('token has no subject');
  if (typeof claims.exp !== 'number') throw new Error('token has no expiry');
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  const client: ApiClient = { id: claims.sub, scopes: new Set(scope.split(' ').filter(Boolean)) };
  if (!cache) verifiedTokens.set(s, (cache = new LRUCache<string, Verified>({ max: VERIFIED_TOKENS_MAX })));
  cache.set(token, { client, exp: claims.exp });
  return client;
}
