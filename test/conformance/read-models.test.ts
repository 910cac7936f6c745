import { expect } from 'chai';
import {
  CheckpointMovedError,
  pairKey,
  type PrivateMessageRow,
  type ReadModelOp,
  type ReadModelStore,
  type UserRow,
} from '../../src/store/read-models';
import { READ_MODELS } from '../../src/read-models';
import { forEachEngine, useEngine } from '../helpers/engines';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:05:00.000Z';
const PAIR = pairKey('u1', 'u3');

function user(id: string, username: string, version = 1): UserRow {
  return {
    user_id: id,
    username,
    username_key: username.toLowerCase(),
    email: `${id}@example.test`,
    first_name: null,
    last_name: null,
    phone: null,
    pm_policy: 'everyone',
    phone_public: false,
    read_receipts: true,
    picture: null,
    created_at: T0,
    updated_at: T0,
    version,
  };
}

function pm(position: number, from: string, to: string, text = `m${position}`): PrivateMessageRow {
  return {
    id: `pm-${position}`,
    position,
    from_id: from,
    from: from.toUpperCase(),
    to_id: to,
    to: to.toUpperCase(),
    text,
    sent_at: T0,
    edited_at: null,
    deleted: false,
  };
}

/** The conversation-list ops the projection makes of one private message: one entry for each party. */
function listOps(message: PrivateMessageRow): ReadModelOp[] {
  return [
    {
      kind: 'conversation-list.message',
      owner_id: message.from_id,
      peer_id: message.to_id,
      peer: message.to,
      message,
      received: false,
    },
    {
      kind: 'conversation-list.message',
      owner_id: message.to_id,
      peer_id: message.from_id,
      peer: message.from,
      message,
      received: true,
    },
  ];
}
const chatRow = (position: number, from_id: string, from: string, text: string) => ({
  id: `c-${position}`,
  position,
  from_id,
  from,
  text,
  sent_at: T0,
  edited_at: null,
  deleted: false,
});
/** What the projections make of UserErased for u4. */
const ERASE_U4: ReadModelOp[] = [
  { kind: 'user.erase', user_id: 'u4' },
  { kind: 'session.erase', user_id: 'u4' },
  { kind: 'inbox.erase', user_id: 'u4' },
  { kind: 'conversation.erase', user_id: 'u4' },
  { kind: 'chat.erase', user_id: 'u4' },
  { kind: 'block.erase', user_id: 'u4' },
  { kind: 'conversation-list.erase', user_id: 'u4' },
  { kind: 'feed.erase', user_id: 'u4' },
];

/** A message erased with its sender: in place, without name or text. */
const erasedPm = (m: PrivateMessageRow): PrivateMessageRow => ({ ...m, from: '', text: '' });

