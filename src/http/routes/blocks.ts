import { Type } from '@sinclair/typebox';
import { errorResponse, object, usernameParam, usernameSchema } from '../../edge/schemas';
import { route, type Route } from '../route';

const blockBody = object({ username: usernameSchema });

/**
 * /users/blocks: mounted before GET /users/{username}, so the route word wins over a username
 * ('blocks' is reserved for new accounts).
 */
export const blockRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/users/blocks',
    operationId: 'listBlocks',
    tag: 'users',
    auth: true,
    summary: 'The users you blocked, in the order you blocked them',
    noStore: true,
    responses: {
      200: { description: 'their usernames', schema: object({ users: Type.Array(Type.String()) }) },
      401: errorResponse('not authenticated'),
    },
    async handle({ principal, parley }) {
      return { status: 200, body: { users: await parley.blocking.blocked(principal) } };
    },
  }),
  route({
    method: 'POST',
    path: '/users/blocks',
    operationId: 'blockUser',
    tag: 'users',
    auth: true,
    summary: 'Block a user: their private messages to you are refused (idempotent)',
    description:
      'The blocked user is not told: their messages are refused with the same 403 pm_not_accepted ' +
      'as when you accept no private messages.',
    body: { 'application/json': blockBody },
    responses: {
      204: { description: 'blocked (or already blocked)' },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated'),
      404: errorResponse('no such user'),
      422: errorResponse('you cannot block yourself'),
    },
    async handle({ body, principal, parley, ctx }) {
      await parley.blocking.block(principal, body.username, { correlationId: ctx.state.requestId });
      return { status: 204 };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/blocks/{username}',
    operationId: 'unblockUser',
    tag: 'users',
    auth: true,
    summary: 'Unblock a user (idempotent: unblocking someone not blocked changes nothing)',
    params: usernameParam,
    responses: {
      204: { description: 'not blocked (any more)' },
      401: errorResponse('not authenticated'),
      404: errorResponse('no such user'),
    },
    async handle({ params, principal, parley, ctx }) {
      await parley.blocking.unblock(principal, params.username, { correlationId: ctx.state.requestId });
      return { status: 204 };
    },
  }),
];
