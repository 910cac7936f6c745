import { createHash, randomUUID } from 'node:crypto';
import { conversationDecider } from '../commands/conversation';
import { DomainError, fold } from '../commands/decider';
import { messageDecider, type MessageCommand } from '../commands/message';
import { messageChangeDecider, type MessageChangeCommand, type StoredMessage } from '../commands/message-change';
import { usernameKey } from '../commands/rules';
import {
  chatStream,
  pmStream,
  readsStream,
  userStream,
  type ConversationRead,
  type EventOfType,
  type MessageEvent,
  type Stored,
  type StoredEvent,
} from '../events';
import { chatMessageRow, INBOX_SIZE, privateMessageRow } from '../projections/messages';
import { editedMessage, noticesOf, type EditedMessage, type FeedNotice } from '../read-models';
import type { ChatMessageRow, ConversationEntry, Page, PrivateMessageRow } from '../store/read-models';
import type { Principal } from './accounts';
import type { ChatLine } from './chat-syntax';
import type { AppDeps } from './deps';
import type { CommandContext, HandleOptions } from './execute';
import { claimantOf } from './username-claims';

export type SentMessage =
  | { kind: 'pm'; message: PrivateMessageRow; position: number }
  | { kind: 'chat'; message: ChatMessageRow; position: number };

/** A message as it is now (after edits or a delete), without its log position. */
export type CurrentMessage = EditedMessage;

/** What edits and deletes change of a message. */
type MessageChanges = Pick<PrivateMessageRow, 'text' | 'edited_at' | 'deleted'>;

/** One batch of the feed: its notices, and the log position it reaches (past events that are none). */
export interface FeedBatch {
  notices: FeedNotice[];
  position: number;
}

