/** One-time codes over a real database and the sandbox's loopback SMS gateway (real HTTP). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const clock = new TestClock(TEST_START);
let s: Stack;
beforeAll(async () => {
  s = await startStack({ seed: 71, borrowers: 2, link: false, clock, env: { OTP_SENDS_PER_NIK: '5', OTP_SENDS_PER_IP: '20' } });
});
afterAll(async () => {
  await s?.close();
});

const PHONE = '6281234567890';
let n = 0;
/** A fresh subject, NIK and IP per test, so limits and locks of one test do not reach another. */
function fresh() {
  n++;
  return { subject: `test-subject-${n}`, nik: `31740000000000${String(n).padStart(2, '0')}`, phone: PHONE, ip: `10.0.0.${n}`, message: (code: string) => `Kode Satu Kredit: ${code}` };
}
/** The code in the newest message the sandbox gateway received for the phone. */
async function lastCode(phone = PHONE): Promise<string> {
  const r = (await (await fetch(`${s.sandbox.sms.url}/__sandbox/sms?phone=${phone}`)).json()) as { messages: { text: string }[] };
  const m = /(\d{6})/.exec(r.messages.at(-1)?.text ?? '');
  if (!m) throw new Error('no code was sent');
  return m[1]!;
}
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('one-time codes', () => {
  it('sends 6 digits through the SMS gateway, stores only an HMAC, and accepts the code once', async () => {
    const r = fresh();
    const sent = await s.app.core.codes.send(r);
    expect(sent.expiresAt.getTime() - clock.now().getTime()).toBe(300_000);
    const code = await lastCode();
    expect(code).toMatch(/^\d{6}$/);
    const rows = await s.db.prisma.oneTimeCode.findMany({ where: { subject: r.subject } });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(JSON.stringify(rows)).not.toContain(r.nik);
    expect(await s.app.core.codes.check(r.subject, code)).toEqual({ outcome: 'ACCEPTED' });
    expect(await s.app.core.codes.check(r.subject, code)).toEqual({ outcome: 'EXPIRED' });
  });

  it('refuses a code after 5 minutes, and an earlier code once a new one was sent', async () => {
    const r = fresh();
    await s.app.core.codes.send(r);
    const first = await lastCode();
    await s.app.core.codes.send(r);
    const second = await lastCode();
    const at = clock.now();
    try {
      if (first !== second) expect(await s.app.core.codes.check(r.subject, first)).toMatchObject({ outcome: 'WRONG' });
      clock.advance(300_000);
      expect(await s.app.core.codes.check(r.subject, second)).toEqual({ outcome: 'EXPIRED' });
    } finally {
      clock.set(at);
    }
  });

  it('locks the subject after five wrong codes: the right code and new sends are refused', async () => {
    const r = fresh();
    await s.app.core.codes.send(r);
    const code = await lastCode();
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await s.app.core.codes.check(r.subject, i === 0 ? 'abc' : wrong(code)));
    expect(outcomes).toEqual([
      { outcome: 'WRONG', triesLeft: 4 },
      { outcome: 'WRONG', triesLeft: 3 },
      { outcome: 'WRONG', triesLeft: 2 },
      { outcome: 'WRONG', triesLeft: 1 },
      { outcome: 'LOCKED' },
    ]);
    expect(await s.app.core.codes.check(r.subject, code)).toEqual({ outcome: 'LOCKED' });
    await expect(s.app.core.codes.send(r)).rejects.toMatchObject({ name: 'TooManyRequests' });
  });

  it('limits sends per NIK and per IP within 15 minutes', async () => {
    const r = fresh();
    for (let i = 0; i < 5; i++) await s.app.core.codes.send({ ...r, subject: `${r.subject}-${i}` });
    await expect(s.app.core.codes.send({ ...r, subject: `${r.subject}-5` })).rejects.toMatchObject({ name: 'TooManyRequests' });
    const ip = fresh().ip;
    for (let i = 0; i < 20; i++) await s.app.core.codes.send({ ...fresh(), ip });
    await expect(s.app.core.codes.send({ ...fresh(), ip })).rejects.toMatchObject({ name: 'TooManyRequests' });
    const at = clock.now();
    try {
      clock.advance(900_000); // the window has passed: the NIK may receive codes again
      await expect(s.app.core.codes.send({ ...r, subject: `${r.subject}-6` })).resolves.toMatchObject({ expiresAt: expect.any(Date) });
    } finally {
      clock.set(at);
    }
  });

  it('the sandbox gateway refuses a wrong key, as a real gateway would', async () => {
    const res = await fetch(`${s.sandbox.sms.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: JSON.stringify({ to: PHONE, text: 'x' }) });
    expect(res.status).toBe(401);
  });
});
