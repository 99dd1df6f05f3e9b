/**
 * Runnable sandbox (`satukredit sandbox`, or `tsx src/sandbox/main.ts`): starts
 * the three provider servers and the SMS gateway on fixed ports, prints the
 * settings that point API instances at them (provider URLs, Finfra client
 * credentials, SMS gateway, the demo clients' API_CLIENTS) and the demo
 * borrower's link credentials, and stays up
 * until SIGINT/SIGTERM. Importing the module runs it (use `startSandbox` from
 * `./index` to embed the sandbox instead).
 *
 * Environment: SANDBOX_HOST (default 127.0.0.1), SANDBOX_CAIRIN_PORT (4101),
 * SANDBOX_FINFRA_PORT (4102), SANDBOX_DOMPETKILAT_PORT (4103), SANDBOX_SMS_PORT (4104), SANDBOX_SEED (42),
 * SANDBOX_BORROWERS (60), SANDBOX_TODAY (Jakarta YYYY-MM-DD; default today).
 */
import { z } from 'zod';
import { demoApiClients, linkCredentials, type Sandbox, startSandbox } from './index';

const port = (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt);

const Env = z.object({
  SANDBOX_HOST: z.string().default('127.0.0.1'),
  SANDBOX_CAIRIN_PORT: port(4101),
  SANDBOX_FINFRA_PORT: port(4102),
  SANDBOX_DOMPETKILAT_PORT: port(4103),
  SANDBOX_SMS_PORT: port(4104),
  SANDBOX_SEED: z.coerce.number().int().default(42),
  SANDBOX_BORROWERS: z.coerce.number().int().min(1).max(100000).default(60),
  SANDBOX_TODAY: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
});

/**
 * Starts the sandbox from environment variables and prints where it listens.
 * @throws Error listing invalid variables.
 */
export async function runSandbox(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.log): Promise<Sandbox> {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid sandbox configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const e = parsed.data;
  const sb = await startSandbox({
    seed: e.SANDBOX_SEED,
    borrowers: e.SANDBOX_BORROWERS,
    today: e.SANDBOX_TODAY,
    host: e.SANDBOX_HOST,
    ports: { cairin: e.SANDBOX_CAIRIN_PORT, finfra: e.SANDBOX_FINFRA_PORT, dompetKilat: e.SANDBOX_DOMPETKILAT_PORT },
    smsPort: e.SANDBOX_SMS_PORT,
  });
  const demo = linkCredentials(sb.dataset)[0]!;
  log(`provider sandbox (seed ${sb.dataset.seed}, ${sb.dataset.people.length} people, today ${sb.dataset.today} WIB)`);
  log(`  CAIRIN_BASE_URL=${sb.urls.cairin}`);
  log(`  FINFRA_BASE_URL=${sb.urls.finfra}`);
  log(`  FINFRA_CLIENT_ID=${sb.finfraClient.clientId}`);
  log(`  FINFRA_CLIENT_SECRET=${sb.finfraClient.clientSecret}`);
  log(`  DOMPETKILAT_BASE_URL=${sb.urls.dompetKilat}`);
  log(`  SMS_GATEWAY_URL=${sb.sms.url}`);
  log(`  SMS_GATEWAY_KEY=${sb.sms.key}`);
  log(`  API_CLIENTS='${JSON.stringify(demoApiClients(sb))}'`);
  log(`one-time codes sent: GET ${sb.sms.url}/__sandbox/sms?phone=62...`);
  log(`demo borrower ${demo.fullName} (NIK ${demo.nik}):`);
  if (demo.cairin) log(`  cairin  phoneNumber=${demo.cairin.phoneNumber} pin=${demo.cairin.pin} deviceId=${demo.cairin.deviceId}`);
  if (demo.finfra) log(`  finfra  userId=${demo.finfra.userId}`);
  if (demo.dompetKilat) log(`  dompetKilat idNumber=${demo.dompetKilat.idNumber}`);
  log('every demo borrower, their provider account ids and Cairin logins: satukredit sandbox accounts [--nik N] (same SANDBOX_SEED and SANDBOX_BORROWERS)');
  log('control: GET|POST /__sandbox/stats[/reset], PUT|DELETE /__sandbox/faults, PUT /__sandbox/latency on each server');
  return sb;
}

// Importing this module runs the sandbox (`satukredit sandbox` does `await import('./sandbox/main')`).
try {
  const sb = await runSandbox();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void sb.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
