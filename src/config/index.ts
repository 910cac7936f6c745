import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512';
const ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'HS384', 'HS512'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

export interface MongoConfig {
  url: string;
  db: string;
}

/** The abuse limits: attempts allowed per window (windows in src/http/rate-limits.ts); 0 turns one off. */
export interface RateLimitSettings {
  /** Failed logins per account (RATE_LIMIT_LOGIN_ACCOUNT). */
  login_account: number;
  /** Failed logins per client address (RATE_LIMIT_LOGIN_IP). */
  login_ip: number;
  /** Registrations per client address (RATE_LIMIT_REGISTER_IP). */
  register_ip: number;
  /** Token refreshes per client address (RATE_LIMIT_REFRESH_IP). */
  refresh_ip: number;
  /** Data exports per user (RATE_LIMIT_EXPORT_USER). */
  export_user: number;
}

/** Chat frames one WebSocket connection may send per second (WS_RATE_LIMIT), and its burst (WS_RATE_BURST). */
export interface ChatRateSettings {
  perSecond: number;
  burst: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** LOG_FORMAT: auto is pretty when stdout is a terminal, json otherwise (src/log.ts). */
  logFormat: (typeof LOG_FORMATS)[number];
  /** Signing key for JWTs; generated into DATA_DIR when not configured. */
  secretKey: string;
  /** True when the key was generated rather than configured (the server warns). */
  secretKeyGenerated: boolean;
  /** Master key (32 bytes) wrapping the per-user data keys (docs/privacy.md); generated into DATA_DIR when not configured. */
  privacyKey: Buffer;
  /** True when the privacy key was generated rather than configured (the server warns). */
  privacyKeyGenerated: boolean;
  algorithm: JwtAlgorithm;
  /** Access-token lifetime in seconds (TOKEN_LIFETIME is in minutes). */
  accessTokenTtl: number;
  /** Refresh-token lifetime in seconds (REFRESH_TOKEN_LIFETIME is in minutes). */
  refreshTokenTtl: number;
  /** Null: the embedded SQLite engine. */
  mongo: MongoConfig | null;
  /** When set, GET /metrics wants it as a bearer token; null: /metrics is open. */
  metricsToken: string | null;
  /** Reverse proxies in front of parley whose X-Forwarded-For is believed (TRUST_PROXY); 0: use the peer address. */
  trustProxy: number;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS, comma-separated); empty: CORS off. */
  corsOrigins: string[];
  rateLimits: RateLimitSettings;
  chatRate: ChatRateSettings;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const MIN_SECRET_LENGTH = 32;
const SECRET_FILE = 'secret_key';

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

/**
 * MongoDB settings keep the original service's names: MONGO_HOST/PORT/DB/USER/PASS, or a whole
 * MONGO_URL. Neither given: the embedded engine.
 */
function mongoConfig(env: Env): MongoConfig | null {
  const db = env.MONGO_DB || 'parley';
  if (env.MONGO_URL) {
    if (!/^mongodb(\+srv)?:\/\//.test(env.MONGO_URL))
      throw new ConfigError('MONGO_URL', "must start with 'mongodb://' or 'mongodb+srv://'");
    return { url: env.MONGO_URL, db };
  }
  if (!env.MONGO_HOST) {
    for (const name of ['MONGO_USER', 'MONGO_PASS'] as const) {
      if (env[name]) throw new ConfigError(name, 'is set but MONGO_HOST is not');
    }
    return null;
  }
  // Only a host: the URL built from it carries no options, and a host with some in it builds a broken one.
  if (/[/?@,]/.test(env.MONGO_HOST)) {
    throw new ConfigError(
      'MONGO_HOST',
      'must be a host name; for connection options (replicaSet, directConnection) ' +
        'or several hosts, set MONGO_URL, which replaces MONGO_HOST',
    );
  }
  const port = integer(env, 'MONGO_PORT', 27017, 1, 65535);
  if (Boolean(env.MONGO_USER) !== Boolean(env.MONGO_PASS)) {
    throw new ConfigError(env.MONGO_USER ? 'MONGO_PASS' : 'MONGO_USER', 'MONGO_USER and MONGO_PASS go together');
  }
  const auth = env.MONGO_USER ? `${encodeURIComponent(env.MONGO_USER)}:${encodeURIComponent(env.MONGO_PASS!)}@` : '';
  const authSource = env.MONGO_USER ? '?authSource=admin' : '';
  return { url: `mongodb://${auth}${env.MONGO_HOST}:${port}/${authSource}`, db };
}

function secretKey(env: Env, dataDir: string): { key: string; generated: boolean } {
  const configured = env.SECRET_KEY;
  if (configured !== undefined && configured !== '') {
    if (configured.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        'SECRET_KEY',
        `must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -hex 32)`,
      );
    }
    return { key: configured, generated: false };
  }
  // No built-in default key: make one once and keep it beside the data, readable by us alone.
  const file = path.join(dataDir, SECRET_FILE);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        'SECRET_KEY',
        `is not set, and the key kept in ${file} is damaged (shorter than ${MIN_SECRET_LENGTH} characters): set SECRET_KEY or delete that file`,
      );
    }
    return { key: stored, generated: true };
  }
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError('DATA_DIR', `cannot create ${dataDir}: ${(error as Error).message}`);
  }
  return { key: keepGeneratedKey(file, randomBytes(32).toString('hex')), generated: true };
}

