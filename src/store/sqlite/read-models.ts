import type Database from 'better-sqlite3';
import {
  CheckpointMovedError,
  type ChatMessageRow, type Page, type PrivateMessageRow, type ReadModelOp, type ReadModelStore, type SessionRow,
  type ShadowReadModel, type UserChanges, type UserRow,
} from '../read-models';
import { PROJECTION_TABLES } from './schema';

interface UserRecord extends Omit<UserRow, 'phone_public' | 'picture'> {
  phone_public: number;
  picture: string | null;
}

interface MessageRecord {
  id: string;
  position: number;
  from_id: string;
  from_name: string;
  to_id: string;
  to_name: string;
  text: string;
  sent_at: string;
}

type ChatRecord = Omit<MessageRecord, 'to_id' | 'to_name'>;

const toUser = (r: UserRecord): UserRow => {
  const { phone_public, picture, ...rest } = r;
  return { ...rest, phone_public: phone_public === 1, picture: picture ? JSON.parse(picture) : null };
};
const toPm = (r: MessageRecord): PrivateMessageRow => ({
  id: r.id, position: r.position, from_id: r.from_id, from: r.from_name, to_id: r.to_id, to: r.to_name, text: r.text, sent_at: r.sent_at,
});
const toChat = (r: ChatRecord): ChatMessageRow => ({
  id: r.id, position: r.position, from_id: r.from_id, from: r.from_name, text: r.text, sent_at: r.sent_at,
});
const pmParams = (m: PrivateMessageRow) => [m.position, m.id, m.from_id, m.from, m.to_id, m.to, m.text, m.sent_at];
export const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** Column of rm_users for each changeable field (a fixed list: no field name reaches SQL from outside). */
const USER_COLUMNS: Record<keyof UserChanges, (v: unknown) => unknown> = {
  email: (v) => v,
  first_name: (v) => v,
  last_name: (v) => v,
  phone: (v) => v,
  pm_policy: (v) => v,
  phone_public: (v) => (v ? 1 : 0),
  picture: (v) => (v ? JSON.stringify(v) : null),
};

