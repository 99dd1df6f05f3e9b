/**
 * The running server's control socket: how `satukredit sync` reaches a `satukredit start` that holds the data
 * directory (the embedded database is open in that server's database process, and in demo mode the providers
 * are the sandbox inside that server), and runs the sync there instead of failing on a database in use.
 *
 * `satukredit start` listens on a unix socket (`<DATA_DIR>/satukredit-control.sock`, or a temporary directory
 * when that path is too long for a socket) and names it in `<DATA_DIR>/satukredit-control.json` with its pid,
 * both removed on shutdown. The socket file is mode 0600 (DATA_DIR's owner only, as its JWT secret).
 *
 * Protocol: the client writes one JSON line `{ "op": "sync", "kind": "BACKFILL" | "DUE_REFRESH" }`; the server
 * answers JSON lines `{ "progress": { done, total, loans, failed } }`, then `{ "summary": SyncSummary }` or
 * `{ "error": message }`, and ends the connection.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SyncKind, SyncSummary } from './core/sync.service';

/** The file naming a running server's control socket. */
export const CONTROL_FILE = 'satukredit-control.json';
const SOCKET_NAME = 'satukredit-control.sock';
/** Longest unix socket path the platforms accept (108 bytes on Linux, 104 on macOS), with a margin. */
const MAX_SOCKET_PATH = 100;

/** What the control file holds. */
interface ControlInfo {
  pid: number;
  socket: string;
  url: string;
}

/** A sync run by the server for a client. */
export type RunSync = (kind: SyncKind, progress: (p: { done: number; total: number; loans: number; failed: number }) => void) => Promise<SyncSummary>;

/** Serves the control socket for `dataDir`; `close()` stops it and removes its files. */
export async function serveControl(dataDir: string, o: { url: string; sync: RunSync; onError?: (e: Error) => void }): Promise<{ socket: string; close(): Promise<void> }> {
  let tempDir: string | undefined;
  let socket = path.join(dataDir, SOCKET_NAME);
  if (socket.length > MAX_SOCKET_PATH) {
    tempDir = mkdtempSync(path.join(tmpdir(), 'satukredit-control-'));
    socket = path.join(tempDir, SOCKET_NAME);
  }
  // A socket left by a server killed with SIGKILL (the data directory's database lock is this process's now).
  rmSync(socket, { force: true });
  const running = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    running.add(conn);
    conn.on('close', () => running.delete(conn));
    conn.on('error', () => undefined);
    let buffered = '';
    const send = (m: object) => {
      if (!conn.destroyed) conn.write(`${JSON.stringify(m)}\n`);
    };
    conn.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      conn.removeAllListeners('data');
      let req: { op?: unknown; kind?: unknown };
      try {
        req = JSON.parse(buffered.slice(0, nl)) as typeof req;
      } catch {
        req = {};
      }
      if (req.op !== 'sync' || (req.kind !== 'BACKFILL' && req.kind !== 'DUE_REFRESH')) {
        send({ error: 'unknown request' });
        conn.end();
        return;
      }
      o.sync(req.kind, (p) => send({ progress: p })).then(
        (summary) => {
          send({ summary });
          conn.end();
        },
        (e: unknown) => {
          o.onError?.(e instanceof Error ? e : new Error(String(e)));
          send({ error: e instanceof Error ? e.message : String(e) });
          conn.end();
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socket, 0o600);
  const info: ControlInfo = { pid: process.pid, socket, url: o.url };
  const file = path.join(dataDir, CONTROL_FILE);
  writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  let closed = false;
  return {
    socket,
    async close() {
      if (closed) return;
      closed = true;
      for (const c of running) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(file, { force: true });
      rmSync(socket, { force: true });
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

/** The running server that holds `dataDir` (by its control file), or null when none answers. */
export async function findServer(dataDir: string): Promise<ControlInfo | null> {
  let info: ControlInfo;
  try {
    info = JSON.parse(readFileSync(path.join(dataDir, CONTROL_FILE), 'utf8')) as ControlInfo;
  } catch {
    return null;
  }
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  const ok = await new Promise<boolean>((resolve) => {
    const c = net.connect(info.socket, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
  return ok ? info : null;
}

/**
 * Asks the server at `socket` to run a sync; `progress` hears its progress lines.
 * @throws Error with the server's message when the sync failed there, or when the connection ended early.
 */
export function syncOnServer(socket: string, kind: SyncKind, progress: (p: { done: number; total: number; loans: number; failed: number }) => void): Promise<SyncSummary> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    let buffered = '';
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      c.end();
    };
    c.on('connect', () => c.write(`${JSON.stringify({ op: 'sync', kind })}\n`));
    c.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = JSON.parse(line) as { progress?: Parameters<typeof progress>[0]; summary?: SyncSummary; error?: string };
        if (m.progress) progress(m.progress);
        else if (m.summary) finish(() => resolve(m.summary!));
        else if (m.error !== undefined) finish(() => reject(new Error(`the running server's sync failed: ${m.error}`)));
      }
    });
    c.on('error', (e) => finish(() => reject(e)));
    c.on('close', () => finish(() => reject(new Error('the running server closed the connection before the sync finished'))));
  });
}
