import type { EventMetadata, EventType, StoredEvent } from './index';

/**
 * Events are stored forever, so their shapes outlive the code that wrote them. Each event type has
 * a current schema version; an event stored with an older one is upgraded here, step by step, when
 * it is read, so deciders and projections only ever see current shapes. To change a shape: bump the
 * type's version in CURRENT_SCHEMA_VERSION and add the step from the previous version to UPCASTERS.
 */
export const CURRENT_SCHEMA_VERSION: Record<EventType, number> = {
  UserRegistered: 2,
  ProfileUpdated: 1,
  SettingsChanged: 1,
  PasswordChanged: 1,
  PictureChanged: 1,
  UserBlocked: 1,
  UserUnblocked: 1,
  UserErased: 1,
  UsernameClaimed: 1,
  EmailClaimed: 1,
  EmailReleased: 1,
  SessionStarted: 1,
  SessionRefreshed: 1,
  SessionRevoked: 1,
  MessageSent: 1,
  ChatMessagePosted: 1,
  ConversationRead: 1,
  MessageEdited: 1,
  MessageDeleted: 1,
};

type Step = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * The username key rule v1 registrations were claimed under, frozen: usernameKey in
 * commands/rules.ts may change in a later release, but what v1 events meant may not.
 */
const usernameKeyV1 = (username: string): string => username.normalize('NFKC').toLowerCase();

/** UPCASTERS[type][v] turns data of schema version v into version v + 1. */
export const UPCASTERS: Partial<Record<EventType, Record<number, Step>>> = {
  // v2 records the key the username was claimed under; v1 left every reader to recompute it.
  UserRegistered: { 1: (data) => ({ ...data, username_key: usernameKeyV1(String(data.username)) }) },
};

/** An event as an engine reads it back, before its data is brought up to date. */
export interface RawEvent {
  id: string;
  position: number;
  stream: string;
  version: number;
  type: string;
  time: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  schema_version: number;
}

export class UnknownEventError extends Error {
  constructor(readonly event: Pick<RawEvent, 'type' | 'schema_version' | 'position'>) {
    super(
      `event at position ${event.position} has unknown type or schema version: ${event.type} v${event.schema_version}`,
    );
  }
}

export function upcast(raw: RawEvent): StoredEvent {
  const type = raw.type as EventType;
  const current = CURRENT_SCHEMA_VERSION[type];
  if (current === undefined || raw.schema_version > current || raw.schema_version < 1) {
    throw new UnknownEventError(raw);
  }
  // The common case: already current, and the engines hand over a fresh object anyway.
  if (raw.schema_version === current) return raw as StoredEvent;
  let data = raw.data;
  for (let v = raw.schema_version; v < current; v++) {
    const step = UPCASTERS[type]?.[v];
    if (!step) throw new UnknownEventError(raw);
    data = step(data);
  }
  return { ...raw, type, data, schema_version: current } as StoredEvent;
}
