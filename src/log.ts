import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Field names that must never reach a log line, wherever they appear (two levels deep). */
const SECRET_FIELDS = [
  'password',
  'new_password',
  'current_password',
  'password_hash',
  'token',
  'access_token',
  'refresh_token',
  'authorization',
  'secretKey',
  'secret_key',
  'SECRET_KEY',
  'MONGO_PASS',
];

/** json: one pino object per line, for machines; pretty: pino-pretty's coloured lines, for people. */
export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT=auto: readable in a terminal, JSON when stdout goes to a pipe, a file or a collector. */
export const resolveLogFormat = (
  setting: LogFormat | 'auto',
  stdout: { isTTY?: boolean } = process.stdout,
): LogFormat => (setting === 'auto' ? (stdout.isTTY ? 'pretty' : 'json') : setting);

export function createLogger(level: string, destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  // Redaction happens in pino before anything is written, so the pretty printer only ever sees '[redacted]'.
  // sync: the server ends with process.exit() after its last line, which must not be lost.
  const output =
    format === 'pretty'
      ? pretty({
          destination: destination ?? 1,
          sync: true,
          colorize: !destination && process.stdout.isTTY === true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
        })
      : destination;
  return pino(
    {
      level,
      base: { service: 'parley' },
      redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
    },
    output,
  );
}
