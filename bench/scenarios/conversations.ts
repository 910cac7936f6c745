import { randomUUID } from 'node:crypto';
import type { LatencyCommand, StreamResult } from '../clients/http-load';
import { conversationDecider, type ConversationState } from '../../src/commands/conversation';
import { DomainError } from '../../src/commands/decider';
import { messageDecider } from '../../src/commands/message';
import { DEFAULT_SETTINGS, type User } from '../../src/commands/user';
import { streamOf, type MessageSent, type ParleyEvent, type Stored, type StoredEvent } from '../../src/events';
import type { Engine, StreamAppend } from '../../src/store/ports';
import { BenchChild } from '../lib/child';
import { messageText, seedMessages, seedUsers, type SeededUser } from '../lib/seed';
import { prng, round } from '../lib/stats';
import { withProcesses, workspace, type Target } from './target';

export interface ConversationsOptions {
  users: number;
  /** People the measured user exchanged PMs with. */
  conversations: number;
  /** PMs among everyone else, so the tables hold more than the measured user's rows. */
  backgroundMessages: number;
  warmupMs: number;
  durationMs: number;
}

export interface ConversationsResult {
  users: number;
  conversations: number;
  /** The worse p99 of the first page and deeper pages. */
  p99_ms: number;
  first_page: StreamResult;
  deeper_pages: StreamResult;
  seed_ms: number;
  startup_ms: number;
}

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

function decided<E extends ParleyEvent>(events: E[] | DomainError): E[] {
  if (events instanceof DomainError) throw events;
  return events;
}

const append = (engine: Engine, events: ParleyEvent[]) =>
  engine.events.append(
    events.map((e): StreamAppend => ({ stream: streamOf(e), expectedVersion: 'any', events: [e] })),
    { time: new Date().toISOString(), metadata: { correlation_id: 'bench-seed', causation_id: randomUUID() } },
  );

/**
 * The measured user's conversations, through the deciders: with each peer two PMs received and one
 * sent, in rounds so the conversations' activity interleaves; then half of them read up to the first
 * received message (so unread counts are 1 or 2).
 */
async function seedConversations(
  engine: Engine,
  owner: SeededUser,
  peers: SeededUser[],
  random: () => number,
): Promise<void> {
  const firstReceived = new Map<string, StoredEvent>();
  for (const pass of [0, 1, 2]) {
    const events = peers.flatMap((peer) => {
      const [from, to] = pass === 1 ? [owner, peer] : [peer, owner];
      return decided(
        messageDecider.decide(
          {
            type: 'SendPrivateMessage',
            message_id: randomUUID(),
            from_id: from.user_id,
            from: from.username,
            to_id: to.user_id,
            text: messageText(60, random),
          },
          { recipient: asUser(to), existing: null },
        ),
      );
    });
    const { events: stored } = await append(engine, events);
    if (pass === 0) for (const e of stored) if (e.type === 'MessageSent') firstReceived.set(e.data.from_id, e);
  }
  const reads = peers
    .filter((_, i) => i % 2 === 0)
    .flatMap((peer) => {
      const message = firstReceived.get(peer.user_id)! as Stored<MessageSent>;
      const { from_id, from, to_id, to, message_id } = message.data;
      const state: ConversationState = {
        marker: 0,
        message: { from_id, from, to_id, to, position: message.position },
        reader: asUser(owner),
      };
      return decided(
        conversationDecider.decide(
          {
            type: 'MarkConversationRead',
            user_id: owner.user_id,
            username: owner.username,
            with_id: peer.user_id,
            up_to: message_id,
          },
          state,
        ),
      );
    });
  await append(engine, reads);
}

/**
 * GET /messenger/conversations for a user with `conversations` peers among `users`: one client, one
 * request in flight, alternating the first page (limit 50) and pages further back (before = a peer).
 */
export async function conversationsBench(target: Target, o: ConversationsOptions): Promise<ConversationsResult> {
  const ws = workspace(target, 'conversations');
  try {
    let t = Date.now();
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.users, sessions: 1, chunk: 5000 });
    const random = prng(5);
    await seedMessages(engine, users.slice(o.conversations + 1), o.backgroundMessages, { textSize: 60 });
    const [owner, ...rest] = users;
    const peers = rest.slice(0, o.conversations);
    await seedConversations(engine, owner, peers, random);
    await engine.close();
    const seedMs = Date.now() - t;
    return await withProcesses(async (track) => {
      t = Date.now();
      const server = track(await ws.startServer());
      const startupMs = Date.now() - t;
      const deeper = Array.from({ length: 2000 }, () => {
        const peer = peers[Math.floor(random() * peers.length)];
        return `/messenger/conversations?limit=50&before=${encodeURIComponent(peer.username)}`;
      });
      const client = track(BenchChild.start('clients/http-load.ts'));
      const command: LatencyCommand = {
        cmd: 'latency',
        url: server.url,
        concurrency: 1,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        token: owner.access_token!,
        groups: { first: ['/messenger/conversations?limit=50'], deeper },
      };
      const result = await client.call<Record<string, StreamResult>>(command);
      const first = result.first;
      const deep = result.deeper;
      for (const r of [first, deep]) {
        if (Object.keys(r.statuses).some((s) => s !== '200'))
          throw new Error(`unexpected answers: ${JSON.stringify(r.statuses)}`);
      }
      return {
        users: o.users,
        conversations: o.conversations,
        p99_ms: round(Math.max(first.latency_ms.p99, deep.latency_ms.p99)),
        first_page: first,
        deeper_pages: deep,
        seed_ms: seedMs,
        startup_ms: startupMs,
      };
    });
  } finally {
    await ws.cleanUp();
  }
}
