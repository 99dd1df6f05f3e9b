/**
 * How `satukredit` reports a failure: one or two plain lines (what went wrong, then what to do) on stderr and a
 * non-zero exit, never a stack trace unless `--debug` is given (then the stack follows the lines).
 *
 * `CliError` is a failure the CLI already words; `explain` words the others it knows (invalid settings, a port in
 * use, a database that does not answer, missing provider settings, a data directory in use) and falls back to the
 * error's first line.
 */
import { ConfigError } from './config';
import { isDatabaseUnavailable } from './store/database';

/** Exit codes (docs/cli.md): 1 a failure, 2 a usage error (commander's own), 78 invalid configuration (sysexits EX_CONFIG). */
export const EXIT = { failure: 1, usage: 2, config: 78 } as const;

/** A failure worded for the user: `message` says what went wrong, `hint` what to do. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT.failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A PostgreSQL URL with its password replaced by `***` (for messages). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/** The error's own code, or the code of an error it wraps (AggregateError of a multi-address connect, `cause`). */
function codeOf(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 4) return undefined;
  const x = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof x.code === 'string') return x.code;
  if (Array.isArray(x.errors)) for (const i of x.errors) {
    const c = codeOf(i, depth + 1);
    if (c) return c;
  }
  return codeOf(x.cause, depth + 1);
}

/** pg's SQLSTATEs of a server that answered but refused us: bad password or no such role/database. */
const REFUSED_SQLSTATE: Record<string, string> = { '28P01': 'the password was refused', '28000': 'the role was refused', '3D000': 'the database does not exist' };

/** The first line of an error's message, without Node's `Error: ` prefix. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n').find((l) => l.trim()) ?? text).trim();
}

/**
 * The lines that report `e` (one or two, the second what to do) and the exit code.
 * @param env the environment the command ran with (DATABASE_URL decides how a database failure is worded).
 */
export function explain(e: unknown, env: NodeJS.ProcessEnv = process.env): { lines: string[]; exitCode: number } {
  if (e instanceof CliError) return { lines: e.hint ? [e.message, e.hint] : [e.message], exitCode: e.exitCode };
  if (e instanceof ConfigError) {
    const what = e.issues.map((i) => `${i.variable} (${i.message})`).join('; ');
    const names = e.issues.map((i) => i.variable).join(', ');
    return {
      lines: [`invalid setting${e.issues.length > 1 ? 's' : ''}: ${what}`, `Fix or unset ${names} in the environment (docs/configuration.md lists every setting).`],
      exitCode: EXIT.config,
    };
  }
  const code = codeOf(e);
  const message = firstLine(e);
  if (code === 'EADDRINUSE') {
    const where = /address already in use (\S+)/.exec(message)?.[1] ?? '';
    return { lines: [`the address ${where} is already in use (another satukredit or another program listens there)`, 'Stop that process, or choose a free port (PORT, METRICS_PORT, SANDBOX_*_PORT).'], exitCode: EXIT.failure };
  }
  if (env.DATABASE_URL && (isDatabaseUnavailable(e) || (code && code in REFUSED_SQLSTATE))) {
    const refused = code !== undefined && code in REFUSED_SQLSTATE;
    const what = refused ? `refused the connection: ${REFUSED_SQLSTATE[code]}` : `does not answer: ${code ?? message}`;
    return {
      lines: [`the PostgreSQL server at DATABASE_URL (${redactUrl(env.DATABASE_URL)}) ${what}`, 'Start it or fix DATABASE_URL; unset DATABASE_URL to use the embedded database in DATA_DIR.'],
      exitCode: EXIT.failure,
    };
  }
  const missing = /^missing provider configuration: (.+)$/.exec(message);
  if (missing) {
    return {
      lines: [`no provider to read from: ${missing[1]} not set`, 'Set the provider settings (docs/configuration.md), or leave every *_BASE_URL unset and use `satukredit start`, which runs the provider sandbox.'],
      exitCode: EXIT.config,
    };
  }
  if (/is open in another process/.test(message)) {
    const inner = /(the embedded database in .* is open in another process \(pid \d+)/.exec(message)?.[1];
    return { lines: [`${inner ?? message.split(';')[0]})`, 'Stop that process (a running `satukredit start`?), or set DATA_DIR to another directory.'], exitCode: EXIT.failure };
  }
  return { lines: [message, 'Run the command again with --debug to see where it failed.'], exitCode: EXIT.failure };
}

/**
 * Writes the report of `e` to stderr (`satukredit: ` before the first line; with `debug` the stack after) and
 * returns the exit code.
 */
export function report(e: unknown, opts: { debug: boolean; env?: NodeJS.ProcessEnv; write?: (text: string) => void }): number {
  const { lines, exitCode } = explain(e, opts.env);
  const write = opts.write ?? ((t: string) => process.stderr.write(t));
  const out = [`satukredit: ${lines[0]}`, ...lines.slice(1)];
  if (opts.debug) {
    const stack = e instanceof Error ? (e.stack ?? String(e)) : String(e);
    out.push('', stack);
    const cause = e instanceof Error ? e.cause : undefined;
    if (cause) out.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
  }
  write(`${out.join('\n')}\n`);
  return exitCode;
}
