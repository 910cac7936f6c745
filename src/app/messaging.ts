import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '../commands/decider';
import { messageDecider, type MessageCommand } from '../commands/message';
import { usernameKey } from '../commands/rules';
import { chatStream, pmStream, userStream, type EventOfType, type Stored, type StoredEvent } from '../events';
import { chatMessageRow, privateMessageRow } from '../projections/messages';
import type { ChatMessageRow, PrivateMessageRow } from '../store/read-models';
import type { Principal } from './accounts';
import type { ChatLine } from './chat-syntax';
import type { AppDeps } from './deps';
import { execute, type CommandContext } from './execute';
import { claimantOf } from './username-claims';

export type SentMessage =
  | { kind: 'pm'; message: PrivateMessageRow; position: number }
  | { kind: 'chat'; message: ChatMessageRow; position: number };

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

  send(principal: Principal, line: ChatLine, ref: string | undefined, ctx: CommandContext): Promise<SentMessage> {
    return line.kind === 'pm'
      ? this.sendPrivate(principal, line.to, line.text, ref, ctx)
      : this.postChat(principal, line.text, ref, ctx);
  }

  async sendPrivate(principal: Principal, to: string, text: string, ref: string | undefined, ctx: CommandContext): Promise<SentMessage> {
    const recipientId = await this.recipientId(to);
    if (!recipientId) throw new DomainError('recipient_not_found', `there is no user '${to}'`);

    const command: MessageCommand = {
      type: 'SendPrivateMessage', message_id: messageIdFor(principal.user_id, ref), from_id: principal.user_id,
      from: principal.username, to_id: recipientId, text, ...(ref === undefined ? {} : { ref }),
    };
    const event = await this.store(command, [userStream(recipientId), pmStream(command.message_id)], principal, ctx);
    return { kind: 'pm', message: privateMessageRow(event as Stored<EventOfType<'MessageSent'>>), position: event.position };
  }

  async postChat(principal: Principal, text: string, ref: string | undefined, ctx: CommandContext): Promise<SentMessage> {
    const command: MessageCommand = {
      type: 'PostChatMessage', message_id: messageIdFor(principal.user_id, ref), from_id: principal.user_id,
      from: principal.username, text, ...(ref === undefined ? {} : { ref }),
    };
    const event = await this.store(command, [chatStream(command.message_id)], principal, ctx);
    return { kind: 'chat', message: chatMessageRow(event as Stored<EventOfType<'ChatMessagePosted'>>), position: event.position };
  }

  private async recipientId(username: string): Promise<string | undefined> {
    const key = usernameKey(username);
    const known = this.recipientIds.get(key);
    if (known) return known;
    const id = await claimantOf(this.deps.engine.events, key);
    if (id) {
      if (this.recipientIds.size >= RECIPIENT_CACHE_SIZE) this.recipientIds.delete(this.recipientIds.keys().next().value!);
      this.recipientIds.set(key, id);
    }
    return id;
  }

  /** Appends the message, or finds the one a previous send with the same ref stored. */
  private async store(command: MessageCommand, streams: string[], principal: Principal, ctx: CommandContext): Promise<StoredEvent> {
    const done = await execute(this.deps.engine.events, messageDecider, streams, command, { ...ctx, userId: principal.user_id });
    const stored = done.events.find((e) => e.type === 'MessageSent' || e.type === 'ChatMessagePosted');
    if (stored) return stored;
    const messageStream = streams[streams.length - 1]!;
    const { events } = await this.deps.engine.events.readStreams([messageStream]);
    return events[0]!;
  }
}
