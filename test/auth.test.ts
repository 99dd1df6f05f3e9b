import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { signClientToken, verifyClientToken, type JwtSettings } from '../src/app';

const settings = (): JwtSettings => ({ secret: 'test-secret-for-auth', issuer: 'satukredit', audience: 'satukredit-api', clockToleranceSeconds: 30 });
/** A fixed instant (2026-12-05 10:00 WIB): the tokens below are signed and checked against it, not the wall clock. */
const T0 = Date.parse('2026-12-05T03:00:00Z');
const at = (s: JwtSettings, seconds: number, claims: Record<string, unknown> = {}) =>
  jwt.sign({ scope: 'credit:read payoff:read', iat: Math.floor(T0 / 1000), ...claims }, s.secret, { algorithm: 'HS256', subject: 'client-x', issuer: s.issuer, audience: s.audience, expiresIn: seconds });

describe('verifyClientToken', () => {
  it('remembers a token that verified, and still refuses it once it expires', () => {
    const s = settings();
    const token = at(s, 60); // exp = T0 + 60 s
    const first = verifyClientToken(s, token, T0);
    expect(first).toEqual({ id: 'client-x', scopes: new Set(['credit:read', 'payoff:read']) });
    // The second use is answered from what the first verified (the same object).
    expect(verifyClientToken(s, token, T0 + 1000)).toBe(first);
    // Within the clock-skew allowance past `exp`, still accepted; beyond it, refused, and forgotten.
    expect(verifyClientToken(s, token, T0 + 60_000 + 29_000)).toBe(first);
    expect(() => verifyClientToken(s, token, T0 + 60_000 + 30_000)).toThrow('token expired');
    expect(() => verifyClientToken(s, token, T0 + 1000)).not.toThrow(); // verified afresh at an earlier time
  });

  it('never remembers a token that failed: a bad signature, another audience, not yet valid', () => {
    const s = settings();
    const forged = jwt.sign({ scope: 'ops:write' }, 'another-secret', { subject: 'client-x', issuer: s.issuer, audience: s.audience, expiresIn: 60 });
    for (let i = 0; i < 2; i++) expect(() => verifyClientToken(s, forged, T0)).toThrow('invalid signature');
    const otherAudience = jwt.sign({}, s.secret, { subject: 'client-x', issuer: s.issuer, audience: 'someone-else', expiresIn: 60 });
    for (let i = 0; i < 2; i++) expect(() => verifyClientToken(s, otherAudience, T0)).toThrow(/audience invalid/);
    const later = at(s, 3600, { nbf: Math.floor(T0 / 1000) + 600 });
    expect(() => verifyClientToken(s, later, T0)).toThrow(/not active/);
    expect(verifyClientToken(s, later, T0 + 600_000).id).toBe('client-x');
  });

  it('checks a remembered token against the settings it was verified under', () => {
    const s = settings();
    const token = signClientToken(s, 'client-y', ['credit:read'], 3600);
    expect(verifyClientToken(s, token).id).toBe('client-y');
    // Another secret (a rotated JWT_SECRET): the token verified under the old settings is checked again.
    expect(() => verifyClientToken({ ...s, secret: 'rotated-secret' }, token)).toThrow('invalid signature');
  });
});
