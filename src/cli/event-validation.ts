import Ajv, { type ValidateFunction } from 'ajv';
import { EVENT_TYPES, streamOf, type EventType } from '../events';
import { CURRENT_SCHEMA_VERSION, upcast, type RawEvent } from '../events/upcasters';

const ajv = new Ajv({ allErrors: false, strict: true });

const str = { type: 'string', minLength: 1 } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
});
const changes = (properties: Record<string, unknown>) => ({ type: 'object', properties, minProperties: 1 });
const pictureRef = obj({ id: str, content_type: str, size: { type: 'integer', minimum: 0 } });
const settingFields = {
  pm_policy: { enum: ['everyone', 'nobody'] },
  phone_public: { type: 'boolean' },
  read_receipts: { type: 'boolean' },
};
const messageKind = { enum: ['pm', 'chat'] } as const;
const messageFields = { message_id: str, from_id: str, from: str, text: { type: 'string' }, ref: { type: 'string' } };

/** The line around every event: what the log stores besides the event's own data. */
const envelope = ajv.compile(
  obj({
    position: { type: 'integer', minimum: 1 },
    id: str,
    stream: str,
    version: { type: 'integer', minimum: 1 },
    type: { enum: [...EVENT_TYPES] },
    schema_version: { type: 'integer', minimum: 1 },
    time: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' },
    data: { type: 'object' },
    metadata: obj(
      { correlation_id: { type: 'string' }, causation_id: { type: 'string' }, user_id: { type: 'string' } },
      ['correlation_id', 'causation_id'],
    ),
  }),
);

/**
 * Each type's data in its current shape (old shapes are upcast first). Fields parley reads must
 * be there with the right types; extra fields are let through, as a reader ignores them.
 */
const DATA_SCHEMAS: Record<EventType, object> = {
  UserRegistered: obj({
    user_id: str,
    username: str,
    username_key: str,
    password_hash: str,
    email: str,
    first_name: nullableStr,
    last_name: nullableStr,
    phone: nullableStr,
    settings: obj(settingFields, ['pm_policy', 'phone_public']),
  }),
  ProfileUpdated: obj({
    user_id: str,
    changes: changes({ email: str, first_name: nullableStr, last_name: nullableStr, phone: nullableStr }),
  }),
  SettingsChanged: obj({ user_id: str, changes: changes(settingFields) }),
  PasswordChanged: obj({ user_id: str, password_hash: str }),
  PictureChanged: obj({ user_id: str, picture: { anyOf: [{ type: 'null' }, pictureRef] } }),
  UserBlocked: obj({ user_id: str, blocked_id: str, blocked: str }),
  UserUnblocked: obj({ user_id: str, blocked_id: str, blocked: str }),
  UserErased: obj({ user_id: str }),
  UsernameClaimed: obj({ key: str, user_id: str }),
  EmailClaimed: obj({ key: str, user_id: str }),
  EmailReleased: obj({ key: str, user_id: str }),
  SessionStarted: obj({ session_id: str, user_id: str, username: str, refresh_id: str, expires_at: str }),
  SessionRefreshed: obj({ session_id: str, user_id: str, refresh_id: str, previous_refresh_id: str, expires_at: str }),
  SessionRevoked: obj({
    session_id: str,
    user_id: str,
    reason: { enum: ['logout', 'refresh_token_reuse', 'password_changed', 'account_erased'] },
  }),
  MessageSent: obj({ ...messageFields, to_id: str, to: str }, ['message_id', 'from_id', 'from', 'to_id', 'to', 'text']),
  ChatMessagePosted: obj(messageFields, ['message_id', 'from_id', 'from', 'text']),
  ConversationRead: obj({
    user_id: str,
    username: str,
    with_id: str,
    with: str,
    up_to: str,
    up_to_position: { type: 'integer', minimum: 1 },
    receipt: { type: 'boolean' },
  }),
  MessageEdited: obj({ ...messageFields, kind: messageKind, to_id: str, to: str, sent_at: str }, [
    'message_id',
    'kind',
    'from_id',
    'from',
    'text',
    'sent_at',
  ]),
  MessageDeleted: obj({ message_id: str, kind: messageKind, from_id: str, to_id: str }, [
    'message_id',
    'kind',
    'from_id',
  ]),
};

const dataValidators = Object.fromEntries(
  Object.entries(DATA_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
) as Record<EventType, ValidateFunction>;

const describe = (validate: ValidateFunction, where: string): string => {
  const e = validate.errors?.[0];
  if (!e) return `${where} is invalid`;
  const path = `${where}${e.instancePath.replaceAll('/', '.')}`;
  return `${path} ${e.message}${e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : ''}`;
};

/**
 * Checks one exported line: the envelope, a known type at a known schema version, data that
 * upcasts to the current shape, and a stream that follows from the event itself. Returns the
 * event as it is to be stored (its original schema version and data), or why it is refused.
 */
export function validateExportedEvent(value: unknown): { event: RawEvent } | { problem: string } {
  if (!envelope(value)) return { problem: describe(envelope, 'event') };
  const raw = value as unknown as RawEvent;
  const current = CURRENT_SCHEMA_VERSION[raw.type as EventType];
  if (raw.schema_version > current) {
    return {
      problem: `${raw.type} schema_version ${raw.schema_version} is newer than this release knows (${current}): import with a newer parley`,
    };
  }
  let upcast_;
  try {
    upcast_ = upcast(raw);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  const validateData = dataValidators[upcast_.type];
  if (!validateData(upcast_.data)) return { problem: describe(validateData, 'data') };
  const expectedStream = streamOf(upcast_);
  if (raw.stream !== expectedStream)
    return { problem: `stream is ${raw.stream}, but a ${raw.type} with this data belongs to ${expectedStream}` };
  return { event: raw };
}
