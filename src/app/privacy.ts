import { burnPasswordCheck, verifyPassword } from '../auth/passwords';
import { DomainError, fold } from '../commands/decider';
import { emailKey } from '../commands/rules';
import { sessionDecider } from '../commands/session';
import { userDecider } from '../commands/user';
import { emailStream, sessionStream, userStream, type UserEvent } from '../events';
import { LEGACY_UNTIL, protectionOf } from '../privacy';
import type { BlockRow } from '../read-models';
import type { ChatMessageRow, ConversationEntry, PrivateMessageRow, SessionRow, UserRow } from '../store/read-models';
import type { Principal } from './accounts';
import type { AppDeps } from './deps';
import type { CommandContext } from './execute';

/** Everything parley keeps about one user, as GET /users/me/export hands it out (views in edge/views.ts). */
export interface UserData {
  exported_at: string;
  profile: UserRow;
  sessions: SessionRow[];
  private_messages: PrivateMessageRow[];
  chat_messages: ChatMessageRow[];
  blocks: BlockRow[];
  /** Every conversation's entry: the read marker with it, and how far the other person read. */
  conversations: ConversationEntry[];
}

/** Conversation-list entries read per page while exporting. */
const EXPORT_PAGE = 100;

export interface Erased {
  /** Events at or below this position may hold plaintext: the erasure cannot be proven until `privacy migrate`. */
  legacy_until: number;
}

/** The data export and the erasure of an account (docs/privacy.md). */
export class Privacy {
  constructor(private readonly deps: AppDeps) {}

  async export(principal: Principal): Promise<UserData> {
    const rm = this.deps.engine.readModels;
    const profile = await rm.userById(principal.user_id);
    if (!profile) throw new DomainError('user_not_found', 'no such user');
    const [sessions, privateMessages, chatMessages, blocks, conversations] = await Promise.all([
      rm.sessionsOf(principal.user_id),
      rm.messagesOf(principal.user_id),
      rm.chatOf(principal.user_id),
      rm.blocks(principal.user_id),
      this.allConversations(principal.user_id),
    ]);
    return {
      exported_at: new Date().toISOString(),
      profile,
      sessions,
      private_messages: privateMessages,
      chat_messages: chatMessages,
      blocks,
      conversations,
    };
  }

  private async allConversations(userId: string): Promise<ConversationEntry[]> {
    const all: ConversationEntry[] = [];
    for (let before: string | undefined; ;) {
      const page = (await this.deps.engine.readModels.conversationList(userId, { before, limit: EXPORT_PAGE })) ?? [];
      all.push(...page);
      if (page.length < EXPORT_PAGE) return all;
      before = page[page.length - 1].peer_id;
    }
  }

  /**
   * Checks the password, then appends UserErased (with the email's release and every session's
   * end) and deletes the user's data key: from then on every personal field they ever wrote reads
   * as erased. Returns once the read models have dropped them and their pictures are deleted.
   */
  async erase(principal: Principal, password: string, ctx: CommandContext): Promise<Erased> {
    const { engine, handle, projector } = this.deps;
    const protection = protectionOf(engine);
    if (!protection) throw new Error('erasure needs the protected engine (startParley makes it)');
    const { events } = await engine.events.readStreams([userStream(principal.user_id)]);
    const user = fold(userDecider, events as UserEvent[]).user;
    const ok = user ? await verifyPassword(user.password_hash, password) : await burnPasswordCheck(password);
    if (!user) throw new DomainError('session_invalid', 'this account no longer exists');
    if (!ok) throw new DomainError('invalid_credentials', 'the password is wrong', { password: 'incorrect' });

    const sessions = await engine.readModels.activeSessionIds(user.id);
    const context = { ...ctx, userId: user.id };
    const done = await handle(
      userDecider,
      [userStream(user.id), emailStream(emailKey(user.email))],
      {
        type: 'EraseUser',
        user_id: user.id,
        verified_hash: user.password_hash,
        revoke_sessions: sessions,
      },
      context,
    );
    await protection.ring.erase(user.id, new Date().toISOString());
    await projector.waitFor(done.position);
    await this.endLateSessions(user.id, context);
    await this.deletePictures(events as UserEvent[]);

    const legacyUntil = Number((await engine.privacy.keys.getMeta(LEGACY_UNTIL)) ?? 0);
    if (legacyUntil > 0) {
      this.deps.log.warn(
        { user_id: user.id, legacy_until: legacyUntil },
        'user erased, but the log still holds events ' +
          'written before personal data was encrypted: run `parley privacy migrate` to make the erasure provable',
      );
    }
    return { legacy_until: legacyUntil };
  }

  /** A login decided just before the erasure may have started its session just after it: end it too. */
  private async endLateSessions(userId: string, ctx: CommandContext): Promise<void> {
    for (const sessionId of await this.deps.engine.readModels.activeSessionIds(userId)) {
      await this.deps.handle(
        sessionDecider,
        [sessionStream(sessionId)],
        {
          type: 'RevokeSession',
          session_id: sessionId,
          reason: 'account_erased',
        },
        ctx,
        { consistent: true },
      );
    }
  }

  /** Every picture the user ever had, unless another user has the same one now (pictures go by their hash). */
  private async deletePictures(events: UserEvent[]): Promise<void> {
    const ids = new Set<string>();
    for (const e of events) if (e.type === 'PictureChanged' && e.data.picture) ids.add(e.data.picture.id);
    for (const id of ids) {
      if ((await this.deps.engine.readModels.usersWithPicture(id)) === 0) await this.deps.engine.pictures.delete(id);
    }
  }
}