export interface Feed {
  /** Where the feed started: the log's head when it was opened from 'head'. */
  readonly from: number;
  /** Resolves when the feed stopped; rejects if it failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** A resync answer: the notices missed, and the position they run up to (the next cursor). */
export interface SyncAnswer {
  notices: FeedNotice[];
  position: number;
  /** Too much was missed, or the cursor is unknown: nothing is returned, reload through the REST API. */
  limited: boolean;
}

/** More missed frames than this, and a resync is limited (the client reloads instead). */
export const SYNC_MAX = 1_000;

/**
 * Cuts `notices` (in log order) to at most `limit`, never between two notices of one event, so
 * that the position of the last one kept is a cursor that misses nothing. An event whose notices
 * alone exceed `limit` is kept whole.
 */
function wholeEvents(notices: FeedNotice[], limit: number): FeedNotice[] {
  if (notices.length <= limit) return notices;
  const cut = notices[limit].position;
  let end = limit;
  while (end > 0 && notices[end - 1].position === cut) end--;
  if (end > 0) return notices.slice(0, end);
  while (end < notices.length && notices[end].position === cut) end++;
  return notices.slice(0, end);
}

/** A message as its stream tells it now. */
function currentMessage(m: StoredMessage): CurrentMessage {
  const common = {
    id: m.id,
    from_id: m.from_id,
    from: m.from,
    text: m.deleted ? null : m.text,
    sent_at: m.sent_at,
    edited_at: m.edited_at,
    deleted: m.deleted,
  };
  return m.kind === 'pm'
    ? { kind: 'pm', message: { ...common, to_id: m.to_id!, to: m.to! } }
    : { kind: 'chat', message: common };
}

/** Both streams a message id can name: at most one of them exists. */
const streamsOfMessage = (id: string): string[] => [pmStream(id), chatStream(id)];

/**
 * A client's ref names a message for good: the same ref from the same user always maps to the same
 * message id, so a resend (after a lost ack, or a crash) lands on the stored message.
 */
export function messageIdFor(userId: string, ref: string | undefined): string {
  if (ref === undefined) return randomUUID();
  const h = createHash('sha256').update(`${userId}\0${ref}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** How many username → user id look-ups a Messaging remembers. */
const RECIPIENT_CACHE_SIZE = 50_000;

/** Private messages and the general chat: the use cases behind the chat socket and /messenger. */
export class Messaging {
  /**
   * A username is claimed for good (no event releases one), so the id it resolves to never changes:
   * remembering it saves reading the claim stream on every private message. Only hits are kept.
   */
  private readonly recipientIds = new Map<string, string>();

  constructor(private readonly deps: AppDeps) {}

  /** With `consistent`, resolves once the read models (inbox, histories) have the message. */
  send(
    principal: Principal,
    line: ChatLine,
    ref: string | undefined,
    ctx: CommandContext,
    options: HandleOptions = {},
  ): Promise<SentMessage> {
    return line.kind === 'pm'
      ? this.sendPrivate(principal, line.to, line.text, ref, ctx, options)
      : this.postChat(principal, line.text, ref, ctx, options);
  }

  async sendPrivate(
    principal: Principal,
    to: string,
    text: string,
    ref: string | undefined,
    ctx: CommandContext,
    options: HandleOptions = {},
  ): Promise<SentMessage> {
    const recipientId = await this.recipientId(to);
    if (!recipientId) throw new DomainError('recipient_not_found', `there is no user '${to}'`);

    const command: MessageCommand = {
      type: 'SendPrivateMessage',
      message_id: messageIdFor(principal.user_id, ref),
      from_id: principal.user_id,
      from: principal.username,
      to_id: recipientId,
      text,
      ...(ref === undefined ? {} : { ref }),
    };
    const streams = [userStream(recipientId), pmStream(command.message_id)];
    const { event, changed } = await this.store(command, streams, principal, ctx, options);
    const message = { ...privateMessageRow(event as Stored<EventOfType<'MessageSent'>>), ...changed };
    return { kind: 'pm', message, position: event.position };
  }

  async postChat(
    principal: Principal,
    text: string,
    ref: string | undefined,
    ctx: CommandContext,
    options: HandleOptions = {},
  ): Promise<SentMessage> {
    const command: MessageCommand = {
      type: 'PostChatMessage',
      message_id: messageIdFor(principal.user_id, ref),
      from_id: principal.user_id,
      from: principal.username,
      text,
      ...(ref === undefined ? {} : { ref }),
    };
    const { event, changed } = await this.store(command, [chatStream(command.message_id)], principal, ctx, options);
    const message = { ...chatMessageRow(event as Stored<EventOfType<'ChatMessagePosted'>>), ...changed };
    return { kind: 'chat', message, position: event.position };
  }

  /**
   * A new text for one's own message (PM or chat line). Resolves with the message as it now is;
   * the same text again changes nothing. With `consistent`, once the read models have the edit.
   */
  async edit(
    principal: Principal,
    messageId: string,
    text: string,
    ctx: CommandContext,
    options: HandleOptions = {},
  ): Promise<CurrentMessage> {
    const command: MessageChangeCommand = {
      type: 'EditMessage',
      message_id: messageId,
      by_id: principal.user_id,
      text,
    };
    const done = await this.change(command, principal, ctx, options);
    const edit = done.events.find((e) => e.type === 'MessageEdited');
    if (edit) return editedMessage(edit);
    const { events } = await this.deps.engine.events.readStreams(streamsOfMessage(messageId));
    return currentMessage(fold(messageChangeDecider, events as Stored<MessageEvent>[])!);
  }

  /** Deletes one's own message: it stays in the histories as a tombstone. Deleting again changes nothing. */
  async delete(
    principal: Principal,
    messageId: string,
    ctx: CommandContext,
    options: HandleOptions = {},
  ): Promise<void> {
    const command: MessageChangeCommand = { type: 'DeleteMessage', message_id: messageId, by_id: principal.user_id };
    await this.change(command, principal, ctx, options);
  }

  /** The user's last received private messages, oldest first. With `after`, as of at least that log position. */
  async inbox(userId: string, options: { after?: number } = {}): Promise<PrivateMessageRow[]> {
    if (options.after) await this.deps.projector.waitFor(options.after);
    return this.deps.engine.readModels.inbox(userId, INBOX_SIZE);
  }

  /** A page of the private history of two users, newest first; null when `before` names no message in it. */
  async conversation(principal: Principal, username: string, page: Page): Promise<PrivateMessageRow[] | null> {
    const other = await this.deps.engine.readModels.userByKey(usernameKey(username));
    if (!other) throw new DomainError('user_not_found', `there is no user '${username}'`);
    return this.deps.engine.readModels.conversation(principal.user_id, other.user_id, page);
  }

  /**
   * The user's conversations, most recent activity first. `before` is the username of the last entry
   * of the previous page; null when it names no conversation of theirs.
   */
  async conversations(
    principal: Principal,
    page: { before?: string; limit: number },
  ): Promise<ConversationEntry[] | null> {
    const rm = this.deps.engine.readModels;
    let before: string | undefined;
    if (page.before !== undefined) {
      const peer = await rm.userByKey(usernameKey(page.before));
      if (!peer) return null;
      before = peer.user_id;
    }
    return rm.conversationList(principal.user_id, { before, limit: page.limit });
  }

  /**
   * Marks the conversation with `username` read up to message `upTo` (and everything before it).
   * An older message than the marker changes nothing: the result is then null.
   */
  async markRead(
    principal: Principal,
    username: string,
    upTo: string,
    ctx: CommandContext,
    options: HandleOptions = {},
  ): Promise<ConversationRead['data'] | null> {
    const withId = await this.recipientId(username);
    if (!withId) throw new DomainError('user_not_found', `there is no user '${username}'`);
    const streams = [readsStream(principal.user_id, withId), pmStream(upTo), userStream(principal.user_id)];
    const command = {
      type: 'MarkConversationRead' as const,
      user_id: principal.user_id,
      username: principal.username,
      with_id: withId,
      up_to: upTo,
    };
    const context = { ...ctx, userId: principal.user_id };
    const done = await this.deps.handle(conversationDecider, streams, command, context, options);
    const read = done.events.find((e) => e.type === 'ConversationRead');
    return read ? read.data : null;
  }

  /** A page of the general chat, newest first; null when `before` names no message in it. */
  chatPage(page: Page): Promise<ChatMessageRow[] | null> {
    return this.deps.engine.readModels.chat(page);
  }

  /**
   * The live feed from log position `from` ('head': from now on): every message and ended session,
   * whoever stored it, in batches in log order. The next batch waits for `onNotices` to return.
   */
  async feed(from: number | 'head', onNotices: (batch: FeedBatch) => void): Promise<Feed> {
    const start = from === 'head' ? await this.deps.engine.events.headPosition() : from;
    const subscription = this.deps.engine.events.subscribe(start, (events) => {
      const notices: FeedNotice[] = [];
      for (const event of events) for (const notice of noticesOf(event)) notices.push(notice);
      if (events.length > 0) onNotices({ notices, position: events[events.length - 1].position });
    });
    return { from: start, done: subscription.done, stop: () => subscription.stop() };
  }

  /**
   * What `userId` was shown after log position `since` (null: a cursor this server did not make),
   * up to the log's head as the read models have it, at most `limit` notices (an event's notices
   * are never split). Limited when more than SYNC_MAX were missed or `since` is unknown (past the
   * head), or when the read models cannot reach `atLeast` (where the caller's live frames begin).
   */
  async sync(
    userId: string,
    since: number | null,
    options: { limit?: number; atLeast?: number } = {},
  ): Promise<SyncAnswer> {
    const head = await this.deps.engine.events.headPosition();
    let upTo = head;
    if (!(await this.deps.projector.waitFor(head))) upTo = Math.min(head, this.deps.projector.position);
    if (upTo < (options.atLeast ?? 0)) return { notices: [], position: options.atLeast!, limited: true };
    if (since === null || since > head) return { notices: [], position: upTo, limited: true };
    // A cursor from an instance further along than this one: nothing is new here yet.
    if (since >= upTo) return { notices: [], position: since, limited: false };
    const missed = await this.deps.engine.readModels.feedFor(userId, since, upTo, SYNC_MAX + 1);
    if (missed.length > SYNC_MAX) return { notices: [], position: upTo, limited: true };
    const notices = wholeEvents(missed, options.limit ?? SYNC_MAX);
    const position = notices.length < missed.length ? notices[notices.length - 1].position : upTo;
    return { notices, position, limited: false };
  }

  private async recipientId(username: string): Promise<string | undefined> {
    const key = usernameKey(username);
    const known = this.recipientIds.get(key);
    if (known) return known;
    const id = await claimantOf(this.deps.engine.events, key);
    if (id) {
      if (this.recipientIds.size >= RECIPIENT_CACHE_SIZE)
        this.recipientIds.delete(this.recipientIds.keys().next().value!);
      this.recipientIds.set(key, id);
    }
    return id;
  }

  private change(command: MessageChangeCommand, principal: Principal, ctx: CommandContext, options: HandleOptions) {
    const context = { ...ctx, userId: principal.user_id };
    return this.deps.handle(messageChangeDecider, streamsOfMessage(command.message_id), command, context, options);
  }

  /**
   * Appends the message, or finds the one a previous send with the same ref stored, with what its
   * sender has changed since (a resend after an edit or delete answers with the message as it is).
   */
  private async store(
    command: MessageCommand,
    streams: string[],
    principal: Principal,
    ctx: CommandContext,
    options: HandleOptions,
  ): Promise<{ event: StoredEvent; changed: Partial<MessageChanges> }> {
    const context = { ...ctx, userId: principal.user_id };
    const done = await this.deps.handle(messageDecider, streams, command, context, options);
    const stored = done.events.find((e) => e.type === 'MessageSent' || e.type === 'ChatMessagePosted');
    if (stored) return { event: stored, changed: {} };
    const messageStream = streams[streams.length - 1];
    const { events } = await this.deps.engine.events.readStreams([messageStream]);
    if (events.length === 1) return { event: events[0], changed: {} };
    const now = fold(messageChangeDecider, events as Stored<MessageEvent>[])!;
    const { text, edited_at, deleted } = currentMessage(now).message;
    return { event: events[0], changed: { text, edited_at, deleted } };
  }
}
