/**
 * Per-process figures from /proc shared by the benchmarks (bench/run.ts, bench/cluster.ts, bench/pg-costs.ts):
 * CPU seconds of a process and of every PostgreSQL process, resident memory, the machine's busy time, and a
 * free loopback port. Linux only; each reader answers null when /proc cannot be read.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (state is field 0, utime 11, stime 12), or null. */
function statFields(pid: number | string): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The command name of a process (/proc/<pid>/stat), or null when it is gone. */
function commOf(pid: number | string): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
  } catch {
    return null;
  }
}

/** User and system CPU seconds a process used so far; null when unreadable. */
export function cpuSplitOf(pid: number): { user: number; system: number } | null {
  const f = statFields(pid);
  return f ? { user: Number(f[11]) / CLK_TCK, system: Number(f[12]) / CLK_TCK } : null;
}

/** CPU seconds (user + system) a process used so far; null when unreadable. */
export function cpuSecondsOf(pid: number): number | null {
  const c = cpuSplitOf(pid);
  return c ? c.user + c.system : null;
}

/** A process's resident set size now (VmRSS) and its kernel high-water mark (VmHWM), bytes; null when unreadable. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes (/proc, else `ps -o rss=`), or null when it is gone. */
export function rssOf(pid: number): number | null {
  const m = memoryOf(pid);
  if (m && Number.isFinite(m.rss)) return m.rss;
  try {
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Number.isFinite(kb) && kb > 0 ? kb * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of every PostgreSQL process on this machine so far, exited backends included (the postmaster's
 * reaped children's time): all databases, so other users of the server count too (an upper bound for a
 * benchmark database). Null when /proc is unreadable.
 */
export function allPostgresCpuSeconds(): number | null {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  for (const d of dirs) {
    if (!/^\d+$/.test(d) || commOf(d) !== 'postgres') continue;
    const f = statFields(d);
    if (!f) continue;
    ticks += Number(f[11]) + Number(f[12]);
    // The postmaster (its parent is not postgres): add its reaped children (backends that exited).
    if (commOf(f[1]!) !== 'postgres') ticks += Number(f[13]) + Number(f[14]);
  }
  return ticks / CLK_TCK;
}

/** The machine's busy and total CPU seconds so far (/proc/stat), summed over all cores. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
  } catch {
    return null;
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