/**
 * Stores a generated key at `file` unless another process (a second instance starting at the same
 * time) stored one first, and returns the one stored: written aside and linked into place, so the
 * file is never seen half-written, and every process on one DATA_DIR ends up with the same key.
 */
function keepGeneratedKey(file: string, fresh: string): string {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
    return fresh;
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  } finally {
    unlinkSync(aside);
  }
}

const PRIVACY_FILE = 'privacy_key';
const PRIVACY_KEY_PATTERN = /^[0-9a-f]{64}$/i;

/**
 * PRIVACY_KEY: 64 hex digits. Unset, a key is generated once into DATA_DIR like SECRET_KEY's; losing
 * it makes every encrypted personal field unreadable, so it is backed up with the data (docs/privacy.md).
 */
function privacyKey(env: Env, dataDir: string): { key: Buffer; generated: boolean } {
  const configured = env.PRIVACY_KEY;
  if (configured !== undefined && configured !== '') {
    if (!PRIVACY_KEY_PATTERN.test(configured.trim())) {
      throw new ConfigError('PRIVACY_KEY', 'must be 64 hex digits (try: openssl rand -hex 32)');
    }
    return { key: Buffer.from(configured.trim(), 'hex'), generated: false };
  }
  const file = path.join(dataDir, PRIVACY_FILE);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (!PRIVACY_KEY_PATTERN.test(stored)) {
      throw new ConfigError(
        'PRIVACY_KEY',
        `is not set, and the key kept in ${file} is damaged (not 64 hex digits): set PRIVACY_KEY or restore that file`,
      );
    }
    return { key: Buffer.from(stored, 'hex'), generated: true };
  }
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError('DATA_DIR', `cannot create ${dataDir}: ${(error as Error).message}`);
  }
  const stored = keepGeneratedKey(file, randomBytes(32).toString('hex'));
  return { key: Buffer.from(stored, 'hex'), generated: true };
}

/** Exact origins only (scheme://host[:port]): an allow-list with '*' in it would allow everyone. */
function corsOrigins(env: Env): string[] {
  const raw = env.CORS_ORIGINS ?? '';
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (
      !parsed ||
      !/^https?:$/.test(parsed.protocol) ||
      parsed.origin !== origin ||
      !/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/i.test(parsed.hostname)
    ) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `'${origin}' is not an origin like https://chat.example.com (scheme, host and port only)`,
      );
    }
  }
  return origins;
}

function rateLimits(env: Env): RateLimitSettings {
  return {
    login_account: integer(env, 'RATE_LIMIT_LOGIN_ACCOUNT', 10, 0, 1_000_000),
    login_ip: integer(env, 'RATE_LIMIT_LOGIN_IP', 50, 0, 1_000_000),
    register_ip: integer(env, 'RATE_LIMIT_REGISTER_IP', 20, 0, 1_000_000),
    refresh_ip: integer(env, 'RATE_LIMIT_REFRESH_IP', 60, 0, 1_000_000),
    export_user: integer(env, 'RATE_LIMIT_EXPORT_USER', 5, 0, 1_000_000),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const { key, generated } = secretKey(env, dataDir);
  const privacy = privacyKey(env, dataDir);
  return {
    port: integer(env, 'PORT', 8000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', LOG_FORMATS, 'auto'),
    secretKey: key,
    secretKeyGenerated: generated,
    privacyKey: privacy.key,
    privacyKeyGenerated: privacy.generated,
    algorithm: oneOf(env, 'ALGORITHM', ALGORITHMS, 'HS256'),
    accessTokenTtl: integer(env, 'TOKEN_LIFETIME', 15, 1, 60 * 24 * 365) * 60,
    refreshTokenTtl: integer(env, 'REFRESH_TOKEN_LIFETIME', 10080, 1, 60 * 24 * 365) * 60,
    mongo: mongoConfig(env),
    metricsToken: env.METRICS_TOKEN || null,
    trustProxy: integer(env, 'TRUST_PROXY', 0, 0, 10),
    corsOrigins: corsOrigins(env),
    rateLimits: rateLimits(env),
    chatRate: {
      perSecond: integer(env, 'WS_RATE_LIMIT', 20, 1, 1_000_000),
      burst: integer(env, 'WS_RATE_BURST', 40, 1, 1_000_000),
    },
  };
}
