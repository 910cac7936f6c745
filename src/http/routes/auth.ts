import { Type } from '@sinclair/typebox';
import { usernameKey } from '../../commands/rules';
import { errorResponse, literal, object, tokenPairSchema } from '../../edge/schemas';
import { route, type Route } from '../route';

const credentialFields = {
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
};
const credentials = object(credentialFields);

// OAuth2 token requests (RFC 6749 §4.3, §6) may also carry a scope and client credentials; parley has one client.
const clientFields = {
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 1024 })),
};

/** The OAuth2 password form (what the original service took). */
const oauthForm = object({ ...credentialFields, grant_type: Type.Optional(literal('password')), ...clientFields });

const refreshToken = Type.String({ minLength: 1, maxLength: 4096 });
const refreshBody = object({ refresh_token: refreshToken });
/** The standard OAuth2 refresh request: grant_type=refresh_token&refresh_token=… */
const oauthRefreshForm = object({
  grant_type: Type.Optional(literal('refresh_token')),
  refresh_token: refreshToken,
  ...clientFields,
});

export const authRoutes: Route[] = [
  route({
    method: 'POST',
    path: '/auth/login',
    operationId: 'login',
    tag: 'auth',
    auth: false,
    summary: 'Log in: a new session with an access and a refresh token',
    description: 'Takes the OAuth2 password form or JSON. The username is matched case-insensitively.',
    body: { 'application/x-www-form-urlencoded': oauthForm, 'application/json': credentials },
    noStore: true,
    responses: {
      200: { description: 'logged in', schema: tokenPairSchema },
      400: errorResponse('malformed request'),
      401: errorResponse('incorrect username or password'),
      429: errorResponse('too many failed logins for this account or from this address (see Retry-After)'),
    },
    // Failures count per address and per account (by its normalised name, existing or not); success clears the account's.
    rateLimits: [
      { limit: 'login_ip', key: 'ip', onSuccess: 'refund' },
      { limit: 'login_account', key: ({ body }) => usernameKey(body.username), onSuccess: 'reset' },
    ],
    async handle({ body, parley, ctx }) {
      const { username, password } = body;
      const tokens = await parley.accounts.login(username, password, { correlationId: ctx.state.requestId });
      return { status: 200, body: tokens };
    },
  }),
  route({
    method: 'POST',
    path: '/auth/refresh',
    operationId: 'refresh',
    tag: 'auth',
    auth: false,
    summary: 'Trade a refresh token for a new pair (the old refresh token is spent)',
    description:
      'Takes the OAuth2 refresh form (grant_type=refresh_token) or JSON. ' +
      'Presenting a spent refresh token again ends the whole session: someone else may hold it.',
    body: { 'application/x-www-form-urlencoded': oauthRefreshForm, 'application/json': refreshBody },
    noStore: true,
    responses: {
      200: { description: 'a new pair', schema: tokenPairSchema },
      400: errorResponse('malformed request'),
      401: errorResponse('invalid, expired, spent or revoked refresh token'),
      429: errorResponse('too many refreshes from this address (see Retry-After)'),
    },
    rateLimits: [{ limit: 'refresh_ip', key: 'ip', onSuccess: 'keep' }],
    async handle({ body, parley, ctx }) {
      const tokens = await parley.accounts.refresh(body.refresh_token, { correlationId: ctx.state.requestId });
      return { status: 200, body: tokens };
    },
  }),
  route({
    method: 'POST',
    path: '/auth/logout',
    operationId: 'logout',
    tag: 'auth',
    auth: true,
    summary: 'End this session: its access and refresh tokens stop working',
    responses: { 204: { description: 'logged out' }, 401: errorResponse('not authenticated') },
    async handle({ principal, parley, ctx }) {
      await parley.accounts.logout(principal, { correlationId: ctx.state.requestId });
      return { status: 204 };
    },
  }),
];
