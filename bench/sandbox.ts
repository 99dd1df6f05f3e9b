/**
 * The provider sandbox in a process of its own, for the benchmark: bench/server.ts forks it (over IPC) so that
 * the server process's CPU time and RSS are the API's alone, as in production where the providers are other
 * machines. It starts the sandbox from the same seed, borrower count and date as the server (which regenerates
 * the same dataset to know its borrowers) and answers:
 *   latency { minMs, maxMs }   switch the injected latency on for all three providers
 *   resetStats                 zero the request counters
 *   stats                      the counters (`SandboxTotals`)
 *   close                      stop the servers and exit
 * and tells the parent `{ type: 'ready', urls, sms, finfraClient, pid }` once it serves. It exits when the parent goes.
 */
import { startSandbox } from '../src/sandbox';

/** What the parent passes (JSON in argv[2]). */
export interface SandboxChildConfig {
  seed: number;
  borrowers: number;
  /** Jakarta date (YYYY-MM-DD) the dataset is generated for. */
  today: string;
}

/** The ready message. */
export interface SandboxReady {
  type: 'ready';
  urls: { cairin: string; finfra: string; dompetKilat: string };
  sms: { url: string; key: string };
  finfraClient: { clientId: string; clientSecret: string };
  pid: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as SandboxChildConfig;
const sandbox = await startSandbox({ seed: cfg.seed, borrowers: cfg.borrowers, today: cfg.today });
const send = (m: unknown) => process.send?.(m);

process.on('message', (m: { id: number; cmd: string; latency?: { minMs: number; maxMs: number } }) => {
  const reply = (result: unknown) => send({ type: 'reply', id: m.id, ok: true, result });
  try {
    switch (m.cmd) {
      case 'latency':
        for (const s of [sandbox.cairin, sandbox.finfra, sandbox.dompetKilat]) s.setLatency(m.latency ?? null);
        return reply(null);
      case 'resetStats':
        sandbox.resetStats();
        return reply(null);
      case 'stats':
        return reply(sandbox.stats());
      case 'close':
        return void sandbox.close().finally(() => {
          reply(null);
          setTimeout(() => process.exit(0), 50);
        });
      default:
        throw new Error(`unknown command ${m.cmd}`);
    }
  } catch (e) {
    send({ type: 'reply', id: m.id, ok: false, error: String((e as Error)?.stack ?? e) });
  }
});
process.on('disconnect', () => void sandbox.close().finally(() => process.exit(0)));

const ready: SandboxReady = {
  type: 'ready',
  urls: sandbox.urls,
  sms: { url: sandbox.sms.url, key: sandbox.sms.key },
  finfraClient: { clientId: sandbox.finfraClient.clientId, clientSecret: sandbox.finfraClient.clientSecret },
  pid: process.pid,
};
send(ready);
