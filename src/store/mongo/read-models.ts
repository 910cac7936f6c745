import type { Collection, Db, Document, MongoClient } from 'mongodb';
import {
  CheckpointMovedError,
  type ChatMessageRow, type Page, type PrivateMessageRow, type ReadModelOp, type ReadModelStore, type SessionRow,
  type ShadowReadModel, type UserRow,
} from '../read-models';
import { Checkpoints } from './checkpoints';
import { TRANSACTION_OPTIONS } from './event-doc';
import { applyOps, LIVE_COLLECTIONS } from './read-model-ops';
import { pairKey } from '../read-models';
import { projectionCollections } from './schema';
import { MongoShadow } from './shadow';

const USER: Document = { _id: 0 };
const SESSION: Document = { _id: 0 };
const INBOX: Document = { _id: 0, owner_id: 0 };
const CONVERSATION: Document = { _id: 0, pair: 0 };
/** rm_chat documents have their position as _id. */
const CHAT: Document = { _id: 0 };

/** Read models in rm_* collections (see schema.ts for their indexes), checkpoints beside them. */
export class MongoReadModels implements ReadModelStore {
  private readonly checkpoints: Checkpoints;
  private readonly users: Collection;
  private readonly sessions: Collection;
  private readonly inboxes: Collection;
  private readonly conversations: Collection;
  private readonly chatMessages: Collection;

  constructor(private readonly client: MongoClient, private readonly db: Db) {
    this.checkpoints = new Checkpoints(db);
    this.users = db.collection('rm_users');
    this.sessions = db.collection('rm_sessions');
    this.inboxes = db.collection('rm_inbox');
    this.conversations = db.collection('rm_conversations');
    this.chatMessages = db.collection('rm_chat');
  }

  async apply(projection: string, ops: ReadModelOp[], from: number, to: number): Promise<void> {
    const session = this.client.startSession();
    try {
      // A concurrent apply of the same projection (another instance) writes the same checkpoint
      // document: one of the two transactions conflicts, is retried, and then fails the check.
      await session.withTransaction(async () => {
        const { position, fenced } = await this.checkpoints.positionUnlessFenced(projection, session);
        if (position !== from || fenced) throw new CheckpointMovedError(projection, from, position);
        await applyOps(this.db, LIVE_COLLECTIONS, ops, session);
        await this.checkpoints.save(projection, from, to, session);
      }, TRANSACTION_OPTIONS);
    } finally {
      await session.endSession();
    }
  }

  checkpoint(projection: string): Promise<number> {
    return this.checkpoints.position(projection);
  }

  /** Not one transaction (a read model can outgrow one): fenced, then emptied, then the checkpoint deleted. */
  async reset(projection: string): Promise<void> {
    const collections = projectionCollections(projection);
    await this.checkpoints.fenced(projection, async () => {
      for (const name of collections) await this.db.collection(name).deleteMany({});
    }, null, null);
  }

  shadow(projection: string): Promise<ShadowReadModel> {
    return MongoShadow.create(this.db, this.checkpoints, projection, projectionCollections(projection));
  }

  userById(userId: string): Promise<UserRow | null> {
    return this.users.findOne<UserRow>({ _id: userId as never }, { projection: USER });
  }

  userByKey(usernameKey: string): Promise<UserRow | null> {
    return this.users.findOne<UserRow>({ username_key: usernameKey }, { projection: USER });
  }

  async searchUsers(prefixKey: string, limit: number): Promise<UserRow[]> {
    if (limit <= 0) return [];
    // Every key starting with the prefix sorts between the prefix and the prefix followed by
    // U+10FFFF (keys compare as UTF-8 bytes, as in SQLite).
    return this.users.find<UserRow>({ username_key: { $gte: prefixKey, $lt: `${prefixKey}\u{10FFFF}` } }, { projection: USER })
      .sort({ username_key: 1 }).limit(limit).toArray();
  }

  session(sessionId: string): Promise<SessionRow | null> {
    return this.sessions.findOne<SessionRow>({ _id: sessionId as never }, { projection: SESSION });
  }

  async activeSessionIds(userId: string): Promise<string[]> {
    const rows = await this.sessions.find<{ session_id: string }>({ user_id: userId, revoked: null }, { projection: { _id: 0, session_id: 1 } }).toArray();
    return rows.map((r) => r.session_id);
  }

  async inbox(userId: string, limit: number): Promise<PrivateMessageRow[]> {
    if (limit <= 0) return [];
    const newest = await this.inboxes.find<PrivateMessageRow>({ owner_id: userId }, { projection: INBOX })
      .sort({ position: -1 }).limit(limit).toArray();
    return newest.reverse();
  }

  async conversation(userA: string, userB: string, page: Page): Promise<PrivateMessageRow[] | null> {
    const pair = pairKey(userA, userB);
    const before = await this.cursor(page, () => this.conversations.findOne<{ position: number }>({ id: page.before, pair }, { projection: { position: 1 } }));
    if (before === null) return null;
    if (page.limit <= 0) return [];
    return this.conversations.find<PrivateMessageRow>({ pair, position: { $lt: before } }, { projection: CONVERSATION })
      .sort({ position: -1 }).limit(page.limit).toArray();
  }

  async chat(page: Page): Promise<ChatMessageRow[] | null> {
    const before = await this.cursor(page, () => this.chatMessages.findOne<{ position: number }>({ id: page.before }, { projection: { position: 1 } }));
    if (before === null) return null;
    if (page.limit <= 0) return [];
    return this.chatMessages.find<ChatMessageRow>({ _id: { $lt: before } as never }, { projection: CHAT })
      .sort({ _id: -1 }).limit(page.limit).toArray();
  }

  /** Position to page back from; null when `before` names no message. */
  private async cursor(page: Page, positionOf: () => Promise<{ position: number } | null>): Promise<number | null> {
    if (page.before === undefined) return Number.MAX_SAFE_INTEGER;
    return (await positionOf())?.position ?? null;
  }
}
