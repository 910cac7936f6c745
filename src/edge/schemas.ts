import {
  Type,
  type ObjectOptions,
  type SchemaOptions,
  type Static,
  type TProperties,
  type TSchema,
} from '@sinclair/typebox';
import {
  EMAIL_MAX,
  NAME_MAX,
  PASSWORD_MAX,
  PASSWORD_MIN,
  TEXT_MAX,
  USERNAME_MAX,
  USERNAME_MIN,
} from '../commands/rules';

/**
 * JSON Schemas shared by both edges, written with TypeBox: ajv validates requests with them, the
 * OpenAPI document shows them unchanged, and TypeScript reads the handlers' types off them
 * (Static<typeof schema>). Shapes only; the deciders own the finer rules.
 */

/** A closed object: unknown fields are refused. Properties not wrapped in Type.Optional are required. */
export const object = <T extends TProperties>(properties: T, options: ObjectOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** A constant, written as plain `{const}` (TypeBox's Literal would add a `type`). */
export const literal = <T extends string>(value: T, options: SchemaOptions = {}) =>
  Type.Unsafe<T>({ const: value, ...options });

/** One of a few strings, as plain `{enum}`. */
export const oneOfStrings = <T extends string>(values: readonly T[], options: SchemaOptions = {}) =>
  Type.Unsafe<T>({ enum: [...values], ...options });

/** `type: [t, 'null']`, as the document has always written it (TypeBox would write an anyOf). */
export const nullable = <T extends 'string' | 'integer'>(type: T, options: SchemaOptions = {}) =>
  Type.Unsafe<(T extends 'string' ? string : number) | null>({ type: [type, 'null'], ...options });

/**
 * An optional field with a `default`: optional to the client and in the schema, but always there
 * by the time a handler sees it (the parameter validator fills defaults in), so typed as present.
 */
export const defaulted = <T extends TSchema>(schema: T): T => Type.Optional(schema) as unknown as T;

export type { Static };

// Lengths below the domain's minimum are the deciders' to refuse (422 with the rule); the schemas only
// cap sizes generously against abuse, so that a well-formed but invalid value is never a 400.
export const usernameSchema = Type.String({
  maxLength: USERNAME_MAX * 2,
  description: `${USERNAME_MIN}–${USERNAME_MAX} letters, digits, _ . -; case-insensitive`,
});
export const passwordSchema = Type.String({
  maxLength: PASSWORD_MAX * 4,
  description: `${PASSWORD_MIN}–${PASSWORD_MAX} characters`,
});
export const emailSchema = Type.String({ maxLength: EMAIL_MAX });
export const textSchema = Type.String({
  maxLength: TEXT_MAX * 2,
  description: `1–${TEXT_MAX} characters once trimmed`,
});
export const refSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'client idempotency key: a resend with the same ref stores nothing new',
});

export const profileFields = {
  first_name: Type.Optional(nullable('string', { maxLength: NAME_MAX, description: 'null clears it' })),
  last_name: Type.Optional(nullable('string', { maxLength: NAME_MAX, description: 'null clears it' })),
  phone: Type.Optional(nullable('string', { maxLength: NAME_MAX, description: 'null clears it' })),
};

const settingsFields = {
  pm_policy: oneOfStrings(['everyone', 'nobody'], { description: 'who may send you private messages' }),
  phone_public: Type.Boolean({ description: 'whether your phone appears on your public profile' }),
  read_receipts: Type.Boolean({
    description: 'whether people whose private messages you read are told (receipt frames)',
  }),
};
export const settingsSchema = object({
  pm_policy: Type.Optional(settingsFields.pm_policy),
  phone_public: Type.Optional(settingsFields.phone_public),
  read_receipts: Type.Optional(settingsFields.read_receipts),
});

const pictureUrl = nullable('string', { description: 'URL of the profile picture' });
const time = Type.String({ format: 'date-time' });
const str = () => Type.String();
const nullableStr = () => nullable('string');

export const publicUserSchema = object({
  username: str(),
  first_name: nullableStr(),
  last_name: nullableStr(),
  picture: pictureUrl,
  phone: Type.Optional(nullable('string', { description: 'present only when the user made it public' })),
});

const createdUserFields = {
  user_id: str(),
  username: str(),
  email: str(),
  first_name: nullableStr(),
  last_name: nullableStr(),
  phone: nullableStr(),
};
export const createdUserSchema = object(createdUserFields);

export const meSchema = object({
  ...createdUserFields,
  picture: pictureUrl,
  settings: object(settingsFields),
  created_at: time,
  updated_at: time,
});

export const tokenPairSchema = object({
  access_token: str(),
  refresh_token: str(),
  token_type: literal('bearer'),
  expires_in: Type.Integer({ description: 'access-token lifetime in seconds' }),
});

/** Edits and deletes, in every message view. */
const changeFields = {
  text: nullable('string', { description: 'null once the message was deleted, or its sender erased their account' }),
  edited_at: Type.Unsafe<string | null>({
    type: ['string', 'null'],
    format: 'date-time',
    description: 'when the sender last edited it; null when never',
  }),
  deleted: Type.Boolean({ description: 'a tombstone: the message stays in the history without its text' }),
};
/** A message whose sender erased their account keeps its place: from and text null, erased true. */
const erased = Type.Optional(Type.Boolean({ description: "present (true) when the sender's account was erased" }));

export const pmSchema = object({
  type: literal('pm'),
  id: str(),
  from: nullable('string', { description: 'null when the sender erased their account' }),
  to: str(),
  ...changeFields,
  sent_at: time,
  erased,
});

export const chatSchema = object({
  type: literal('chat'),
  id: str(),
  from: nullable('string', { description: 'null when the sender erased their account' }),
  ...changeFields,
  sent_at: time,
  erased,
});

export const errorSchema = object({
  error: object({ code: str(), message: str(), details: Type.Optional(Type.Unknown()) }),
});

export const pageQuery = (maxLimit: number) =>
  object({
    before: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'id of a message: return only older ones' }),
    ),
    limit: defaulted(Type.Integer({ minimum: 1, maximum: maxLimit, default: 50 })),
  });

/** A documented error response: the one error shape. */
export const errorResponse = (description: string) => ({ description, schema: errorSchema });

/** A `{username}` path parameter (matched case-insensitively by the routes). */
export const usernameParam = object({ username: Type.String({ minLength: 1, maxLength: 200 }) });