export class SqliteReadModels implements ReadModelStore {
  private readonly s;
  private readonly applyTx;
  private readonly userUpdates = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    const prepare = (sql: string) => db.prepare(sql);
    this.s = {
      checkpoint: prepare('SELECT position FROM checkpoints WHERE projection = ?'),
      saveCheckpoint: prepare('INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position'),
      deleteCheckpoint: prepare('DELETE FROM checkpoints WHERE projection = ?'),
      insertUser: prepare(`INSERT INTO rm_users (user_id, username, username_key, email, first_name, last_name, phone, pm_policy, phone_public, picture, created_at, updated_at, version)
        VALUES (@user_id, @username, @username_key, @email, @first_name, @last_name, @phone, @pm_policy, @phone_public, @picture, @created_at, @updated_at, @version)
        ON CONFLICT (user_id) DO NOTHING`),
      userById: prepare('SELECT * FROM rm_users WHERE user_id = ?'),
      userByKey: prepare('SELECT * FROM rm_users WHERE username_key = ?'),
      searchUsers: prepare('SELECT * FROM rm_users WHERE username_key >= ? AND username_key < ? ORDER BY username_key LIMIT ?'),
      startSession: prepare(`INSERT INTO rm_sessions (session_id, user_id, refresh_id, expires_at, started_at, revoked)
        VALUES (@session_id, @user_id, @refresh_id, @expires_at, @started_at, @revoked) ON CONFLICT (session_id) DO NOTHING`),
      refreshSession: prepare('UPDATE rm_sessions SET refresh_id = ?, expires_at = ? WHERE session_id = ?'),
      revokeSession: prepare('UPDATE rm_sessions SET revoked = ? WHERE session_id = ? AND revoked IS NULL'),
      session: prepare('SELECT * FROM rm_sessions WHERE session_id = ?'),
      activeSessions: prepare('SELECT session_id FROM rm_sessions WHERE user_id = ? AND revoked IS NULL'),
      inboxAdd: prepare('INSERT OR IGNORE INTO rm_inbox (owner_id, position, id, from_id, from_name, to_id, to_name, text, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      inboxTrim: prepare(`DELETE FROM rm_inbox WHERE owner_id = @owner AND position <=
        (SELECT position FROM rm_inbox WHERE owner_id = @owner ORDER BY position DESC LIMIT 1 OFFSET @keep)`),
      inbox: prepare('SELECT * FROM (SELECT * FROM rm_inbox WHERE owner_id = ? ORDER BY position DESC LIMIT ?) ORDER BY position'),
      conversationAdd: prepare('INSERT OR IGNORE INTO rm_conversations (pair, position, id, from_id, from_name, to_id, to_name, text, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      conversationPositionOf: prepare('SELECT position FROM rm_conversations WHERE id = ? AND pair = ?'),
      conversation: prepare('SELECT * FROM rm_conversations WHERE pair = ? AND position < ? ORDER BY position DESC LIMIT ?'),
      chatAdd: prepare('INSERT OR IGNORE INTO rm_chat (position, id, from_id, from_name, text, sent_at) VALUES (?, ?, ?, ?, ?, ?)'),
      chatPositionOf: prepare('SELECT position FROM rm_chat WHERE id = ?'),
      chat: prepare('SELECT * FROM rm_chat WHERE position < ? ORDER BY position DESC LIMIT ?'),
    };
    this.applyTx = db.transaction((projection: string, ops: ReadModelOp[], from: number, to: number) => {
      const actual = (this.s.checkpoint.get(projection) as { position: number } | undefined)?.position ?? 0;
      if (actual !== from) throw new CheckpointMovedError(projection, from, actual);
      for (const op of ops) this.applyOp(op);
      this.s.saveCheckpoint.run(projection, to);
    });
  }

  async apply(projection: string, ops: ReadModelOp[], from: number, to: number): Promise<void> {
    this.applyTx(projection, ops, from, to);
  }

  async shadow(projection: string): Promise<ShadowReadModel> {
    throw new Error(`rebuilding ${projection} in shadow tables is not available on this engine yet`);
  }

  private applyOp(op: ReadModelOp): void {
    switch (op.kind) {
      case 'user.insert': {
        const u = op.user;
        this.s.insertUser.run({
          ...u, phone_public: u.phone_public ? 1 : 0,
          picture: u.picture ? JSON.stringify(u.picture) : null,
        });
        return;
      }
      case 'user.change': {
        const fields = Object.keys(op.changes) as (keyof UserChanges)[];
        if (fields.length === 0) return;
        const values = fields.map((f) => USER_COLUMNS[f](op.changes[f]));
        this.userUpdate(fields).run(...values, op.updated_at, op.version, op.user_id, op.version);
        return;
      }
      case 'session.start':
        this.s.startSession.run(op.session);
        return;
      case 'session.refresh':
        this.s.refreshSession.run(op.refresh_id, op.expires_at, op.session_id);
        return;
      case 'session.revoke':
        this.s.revokeSession.run(op.reason, op.session_id);
        return;
      case 'inbox.add':
        this.s.inboxAdd.run(op.message.to_id, ...pmParams(op.message));
        this.s.inboxTrim.run({ owner: op.message.to_id, keep: op.keep });
        return;
      case 'conversation.add':
        this.s.conversationAdd.run(pairKey(op.message.from_id, op.message.to_id), ...pmParams(op.message));
        return;
      case 'chat.add': {
        const m = op.message;
        this.s.chatAdd.run(m.position, m.id, m.from_id, m.from, m.text, m.sent_at);
        return;
      }
    }
  }

  /** UPDATE for one set of changed fields; the version guard makes a replayed change a no-op. */
  private userUpdate(fields: (keyof UserChanges)[]): Database.Statement {
    const key = fields.join(',');
    let stmt = this.userUpdates.get(key);
    if (!stmt) {
      const sets = fields.map((f) => `${f} = ?`).join(', ');
      stmt = this.db.prepare(`UPDATE rm_users SET ${sets}, updated_at = ?, version = ? WHERE user_id = ? AND version < ?`);
      this.userUpdates.set(key, stmt);
    }
    return stmt;
  }

  async checkpoint(projection: string): Promise<number> {
    return (this.s.checkpoint.get(projection) as { position: number } | undefined)?.position ?? 0;
  }

  async reset(projection: string): Promise<void> {
    const tables = PROJECTION_TABLES[projection];
    if (!tables) throw new Error(`unknown projection: ${projection}`);
    this.db.transaction(() => {
      for (const table of tables) this.db.prepare(`DELETE FROM ${table}`).run();
      this.s.deleteCheckpoint.run(projection);
    })();
  }

  async userById(userId: string): Promise<UserRow | null> {
    const r = this.s.userById.get(userId) as UserRecord | undefined;
    return r ? toUser(r) : null;
  }

  async userByKey(usernameKey: string): Promise<UserRow | null> {
    const r = this.s.userByKey.get(usernameKey) as UserRecord | undefined;
    return r ? toUser(r) : null;
  }

  async searchUsers(prefixKey: string, limit: number): Promise<UserRow[]> {
    // Every key starting with the prefix sorts between the prefix and the prefix followed by U+10FFFF.
    const rows = this.s.searchUsers.all(prefixKey, `${prefixKey}\u{10FFFF}`, limit) as UserRecord[];
    return rows.map(toUser);
  }

  async session(sessionId: string): Promise<SessionRow | null> {
    return (this.s.session.get(sessionId) as SessionRow | undefined) ?? null;
  }

  async activeSessionIds(userId: string): Promise<string[]> {
    return (this.s.activeSessions.all(userId) as { session_id: string }[]).map((r) => r.session_id);
  }

  async inbox(userId: string, limit: number): Promise<PrivateMessageRow[]> {
    return (this.s.inbox.all(userId, limit) as MessageRecord[]).map(toPm);
  }

  async conversation(userA: string, userB: string, page: Page): Promise<PrivateMessageRow[] | null> {
    const pair = pairKey(userA, userB);
    const before = this.cursor(page, (id) => this.s.conversationPositionOf.get(id, pair));
    if (before === null) return null;
    return (this.s.conversation.all(pair, before, page.limit) as MessageRecord[]).map(toPm);
  }

  async chat(page: Page): Promise<ChatMessageRow[] | null> {
    const before = this.cursor(page, (id) => this.s.chatPositionOf.get(id));
    if (before === null) return null;
    return (this.s.chat.all(before, page.limit) as ChatRecord[]).map(toChat);
  }

  private cursor(page: Page, positionOf: (id: string) => unknown): number | null {
    if (page.before === undefined) return Number.MAX_SAFE_INTEGER;
    const row = positionOf(page.before) as { position: number } | undefined;
    return row ? row.position : null;
  }
}
