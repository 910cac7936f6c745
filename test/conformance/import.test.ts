import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { RawEvent } from '../../src/events/upcasters';
import { ImportConflictError } from '../../src/store/ports';
import { forEachEngine, useEngine } from '../helpers/engines';
import { appendOptions, chatEvent, record } from './fixtures';

function exported(position: number, stream: string, version: number): RawEvent {
  const message_id = randomUUID();
  return {
    id: randomUUID(),
    position,
    stream,
    version,
    type: 'ChatMessagePosted',
    schema_version: 1,
    time: '2025-05-05T05:05:05.000Z',
    data: { message_id, from_id: 'u-old', from: 'old', text: `imported ${position}` },
    metadata: { correlation_id: 'c', causation_id: 'k' },
  };
}

forEachEngine('importing exported events', (kind) => {
  const fixture = useEngine(kind);
  const store = () => fixture.engine.events;

  it('writes events exactly as exported, and later appends continue after them', async () => {
    const events = [exported(1, 'chat-a', 1), exported(2, 'chat-b', 1), exported(5, 'chat-a', 2)];
    await store().importEvents(events);
    expect(await store().readAll(0, 10)).to.deep.equal(events);
    expect(await store().headPosition()).to.equal(5);
    const appended = await store().append(
      [{ stream: 'chat-a', expectedVersion: 2, events: [chatEvent()] }],
      appendOptions(),
    );
    expect(appended.events.map((e) => [e.position, e.version])).to.deep.equal([[6, 3]]);
  });

  it('refuses, writing nothing, a position that is not after the head or the previous event', async () => {
    await store().append(
      [{ stream: 'chat-x', expectedVersion: 0, events: [chatEvent(), chatEvent()] }],
      appendOptions(),
    );
    const behind = await store().importEvents([exported(3, 'chat-c', 1), exported(2, 'chat-d', 1)]).catch((e) => e);
    expect(behind).to.be.instanceOf(ImportConflictError);
    expect(behind.position).to.equal(2);
    const atHead = await store().importEvents([exported(2, 'chat-e', 1)]).catch((e) => e);
    expect(atHead).to.be.instanceOf(ImportConflictError);
    expect(await store().headPosition()).to.equal(2);
  });

  it('refuses, writing nothing, a stream version already taken', async () => {
    await store().append([{ stream: 'chat-x', expectedVersion: 0, events: [chatEvent()] }], appendOptions());
    const error = await store().importEvents([exported(2, 'chat-new', 1), exported(3, 'chat-x', 1)]).catch((e) => e);
    expect(error).to.be.instanceOf(ImportConflictError);
    expect(error.position).to.equal(3);
    expect((await store().readAll(0, 10)).map((e) => e.stream)).to.deep.equal(['chat-x']);
    // The log goes on where it was.
    const next = await store().append(
      [{ stream: 'chat-y', expectedVersion: 0, events: [chatEvent()] }],
      appendOptions(),
    );
    expect(next.position).to.equal(2);
  });

  it('hands imported events to subscriptions', async () => {
    const recorder = record(store(), 0);
    await recorder.live;
    await store().importEvents([exported(1, 'chat-a', 1), exported(2, 'chat-b', 1)]);
    await recorder.reach(2);
    expect(recorder.events.map((e) => e.type === 'ChatMessagePosted' && e.data.text)).to.deep.equal([
      'imported 1',
      'imported 2',
    ]);
    await recorder.subscription.stop();
  });
});
