import pino, { type Logger } from 'pino';

/** Field names that must never reach a log line, wherever they appear (two levels deep). */
const SECRET_FIELDS = ['password', 'new_password', 'current_password', 'password_hash', 'token', 'access_token', 'refresh_token', 'authorization', 'secretKey', 'secret_key', 'SECRET_KEY', 'MONGO_PASS'];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'parley' },
    redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
  }, destination);
}