/** One op of every kind, as the projections would produce them for a short history. */
const HISTORY: ReadModelOp[] = [
  { kind: 'user.insert', user: user('u1', 'Alice') },
  { kind: 'user.insert', user: user('u2', 'alfred') },
  { kind: 'user.insert', user: user('u3', 'Bob') },
  {
    kind: 'user.change',
    user_id: 'u1',
    version: 2,
    updated_at: '2026-01-02T00:00:00.000Z',
    changes: { first_name: 'Alice', phone_public: true },
  },
  {
    kind: 'user.change',
    user_id: 'u1',
    version: 3,
    updated_at: '2026-01-03T00:00:00.000Z',
    changes: { picture: { id: 'p1', content_type: 'image/png', size: 3 } },
  },
  {
    kind: 'session.start',
    session: { session_id: 's1', user_id: 'u1', refresh_id: 'r1', expires_at: T0, started_at: T0, revoked: null },
  },
  {
    kind: 'session.start',
    session: { session_id: 's2', user_id: 'u1', refresh_id: 'r2', expires_at: T0, started_at: T0, revoked: null },
  },
  { kind: 'session.refresh', session_id: 's1', refresh_id: 'r1b', expires_at: '2026-02-01T00:00:00.000Z' },
  { kind: 'session.revoke', session_id: 's2', reason: 'logout' },
  { kind: 'session.revoke', session_id: 's2', reason: 'password_changed' },
  ...[10, 11, 12, 13, 14].flatMap((p): ReadModelOp[] => [
    { kind: 'inbox.add', message: pm(p, 'u1', 'u3'), keep: 3 },
    { kind: 'conversation.add', message: pm(p, p % 2 ? 'u1' : 'u3', p % 2 ? 'u3' : 'u1') },
    ...listOps(pm(p, p % 2 ? 'u1' : 'u3', p % 2 ? 'u3' : 'u1')),
  ]),
  // Before the chat ops: the checkpoint tests below take those from the end.
  ...blockOps(),
  ...listOps(pm(15, 'u2', 'u1')),
  // u1 reads u3's 10 and 12 (14 stays unread); an older read after it changes nothing.
  { kind: 'conversation-list.read', owner_id: 'u1', peer_id: 'u3', up_to_position: 12 },
  { kind: 'conversation-list.read', owner_id: 'u1', peer_id: 'u3', up_to_position: 11 },
  // u3 read u1's 13 and sent a receipt; an older one after it changes nothing.
  { kind: 'conversation-list.seen', owner_id: 'u1', peer_id: 'u3', up_to: 'pm-13', up_to_position: 13 },
  { kind: 'conversation-list.seen', owner_id: 'u1', peer_id: 'u3', up_to: 'pm-11', up_to_position: 11 },
  { kind: 'user.change', user_id: 'u3', version: 2, updated_at: T0, changes: { read_receipts: false } },
  // The feed (before the chat ops, which the checkpoint tests take from the end): u3's own notices and everyone's, interleaved; u1's are not u3's business.
  ...[10, 12].map((p): ReadModelOp => ({
    kind: 'feed.add',
    row: { audience: 'u3', position: p, seq: 0, notice: { kind: 'pm', position: p, message: pm(p, 'u1', 'u3') } },
  })),
  {
    kind: 'feed.add',
    row: { audience: 'u1', position: 12, seq: 0, notice: { kind: 'pm', position: 12, message: pm(12, 'u1', 'u3') } },
  },
  ...[11, 20, 21].map((p): ReadModelOp => ({
    kind: 'feed.add',
    row: {
      audience: '*',
      position: p,
      seq: 0,
      notice: {
        kind: 'chat',
        position: p,
        message: { id: `c-${p}`, position: p, from_id: 'u1', from: 'Alice', text: 't', sent_at: T0 },
      },
    },
  })),
  { kind: 'chat.add', message: chatRow(20, 'u1', 'Alice', 'hi') },
  { kind: 'chat.add', message: chatRow(21, 'u3', 'Bob', 'yo') },
  { kind: 'chat.add', message: chatRow(22, 'u1', 'Alice', 'bye') },
  // Edits and deletes by id; pm-10 is no longer in the (3-message) inbox, and an edit after a delete changes nothing.
  { kind: 'inbox.edit', owner_id: 'u3', id: 'pm-13', text: 'm13 edited', edited_at: T1 },
  { kind: 'inbox.edit', owner_id: 'u3', id: 'pm-10', text: 'm10 edited', edited_at: T1 },
  { kind: 'inbox.delete', owner_id: 'u3', id: 'pm-14' },
  { kind: 'inbox.edit', owner_id: 'u3', id: 'pm-14', text: 'too late', edited_at: T1 },
  { kind: 'conversation.edit', pair: PAIR, id: 'pm-13', text: 'm13 edited', edited_at: T1 },
  { kind: 'conversation.delete', pair: PAIR, id: 'pm-14' },
  { kind: 'conversation.edit', pair: PAIR, id: 'pm-14', text: 'too late', edited_at: T1 },
  { kind: 'chat.edit', id: 'c-21', text: 'yo!', edited_at: T1 },
  { kind: 'chat.delete', id: 'c-22' },
  // Carol writes to alfred, then erases her account.
  { kind: 'user.insert', user: user('u4', 'Carol') },
  {
    kind: 'session.start',
    session: { session_id: 's4', user_id: 'u4', refresh_id: 'r4', expires_at: T0, started_at: T0, revoked: null },
  },
  { kind: 'inbox.add', message: pm(15, 'u4', 'u2'), keep: 3 },
  { kind: 'inbox.add', message: pm(16, 'u2', 'u4'), keep: 3 },
  { kind: 'conversation.add', message: pm(15, 'u4', 'u2') },
  { kind: 'conversation.add', message: pm(16, 'u2', 'u4') },
  // An edit and a delete of a message that is no conversation's last: the list stays as it is.
  { kind: 'conversation-list.edit', owner_id: 'u1', peer_id: 'u3', id: 'pm-10', text: 'x', edited_at: T1 },
  { kind: 'conversation-list.delete', owner_id: 'u1', peer_id: 'u3', id: 'pm-10' },
  ...ERASE_U4,
];

