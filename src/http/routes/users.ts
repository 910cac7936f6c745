import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { HttpError } from '../../edge/errors';
import {
  createdUserSchema,
  defaulted,
  emailSchema,
  errorResponse,
  meSchema,
  object,
  passwordSchema,
  profileFields,
  publicUserSchema,
  settingsSchema,
  usernameParam,
  usernameSchema,
} from '../../edge/schemas';
import { createdUserView, meView, publicUserView } from '../../edge/views';
import { sendCacheable } from '../cacheable';
import { MAX_BYTES, route, type Route } from '../route';

export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

const registration = object({
  username: usernameSchema,
  email: emailSchema,
  password: passwordSchema,
  ...profileFields,
});

const accountChanges = object({
  email: Type.Optional(emailSchema),
  ...profileFields,
  settings: Type.Optional(settingsSchema),
  current_password: Type.Optional(Type.String({ maxLength: 1024, description: 'required with new_password' })),
  new_password: Type.Optional(passwordSchema),
});

const pictureForm = object({
  file: Type.String({ contentMediaType: 'application/octet-stream', description: 'the image' }),
});

const searchQuery = object({
  search: Type.String({ minLength: 1, maxLength: 64 }),
  limit: defaulted(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const userRoutes: Route[] = [
  route({
    method: 'POST',
    path: '/users/create',
    operationId: 'createUser',
    tag: 'users',
    auth: false,
    summary: 'Register a new user',
    body: { 'application/json': registration },
    noStore: true,
    responses: {
      201: { description: 'registered', schema: createdUserSchema },
      400: errorResponse('malformed request'),
      409: errorResponse('username or email taken'),
      422: errorResponse('invalid field'),
      429: errorResponse('too many registrations from this address (see Retry-After)'),
    },
    rateLimits: [{ limit: 'register_ip', key: 'ip', onSuccess: 'keep' }],
    async handle({ body, parley, ctx }) {
      const user = await parley.accounts.register(body, { correlationId: ctx.state.requestId });
      return { status: 201, body: createdUserView(user) };
    },
  }),
  route({
    method: 'GET',
    path: '/users/me',
    operationId: 'getMe',
    tag: 'users',
    auth: true,
    summary: 'Your own profile and settings',
    noStore: true,
    responses: { 200: { description: 'your profile', schema: meSchema }, 401: errorResponse('not authenticated') },
    async handle({ principal, parley }) {
      return { status: 200, body: meView(await parley.accounts.profile(principal.user_id)) };
    },
  }),
  route({
    method: 'POST',
    path: '/users/update',
    operationId: 'updateMe',
    tag: 'users',
    auth: true,
    summary: 'Change your profile, settings or password (all given fields at once, or none)',
    description: 'A request without a body changes nothing and answers with your profile, whatever its Content-Type.',
    body: { 'application/json': accountChanges },
    noStore: true,
    responses: {
      200: { description: 'the updated profile', schema: meSchema },
      400: errorResponse('malformed request'),
      401: errorResponse('not authenticated, or wrong current password'),
      409: errorResponse('email taken'),
      422: errorResponse('invalid field'),
    },
    async handle({ principal, body, parley, ctx }) {
      const user = await parley.accounts.update(principal, body, { correlationId: ctx.state.requestId });
      return { status: 200, body: meView(user) };
    },
  }),
  route({
    method: 'PATCH',
    path: '/users/add_picture',
    operationId: 'setPicture',
    tag: 'users',
    auth: true,
    summary: 'Upload your profile picture (PNG, JPEG, GIF or WebP, at most 5 MiB)',
    body: { 'multipart/form-data': pictureForm, [MAX_BYTES]: MAX_PICTURE_BYTES },
    responses: {
      200: { description: 'stored', schema: object({ picture: Type.String() }) },
      400: errorResponse('no file'),
      401: errorResponse('not authenticated'),
      413: errorResponse('larger than 5 MiB'),
      415: errorResponse('not a PNG, JPEG, GIF or WebP image'),
    },
    async handle({ principal, parley, ctx }) {
      const files = ctx.request.files ?? {};
      const names = Object.keys(files);
      const file = files.file;
      if (!file || Array.isArray(file) || names.length !== 1) {
        throw new HttpError(400, 'invalid_request', "send exactly one file, in the form field 'file'");
      }
      if (file.size > MAX_PICTURE_BYTES)
        throw new HttpError(413, 'payload_too_large', 'the picture is larger than 5 MiB');
      const bytes = await readFile(file.filepath);
      await parley.accounts.setPicture(principal, bytes, { correlationId: ctx.state.requestId });
      return { status: 200, body: { picture: `/users/${encodeURIComponent(principal.username)}/picture` } };
    },
  }),
  route({
    method: 'GET',
    path: '/users',
    operationId: 'searchUsers',
    tag: 'users',
    auth: false,
    summary: 'Find users whose username starts with a prefix (case-insensitive), sorted by username',
    query: searchQuery,
    responses: {
      200: { description: 'matching users', schema: object({ users: Type.Array(publicUserSchema) }) },
      400: errorResponse('malformed query'),
    },
    async handle({ query, parley }) {
      const users = await parley.accounts.search(query.search, query.limit);
      return { status: 200, body: { users: users.map(publicUserView) } };
    },
  }),
  route({
    method: 'GET',
    path: '/users/{username}',
    operationId: 'getUser',
    tag: 'users',
    auth: false,
    summary: "A user's public profile (username matched case-insensitively)",
    params: usernameParam,
    responses: { 200: { description: 'the profile', schema: publicUserSchema }, 404: errorResponse('no such user') },
    async handle({ params, parley }) {
      return { status: 200, body: publicUserView(await parley.accounts.profileByName(params.username)) };
    },
  }),
  route({
    method: 'GET',
    path: '/users/{username}/picture',
    operationId: 'getPicture',
    tag: 'users',
    auth: false,
    summary: "A user's profile picture",
    params: usernameParam,
    responses: {
      200: { description: 'the image bytes, with an ETag', contentType: 'image/*' },
      304: { description: 'not modified (If-None-Match matched)' },
      404: errorResponse('no such user, or no picture'),
    },
    async handle({ params, parley, ctx }) {
      const picture = await parley.accounts.picture(params.username);
      if (!picture) throw new HttpError(404, 'picture_not_found', 'this user has no picture');
      // The URL stays the same when the picture changes, so caches must revalidate; the ETag is the hash.
      sendCacheable(ctx, {
        etag: picture.id,
        contentType: picture.content_type,
        bytes: picture.bytes,
        cacheControl: 'public, max-age=60, must-revalidate',
      });
    },
  }),
];
