import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { verifyClientToken } from '../src/app';
import { freePort } from './support/ports';

const run = promisify(execFile);

describe('satukredit token', () => {
  it('prints a token for the client and scopes that the API verifies', async () => {
    const secret = 'cli-test-secret-cli-test-secret-0123456789';
    const { stdout } = await run(process.execPath, ['bin/satukredit.mjs', 'token', 'demo-refinancer', '--scope', 'credit:read', 'payoff:read'], {
      env: { ...process.env, JWT_SECRET: secret, DATA_DIR: '/nonexistent-not-used' },
    });
    const client = verifyClientToken({ secret, issuer: 'satukredit', audience: 'satukredit-api' }, stdout.trim());
    expect(client.id).toBe('demo-refinancer');
    expect([...client.scopes].sort()).toEqual(['credit:read', 'payoff:read']);
  });

  it('refuses an unknown scope', async () => {
    const err = await run(process.execPath, ['bin/satukredit.mjs', 'token', 'x', '--scope', 'admin'], { env: { ...process.env, JWT_SECRET: 'x'.repeat(40) } }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toMatch(/admin.*invalid|Allowed choices/i);
  });
});

/** A log line's JSON, or null for the banner's plain lines. */
function logLine(l: string): { msg?: string; level?: number; done?: number; borrowers?: number } | null {
  if (!l.startsWith('{')) return null;
  try {
    return JSON.parse(l) as { msg?: string };
  } catch {
    return null;
  }
}

/**
 * Runs `satukredit start` (the sources, through tsx) on the embedded database in a directory of its own, the sandbox
 * on free ports, with `borrowers` demo borrowers; collects its output lines.
 */
async function startCli(borrowers: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'satukredit-cli-start-'));
  const port = await freePort();
  const { DATABASE_URL: _unused, ...env } = process.env;
  const child = spawn(process.execPath, ['bin/satukredit.mjs', 'start'], {
    env: { ...env, DATA_DIR: dir, PORT: String(port), SANDBOX_BORROWERS: String(borrowers), LOG_LEVEL: 'info', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const waiters: { test: (l: string) => boolean; resolve: () => void }[] = [];
  const onData = (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters.filter((x) => x.test(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    port,
    lines,
    exited,
    child,
    /** Resolves at the first line passing `test`; rejects if the process exits first. */
    lineMatching: (test: (l: string) => boolean) =>
      Promise.race([
        new Promise<void>((resolve) => (lines.some(test) ? resolve() : waiters.push({ test, resolve }))),
        exited.then((code) => {
          throw new Error(`exited (${code}) early:\n${lines.slice(-40).join('\n')}`);
        }),
      ]),
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const BANNER = (l: string) => l.startsWith('Satu Kredit GraphQL API: ');
const ALL_GIVEN = (l: string) => logLine(l)?.msg?.startsWith('all demo consents given') ?? false;

describe('satukredit start', () => {
  it('prints the banner once John is linked, links the other demo borrowers after it, and stops cleanly on SIGTERM', async () => {
    const borrowers = 24;
    const c = await startCli(borrowers);
    try {
      await c.lineMatching(BANNER);
      // Served at the banner: the API answers, with John's consent given.
      const ready = await fetch(`http://127.0.0.1:${c.port}/readyz`);
      expect(ready.status).toBe(200);
      await c.lineMatching(ALL_GIVEN);

      const { lines } = c;
      const banner = lines.findIndex(BANNER);
      const john = lines.findIndex((l) => logLine(l)?.msg?.startsWith('seed borrower "John" linked') ?? false);
      const all = lines.findIndex(ALL_GIVEN);
      // John before the banner, the others after it: the banner does not wait for the whole seeding.
      expect(john).toBeGreaterThanOrEqual(0);
      expect(john).toBeLessThan(banner);
      expect(all).toBeGreaterThan(banner);
      expect(lines.slice(banner).join('\n')).toContain('being linked in the background');
      expect(logLine(lines[all]!)).toMatchObject({ borrowers, done: borrowers });
      // The last progress line says every borrower is done.
      const progress = lines.map(logLine).filter((m) => m?.msg === 'linking demo borrowers through the consent flow');
      expect(progress.at(-1)).toMatchObject({ done: borrowers, borrowers });

      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      expect(lines.map(logLine).filter((m) => (m?.level ?? 0) >= 40)).toEqual([]);
      expect(lines.some((l) => logLine(l)?.msg === 'sandbox closed')).toBe(true);
    } finally {
      await c.cleanup();
    }
  }, 240_000);

  it('stops the background seeding cleanly on SIGTERM right after the banner', async () => {
    const c = await startCli(60);
    try {
      await c.lineMatching(BANNER);
      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      const msgs = c.lines.map(logLine);
      // However far it got: no warning or error (no request cut under the seeding), and the seeding says where it ended.
      expect(msgs.filter((m) => (m?.level ?? 0) >= 40)).toEqual([]);
      expect(msgs.some((m) => m?.msg?.startsWith('demo seeding stopped before every borrower') || m?.msg?.startsWith('all demo consents given'))).toBe(true);
      expect(msgs.some((m) => m?.msg === 'sandbox closed')).toBe(true);
    } finally {
      await c.cleanup();
    }
  }, 240_000);
});
