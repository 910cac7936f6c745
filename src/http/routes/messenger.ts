import { INBOX_SIZE, SYNC_MAX } from '../../app';
import { parseChatLine, type ChatLine } from '../../app/chat-syntax';
import { DomainError } from '../../commands/decider';
import { Type, type TSchema } from '@sinclair/typebox';
import { HttpError } from '../../edge/errors';
import {
  chatSchema,
  defaulted,
  errorResponse,
  nullable,
  object,
  pageQuery,
  pmSchema,
  refSchema,
  textSchema,
  usernameParam,
  usernameSchema,
} from '../../edge/schemas';
import { decodeCursor, encodeCursor } from '../../edge/cursor';
import { chatView, conversationEntryView, currentView, frameOf, pmView, sentView } from '../../edge/views';
import { route, type Route } from '../route';

const messages = (item: TSchema) => object({ messages: Type.Array(item) });
const sendBody = object({ to: Type.Optional(usernameSchema), text: textSchema, ref: Type.Optional(refSchema) });
const conversationEntry = object({
  with: Type.String({ description: 'the other person' }),
  last_message: pmSchema,
  unread: Type.Integer({ minimum: 0, description: 'messages received from them after your read marker' }),
  seen_up_to: nullable('string', {
    description: 'id of the newest message they have read, as far as their read receipts told you (null: none)',
  }),
});
const conversationsQuery = object({
  before: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'the `with` of the last entry of the previous page: ' +
        'return only conversations whose last activity is older',
    }),
  ),
  limit: defaulted(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
});
const readBody = object({
  up_to: Type.String({ minLength: 1, maxLength: 64, description: 'id of the newest message read' }),
});
const syncQuery = object({
  since: Type.String({
    minLength: 1,
    maxLength: 1024,
    description: 'the cursor of the last frame you have (any frame, history or sync)',
  }),
  limit: defaulted(Type.Integer({ minimum: 1, maximum: SYNC_MAX, default: 100 })),
});
// Open on purpose: a frame is exactly what the WebSocket sends, and each notice kind has its own shape.
const frameSchema = Type.Object(
  { type: Type.String(), cursor: Type.String() },
  {
    additionalProperties: true,
    description: 'a WebSocket frame (pm, chat, …) with its cursor, as docs/websocket.md describes it',
  },
);
const syncSchema = object({
  frames: Type.Array(frameSchema),
  cursor: Type.String({ description: 'where this answer ends: pass it as since next time' }),
  limited: Type.Boolean({
    description: `true: more than ${SYNC_MAX} frames were missed, or since is unknown; frames is empty, reload through the REST API`,
  }),
});
const editBody = object({ text: textSchema });
const messageIdParam = object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'the message id' }) });
const notSender = '(a PM the caller is not a party to is not found)';
const cursorNotFound = () => new HttpError(400, 'invalid_cursor', "'before' names no message in this history");