/** u1 blocks Bob, alfred and Bob again (once kept), then unblocks Bob; u3 blocks u1. */
function blockOps(): ReadModelOp[] {
  const add = (blocker_id: string, blocked_id: string, blocked: string, position: number): ReadModelOp => ({
    kind: 'block.add',
    block: { blocker_id, blocked_id, blocked, position },
  });
  return [
    add('u1', 'u3', 'Bob', 15),
    add('u1', 'u2', 'alfred', 16),
    add('u1', 'u3', 'Bob', 17),
    add('u3', 'u1', 'Alice', 18),
    { kind: 'block.remove', blocker_id: 'u1', blocked_id: 'u3' },
    { kind: 'block.remove', blocker_id: 'u1', blocked_id: 'nobody' },
  ];
}

const CHAT_ADDS = HISTORY.filter((op) => op.kind === 'chat.add');

/** Everything the read models answer about HISTORY. */
async function answers(rm: ReadModelStore) {
  return {
    users: await Promise.all(['u1', 'u2', 'u3', 'nobody'].map((id) => rm.userById(id))),
    byKey: await rm.userByKey('bob'),
    search: (await rm.searchUsers('al', 10)).map((u) => u.username),
    sessions: await Promise.all(['s1', 's2'].map((id) => rm.session(id))),
    active: await rm.activeSessionIds('u1'),
    inbox: await rm.inbox('u3', 10),
    conversation: await rm.conversation('u3', 'u1', { limit: 10 }),
    chat: await rm.chat({ limit: 10 }),
    blocks: await Promise.all(['u1', 'u3', 'u2'].map((id) => rm.blocks(id))),
    list: await rm.conversationList('u1', { limit: 10 }),
    listOfU3: await rm.conversationList('u3', { limit: 10 }),
    feed: (await rm.feedFor('u3', 10, 21, 10)).map((n) => `${n.kind}@${n.position}`),
    feedLimited: (await rm.feedFor('u3', 0, 22, 3)).map((n) => n.position),
    carol: await rm.userById('u4'),
    carolSessions: await rm.sessionsOf('u4'),
    carolInbox: await rm.inbox('u4', 10),
    alfredInbox: await rm.inbox('u2', 10),
    alfredMessages: await rm.messagesOf('u2'),
    aliceSessions: (await rm.sessionsOf('u1')).map((x) => x.session_id),
    aliceChat: (await rm.chatOf('u1')).map((m) => m.id),
    withPicture: await rm.usersWithPicture('p1'),
  };
}

