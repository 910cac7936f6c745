import { Type } from '@sinclair/typebox';
import { usernameKey } from '../../commands/rules';
import { errorResponse, object } from '../../edge/schemas';
import { exportView } from '../../edge/views';
import { route, type Route } from '../route';

const erasure = object({
  password: Type.String({ minLength: 1, maxLength: 1024, description: 'your current password' }),
});

/** The account's data export and erasure (docs/privacy.md). */
export const privacyRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/users/me/export',
    operationId: 'exportMe',
    tag: 'users',
    auth: true,
    summary: 'Download everything parley keeps about you, as one JSON file',
    description:
      'Profile, settings, sessions, every private message sent and received, every chat line posted, ' +
      'and your picture as a link. Rate-limited per user.',
    noStore: true,
    responses: {
      200: { description: 'your data, as an attachment', schema: Type.Object({}, { additionalProperties: true }) },
      401: errorResponse('not authenticated'),
      429: errorResponse('too many exports (see Retry-After)'),
    },
    rateLimits: [{ limit: 'export_user', key: ({ principal }) => principal.user_id, onSuccess: 'keep' }],
    async handle({ principal, parley, ctx }) {
      const data = await parley.privacy.export(principal);
      ctx.set(
        'Content-Disposition',
        `attachment; filename="parley-${data.profile.username_key.replace(/[^\w.-]/g, '_')}.json"`,
      );
      return { status: 200, body: exportView(data) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/me',
    operationId: 'eraseMe',
    tag: 'users',
    auth: true,
    summary: 'Erase your account and your personal data, for good',
    description:
      'Every session ends, the username stays reserved, the email is released, and messages you sent ' +
      "stay in the others' histories with from and text null (erased: true).",
    body: { 'application/json': erasure },
    noStore: true,
    // A stolen access token must not become a way to guess the password: wrong ones count as failed logins.
    rateLimits: [
      { limit: 'login_account', key: ({ principal }) => usernameKey(principal.username), onSuccess: 'refund' },
    ],
    responses: {
      204: { description: 'erased' },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated, or wrong password (nothing changed)'),
      429: errorResponse('too many wrong passwords for this account (see Retry-After)'),
    },
    async handle({ principal, body, parley, ctx }) {
      await parley.privacy.erase(principal, body.password, { correlationId: ctx.state.requestId });
      return { status: 204 };
    },
  }),
];
