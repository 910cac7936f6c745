import { CURRENT_SCHEMA_VERSION, type RawEvent } from '../events/upcasters';
import type { EventType } from '../events';

/** A small seeded generator (mulberry32), so two runs produce the same log; the benchmarks use it too. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uuid = (kind: number, n: number): string =>
  `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/**
 * A synthetic but well-formed log for benchmarks: registrations (claims, UserRegistered, a
 * session) first, then a mix of private messages (45%), chat (40%), session refreshes (7%),
 * profile and settings changes (6%) and logouts (2%), yielded in batches ready for importEvents.
 */
export function* syntheticLog(total: number, batchSize = 10_000, seed = 1): Generator<RawEvent[]> {
  const random = mulberry32(seed);
  const users = Math.max(10, Math.floor(total / 200));
  const userVersions: number[] = [];
  const sessionVersions: number[] = [];
  const names: string[] = [];
  const start = Date.UTC(2026, 0, 1);
  let position = 0;
  let batch: RawEvent[] = [];
  const metadata = { correlation_id: 'synthetic', causation_id: 'synthetic' };
  const push = (type: EventType, stream: string, version: number, data: Record<string, unknown>) => {
    position += 1;
    batch.push({
      position,
      id: uuid(0, position),
      stream,
      version,
      type,
      schema_version: CURRENT_SCHEMA_VERSION[type],
      time: new Date(start + position * 10).toISOString(),
      data,
      metadata,
    });
  };
  const pick = (n: number) => Math.floor(random() * n);

  while (position < total) {
    const registered = userVersions.length;
    const roll = random();
    if (registered < users) {
      const userId = uuid(1, registered);
      const username = `user${registered}`;
      const email = `${username}@example.test`;
      names.push(username);
      push('UsernameClaimed', `username-${username}`, 1, { key: username, user_id: userId });
      push('EmailClaimed', `email-${email}`, 1, { key: email, user_id: userId });
      push('UserRegistered', `user-${userId}`, 1, {
        user_id: userId,
        username,
        username_key: username,
        email,
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$synthetic$synthetic',
        first_name: null,
        last_name: null,
        phone: null,
        settings: { pm_policy: 'everyone', phone_public: false },
      });
      userVersions.push(1);
      const sessionId = uuid(2, sessionVersions.length);
      push('SessionStarted', `session-${sessionId}`, 1, {
        session_id: sessionId,
        user_id: userId,
        username,
        refresh_id: uuid(3, position),
        expires_at: '2027-01-01T00:00:00.000Z',
      });
      sessionVersions.push(1);
    } else if (roll < 0.45) {
      const from = pick(registered);
      const to = (from + 1 + pick(registered - 1)) % registered;
      const messageId = uuid(4, position);
      push('MessageSent', `pm-${messageId}`, 1, {
        message_id: messageId,
        from_id: uuid(1, from),
        from: names[from],
        to_id: uuid(1, to),
        to: names[to],
        text: `hello ${to} from ${from} #${position}`,
      });
    } else if (roll < 0.85) {
      const from = pick(registered);
      const messageId = uuid(5, position);
      push('ChatMessagePosted', `chat-${messageId}`, 1, {
        message_id: messageId,
        from_id: uuid(1, from),
        from: names[from],
        text: `chat line ${position}`,
      });
    } else if (roll < 0.92) {
      const s = pick(sessionVersions.length);
      sessionVersions[s] += 1;
      push('SessionRefreshed', `session-${uuid(2, s)}`, sessionVersions[s], {
        session_id: uuid(2, s),
        user_id: uuid(1, s % registered),
        refresh_id: uuid(3, position),
        previous_refresh_id: uuid(3, position - 1),
        expires_at: '2027-01-02T00:00:00.000Z',
      });
    } else if (roll < 0.98) {
      const u = pick(registered);
      userVersions[u] += 1;
      const data =
        roll < 0.95
          ? { user_id: uuid(1, u), changes: { first_name: `First${position}` } }
          : { user_id: uuid(1, u), changes: { phone_public: position % 2 === 0 } };
      push(roll < 0.95 ? 'ProfileUpdated' : 'SettingsChanged', `user-${uuid(1, u)}`, userVersions[u], data);
    } else {
      const s = pick(sessionVersions.length);
      sessionVersions[s] += 1;
      push('SessionRevoked', `session-${uuid(2, s)}`, sessionVersions[s], {
        session_id: uuid(2, s),
        user_id: uuid(1, s % registered),
        reason: 'logout',
      });
    }
    if (batch.length >= batchSize || position >= total) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
