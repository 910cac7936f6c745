import type Database from 'better-sqlite3';
import {
  CheckpointMovedError,
  type ChatMessageRow, type Page, type PrivateMessageRow, type ReadModelOp, type ReadModelStore, type SessionRow,
  type ShadowReadModel, type UserRow,
} from '../read-models';
import { ReadModelWriter } from './read-model-writer';
import { pairKey } from '../read-models';
import { PROJECTION_TABLES } from './schema';
import { SqliteShadow } from './shadow';

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

export class SqliteReadModels implements ReadModelStore {
  private readonly s;
  private readonly applyTx;
  private readonly writer;

  constructor(private readonly db: Database.Database) {
    const prepare = (sql: string) => db.prepare(sql);
    this.s = {
      checkpoint: prepare('SELECT position FROM checkpoints WHERE projection = ?'),
      saveCheckpoint: prepare('INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position'),
      deleteCheckpoint: prepare('DELETE FROM checkpoints WHERE projection = ?'),
      userById: prepare('SELECT * FROM rm_users WHERE user_id = ?'),
      userByKey: prepare('SELECT * FROM rm_users WHERE username_key = ?'),
      searchUsers: prepare('SELECT * FROM rm_users WHERE username_key >= ? AND username_key < ? ORDER BY username_key LIMIT ?'),
      session: prepare('SELECT * FROM rm_sessions WHERE session_id = ?'),
      activeSessions: prepare('SELECT session_id FROM rm_sessions WHERE user_id = ? AND revoked IS NULL'),
      inbox: prepare('SELECT * FROM (SELECT * FROM rm_inbox WHERE owner_id = ? ORDER BY position DESC LIMIT ?) ORDER BY position'),
      conversationPositionOf: prepare('SELECT position FROM rm_conversations WHERE id = ? AND pair = ?'),
      conversation: prepare('SELECT * FROM rm_conversations WHERE pair = ? AND position < ? ORDER BY position DESC LIMIT ?'),
      chatPositionOf: prepare('SELECT position FROM rm_chat WHERE id = ?'),
      chat: prepare('SELECT * FROM rm_chat WHERE position < ? ORDER BY position DESC LIMIT ?'),
    };
    this.writer = new ReadModelWriter(db, (table) => table);
    this.applyTx = db.transaction((projection: string, ops: ReadModelOp[], from: number, to: number) => {
      const actual = (this.s.checkpoint.get(projection) as { position: number } | undefined)?.position ?? 0;
      if (actual !== from) throw new CheckpointMovedError(projection, from, actual);
      for (const op of ops) this.writer.apply(op);
      this.s.saveCheckpoint.run(projection, to);
    });
  }

  async apply(projection: string, ops: ReadModelOp[], from: number, to: number): Promise<void> {
    // IMMEDIATE: the checkpoint is read and then written; see BUSY_TIMEOUT_MS.
    this.applyTx.immediate(projection, ops, from, to);
  }

  async shadow(projection: string): Promise<ShadowReadModel> {
    const tables = PROJECTION_TABLES[projection];
    if (!tables) throw new Error(`unknown projection: ${projection}`);
    return SqliteShadow.create(this.db, projection, tables);
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
    }).immediate();
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