export const messengerRoutes: Route[] = [
  route({
    method: 'POST',
    path: '/messenger/messages',
    operationId: 'sendMessage',
    tag: 'messenger',
    auth: true,
    summary: 'Send a message without a WebSocket',
    description:
      'Either {text} in the chat syntax ("/pm <username> <text>" is private, anything else goes to the general chat), ' +
      'or {to, text} for a private message. With a ref, a resend returns the stored message instead of sending it twice. ' +
      'Delivered live to WebSocket clients like any other message.',
    body: { 'application/json': sendBody },
    responses: {
      201: { description: 'stored', schema: { oneOf: [pmSchema, chatSchema] } },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated'),
      403: errorResponse('the recipient does not accept private messages'),
      404: errorResponse('no such recipient'),
      422: errorResponse('empty or too long text, or a message to yourself'),
    },
    async handle({ body, principal, parley, ctx }) {
      const { to, text, ref } = body;
      const line: ChatLine | DomainError = to === undefined ? parseChatLine(text) : { kind: 'pm', to, text };
      if (line instanceof DomainError) throw line;
      const context = { correlationId: ctx.state.requestId };
      const sent = await parley.messaging.send(principal, line, ref, context, { consistent: true });
      return { status: 201, body: sentView(sent) };
    },
  }),
  route({
    method: 'PATCH',
    path: '/messenger/messages/{id}',
    operationId: 'editMessage',
    tag: 'messenger',
    auth: true,
    summary: 'Edit your own message (PM or chat line)',
    description:
      'Same text rules as sending. The same text again changes nothing. Both parties of a PM ' +
      '(everyone, for a chat line) get an `edited` frame; every history shows the new text with `edited_at`.',
    params: messageIdParam,
    body: { 'application/json': editBody },
    responses: {
      200: { description: 'the message as it now is', schema: { oneOf: [pmSchema, chatSchema] } },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated'),
      403: errorResponse('not your message (not_message_sender)'),
      404: errorResponse(`no such message ${notSender}`),
      410: errorResponse('the message was deleted (message_deleted)'),
      422: errorResponse('empty or too long text'),
    },
    async handle({ params, body, principal, parley, ctx }) {
      const context = { correlationId: ctx.state.requestId };
      const message = await parley.messaging.edit(principal, params.id, body.text, context, { consistent: true });
      return { status: 200, body: currentView(message) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/messenger/messages/{id}',
    operationId: 'deleteMessage',
    tag: 'messenger',
    auth: true,
    summary: 'Delete your own message (PM or chat line)',
    description:
      'The message stays in every history as a tombstone (`deleted: true`, `text: null`). ' +
      'Deleting it again is also a 204. Both parties of a PM (everyone, for a chat line) get a `deleted` frame.',
    params: messageIdParam,
    responses: {
      204: { description: 'deleted' },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated'),
      403: errorResponse('not your message (not_message_sender)'),
      404: errorResponse(`no such message ${notSender}`),
    },
    async handle({ params, principal, parley, ctx }) {
      await parley.messaging.delete(principal, params.id, { correlationId: ctx.state.requestId }, { consistent: true });
      return { status: 204 };
    },
  }),
  route({
    method: 'GET',
    path: '/messenger/inbox',
    operationId: 'inbox',
    tag: 'messenger',
    auth: true,
    summary: `Your last ${INBOX_SIZE} received private messages, oldest first`,
    responses: {
      200: { description: 'the inbox', schema: messages(pmSchema) },
      401: errorResponse('not authenticated'),
    },
    async handle({ principal, parley }) {
      const rows = await parley.messaging.inbox(principal.user_id);
      return { status: 200, body: { messages: rows.map(pmView) } };
    },
  }),
  route({
    method: 'GET',
    path: '/messenger/conversations',
    operationId: 'conversations',
    tag: 'messenger',
    auth: true,
    summary: 'The people you exchanged private messages with, most recent activity first',
    description:
      'One entry per person, with the last message either of you sent ' +
      'and how many of theirs you have not read. ' +
      'Page on with before=<the `with` of the last entry you got>.',
    query: conversationsQuery,
    responses: {
      200: { description: 'a page of conversations', schema: object({ conversations: Type.Array(conversationEntry) }) },
      400: errorResponse('malformed query, or `before` names no conversation of yours'),
      401: errorResponse('not authenticated'),
    },
    async handle({ query, principal, parley }) {
      const entries = await parley.messaging.conversations(principal, query);
      if (!entries) throw new HttpError(400, 'invalid_cursor', "'before' names no conversation of yours");
      return { status: 200, body: { conversations: entries.map(conversationEntryView) } };
    },
  }),
  route({
    method: 'POST',
    path: '/messenger/conversations/{username}/read',
    operationId: 'markConversationRead',
    tag: 'messenger',
    auth: true,
    summary: 'Mark your private conversation with one user read, up to and including a message',
    description:
      'Moves your read marker forward: an older message than the marker changes nothing. The other person is ' +
      'told (a receipt frame) unless you turned read_receipts off; your own sockets get a read frame.',
    params: usernameParam,
    body: { 'application/json': readBody },
    responses: {
      204: { description: 'read up to there' },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated'),
      404: errorResponse('no such user, or no such message in this conversation'),
    },
    async handle({ params, body, principal, parley, ctx }) {
      const context = { correlationId: ctx.state.requestId };
      await parley.messaging.markRead(principal, params.username, body.up_to, context, { consistent: true });
      return { status: 204 };
    },
  }),
  route({
    method: 'GET',
    path: '/messenger/conversations/{username}',
    operationId: 'conversation',
    tag: 'messenger',
    auth: true,
    summary: 'Your private history with one user, newest first',
    params: usernameParam,
    query: pageQuery(100),
    responses: {
      200: { description: 'a page of messages', schema: messages(pmSchema) },
      400: errorResponse('malformed query or unknown cursor'),
      401: errorResponse('not authenticated'),
      404: errorResponse('no such user'),
    },
    async handle({ params, query, principal, parley }) {
      const rows = await parley.messaging.conversation(principal, params.username, query);
      if (!rows) throw cursorNotFound();
      return { status: 200, body: { messages: rows.map(pmView) } };
    },
  }),
  route({
    method: 'GET',
    path: '/messenger/chat',
    operationId: 'chatHistory',
    tag: 'messenger',
    auth: true,
    summary: 'General chat history, newest first',
    query: pageQuery(100),
    responses: {
      200: { description: 'a page of messages', schema: messages(chatSchema) },
      400: errorResponse('malformed query or unknown cursor'),
      401: errorResponse('not authenticated'),
    },
    async handle({ query, parley }) {
      const rows = await parley.messaging.chatPage(query);
      if (!rows) throw cursorNotFound();
      return { status: 200, body: { messages: rows.map(chatView) } };
    },
  }),
  route({
    method: 'GET',
    path: '/messenger/sync',
    operationId: 'sync',
    tag: 'messenger',
    auth: true,
    summary: 'The frames you were shown after a cursor, for clients without a WebSocket',
    description:
      'Every frame the WebSocket would have sent you after `since`, in log order, at most `limit`; ' +
      'then call again with the returned cursor (fewer than `limit` frames: you are up to date). ' +
      `When more than ${SYNC_MAX} frames were missed, or the cursor is malformed or unknown, limited is true ` +
      'and frames is empty: reload through the REST API (inbox, conversations, chat), then go on from the returned cursor.',
    query: syncQuery,
    responses: {
      200: { description: 'the missed frames', schema: syncSchema },
      400: errorResponse('malformed query'),
      401: errorResponse('not authenticated'),
    },
    async handle({ query, principal, parley }) {
      const answer = await parley.messaging.sync(principal.user_id, decodeCursor(query.since), { limit: query.limit });
      const frames = answer.notices.map(frameOf).filter((f) => f !== null);
      return { status: 200, body: { frames, cursor: encodeCursor(answer.position), limited: answer.limited } };
    },
  }),
];
