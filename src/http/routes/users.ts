import { readFile } from 'node:fs/promises';
import { sendCacheable } from '../cacheable';
import { HttpError } from '../../edge/errors';
import { defineRoutes } from '../route';
import {
  createdUserSchema, emailSchema, errorResponse, meSchema, object, passwordSchema, profileFields, publicUserSchema,
  settingsSchema, usernameParam, usernameSchema,
} from '../../edge/schemas';
import { createdUserView, meView, publicUserView } from '../../edge/views';

export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

export const userRoutes = defineRoutes([
  {
    method: 'POST', path: '/users/create', operationId: 'createUser', tag: 'users', auth: false,
    summary: 'Register a new user',
    body: {
      'application/json': object({
        username: usernameSchema, email: emailSchema, password: passwordSchema, ...profileFields,
      }, ['username', 'email', 'password']),
    },
    responses: {
      201: { description: 'registered', schema: createdUserSchema },
      400: errorResponse('malformed request'), 409: errorResponse('username or email taken'), 422: errorResponse('invalid field'),
      429: errorResponse('too many registrations from this address (see Retry-After)'),
    },
    rateLimits: [{ limit: 'register_ip', key: 'ip', onSuccess: 'keep' }],
    async handle({ body, parley, ctx }) {
      const user = await parley.accounts.register(body as never, { correlationId: ctx.state.requestId });
      return { status: 201, body: createdUserView(user) };
    },
  },
  {
    method: 'GET', path: '/users/me', operationId: 'getMe', tag: 'users', auth: true,
    summary: 'Your own profile and settings',
    responses: { 200: { description: 'your profile', schema: meSchema }, 401: errorResponse('not authenticated') },
    async handle({ principal, parley }) {
      return { status: 200, body: meView(await parley.accounts.profile(principal.user_id)) };
    },
  },
  {
    method: 'POST', path: '/users/update', operationId: 'updateMe', tag: 'users', auth: true,
    summary: 'Change your profile, settings or password (all given fields at once, or none)',
    body: {
      'application/json': object({
        email: emailSchema, ...profileFields, settings: settingsSchema,
        current_password: { type: 'string', maxLength: 1024, description: 'required with new_password' },
        new_password: passwordSchema,
      }),
    },
    responses: {
      200: { description: 'the updated profile', schema: meSchema },
      400: errorResponse('malformed request'), 401: errorResponse('not authenticated, or wrong current password'),
      409: errorResponse('email taken'), 422: errorResponse('invalid field'),
    },
    async handle({ principal, body, parley, ctx }) {
      const user = await parley.accounts.update(principal, body as never, { correlationId: ctx.state.requestId });
      return { status: 200, body: meView(user) };
    },
  },
  {
    method: 'PATCH', path: '/users/add_picture', operationId: 'setPicture', tag: 'users', auth: true,
    summary: 'Upload your profile picture (PNG, JPEG, GIF or WebP, at most 5 MiB)',
    body: {
      'multipart/form-data': object({ file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'the image' } }, ['file']),
    },
    responses: {
      200: { description: 'stored', schema: object({ picture: { type: 'string' } }, ['picture']) },
      400: errorResponse('no file'), 401: errorResponse('not authenticated'), 413: errorResponse('larger than 5 MiB'),
      415: errorResponse('not a PNG, JPEG, GIF or WebP image'),
    },
    async handle({ principal, parley, ctx }) {
      const files = ctx.request.files ?? {};
      const names = Object.keys(files);
      const file = files.file;
      if (!file || Array.isArray(file) || names.length !== 1) {
        throw new HttpError(400, 'invalid_request', "send exactly one file, in the form field 'file'");
      }
      if (file.size > MAX_PICTURE_BYTES) throw new HttpError(413, 'payload_too_large', 'the picture is larger than 5 MiB');
      const bytes = await readFile(file.filepath);
      await parley.accounts.setPicture(principal, bytes, { correlationId: ctx.state.requestId });
      return { status: 200, body: { picture: `/users/${encodeURIComponent(principal.username)}/picture` } };
    },
  },
  {
    method: 'GET', path: '/users', operationId: 'searchUsers', tag: 'users', auth: false,
    summary: 'Find users whose username starts with a prefix (case-insensitive), sorted by username',
    query: object({
      search: { type: 'string', minLength: 1, maxLength: 64 },
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    }, ['search']),
    responses: {
      200: { description: 'matching users', schema: object({ users: { type: 'array', items: publicUserSchema } }, ['users']) },
      400: errorResponse('malformed query'),
    },
    async handle({ query, parley }) {
      const users = await parley.accounts.search(query.search as string, query.limit as number);
      return { status: 200, body: { users: users.map(publicUserView) } };
    },
  },
  {
    method: 'GET', path: '/users/{username}', operationId: 'getUser', tag: 'users', auth: false,
    summary: "A user's public profile (username matched case-insensitively)",
    params: usernameParam,
    responses: { 200: { description: 'the profile', schema: publicUserSchema }, 404: errorResponse('no such user') },
    async handle({ params, parley }) {
      return { status: 200, body: publicUserView(await parley.accounts.profileByName(params.username as string)) };
    },
  },
  {
    method: 'GET', path: '/users/{username}/picture', operationId: 'getPicture', tag: 'users', auth: false,
    summary: "A user's profile picture",
    params: usernameParam,
    responses: {
      200: { description: 'the image bytes, with an ETag', contentType: 'image/*' },
      304: { description: 'not modified (If-None-Match matched)' },
      404: errorResponse('no such user, or no picture'),
    },
    async handle({ params, parley, ctx }) {
      const picture = await parley.accounts.picture(params.username as string);
      if (!picture) throw new HttpError(404, 'picture_not_found', 'this user has no picture');
      // The URL stays the same when the picture changes, so caches must revalidate; the ETag is the hash.
      sendCacheable(ctx, { etag: picture.id, contentType: picture.content_type, bytes: picture.bytes, cacheControl: 'public, max-age=60, must-revalidate' });
    },
  },
]);
