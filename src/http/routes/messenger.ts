import { INBOX_SIZE } from '../../app';
import { parseChatLine, type ChatLine } from '../../app/chat-syntax';
import { DomainError } from '../../commands/decider';
import { Type, type TSchema } from '@sinclair/typebox';
import { HttpError } from '../../edge/errors';
import {
  chatSchema,
  errorResponse,
  object,
  pageQuery,
  pmSchema,
  refSchema,
  textSchema,
  usernameParam,
  usernameSchema,
} from '../../edge/schemas';
import { chatView, pmView, sentView } from '../../edge/views';
import { route, type Route } from '../route';

const messages = (item: TSchema) => object({ messages: Type.Array(item) });
const sendBody = object({ to: Type.Optional(usernameSchema), text: textSchema, ref: Type.Optional(refSchema) });
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
];