describe('read models: the conformance history', () => {
  it('has ops of every kind a registered read model writes', () => {
    const registered = READ_MODELS.flatMap((m) => Object.keys(m.sqlite.apply));
    expect([...new Set(HISTORY.map((op) => op.kind))].sort()).to.deep.equal(registered.sort());
  });
});

forEachEngine('read models', (kind) => {
  const fixture = useEngine(kind);
  const rm = () => fixture.engine.readModels;

  it('answers every query from the ops applied', async () => {
    await rm().apply('all', HISTORY, 0, 22);
    const a = await answers(rm());
    expect(a.users[0]).to.deep.equal({
      ...user('u1', 'Alice', 3),
      first_name: 'Alice',
      phone_public: true,
      picture: { id: 'p1', content_type: 'image/png', size: 3 },
      updated_at: '2026-01-03T00:00:00.000Z',
    });
    expect(a.users[3]).to.equal(null);
    expect(a.byKey?.user_id).to.equal('u3');
    expect(a.search).to.deep.equal(['alfred', 'Alice']);
    expect(a.sessions[0]).to.include({ refresh_id: 'r1b', expires_at: '2026-02-01T00:00:00.000Z', revoked: null });
    expect(a.sessions[1]!.revoked).to.equal('logout');
    expect(a.active).to.deep.equal(['s1']);
    // The inbox keeps the newest 3, oldest first.
    expect(a.inbox.map((m) => m.position)).to.deep.equal([12, 13, 14]);
    expect(a.inbox[0]).to.deep.equal(pm(12, 'u1', 'u3'));
    expect(a.conversation!.map((m) => m.position)).to.deep.equal([14, 13, 12, 11, 10]);
    expect(a.chat!.map((m) => m.id)).to.deep.equal(['c-22', 'c-21', 'c-20']);
    expect(a.blocks).to.deep.equal([
      [{ blocker_id: 'u1', blocked_id: 'u2', blocked: 'alfred', position: 16 }],
      [{ blocker_id: 'u3', blocked_id: 'u1', blocked: 'Alice', position: 18 }],
      [],
    ]);
    expect(a.users[2]!.read_receipts).to.equal(false);
    // Most recent activity first; the last message whoever sent it; unread after the marker.
    expect(a.list).to.deep.equal([
      { peer_id: 'u2', peer: 'U2', last: pm(15, 'u2', 'u1'), read_up_to: 0, unread: 1, seen_up_to: null },
      { peer_id: 'u3', peer: 'U3', last: pm(14, 'u3', 'u1'), read_up_to: 12, unread: 1, seen_up_to: 'pm-13' },
    ]);
    expect(a.listOfU3).to.deep.equal([
      { peer_id: 'u1', peer: 'U1', last: pm(14, 'u3', 'u1'), read_up_to: 0, unread: 2, seen_up_to: null },
    ]);
    // After 10, up to and including 21, in log order; the limit cuts the merged run.
    expect(a.feed).to.deep.equal(['chat@11', 'pm@12', 'chat@20', 'chat@21']);
    expect(a.feedLimited).to.deep.equal([10, 11, 12]);
  });

  it('lists blocks in the order made; a block made again after an unblock goes last', async () => {
    const add = (blocked_id: string, blocked: string, position: number): ReadModelOp => ({
      kind: 'block.add',
      block: { blocker_id: 'u9', blocked_id, blocked, position },
    });
    await rm().apply('blocks', [add('u3', 'Bob', 1), add('u1', 'Alice', 2), add('u2', 'alfred', 3)], 0, 3);
    await rm().apply(
      'blocks',
      [{ kind: 'block.remove', blocker_id: 'u9', blocked_id: 'u3' }, add('u3', 'Bob', 4)],
      3,
      4,
    );
    expect((await rm().blocks('u9')).map((b) => b.blocked)).to.deep.equal(['Alice', 'alfred', 'Bob']);
  });

  it('pages the conversation list back from a peer, and says when that peer is no conversation of the owner', async () => {
    await rm().apply('all', HISTORY, 0, 22);
    expect((await rm().conversationList('u1', { limit: 1 }))!.map((e) => e.peer_id)).to.deep.equal(['u2']);
    expect((await rm().conversationList('u1', { before: 'u2', limit: 5 }))!.map((e) => e.peer_id)).to.deep.equal([
      'u3',
    ]);
    expect(await rm().conversationList('u1', { before: 'u3', limit: 5 })).to.deep.equal([]);
    expect(await rm().conversationList('u3', { before: 'u2', limit: 5 })).to.equal(null);
    expect(await rm().conversationList('nobody', { limit: 5 })).to.deep.equal([]);
  });

  it('keeps a conversation-list entry at its newest message, and a marker where it got furthest, whatever the order', async () => {
    const [older, newer] = [pm(40, 'u1', 'u3'), pm(41, 'u3', 'u1')];
    await rm().apply(
      'conversation-list',
      [
        ...listOps(newer),
        ...listOps(older),
        { kind: 'conversation-list.read', owner_id: 'u1', peer_id: 'u3', up_to_position: 41 },
        { kind: 'conversation-list.read', owner_id: 'u1', peer_id: 'u3', up_to_position: 40 },
        { kind: 'conversation-list.seen', owner_id: 'u3', peer_id: 'u1', up_to: 'pm-41', up_to_position: 41 },
        { kind: 'conversation-list.seen', owner_id: 'u3', peer_id: 'u1', up_to: 'pm-40', up_to_position: 40 },
      ],
      0,
      41,
    );
    expect(await rm().conversationList('u1', { limit: 5 })).to.deep.equal([
      { peer_id: 'u3', peer: 'U3', last: newer, read_up_to: 41, unread: 0, seen_up_to: null },
    ]);
    expect((await rm().conversationList('u3', { limit: 5 }))![0].seen_up_to).to.equal('pm-41');
  });

  it('applies edits and deletes in every message history: edited_at, tombstones in place, trimmed inboxes untouched', async () => {
    await rm().apply('all', HISTORY, 0, 22);
    const a = await answers(rm());
    const edited = { ...pm(13, 'u1', 'u3', 'm13 edited'), edited_at: T1 };
    const tombstone = { ...pm(14, 'u1', 'u3'), text: null, deleted: true };
    expect(a.inbox).to.deep.equal([pm(12, 'u1', 'u3'), edited, tombstone]);
    expect(a.conversation![0]).to.deep.equal({ ...tombstone, from_id: 'u3', from: 'U3', to_id: 'u1', to: 'U1' });
    expect(a.conversation![1]).to.deep.equal(edited);
    expect(a.conversation!.slice(2).map((m) => [m.text, m.edited_at])).to.deep.equal([
      ['m12', null],
      ['m11', null],
      ['m10', null],
    ]);
    expect(a.chat).to.deep.equal([
      { ...chatRow(22, 'u1', 'Alice', 'bye'), text: null, deleted: true },
      { ...chatRow(21, 'u3', 'Bob', 'yo!'), edited_at: T1 },
      chatRow(20, 'u1', 'Alice', 'hi'),
    ]);
    // The export's queries, and what an erasure leaves.
    expect(a.aliceSessions).to.deep.equal(['s1', 's2']);
    expect(a.aliceChat).to.deep.equal(['c-20', 'c-22']);
    expect(a.withPicture).to.equal(1);
    expect(a.carol).to.equal(null);
    expect(a.carolSessions).to.deep.equal([]);
    expect(a.carolInbox).to.deep.equal([]);
    expect(a.alfredInbox).to.deep.equal([erasedPm(pm(15, 'u4', 'u2'))]);
    expect(a.alfredMessages).to.deep.equal([erasedPm(pm(15, 'u4', 'u2')), pm(16, 'u2', 'u4')]);
  });

  it('shows an edited or deleted last message in the conversation list as it now is, and leaves an older one alone', async () => {
    const [first, last] = [pm(40, 'u1', 'u3'), pm(41, 'u3', 'u1')];
    const change = (kind: 'edit' | 'delete', id: string): ReadModelOp[] =>
      [
        ['u1', 'u3'],
        ['u3', 'u1'],
      ].map(([owner_id, peer_id]) =>
        kind === 'edit'
          ? { kind: 'conversation-list.edit', owner_id, peer_id, id, text: `${id} edited`, edited_at: T1 }
          : { kind: 'conversation-list.delete', owner_id, peer_id, id },
      );
    await rm().apply('conversation-list', [...listOps(first), ...listOps(last), ...change('edit', 'pm-40')], 0, 41);
    const lastOf = async (owner: string) => (await rm().conversationList(owner, { limit: 5 }))![0].last;
    // pm-40 is not the last message any more: nothing to show.
    expect((await lastOf('u1')).text).to.equal(last.text);
    await rm().apply('conversation-list', change('edit', 'pm-41'), 41, 42);
    expect(await lastOf('u1')).to.include({ id: 'pm-41', text: 'pm-41 edited', edited_at: T1, deleted: false });
    await rm().apply('conversation-list', change('delete', 'pm-41'), 42, 43);
    for (const owner of ['u1', 'u3']) expect(await lastOf(owner)).to.include({ id: 'pm-41', deleted: true });
  });

  it("keeps an erased sender's chat lines in place, without name or text", async () => {
    const line = (position: number, from: string) => ({
      id: `c-${position}`,
      position,
      from_id: from,
      from: from.toUpperCase(),
      text: `t${position}`,
      sent_at: T0,
      edited_at: null,
      deleted: false,
    });
    await rm().apply(
      'chat',
      [
        { kind: 'chat.add', message: line(1, 'u1') },
        { kind: 'chat.add', message: line(2, 'u2') },
        { kind: 'chat.add', message: line(3, 'u1') },
        { kind: 'chat.erase', user_id: 'u1' },
      ],
      0,
      4,
    );
    expect(await rm().chat({ limit: 10 })).to.deep.equal([
      { ...line(3, 'u1'), from: '', text: '' },
      line(2, 'u2'),
      { ...line(1, 'u1'), from: '', text: '' },
    ]);
    expect((await rm().chatOf('u1')).map((m) => m.id)).to.deep.equal(['c-1', 'c-3']);
  });

  it('pages conversations and the chat back from a message, and says when that message is unknown', async () => {
    await rm().apply('all', HISTORY, 0, 22);
    expect((await rm().conversation('u1', 'u3', { before: 'pm-13', limit: 2 }))!.map((m) => m.id)).to.deep.equal([
      'pm-12',
      'pm-11',
    ]);
    expect(await rm().conversation('u1', 'u3', { before: 'c-20', limit: 2 })).to.equal(null);
    expect(await rm().conversation('u1', 'u2', { limit: 5 })).to.deep.equal([]);
    expect((await rm().chat({ before: 'c-22', limit: 1 }))!.map((m) => m.id)).to.deep.equal(['c-21']);
    expect(await rm().chat({ before: 'pm-10', limit: 1 })).to.equal(null);
  });

  it('is idempotent: applying the same ops again changes no answer', async () => {
    await rm().apply('all', HISTORY, 0, 22);
    const once = await answers(rm());
    await rm().apply('all', HISTORY, 22, 22);
    await rm().apply('all', HISTORY.slice(3, 12), 22, 22);
    expect(await answers(rm())).to.deep.equal(once);
  });

  it('ignores a user change older than the row (the version guard)', async () => {
    await rm().apply(
      'users',
      [
        { kind: 'user.insert', user: user('u1', 'Alice') },
        { kind: 'user.change', user_id: 'u1', version: 3, updated_at: T0, changes: { email: 'new@example.test' } },
        {
          kind: 'user.change',
          user_id: 'u1',
          version: 2,
          updated_at: T0,
          changes: { email: 'old@example.test', phone: '+1' },
        },
        { kind: 'user.change', user_id: 'ghost', version: 2, updated_at: T0, changes: { email: 'x@example.test' } },
      ],
      0,
      4,
    );
    expect(await rm().userById('u1')).to.include({ email: 'new@example.test', phone: null, version: 3 });
    expect(await rm().userById('ghost')).to.equal(null);
  });

  it('refuses a unique username key held by another user, applying nothing of the batch', async () => {
    await rm().apply('users', [{ kind: 'user.insert', user: user('u1', 'Alice') }], 0, 1);
    const error = await rm()
      .apply(
        'users',
        [
          { kind: 'user.insert', user: user('u9', 'Zed') },
          { kind: 'user.insert', user: user('u2', 'ALICE') },
        ],
        1,
        2,
      )
      .catch((e) => e);
    expect(error).to.be.instanceOf(Error);
    expect(await rm().userById('u9')).to.equal(null);
    expect(await rm().checkpoint('users')).to.equal(1);
  });

  it('moves the checkpoint with the ops, and refuses (applying nothing) when it is not where the caller says', async () => {
    expect(await rm().checkpoint('chat')).to.equal(0);
    await rm().apply('chat', CHAT_ADDS.slice(0, 1), 0, 20);
    expect(await rm().checkpoint('chat')).to.equal(20);
    const error = await rm()
      .apply('chat', CHAT_ADDS.slice(1), 0, 22)
      .catch((e) => e);
    expect(error).to.be.instanceOf(CheckpointMovedError);
    expect(error).to.include({ projection: 'chat', expected: 0, actual: 20 });
    expect((await rm().chat({ limit: 10 }))!.map((m) => m.id)).to.deep.equal(['c-20']);
    expect(await rm().checkpoint('chat')).to.equal(20);
    // Checkpoints are per projection.
    expect(await rm().checkpoint('inbox')).to.equal(0);
  });

  it('lets only one of two concurrent applies from one checkpoint through', async () => {
    const outcomes = await Promise.allSettled([
      rm().apply('chat', CHAT_ADDS.slice(0, 1), 0, 20),
      rm().apply('chat', CHAT_ADDS.slice(1), 0, 22),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).to.be.instanceOf(CheckpointMovedError);
    const chat = (await rm().chat({ limit: 10 }))!.map((m) => m.id);
    expect(chat).to.deep.equal(outcomes[0].status === 'fulfilled' ? ['c-20'] : ['c-22', 'c-21']);
  });

  it('survives a restart: checkpoints and rows are where they were', async () => {
    await rm().apply('all', HISTORY, 0, 22);
    const before = await answers(rm());
    await fixture.engine.close();
    const reopened = await fixture.storage.open();
    expect(await reopened.readModels.checkpoint('all')).to.equal(22);
    expect(await answers(reopened.readModels)).to.deep.equal(before);
  });

  it('reset() forgets a projection’s rows and checkpoint, and only that projection’s', async () => {
    await rm().apply(
      'chat',
      HISTORY.filter((op) => op.kind === 'chat.add'),
      0,
      22,
    );
    await rm().apply(
      'users',
      HISTORY.filter((op) => op.kind === 'user.insert'),
      0,
      3,
    );
    await rm().reset('chat');
    expect(await rm().checkpoint('chat')).to.equal(0);
    expect(await rm().chat({ limit: 10 })).to.deep.equal([]);
    expect(await rm().checkpoint('users')).to.equal(3);
    expect(await rm().userById('u1')).to.not.equal(null);
  });

  describe('shadow rebuilds', () => {
    const chatOps = HISTORY.filter((op) => op.kind === 'chat.add');

    it('builds beside the live read model, invisible until promoted, then replaces it with its checkpoint', async () => {
      await rm().apply('chat', chatOps.slice(0, 1), 0, 20);
      const shadow = await rm().shadow('chat');
      expect(shadow.position).to.equal(0);
      await shadow.apply(chatOps.slice(1), 22);
      expect(shadow.position).to.equal(22);
      expect((await rm().chat({ limit: 10 }))!.map((m) => m.id)).to.deep.equal(['c-20']);
      await shadow.promote();
      expect((await rm().chat({ limit: 10 }))!.map((m) => m.id)).to.deep.equal(['c-22', 'c-21']);
      expect(await rm().checkpoint('chat')).to.equal(22);
      // Promoted indexes still serve the queries, and the live model takes applies again.
      expect((await rm().chat({ before: 'c-22', limit: 5 }))!.map((m) => m.id)).to.deep.equal(['c-21']);
      await rm().apply(
        'chat',
        [{ kind: 'chat.add', message: { ...(chatOps[0] as any).message, id: 'c-30', position: 30 } }],
        22,
        30,
      );
      expect((await rm().chat({ limit: 1 }))!.map((m) => m.id)).to.deep.equal(['c-30']);
    });

    it('rebuilds the inbox and conversations (staged on SQLite) to what live applies gave, erasures included', async () => {
      const of = (kind: string) => HISTORY.filter((op) => op.kind.startsWith(`${kind}.`));
      await rm().apply('inbox', of('inbox'), 0, 22);
      await rm().apply('conversations', of('conversation'), 0, 22);
      const live = await answers(rm());
      for (const [projection, kind] of [
        ['inbox', 'inbox'],
        ['conversations', 'conversation'],
      ] as const) {
        const shadow = await rm().shadow(projection);
        await shadow.apply(of(kind), 22);
        await shadow.promote();
      }
      expect(await answers(rm())).to.deep.equal(live);
      expect(live.alfredInbox).to.deep.equal([erasedPm(pm(15, 'u4', 'u2'))]);
    });

    it('discard() leaves the live read model and checkpoint as they were', async () => {
      await rm().apply('chat', chatOps, 0, 22);
      const shadow = await rm().shadow('chat');
      await shadow.apply(chatOps.slice(0, 1), 20);
      await shadow.discard();
      expect((await rm().chat({ limit: 10 }))!.map((m) => m.id)).to.deep.equal(['c-22', 'c-21', 'c-20']);
      expect(await rm().checkpoint('chat')).to.equal(22);
      const error = await shadow.apply(chatOps, 22).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).to.match(/already promoted or discarded/);
    });

    it('gives a rebuild with edits and deletes the same rows as applying live (held-back changes included)', async () => {
      const messageOps = HISTORY.filter((op) => /^(inbox|conversation|chat)\./.test(op.kind));
      const byProjection = { inbox: 'inbox.', conversations: 'conversation.', chat: 'chat.' } as const;
      for (const [projection, prefix] of Object.entries(byProjection)) {
        await rm().apply(
          projection,
          messageOps.filter((op) => op.kind.startsWith(prefix)),
          0,
          22,
        );
      }
      const live = await answers(rm());
      for (const [projection, prefix] of Object.entries(byProjection)) {
        const ops = messageOps.filter((op) => op.kind.startsWith(prefix));
        const shadow = await rm().shadow(projection);
        // In two batches, so that changes arrive in a later apply than the rows they change.
        await shadow.apply(ops.slice(0, 4), 21);
        await shadow.apply(ops.slice(4), 22);
        await shadow.promote();
      }
      expect(await answers(rm())).to.deep.equal(live);
      expect(live.chat![0].deleted).to.equal(true);
    });

    it('refuses ops for another projection’s read model', async () => {
      const shadow = await rm().shadow('chat');
      const error = await shadow.apply(HISTORY.slice(0, 1), 1).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).to.match(/does not own/);
      await shadow.discard();
    });
  });
});
