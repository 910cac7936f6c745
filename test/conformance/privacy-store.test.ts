import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { RawEvent } from '../../src/events/upcasters';
import { protectEngine, protectionOf } from '../../src/privacy';
import { migrateLog } from '../../src/privacy/migrate';
import { forEachEngine, useEngine } from '../helpers/engines';
import { appendOptions } from './fixtures';

const MASTER = randomBytes(32);

function plainChat(position: number, from: string, text: string): RawEvent {
  return {
    id: randomUUID(),
    position,
    stream: `chat-m${position}`,
    version: 1,
    type: 'ChatMessagePosted',
    schema_version: 1,
    time: '2025-05-05T05:05:05.000Z',
    data: { message_id: `m${position}`, from_id: from, from: from.toUpperCase(), text },
    metadata: { correlation_id: 'c', causation_id: 'k' },
  };
}

forEachEngine('the key store and the protected event store', (kind) => {
  const fixture = useEngine(kind);
  const keys = () => fixture.engine.privacy.keys;

  it('creates a key once, keeps it against a second create, and leaves a tombstone that always wins', async () => {
    const first = await keys().create('u1', Buffer.from('wrapped-1'));
    expect(first).to.deep.equal({ user_id: 'u1', wrapped: Buffer.from('wrapped-1'), erased_at: null });
    expect(await keys().create('u1', Buffer.from('wrapped-2'))).to.deep.equal(first);
    await keys().erase('u1', '2026-01-01T00:00:00.000Z');
    await keys().erase('u1', '2026-02-02T00:00:00.000Z');
    expect(await keys().get('u1')).to.deep.equal({
      user_id: 'u1',
      wrapped: null,
      erased_at: '2026-01-01T00:00:00.000Z',
    });
    expect((await keys().create('u1', Buffer.from('wrapped-3'))).wrapped).to.equal(null);
    await keys().importKeys([
      { user_id: 'u1', wrapped: Buffer.from('imported'), erased_at: null },
      { user_id: 'u2', wrapped: Buffer.from('k2'), erased_at: null },
      { user_id: 'u3', wrapped: null, erased_at: '2026-03-03T00:00:00.000Z' },
    ]);
    const listed = [];
    for await (const key of keys().list()) listed.push(key);
    expect(listed.map((k) => [k.user_id, k.wrapped?.toString() ?? null])).to.deep.equal([
      ['u1', null],
      ['u2', 'k2'],
      ['u3', null],
    ]);
    expect(await keys().getMeta('x')).to.equal(null);
    await keys().setMeta('x', '1');
    await keys().setMeta('x', '2');
    expect(await keys().getMeta('x')).to.equal('2');
  });

  it('stores personal fields encrypted, reads them decrypted, and erased once the key is gone', async () => {
    const engine = protectEngine(fixture.engine, MASTER);
    const text = `secret ${randomUUID()}`;
    await engine.events.append(
      [
        {
          stream: 'chat-m1',
          expectedVersion: 0,
          events: [{ type: 'ChatMessagePosted', data: { message_id: 'm1', from_id: 'u9', from: 'nine', text } }],
        },
      ],
      appendOptions(),
    );
    const [raw] = await fixture.engine.privacy.readRaw(0, 10);
    expect(raw.data.text).to.match(/^pii:v1:/);
    expect((await engine.events.readAll(0, 10))[0].data).to.include({ text });
    await protectionOf(engine)!.ring.erase('u9', '2026-01-01T00:00:00.000Z');
    expect((await engine.events.readAll(0, 10))[0].data).to.include({ text: '' });
  });

  it('migrates plaintext events in place: data and claim stream names rewritten, nothing else', async () => {
    const claim: RawEvent = {
      ...plainChat(2, 'u1', ''),
      stream: 'email-a@example.test',
      type: 'EmailClaimed',
      data: { key: 'a@example.test', user_id: 'u1' },
    };
    await fixture.engine.events.importEvents([plainChat(1, 'u1', 'old text'), claim]);
    const result = await migrateLog(fixture.engine, MASTER);
    expect(result).to.include({ scanned: 2, rewritten: 2 });
    const after = await fixture.engine.privacy.readRaw(0, 10);
    expect(after.map((e) => [e.position, e.id, e.version, e.type])).to.deep.equal(
      [plainChat(1, 'u1', ''), claim].map((e, i) => [i + 1, after[i].id, 1, e.type]),
    );
    expect(after[0].data.text).to.match(/^pii:v1:/);
    expect(after[1].stream).to.match(/^email-h1:[0-9a-f]{64}$/);
    expect(after[1].data.key).to.equal(after[1].stream.slice('email-'.length));
    const engine = protectEngine(fixture.engine, MASTER);
    expect((await engine.events.readAll(0, 1))[0].data).to.include({ text: 'old text' });
    const claims = await engine.events.readStreams(['email-a@example.test']);
    expect(claims.versions.get('email-a@example.test')).to.equal(1);
    expect(claims.events[0].data).to.deep.equal({ key: 'a@example.test', user_id: 'u1' });
    expect((await migrateLog(fixture.engine, MASTER)).rewritten).to.equal(0);
  });

  it('deletes picture bytes', async () => {
    await fixture.engine.pictures.put('p1', 'image/png', Buffer.from('png'));
    await fixture.engine.pictures.delete('p1');
    await fixture.engine.pictures.delete('never-stored');
    expect(await fixture.engine.pictures.get('p1')).to.equal(null);
  });
});
