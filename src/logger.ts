/**
 * Structured JSON logs (pino); pretty output on a terminal. Personal fields
 * and secrets are redacted by path wherever they might appear in a log object,
 * and callers log ids and codes, never payloads.
 */
import pino from 'pino';

export type Logger = pino.Logger;

/** Paths censored in every log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'accessToken',
  'refreshToken',
  'credentials',
  'nik',
  'idNumber',
  'phoneNumber',
  'email',
  'fullName',
  'pin',
  '*.nik',
  '*.idNumber',
  '*.phoneNumber',
  '*.email',
  '*.fullName',
  '*.pin',
  '*.refreshToken',
  '*.accessToken',
];

/**
 * Creates the process logger.
 * @param pretty human-readable lines (default: when stdout is a TTY).
 */
export function createLogger(level: string, pretty = Boolean(process.stdout.isTTY), destination?: pino.DestinationStream): Logger {
  const opts: pino.LoggerOptions = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'satukredit' } };
  if (destination) return pino(opts, destination);
  if (pretty) return pino({ ...opts, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  return pino(opts);
}
