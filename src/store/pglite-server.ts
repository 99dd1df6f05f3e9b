/**
 * The embedded database's own process: PGlite (PostgreSQL compiled to WebAssembly) opened on a data directory
 * (or in memory) and served over the PostgreSQL wire protocol on a unix socket with @electric-sql/pglite-socket.
 * The API forks this module (`openDatabase({ dataDir })` in ./database.ts) and reaches it through a pg pool of
 * one connection, as it reaches a PostgreSQL server; PGlite's 300-500 MiB stay out of the API process.
 *
 * Protocol with the parent (IPC, `child_process.fork`):
 * - argv[2] is the data directory (`memory://` for an in-memory database).
 * - child -> parent `{ type: 'ready', host, port }` once PGlite is open and the socket listens (pg's
 *   `host` is the socket's directory and `port` its suffix: `<host>/.s.PGSQL.<port>`), or
 *   `{ type: 'failed', message }` (then exit 1) when the data directory is in use or PGlite cannot open it.
 * - parent -> child `{ type: 'close' }`: stop serving, close PGlite (everything flushed), remove the lock, exit 0.
 * - the parent gone (IPC 'disconnect': it exited or was killed): the same orderly close, then exit.
 * - SIGINT is ignored (a Ctrl-C reaches the whole foreground process group; the API drains its requests and
 *   then closes the database itself); SIGTERM closes as above.
 *
 * One client connection is served at a time in practice: pglite-socket multiplexes connections onto PGlite's
 * single session message by message, which can interleave the extended-protocol messages of two clients, so
 * the parent's pool holds one connection. The server accepts two so that a replacement connection the pool
 * opens right after ending a broken one is not refused while the old socket's close is still being handled.
 *
 * Data directory lock: `<dataDir>/satukredit-db.pid` holds this process's pid while the directory is open;
 * a second process finds a live pid there and fails with a message naming it (a stale file, from a process
 * killed with SIGKILL, is taken over).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Messages this process sends its parent. */
export type PgliteServerMessage = { type: 'ready'; host: string; port: number } | { type: 'failed'; message: string };

/** The file naming the process that has a data directory open. */
export const LOCK_FILE = 'satukredit-db.pid';
/** The socket's name suffix (`.s.PGSQL.<port>`, as PostgreSQL names its unix sockets and pg looks them up). */
const SOCKET_PORT = 5432;
/** Longest unix socket path the platform accepts (sun_path is 108 bytes on Linux, 104 on macOS), with a margin. */
const MAX_SOCKET_PATH = 100;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock file, or throws naming the live process that holds it. */
function lock(dataDir: string): string {
  const file = path.join(dataDir, LOCK_FILE);
  for (let i = 0; i < 3; i++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new Error(`the embedded database in ${dataDir} is open in another process (pid ${holder}, see ${file}); stop it, or use another DATA_DIR`);
    }
    // Left by a process that is gone (killed with SIGKILL, a crash): take it over.
    rmSync(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir || !process.send) throw new Error('usage: forked by openDatabase with the data directory as its argument');
  const memory = dataDir === 'memory://';
  let lockFile: string | undefined;
  let socketDir: string | undefined;
  let tempDir: string | undefined;
  if (!memory) {
    mkdirSync(dataDir, { recursive: true });
    lockFile = lock(dataDir);
    if (path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_SOCKET_PATH) socketDir = dataDir;
  }
  if (!socketDir) socketDir = tempDir = mkdtempSync(path.join(tmpdir(), 'satukredit-db-'));
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  // A socket file left by a process killed with SIGKILL (this directory's lock is ours now).
  rmSync(socketPath, { force: true });

  const release = () => {
    if (lockFile) rmSync(lockFile, { force: true });
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    lockFile = tempDir = undefined;
  };
  let db: PGlite;
  let server: PGLiteSocketServer;
  try {
    db = memory ? new PGlite() : new PGlite(dataDir);
    await db.waitReady;
    server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 2 });
    await server.start();
  } catch (e) {
    release();
    throw e;
  }

  let closing: Promise<void> | undefined;
  const close = (code: number) =>
    (closing ??= (async () => {
      try {
        await server.stop();
        await db.close();
      } catch (e) {
        process.stderr.write(`embedded database: close failed: ${(e as Error).stack ?? e}\n`);
        code = 1;
      } finally {
        try {
          unlinkSync(socketPath);
        } catch {
          // Removed by the server's close.
        }
        release();
      }
      process.exit(code);
    })());
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'close') void close(0);
  });
  process.on('disconnect', () => void close(0));
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void close(0));
  process.on('exit', release);
  const ready: PgliteServerMessage = { type: 'ready', host: socketDir, port: SOCKET_PORT };
  process.send(ready);
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  const failed: PgliteServerMessage = { type: 'failed', message };
  if (process.send && process.connected) process.send(failed, () => process.exit(1));
  else {
    process.stderr.write(`embedded database: ${message}\n`);
    process.exit(1);
  }
});
