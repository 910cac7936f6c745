import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, TEXT_MAX, USERNAME_MAX, USERNAME_MIN } from '../commands/rules';
import type { Schema } from './validation';

/**
 * JSON Schemas shared by the routes: they validate requests and, unchanged, describe the API in
 * the OpenAPI document. Shapes only; the deciders own the finer rules.
 */
export const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object', properties, required, additionalProperties: false,
});

const nullableString = (maxLength: number, description: string): Schema => ({ type: ['string', 'null'], maxLength, description });

// Lengths below the domain's minimum are the deciders' to refuse (422 with the rule); the schemas only
// cap sizes generously against abuse, so that a well-formed but invalid value is never a 400.
export const usernameSchema: Schema = { type: 'string', maxLength: USERNAME_MAX * 2, description: `${USERNAME_MIN}–${USERNAME_MAX} letters, digits, _ . -; case-insensitive` };
export const passwordSchema: Schema = { type: 'string', maxLength: PASSWORD_MAX * 4, description: `${PASSWORD_MIN}–${PASSWORD_MAX} characters` };
export const emailSchema: Schema = { type: 'string', maxLength: EMAIL_MAX };
export const textSchema: Schema = { type: 'string', maxLength: TEXT_MAX * 2, description: `1–${TEXT_MAX} characters once trimmed` };
export const refSchema: Schema = { type: 'string', minLength: 1, maxLength: 128, description: 'client idempotency key: a resend with the same ref stores nothing new' };

export const profileFields: Record<string, Schema> = {
  first_name: nullableString(NAME_MAX, 'null clears it'),
  last_name: nullableString(NAME_MAX, 'null clears it'),
  phone: nullableString(NAME_MAX, 'null clears it'),
};

export const settingsSchema: Schema = object({
  pm_policy: { enum: ['everyone', 'nobody'], description: 'who may send you private messages' },
  phone_public: { type: 'boolean', description: 'whether your phone appears on your public profile' },
});

const pictureUrl: Schema = { type: ['string', 'null'], description: 'URL of the profile picture' };
const time: Schema = { type: 'string', format: 'date-time' };

export const publicUserSchema: Schema = object({
  username: { type: 'string' },
  first_name: { type: ['string', 'null'] },
  last_name: { type: ['string', 'null'] },
  picture: pictureUrl,
  phone: { type: ['string', 'null'], description: 'present only when the user made it public' },
}, ['username', 'first_name', 'last_name', 'picture']);

export const createdUserSchema: Schema = object({
  user_id: { type: 'string' },
  username: { type: 'string' },
  email: { type: 'string' },
  first_name: { type: ['string', 'null'] },
  last_name: { type: ['string', 'null'] },
  phone: { type: ['string', 'null'] },
}, ['user_id', 'username', 'email', 'first_name', 'last_name', 'phone']);

export const meSchema: Schema = object({
  ...(createdUserSchema.properties as Record<string, Schema>),
  picture: pictureUrl,
  settings: { ...settingsSchema, required: ['pm_policy', 'phone_public'] },
  created_at: time,
  updated_at: time,
}, ['user_id', 'username', 'email', 'first_name', 'last_name', 'phone', 'picture', 'settings', 'created_at', 'updated_at']);

export const tokenPairSchema: Schema = object({
  access_token: { type: 'string' },
  refresh_token: { type: 'string' },
  token_type: { const: 'bearer' },
  expires_in: { type: 'integer', description: 'access-token lifetime in seconds' },
}, ['access_token', 'refresh_token', 'token_type', 'expires_in']);

export const pmSchema: Schema = object({
  type: { const: 'pm' },
  id: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  text: { type: 'string' },
  sent_at: time,
}, ['type', 'id', 'from', 'to', 'text', 'sent_at']);

export const chatSchema: Schema = object({
  type: { const: 'chat' },
  id: { type: 'string' },
  from: { type: 'string' },
  text: { type: 'string' },
  sent_at: time,
}, ['type', 'id', 'from', 'text', 'sent_at']);

export const errorSchema: Schema = object({
  error: object({
    code: { type: 'string' },
    message: { type: 'string' },
    details: {},
  }, ['code', 'message']),
}, ['error']);

export const pageQuery = (maxLimit: number): Schema => object({
  before: { type: 'string', minLength: 1, maxLength: 64, description: 'id of a message: return only older ones' },
  limit: { type: 'integer', minimum: 1, maximum: maxLimit, default: 50 },
});

/** A documented error response: the one error shape. */
export const errorResponse = (description: string) => ({ description, schema: errorSchema });

/** A `{username}` path parameter (matched case-insensitively by the routes). */
export const usernameParam: Schema = object({ username: { type: 'string', minLength: 1, maxLength: 200 } }, ['username']);
