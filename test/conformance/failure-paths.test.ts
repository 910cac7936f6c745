import { expect } from 'chai';
import type { RawEvent } from '../../src/events/upcasters';
import { CheckpointMovedError } from '../../src/store/read-models';
import { EventTooLargeError, ImportConflictError, type Engine } from '../../src/store/ports';
import { forEachEngine, MONGO_KIND, useEngine } from '../helpers/engines';
import { client } from '../helpers/http';
import { startTestServer } from '../helpers/server';
import { appendOptions, chatEvent, until } from './fixtures';

forEachEngine('failure paths', (kind) => {
  const fixture = useEngine(kind);

  it("refuses all but one of two instances' first applies of a projection with CheckpointMovedError", async () => {
    // Two engines on one storage, like two app instances: their first checkpoint inserts race.
    const other = await fixture.storage.open();
    for (let round = 0; round < 10; round++) {
      const projection = `race-${round}`;
      const outcomes = await Promise.allSettled([
        fixture.engine.readModels.apply(projection, [], 0, 5),
        other.readModels.apply(projection, [], 0, 7),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won, `round ${round}`).to.have.length(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason, `round ${round}`).to.be.instanceOf(CheckpointMovedError);
      expect(await other.readModels.checkpoint(projection)).to.equal(outcomes[0].status === 'fulfilled' ? 5 : 7);
    }
  });
});

/** The feed mode /readyz reports, ready (200) or not yet (503, while projections catch up). */
const readyFeed = (body: { feed?: { mode: string }; error?: { details?: { feed?: { mode: string } } } }) =>
  (body.feed ?? body.error?.details?.feed)?.mode;

/** What only the MongoDB engine meets: its size limit, its counter document, its change stream. */
if (MONGO_KIND) {
  describe('failure paths [mongo only]', () => {
    const fixture = useEngine(MONGO_KIND!);
    const store = () => fixture.engine.events;

    async function withDb<T>(run: (db: import('mongodb').Db) => Promise<T>): Promise<T> {
      const { MongoClient } = await import('mongodb');
      const raw = new MongoClient(fixture.storage.env.MONGO_URL);
      try {
        return await run(raw.db(fixture.storage.env.MONGO_DB));
      } finally {
        await raw.close();
      }
    }

    it('fails only the oversized append of a group; the others are stored, without gaps', async () => {
      const huge = 'x'.repeat(16 * 1024 * 1024);
      // Made in one turn of the event loop, so that they are committed as one group.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store().append(
            [{ stream: `chat-${i}`, expectedVersion: 0, events: [chatEvent(i === 7 ? huge : `line ${i}`)] }],
            appendOptions(),
          ),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o).reason))
        .to.have.length(1)
        .and.to.satisfy((errors: unknown[]) => errors[0] instanceof EventTooLargeError);
      expect(outcomes[7].status).to.equal('rejected');
      const stored = (await store().readAll(0, 100)).map((e) => e.position);
      expect(stored).to.deep.equal(Array.from({ length: 19 }, (_, i) => i + 1));
    });

    it('starts a missing counter at the highest stored position, in a running engine and on start-up', async () => {
      for (let i = 0; i < 3; i++)
        await store().append([{ stream: `s-${i}`, expectedVersion: 0, events: [chatEvent()] }], appendOptions());
      await withDb((db) => db.collection('counters').deleteMany({}));
      const next = await store().append(
        [{ stream: 's-3', expectedVersion: 0, events: [chatEvent()] }],
        appendOptions(),
      );
      expect(next.position).to.equal(4);

      await withDb((db) => db.collection('counters').deleteMany({}));
      const reopened: Engine = await fixture.storage.open();
      expect(
        await withDb((db) => db.collection<{ _id: string; position: number }>('counters').findOne({ _id: 'events' })),
      ).to.deep.equal({ _id: 'events', position: 4 });
      expect(
        (await reopened.events.append([{ stream: 's-4', expectedVersion: 0, events: [chatEvent()] }], appendOptions()))
          .position,
      ).to.equal(5);
      expect(await store().headPosition()).to.equal(5);
    });

    it('imports after the highest stored position when the counter is missing, and refuses positions below it', async () => {
      const [first] = (
        await store().append(
          [{ stream: 's-1', expectedVersion: 0, events: [chatEvent(), chatEvent()] }],
          appendOptions(),
        )
      ).events;
      await withDb((db) => db.collection('counters').deleteMany({}));
      const raw = (position: number, stream: string): RawEvent => ({
        ...(first as unknown as RawEvent),
        id: `imported-${position}`,
        stream,
        version: 1,
        position,
      });
      const refused = await store()
        .importEvents([raw(2, 'elsewhere')])
        .catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(ImportConflictError);
      await store().importEvents([raw(3, 'imported')]);
      expect(
        (await store().append([{ stream: 's-2', expectedVersion: 0, events: [chatEvent()] }], appendOptions()))
          .position,
      ).to.equal(4);
    });

    it('reports its change stream as push once it answers, and /readyz says so', async () => {
      await until(() => store().feedStatus?.().mode === 'push', 'the change stream to answer');
      const server = await startTestServer(fixture.storage.env);
      try {
        await until(
          async () => readyFeed((await client(server.url).get('/readyz')).body) === 'push',
          '/readyz to report push',
        );
      } finally {
        await server.stop();
      }
    });
  });
}
