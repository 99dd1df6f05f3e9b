import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { verifyClientToken } from '../src/app';

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
