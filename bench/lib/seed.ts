import { randomUUID } from 'node:crypto';
import { Tokens } from '../../src/auth/tokens';
import { hashPassword } from '../../src/auth/passwords';
import { DomainError } from '../../src/commands/decider';
import { messageDecider } from '../../src/commands/message';
import { sessionDecider } from '../../src/commands/session';
import { DEFAULT_SETTINGS, userDecider, type User } from '../../src/commands/user';
import { streamOf, type ParleyEvent } from '../../src/events';
import type { Engine, StreamAppend } from '../../src/store/ports';
import { openSqliteEngine, sqliteFileIn } from '../../src/store/sqlite';
import { BENCH_SECRET, TOKEN_LIFETIME_MIN } from './server';
import { prng } from './stats';

/**
 * Seeds a DATA_DIR before the server starts, through parley's own deciders and event store (the
 * events are exactly what the commands would store), without 100,000 argon2 registrations: every
 * seeded user shares one real argon2id hash of BENCH_PASSWORD, so logging in works as usual.
 */
export const BENCH_PASSWORD = 'bench-password-1';

export interface SeededUser {
  user_id: string;
  username: string;
  /** Set when the user was given a session. */
  access_token?: string;
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ze',
  'an',
  'bel',
  'cor',
  'dan',
  'el',
  'fi',
  'gor',
  'hu',
  'is',
  'jo',
  'kev',
];

/** Deterministic, varied usernames (so prefix searches hit realistic spreads), unique by their suffix. */
export function usernameFor(i: number, random: () => number): string {
  const pick = () => SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return `${pick()}${pick()}_${i.toString(36)}`;
}

const metadata = () => ({ correlation_id: 'bench-seed', causation_id: randomUUID() });

function decided(events: ParleyEvent[] | DomainError): ParleyEvent[] {
  if (events instanceof DomainError) throw events;
  return events;
}

/** Events of one command, one StreamAppend per new stream (every stream here is new: version 0). */
function newStreams(events: ParleyEvent[]): StreamAppend[] {
  const byStream = new Map<string, ParleyEvent[]>();
  for (const e of events) {
    const s = streamOf(e);
    byStream.set(s, [...(byStream.get(s) ?? []), e]);
  }
  return [...byStream].map(([stream, list]) => ({ stream, expectedVersion: 0, events: list }));
}

export function openBenchEngine(dataDir: string): Engine {
  return openSqliteEngine({ file: sqliteFileIn(dataDir) });
}

export interface SeedUsersOptions {
  count: number;
  /** Also start a session for each user and mint its access token. */
  sessions: boolean;
  seed?: number;
  /** Users per atomic append (one commit). */
  chunk?: number;
}

export async function seedUsers(engine: Engine, options: SeedUsersOptions): Promise<SeededUser[]> {
  const random = prng(options.seed ?? 7);
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const tokens = new Tokens({
    secretKey: BENCH_SECRET,
    algorithm: 'HS256',
    accessTokenTtl: TOKEN_LIFETIME_MIN * 60,
    refreshTokenTtl: 86_400,
  });
  const refreshExpiry = tokens.refreshExpiry(new Date());
  const users: SeededUser[] = [];
  const chunk = options.chunk ?? 2000;
  for (let start = 0; start < options.count; start += chunk) {
    const appends: StreamAppend[] = [];
    for (let i = start; i < Math.min(options.count, start + chunk); i++) {
      const user: SeededUser = { user_id: randomUUID(), username: usernameFor(i, random) };
      appends.push(
        ...newStreams(
          decided(
            userDecider.decide(
              {
                type: 'RegisterUser',
                user_id: user.user_id,
                username: user.username,
                password_hash: passwordHash,
                email: `${user.username}@bench.test`,
                first_name: null,
                last_name: null,
                phone: null,
              },
              userDecider.initialState(),
            ),
          ),
        ),
      );
      if (options.sessions) {
        const sessionId = randomUUID();
        const refreshId = randomUUID();
        appends.push(
          ...newStreams(
            decided(
              sessionDecider.decide(
                {
                  type: 'StartSession',
                  session_id: sessionId,
                  user_id: user.user_id,
                  username: user.username,
                  refresh_id: refreshId,
                  expires_at: refreshExpiry,
                },
                sessionDecider.initialState(),
              ),
            ),
          ),
        );
        user.access_token = tokens.issue(
          { sub: user.user_id, sid: sessionId, username: user.username },
          refreshId,
        ).access_token;
      }
      users.push(user);
    }
    await engine.events.append(appends, { time: new Date().toISOString(), metadata: metadata() });
  }
  return users;
}

/** A private message's text of exactly `size` characters. */
export const messageText = (size: number, random: () => number): string => {
  let text = '';
  while (text.length < size) text += random().toString(36).slice(2);
  return text.slice(0, size);
};

/**
 * Appends `count` private messages between random seeded users, decided by the message decider,
 * `chunk` messages per commit.
 */
export async function seedMessages(
  engine: Engine,
  users: SeededUser[],
  count: number,
  options: { seed?: number; chunk?: number; textSize?: number; onProgress?: (done: number) => void } = {},
): Promise<void> {
  const random = prng(options.seed ?? 11);
  const chunk = options.chunk ?? 5000;
  const asUser = (u: SeededUser): User => ({
    id: u.user_id,
    username: u.username,
    email: `${u.username}@bench.test`,
    first_name: null,
    last_name: null,
    phone: null,
    password_hash: '',
    settings: DEFAULT_SETTINGS,
    picture: null,
  });
  for (let start = 0; start < count; start += chunk) {
    const appends: StreamAppend[] = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const from = users[Math.floor(random() * users.length)];
      let to = users[Math.floor(random() * users.length)];
      if (to === from) to = users[(users.indexOf(from) + 1) % users.length]!;
      appends.push(
        ...newStreams(
          decided(
            messageDecider.decide(
              {
                type: 'SendPrivateMessage',
                message_id: randomUUID(),
                from_id: from.user_id,
                from: from.username,
                to_id: to.user_id,
                text: messageText(options.textSize ?? 100, random),
              },
              { recipient: asUser(to), existing: null },
            ),
          ),
        ),
      );
    }
    await engine.events.append(appends, { time: new Date().toISOString(), metadata: metadata() });
    options.onProgress?.(Math.min(count, start + chunk));
  }
}
