/**
 * A private PostgreSQL server for tests that stop and start the database under a running app (outages):
 * Debian's binaries (`/usr/lib/postgresql/<version>/bin`, or POSTGRES_BIN_DIR), `initdb` once into a
 * temporary directory, trust authentication, loopback only, its own free port and a socket in the same
 * temporary directory. Never the machine's shared server.
 *
 * PostgreSQL refuses to run as root: as root the binaries run as the `postgres` OS user (`runuser`, else `su`),
 * and the temporary directory is handed to that user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

/** A running (or stopped) private server. */
export interface PgServer {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`: the same across stops and starts. */
  readonly url: string;
  readonly port: number;
  /** The temporary directory (data directory, socket, log). */
  readonly dir: string;
  /** Whether the server is running (as far as this helper started and stopped it). */
  readonly running: boolean;
  /** Starts the server again on the same port and data directory; waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the server: `fast` (default) ends sessions and shuts down cleanly, `immediate` aborts like a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server (immediate) and removes its directory. Idempotent. */
  close(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): Promise<string>;
}

/** The directory holding initdb, pg_ctl and postgres, or null when PostgreSQL's binaries are not installed. */
export function pgBinDir(): string | null {
  const has = (d: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(d, b)));
  const own = process.env.POSTGRES_BIN_DIR;
  if (own) return has(own) ? own : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  // The newest installed version first.
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const d = path.join(root, v, 'bin');
    if (has(d)) return d;
  }
  return null;
}

/** Why a private server cannot be started here (a test skips with it), or null when it can. */
export function pgServerUnavailable(): string | null {
  if (!pgBinDir()) return 'PostgreSQL binaries (initdb, pg_ctl, postgres) not found under /usr/lib/postgresql/*/bin or POSTGRES_BIN_DIR';
  if (process.getuid?.() === 0 && !osUser('postgres')) return 'running as root and there is no "postgres" OS user to run PostgreSQL as';
  return null;
}

/** The uid and gid of an OS user, or null. */
function osUser(name: string): { uid: number; gid: number } | null {
  try {
    const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
    const [, , uid, gid] = line.split(':');
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
  } catch {
    return null;
  }
}

/** The command line that runs `bin args...` as the user PostgreSQL may run as (postgres when we are root). */
function asServerUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [bin, args];
  if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
  const quoted = [bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['su', ['postgres', '-s', '/bin/sh', '-c', quoted]];
}

/** A temporary directory every user can reach (the server user must traverse its parents). */
function tempRoot(): string {
  const t = os.tmpdir();
  try {
    return (statSync(t).mode & 0o001) !== 0 ? t : '/tmp';
  } catch {
    return '/tmp';
  }
}

/** Servers started by this process, stopped (and their directories removed) at exit even when a test forgets or dies before `close`. */
const live = new Set<{ stopSync(): void }>();
let exitHooks = false;

/** Stops every live server at exit, and on SIGINT, SIGTERM or SIGHUP (then re-raised when nobody else handles it). */
function installExitHooks(): void {
  if (exitHooks) return;
  exitHooks = true;
  const stopAll = () => {
    for (const s of live) s.stopSync();
    live.clear();
  };
  process.once('exit', stopAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      stopAll();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/**
 * Initializes and starts a private server.
 * @throws when the binaries are missing (check `pgServerUnavailable()` first), or initdb or the first start fails.
 */
export async function startPgServer(): Promise<PgServer> {
  const why = pgServerUnavailable();
  if (why) throw new Error(why);
  const bin = pgBinDir()!;
  const dir = await mkdtemp(path.join(tempRoot(), 'satukredit-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (process.getuid?.() === 0) {
    const u = osUser('postgres')!;
    await chown(dir, u.uid, u.gid);
  }
  const exec = async (name: string, args: string[]) => {
    const [cmd, argv] = asServerUser(path.join(bin, name), args);
    try {
      return await run(cmd, argv, { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, timeout: 120_000 });
    } catch (e) {
      const x = e as Error & { stderr?: string; stdout?: string };
      throw new Error(`${name} failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
    }
  };
  const ctl = (args: string[]) => ['-D', data, ...args];

  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']).catch(async (e) => {
    await rm(dir, { recursive: true, force: true });
    throw e;
  });

  let port = 0;
  let running = false;
  const startOn = async (p: number) => {
    // fsync off: a test server needs no durability across a crash of the machine, and it starts and stops faster.
    const options = `-p ${p} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await exec('pg_ctl', ctl(['-l', logFile, '-o', options, '-w', '-t', '60', 'start']));
    running = true;
  };
  const stopSync = () => {
    if (running) {
      running = false;
      const [cmd, argv] = asServerUser(path.join(bin, 'pg_ctl'), ctl(['-m', 'immediate', '-w', 'stop']));
      try {
        execFileSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // Already stopped.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const entry = { stopSync };

  // The first start picks a free port; another process may take it between the probe and the bind, so try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await startOn(port);
      break;
    } catch (e) {
      if (attempt >= 4) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        await rm(dir, { recursive: true, force: true });
        throw new Error(`${(e as Error).message}\n${log}`);
      }
    }
  }
  live.add(entry);
  installExitHooks();

  let closed = false;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    get running() {
      return running;
    },
    async start() {
      if (closed) throw new Error('the server was closed');
      if (running) return;
      await startOn(port);
    },
    async stop(mode = 'fast') {
      if (!running) return;
      await exec('pg_ctl', ctl(['-m', mode, '-w', '-t', '60', 'stop']));
      running = false;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (running) {
        await exec('pg_ctl', ctl(['-m', 'immediate', '-w', '-t', '60', 'stop'])).catch(() => undefined);
        running = false;
      }
      live.delete(entry);
      await rm(dir, { recursive: true, force: true });
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
  };
}
