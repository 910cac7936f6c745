import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_TYPES, streamOf, type EventOfType, type EventType, type StoredEvent } from '../src/events';
import { CURRENT_SCHEMA_VERSION } from '../src/events/upcasters';
import { PROJECTIONS } from '../src/projections';

/**
 * docs/events.md against the code: every event type, its data fields, schema version and stream,
 * and which projections consume it — found by running every projection on an example of each event.
 */

const EXAMPLES: { [T in EventType]: EventOfType<T>['data'] } = {
  UserRegistered: {
    user_id: 'u-1',
    username: 'Alice',
    username_key: 'alice',
    email: 'alice@example.test',
    first_name: 'Alice',
    last_name: null,
    phone: null,
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    settings: { pm_policy: 'everyone', phone_public: false },
  },
  ProfileUpdated: { user_id: 'u-1', changes: { first_name: 'Al' } },
  SettingsChanged: { user_id: 'u-1', changes: { pm_policy: 'nobody' } },
  PasswordChanged: { user_id: 'u-1', password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3' },
  PictureChanged: { user_id: 'u-1', picture: { id: 'ab'.repeat(32), content_type: 'image/png', size: 68 } },
  UserBlocked: { user_id: 'u-1', blocked_id: 'u-2', blocked: 'Bob' },
  UserUnblocked: { user_id: 'u-1', blocked_id: 'u-2', blocked: 'Bob' },
  UserErased: { user_id: 'u-1' },
  UsernameClaimed: { key: 'alice', user_id: 'u-1' },
  EmailClaimed: { key: 'alice@example.test', user_id: 'u-1' },
  EmailReleased: { key: 'old@example.test', user_id: 'u-1' },
  SessionStarted: {
    session_id: 's-1',
    user_id: 'u-1',
    username: 'Alice',
    refresh_id: 'r-1',
    expires_at: '2030-01-01T00:00:00.000Z',
  },
  SessionRefreshed: {
    session_id: 's-1',
    user_id: 'u-1',
    refresh_id: 'r-2',
    previous_refresh_id: 'r-1',
    expires_at: '2030-01-02T00:00:00.000Z',
  },
  SessionRevoked: { session_id: 's-1', user_id: 'u-1', reason: 'logout' },
  MessageSent: { message_id: 'm-1', from_id: 'u-1', from: 'Alice', to_id: 'u-2', to: 'Bob', text: 'hi', ref: 'r' },
  ChatMessagePosted: { message_id: 'm-2', from_id: 'u-1', from: 'Alice', text: 'hello', ref: 'r' },
  ConversationRead: {
    user_id: 'u-2',
    username: 'Bob',
    with_id: 'u-1',
    with: 'Alice',
    up_to: 'm-1',
    up_to_position: 7,
    receipt: true,
  },
  MessageEdited: {
    message_id: 'm-1',
    kind: 'pm',
    from_id: 'u-1',
    from: 'Alice',
    to_id: 'u-2',
    to: 'Bob',
    text: 'hi!',
    sent_at: '2026-01-01T00:00:00.000Z',
  },
  MessageDeleted: { message_id: 'm-1', kind: 'pm', from_id: 'u-1', to_id: 'u-2' },
};

function stored(type: EventType): StoredEvent {
  const event = { type, data: EXAMPLES[type] } as StoredEvent;
  return {
    ...event,
    id: `e-${type}`,
    position: 1,
    stream: streamOf(event),
    version: 1,
    time: '2026-01-01T00:00:00.000Z',
    metadata: { correlation_id: 'c', causation_id: 'c' },
    schema_version: CURRENT_SCHEMA_VERSION[type],
  };
}

const catalogue = readFileSync(path.join(__dirname, '..', 'docs', 'events.md'), 'utf8');

/** The text of the "### Type" section. */
function section(type: string): string {
  const start = catalogue.indexOf(`\n### ${type}\n`);
  expect(start, `docs/events.md has a section '### ${type}'`).to.be.above(-1);
  const rest = catalogue.slice(start + 1);
  const end = rest.slice(4).search(/\n#{2,3} /);
  return end === -1 ? rest : rest.slice(0, end + 4);
}

const line = (text: string, label: string): string => {
  const match = new RegExp(`^- \\*\\*${label}:\\*\\* (.+)$`, 'm').exec(text);
  expect(match, `a '${label}' line`).not.to.equal(null);
  return match![1];
};

describe('docs/events.md: the event catalogue', () => {
  it('has a section for every event type, and none for types that do not exist', () => {
    const documented = [...catalogue.matchAll(/^### (\w+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).to.deep.equal([...EVENT_TYPES].sort());
  });

  it('has an example here for every event type (so the checks below cover them all)', () => {
    expect(Object.keys(EXAMPLES).sort()).to.deep.equal([...EVENT_TYPES].sort());
  });

  for (const type of EVENT_TYPES) {
    describe(type, () => {
      it('states the current schema version', () => {
        expect(line(section(type), 'Schema version')).to.match(new RegExp(`^${CURRENT_SCHEMA_VERSION[type]}\\b`));
      });

      it('states the stream the event goes to', () => {
        const template = /^`([^`]+)`/.exec(line(section(type), 'Stream'))?.[1];
        const event = stored(type);
        const data = event.data as unknown as Record<string, string>;
        expect(template?.replace(/\{(\w+)\}/g, (_, field: string) => data[field])).to.equal(streamOf(event));
      });

      it('lists exactly the projections that consume it', () => {
        const consumers = PROJECTIONS.filter((p) => p.project(stored(type)).length > 0).map((p) => p.name);
        const stated = line(section(type), 'Consumed by')
          .replace(/\(.*\)/, '')
          .trim();
        expect(stated === 'none' ? [] : stated.split(/,\s*/)).to.deep.equal(consumers);
      });

      it('describes every data field, and no others', () => {
        const rows = [...section(type).matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
        expect(rows.sort()).to.deep.equal(Object.keys(EXAMPLES[type]).sort());
      });
    });
  }

  it('names every projection in its table', () => {
    for (const { name } of PROJECTIONS) expect(catalogue).to.match(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
