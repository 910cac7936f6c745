import { expect } from 'chai';
import { ConcurrencyError, type AppendResult, type Engine } from '../../src/store/ports';
import { forEachEngine, useEngine } from '../helpers/engines';
import { appendOptions, chatEvent, positionsUpTo, record } from './fixtures';

forEachEngine('event store', (kind) => {
  const fixture = useEngine(kind);
  const store = () => fixture.engine.events;

  it('appends to a new stream at expected version 0, numbering versions from 1 and positions from 1', async () => {
    const result = await store().append(
      [{ stream: 's-1', expectedVersion: 0, events: [chatEvent('a'), chatEvent('b')] }],
      appendOptions(),
    );
    expect(result.events.map((e) => [e.stream, e.version, e.position])).to.deep.equal([
      ['s-1', 1, 1],
      ['s-1', 2, 2],
    ]);
    expect(result.position).to.equal(2);
    expect(await store().headPosition()).to.equal(2);
    const loaded = await store().readStreams(['s-1', 's-none']);
    expect(loaded.events.map((e) => e.data)).to.deep.equal(result.events.map((e) => e.data));
    expect(loaded.events[0]).to.deep.equal(result.events[0]);
    expect([...loaded.versions]).to.deep.equal([
      ['s-1', 2],
      ['s-none', 0],
    ]);
  });

  it('refuses an append at a stale version with ConcurrencyError, storing nothing', async () => {
    await store().append([{ stream: 's-1', expectedVersion: 0, events: [chatEvent()] }], appendOptions());
    const error = await store()
      .append([{ stream: 's-1', expectedVersion: 0, events: [chatEvent()] }], appendOptions())
      .catch((e) => e);
    expect(error).to.be.instanceOf(ConcurrencyError);
    expect(error).to.include({ stream: 's-1', expected: 0, actual: 1 });
    expect(await store().headPosition()).to.equal(1);
    const ahead = await store()
      .append([{ stream: 's-1', expectedVersion: 5, events: [chatEvent()] }], appendOptions())
      .catch((e) => e);
    expect(ahead).to.be.instanceOf(ConcurrencyError);
  });

  it("appends with expected version 'any' after whatever the stream holds", async () => {
    await store().append([{ stream: 's-1', expectedVersion: 'any', events: [chatEvent()] }], appendOptions());
    const second = await store().append(
      [{ stream: 's-1', expectedVersion: 'any', events: [chatEvent()] }],
      appendOptions(),
    );
    expect(second.events[0].version).to.equal(2);
  });

  it('appends to several streams atomically: a conflict on one stores nothing on the others', async () => {
    await store().append([{ stream: 'taken', expectedVersion: 0, events: [chatEvent()] }], appendOptions());
    const error = await store()
      .append(
        [
          { stream: 'fresh', expectedVersion: 0, events: [chatEvent()] },
          { stream: 'taken', expectedVersion: 0, events: [chatEvent()] },
        ],
        appendOptions(),
      )
      .catch((e) => e);
    expect(error).to.be.instanceOf(ConcurrencyError);
    expect(error.stream).to.equal('taken');
    expect((await store().readStreams(['fresh'])).events).to.deep.equal([]);

    const both = await store().append(
      [
        { stream: 'fresh', expectedVersion: 0, events: [chatEvent()] },
        { stream: 'taken', expectedVersion: 1, events: [chatEvent()] },
      ],
      appendOptions(),
    );
    expect(both.events.map((e) => [e.stream, e.version, e.position])).to.deep.equal([
      ['fresh', 1, 2],
      ['taken', 2, 3],
    ]);
    const loaded = await store().readStreams(['taken', 'fresh']);
    expect(loaded.events.map((e) => e.position)).to.deep.equal([1, 2, 3]);
  });

  it('stores event data and metadata exactly as given (no field added or dropped)', async () => {
    const options = {
      time: '2026-01-02T03:04:05.678Z',
      metadata: { correlation_id: 'c-1', causation_id: 'k-1', user_id: 'u-1' },
    };
    const event = {
      type: 'ProfileUpdated' as const,
      data: { user_id: 'u-1', changes: { first_name: 'Ann', last_name: null, phone: '+1 555' } },
    };
    await store().append([{ stream: 'user-u-1', expectedVersion: 'any', events: [event] }], options);
    const [stored] = await store().readAll(0, 10);
    expect(stored).to.deep.include({
      type: 'ProfileUpdated',
      data: event.data,
      metadata: options.metadata,
      time: options.time,
      schema_version: 1,
    });
    expect(stored.id).to.be.a('string').with.length(36);
  });

  it('reads the whole log in pages by position', async () => {
    for (let i = 0; i < 5; i++)
      await store().append([{ stream: `s-${i}`, expectedVersion: 0, events: [chatEvent(`${i}`)] }], appendOptions());
    expect((await store().readAll(0, 2)).map((e) => e.position)).to.deep.equal([1, 2]);
    expect((await store().readAll(2, 10)).map((e) => e.position)).to.deep.equal([3, 4, 5]);
    expect(await store().readAll(5, 10)).to.deep.equal([]);
  });

  it('commits appends made together independently: one conflict fails only its own append', async () => {
    await store().append([{ stream: 'busy', expectedVersion: 0, events: [chatEvent()] }], appendOptions());
    const outcomes = await Promise.allSettled([
      store().append([{ stream: 'a', expectedVersion: 0, events: [chatEvent()] }], appendOptions()),
      store().append([{ stream: 'busy', expectedVersion: 0, events: [chatEvent()] }], appendOptions()),
      store().append([{ stream: 'b', expectedVersion: 0, events: [chatEvent()] }], appendOptions()),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).to.be.instanceOf(ConcurrencyError);
    expect((await store().readAll(0, 10)).map((e) => e.stream)).to.deep.equal(['busy', 'a', 'b']);
  });

  it('lets exactly one of many concurrent appends at one expected version win', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        store().append([{ stream: 'contended', expectedVersion: 0, events: [chatEvent()] }], appendOptions()),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected'))
      expect((o).reason).to.be.instanceOf(ConcurrencyError);
    expect((await store().readStreams(['contended'])).versions.get('contended')).to.equal(1);
  });

  it('keeps one gap-free log in commit order with concurrent writers in two instances', async () => {
    const other = await fixture.storage.open();
    const follower = record(store(), 0);
    const writers: Engine[] = [fixture.engine, other];
    const PER_WRITER = 40;
    // Every writer appends to its own streams and, with retries, to one shared stream.
    const results = await Promise.all(
      writers.flatMap((engine, w) =>
        Array.from({ length: PER_WRITER }, async (_, i): Promise<AppendResult> => {
          if (i % 4 !== 0)
            return engine.events.append(
              [{ stream: `w${w}-${i}`, expectedVersion: 0, events: [chatEvent()] }],
              appendOptions(),
            );
          for (;;) {
            const { versions } = await engine.events.readStreams(['shared']);
            try {
              return await engine.events.append(
                [{ stream: 'shared', expectedVersion: versions.get('shared')!, events: [chatEvent()] }],
                appendOptions(),
              );
            } catch (error) {
              if (!(error instanceof ConcurrencyError)) throw error;
            }
          }
        }),
      ),
    );
    const total = writers.length * PER_WRITER;
    expect(results.map((r) => r.position).sort((a, b) => a - b)).to.deep.equal(positionsUpTo(total));

    await follower.reach(total);
    expect(follower.events.map((e) => e.position)).to.deep.equal(positionsUpTo(total));
    const shared = (await store().readStreams(['shared'])).events;
    expect(shared.map((e) => e.version)).to.deep.equal(positionsUpTo(shared.length));
    expect(shared.length).to.equal(writers.length * (PER_WRITER / 4));
    // Versions of the shared stream rise with positions: position order is commit order.
    expect(shared.map((e) => e.position)).to.deep.equal([...shared.map((e) => e.position)].sort((a, b) => a - b));
    await follower.subscription.stop();
  });
});
