import { expect } from 'chai';
import { syntheticLog } from '../src/cli/synthetic-log';
import type { EventType, ParleyEvent } from '../src/events';
import { createLogger } from '../src/log';
import { PROJECTIONS, type Projection } from '../src/projections';
import { rebuildProjections, selectProjections, UnknownProjectionError } from '../src/projections/rebuild';
import { ProjectionRunner } from '../src/projections/runner';
import type { Engine } from '../src/store/ports';
import { forEachEngine, useEngine } from './helpers/engines';

const USERS = 20;

/** Appends a synthetic log through the ordinary append path (every engine has it). */
async function appendSynthetic(engine: Engine, total: number, seed = 1): Promise<void> {
  for (const batch of syntheticLog(total, 500, seed)) {
    await Promise.all(
      batch.map((e) =>
        engine.events.append(
          [
            {
              stream: e.stream,
              expectedVersion: 'any',
              events: [{ type: e.type as EventType, data: e.data } as ParleyEvent],
            },
          ],
          { metadata: e.metadata, time: e.time },
        ),
      ),
    );
  }
}

/** Everything the read-model port can answer about the synthetic users, sessions and messages. */
async function snapshot(engine: Engine): Promise<unknown> {
  const rm = engine.readModels;
  const ids = Array.from({ length: USERS }, (_, i) => `00000001-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
  const sessions = Array.from(
    { length: USERS },
    (_, i) => `00000002-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  );
  return {
    users: await Promise.all(ids.map((id) => rm.userById(id))),
    search: await rm.searchUsers('user1', 100),
    sessions: await Promise.all(sessions.map((id) => rm.session(id))),
    inboxes: await Promise.all(ids.map((id) => rm.inbox(id, 100))),
    conversations: await Promise.all(ids.slice(1).map((id) => rm.conversation(ids[0], id, { limit: 1000 }))),
    chat: await rm.chat({ limit: 100_000 }),
    checkpoints: await Promise.all(PROJECTIONS.map((p) => rm.checkpoint(p.name))),
  };
}

/** Builds the read models the way a running server does: a projection runner following the log. */
async function projectIncrementally(engine: Engine): Promise<void> {
  const runner = new ProjectionRunner(engine, PROJECTIONS, createLogger('silent'));
  await runner.start();
  await runner.stop();
}

describe('selecting projections to rebuild', () => {
  it('takes every projection when none is named, and refuses unknown names', () => {
    expect(selectProjections([]).map((p) => p.name)).to.deep.equal(PROJECTIONS.map((p) => p.name));
    expect(selectProjections(['chat', 'users']).map((p) => p.name)).to.deep.equal(['users', 'chat']);
    expect(() => selectProjections(['users', 'nope'])).to.throw(
      UnknownProjectionError,
      /unknown projection: nope \(known: users, sessions/,
    );
  });
});

forEachEngine('rebuilding read models', (kind) => {
  const fixture = useEngine(kind);
  const TOTAL = 2_000; // USERS = TOTAL / 100, the synthetic log's ratio

  it('gives exactly what incremental projection gave, and sets every checkpoint to the head', async () => {
    const { engine } = fixture;
    await appendSynthetic(engine, TOTAL);
    await projectIncrementally(engine);
    const incremental = await snapshot(engine);

    const result = await rebuildProjections(engine, PROJECTIONS, { batchSize: 300 });
    expect(result).to.include({ events: TOTAL, position: TOTAL });
    expect(await snapshot(engine)).to.deep.equal(incremental);
    for (const p of PROJECTIONS) expect(await engine.readModels.checkpoint(p.name)).to.equal(TOTAL);
  });

  it('rebuilds only the named projections', async () => {
    const { engine } = fixture;
    await appendSynthetic(engine, 500);
    await rebuildProjections(engine, selectProjections(['chat']));
    expect(await engine.readModels.checkpoint('chat')).to.equal(500);
    expect(await engine.readModels.checkpoint('users')).to.equal(0);
    expect(await engine.readModels.userById('00000001-0000-4000-8000-000000000000')).to.equal(null);
  });

  it('does not lose events appended while it runs, before or at the promotion', async () => {
    const { engine } = fixture;
    await appendSynthetic(engine, 1_000);
    await projectIncrementally(engine);
    let appendedDuringScan = false;
    let appendedAtPromotion = false;
    const more = [...syntheticLog(1_600, 600, 1)].flat().slice(1_000);
    const appendSome = (events: typeof more) =>
      Promise.all(
        events.map((e) =>
          engine.events.append(
            [{ stream: e.stream, expectedVersion: 'any', events: [{ type: e.type, data: e.data } as ParleyEvent] }],
            { metadata: e.metadata, time: e.time },
          ),
        ),
      );
    const result = await rebuildProjections(engine, PROJECTIONS, {
      batchSize: 200,
      onProgress: async (p) => {
        // Another writer (the server) appends while the rebuild scans, and again right as it promotes.
        if (p.phase === 'scan' && !appendedDuringScan) {
          appendedDuringScan = true;
          await appendSome(more.slice(0, 300));
        } else if (p.phase === 'promote' && !appendedAtPromotion) {
          appendedAtPromotion = true;
          await appendSome(more.slice(300));
        }
      },
    });
    const head = await engine.events.headPosition();
    expect(head).to.equal(1_600);
    expect(appendedAtPromotion).to.equal(true);
    // Whatever the rebuild did not apply itself, a following projector takes from its checkpoint.
    expect(result.position).to.be.at.least(1_300);
    // The embedded engine re-checks the head inside the swap, so the rebuild caught up with both.
    if (kind.name === 'sqlite') expect(result.position).to.equal(1_600);
    await projectIncrementally(engine);
    const rebuilt = await snapshot(engine);

    // The same log appended without a rebuild in the way, on storage of its own.
    const storage = kind.storage();
    const fresh = await storage.open();
    try {
      await appendSynthetic(fresh, 1_600);
      await projectIncrementally(fresh);
      expect(rebuilt).to.deep.equal(await snapshot(fresh));
    } finally {
      await fresh.close();
      await storage.destroy();
    }
  });

  it('leaves the live read models and checkpoints as they were when a projection fails', async () => {
    const { engine } = fixture;
    await appendSynthetic(engine, 800);
    await projectIncrementally(engine);
    const before = await snapshot(engine);
    const failing: Projection = {
      name: 'users',
      project: (event) => {
        if (event.position === 700) throw new Error('cannot handle this one');
        return PROJECTIONS[0].project(event);
      },
    };
    const error = await rebuildProjections(engine, [failing, ...PROJECTIONS.slice(1)], { batchSize: 100 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('projection users failed on the event at position 700: cannot handle this one');
    expect(await snapshot(engine)).to.deep.equal(before);
    // The discarded shadow does not get in the way of the next rebuild.
    await rebuildProjections(engine, PROJECTIONS);
    expect(await snapshot(engine)).to.deep.equal(before);
  });

  it('stops between batches when aborted, leaving the live read models in place', async () => {
    const { engine } = fixture;
    await appendSynthetic(engine, 600);
    await projectIncrementally(engine);
    const before = await snapshot(engine);
    const abort = new AbortController();
    const error = await rebuildProjections(engine, PROJECTIONS, {
      batchSize: 100,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.position >= 300) abort.abort(new Error('operator pressed ctrl-c'));
      },
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('operator pressed ctrl-c');
    expect(await snapshot(engine)).to.deep.equal(before);
  });
});
