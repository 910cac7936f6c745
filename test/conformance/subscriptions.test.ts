import { expect } from 'chai';
import { forEachEngine, useEngine } from '../helpers/engines';
import { appendOptions, chatEvent, positionsUpTo, record, until } from './fixtures';

forEachEngine('subscriptions', (kind) => {
  const fixture = useEngine(kind);
  const store = () => fixture.engine.events;
  const appendChats = async (n: number, engine = fixture.engine) => {
    for (let i = 0; i < n; i++)
      await engine.events.append(
        [{ stream: `chat-${Math.random()}`, expectedVersion: 0, events: [chatEvent()] }],
        appendOptions(),
      );
  };

  it('catches up from the log, reports live, then delivers new appends in order', async () => {
    await appendChats(5);
    const recorder = record(store(), 0);
    await recorder.live;
    expect(recorder.events.map((e) => e.position)).to.deep.equal(positionsUpTo(5));
    await appendChats(3);
    await Promise.all([appendChats(2), appendChats(2)]);
    await recorder.reach(12);
    expect(recorder.events.map((e) => e.position)).to.deep.equal(positionsUpTo(12));
    expect(recorder.subscription.position).to.equal(12);
    await recorder.subscription.stop();
  });

  it('starts after the given position and respects the batch size', async () => {
    await appendChats(7);
    const recorder = record(store(), 3, { batchSize: 2 });
    await recorder.reach(7);
    expect(recorder.events.map((e) => e.position)).to.deep.equal([4, 5, 6, 7]);
    for (const batch of recorder.batches) expect(batch.length).to.be.at.most(2);
    await recorder.subscription.stop();
  });

  it('reports live on an empty log, then delivers the first append', async () => {
    const recorder = record(store(), 0);
    await recorder.live;
    expect(recorder.events).to.deep.equal([]);
    await appendChats(1);
    await recorder.reach(1);
    await recorder.subscription.stop();
  });

  it('delivers, live, what another instance appends, with no gap between catch-up and live', async () => {
    const other = await fixture.storage.open();
    await appendChats(3, other);
    const recorder = record(store(), 0);
    // Appends race the catch-up: none may fall between it and the live feed.
    await Promise.all([appendChats(10, other), appendChats(10), recorder.live]);
    await recorder.reach(23);
    expect(recorder.events.map((e) => e.position)).to.deep.equal(positionsUpTo(23));
    await recorder.subscription.stop();
  });

  it('stops on a failing handler, at the last batch it handled, and rejects done with the error', async () => {
    await appendChats(2);
    let calls = 0;
    const recorder = record(store(), 0, { batchSize: 1 }, () => {
      calls += 1;
      if (calls === 2) throw new Error('handler broke');
    });
    const error = await recorder.subscription.done.then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('handler broke');
    expect(recorder.subscription.position).to.equal(1);
    expect(recorder.events.map((e) => e.position)).to.deep.equal([1]);
  });

  it('delivers nothing after stop()', async () => {
    const recorder = record(store(), 0);
    await recorder.live;
    await recorder.subscription.stop();
    await recorder.subscription.done;
    await appendChats(2);
    // A second subscription sees both appends; the stopped one, having stopped first, does not.
    const witness = record(store(), 0);
    await witness.reach(2);
    await until(() => witness.events.length === 2, 'the witness');
    expect(recorder.events).to.deep.equal([]);
    await witness.subscription.stop();
  });
});
