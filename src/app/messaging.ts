import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '../commands/decider';
import { messageDecider, type MessageCommand } from '../commands/message';
import { usernameKey } from '../commands/rules';
import { chatStream, pmStream, userStream, type EventOfType, type Stored, type StoredEvent } from '../events';
import { chatMessageRow, INBOX_SIZE, privateMessageRow } from '../projections/messages';
import type { ChatMessageRow, Page, PrivateMessageRow } from '../store/read-models';
import type { Principal } from './accounts';
import type { ChatLine } from './chat-syntax';
import type { AppDeps } from './deps';
import type { CommandContext, HandleOptions } from './execute';
import { claimantOf } from './username-claims';

export type SentMessage =
  | { kind: 'pm'; message: PrivateMessageRow; position: number }
  | { kind: 'chat'; message: ChatMessageRow; position: number };

/** What the live feed hands out, in log order: messages to deliver, and sessions that ended. */
export type FeedNotice =
  | { kind: 'pm'; message: PrivateMessageRow }
  | { kind: 'chat'; message: ChatMessageRow }
  | { kind: 'revoked'; session_id: string; reason: string };

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

function noticeOf(event: StoredEvent): FeedNotice | null {
  switch (event.type) {
    case 'MessageSent':
      return { kind: 'pm', message: privateMessageRow(event) };
    case 'ChatMessagePosted':
      return { kind: 'chat', message: chatMessageRow(event) };
    case 'SessionRevoked':
      return { kind: 'revoked', session_id: event.data.session_id, reason: event.data.reason };
    default:
      return null;
  }
}

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
    const event = await this.store(command, streams, principal, ctx, options);
    return {
      kind: 'pm',
      message: privateMessageRow(event as Stored<EventOfType<'MessageSent'>>),
      position: event.position,
    };
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
    const event = await this.store(command, [chatStream(command.message_id)], principal, ctx, options);
    return {
      kind: 'chat',
      message: chatMessageRow(event as Stored<EventOfType<'ChatMessagePosted'>>),
      position: event.position,
    };
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
      for (const event of events) {
        const notice = noticeOf(event);
        if (notice) notices.push(notice);
      }
      if (events.length > 0) onNotices({ notices, position: events[events.length - 1].position });
    });
    return { from: start, done: subscription.done, stop: () => subscription.stop() };
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

  /** Appends the message, or finds the one a previous send with the same ref stored. */
  private async store(
    command: MessageCommand,
    streams: string[],
    principal: Principal,
    ctx: CommandContext,
    options: HandleOptions,
  ): Promise<StoredEvent> {
    const context = { ...ctx, userId: principal.user_id };
    const done = await this.deps.handle(messageDecider, streams, command, context, options);
    const stored = done.events.find((e) => e.type === 'MessageSent' || e.type === 'ChatMessagePosted');
    if (stored) return stored;
    const messageStream = streams[streams.length - 1];
    const { events } = await this.deps.engine.events.readStreams([messageStream]);
    return events[0];
  }
}
