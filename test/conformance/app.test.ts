import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { startParley } from '../../src/app';
import { DomainError } from '../../src/commands/decider';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { PROJECTIONS } from '../../src/projections';
import { ProjectionRunner } from '../../src/projections/runner';
import type { Engine } from '../../src/store/ports';
import { forEachEngine, useEngine } from '../helpers/engines';
import { TEST_SECRET } from '../helpers/server';
import { appendOptions, chatEvent } from './fixtures';

const log = createLogger('silent');
const ctx = () => ({ correlationId: `test-${Math.random()}` });

forEachEngine('projections and use cases', (kind) => {
  const fixture = useEngine(kind);

  const appendChats = async (engine: Engine, texts: string[]) => {
    for (const text of texts)
      await engine.events.append(
        [{ stream: `chat-${text}`, expectedVersion: 0, events: [chatEvent(text)] }],
        appendOptions(),
      );
  };
  const chatTexts = async (engine: Engine) =>
    (await engine.readModels.chat({ limit: 100 }))!.map((m) => m.text).reverse();

  it('projects the log, and after a restart resumes from its checkpoints without applying anything twice', async () => {
    await appendChats(fixture.engine, ['a', 'b', 'c']);
    const first = new ProjectionRunner(fixture.engine, PROJECTIONS, log);
    await first.start();
    expect(await chatTexts(fixture.engine)).to.deep.equal(['a', 'b', 'c']);
    await appendChats(fixture.engine, ['d']);
    expect(await first.waitFor(4)).to.equal(true);
    await first.stop();
    await fixture.engine.close();

    const reopened = await fixture.storage.open();
    for (const p of PROJECTIONS) expect(await reopened.readModels.checkpoint(p.name), p.name).to.equal(4);
    await appendChats(reopened, ['e', 'f']);
    const second = new ProjectionRunner(reopened, PROJECTIONS, log);
    await second.start();
    expect(await chatTexts(reopened)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(second.status().map((s) => [s.name, s.position, s.live, s.error])).to.deep.equal(
      PROJECTIONS.map((p) => [p.name, 6, true, null]),
    );
    await second.stop();
  });

  it('runs the projections of two instances side by side: every event applied once, both see the head', async () => {
    const other = await fixture.storage.open();
    const runners = [
      new ProjectionRunner(fixture.engine, PROJECTIONS, log),
      new ProjectionRunner(other, PROJECTIONS, log),
    ];
    await Promise.all(runners.map((r) => r.start()));
    const texts = Array.from({ length: 30 }, (_, i) => `m${i}`);
    // Both instances append, and both race to apply every batch to the shared read models.
    await Promise.all([
      appendChats(
        fixture.engine,
        texts.filter((_, i) => i % 2 === 0),
      ),
      appendChats(
        other,
        texts.filter((_, i) => i % 2 === 1),
      ),
    ]);
    const head = await fixture.engine.events.headPosition();
    expect(await Promise.all(runners.map((r) => r.waitFor(head)))).to.deep.equal([true, true]);
    expect((await chatTexts(fixture.engine)).sort()).to.deep.equal([...texts].sort());
    expect(await fixture.engine.readModels.checkpoint('chat')).to.equal(head);
    await Promise.all(runners.map((r) => r.stop()));
  });

  it('registers exactly one of two concurrent registrations of one username (any case)', async () => {
    const config = loadConfig({
      SECRET_KEY: TEST_SECRET,
      DATA_DIR: fixture.storage.env.DATA_DIR ?? '',
      LOG_LEVEL: 'silent',
    });
    const parley = await startParley(config, log, fixture.engine);
    const name = `racer${randomBytes(3).toString('hex')}`;
    const outcomes = await Promise.allSettled(
      [name, name.toUpperCase()].map((username, i) =>
        parley.accounts.register({ username, email: `${name}-${i}@example.test`, password: 'correct horse' }, ctx()),
      ),
    );
    expect(outcomes.map((o) => o.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).to.be.instanceOf(DomainError);
    expect(loser.reason.code).to.equal('username_taken');
    const winner = (outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ user_id: string }>)
      .value;
    expect((await fixture.engine.readModels.userByKey(name))?.user_id).to.equal(winner.user_id);
    await parley.projector.stop();
  });

  it('stores pictures by id: a round trip keeps every byte, a second put is harmless, an unknown id is null', async () => {
    const bytes = randomBytes(700_000); // several GridFS chunks
    await fixture.engine.pictures.put('pic-1', 'image/png', bytes);
    await fixture.engine.pictures.put('pic-1', 'image/png', bytes);
    const got = await fixture.engine.pictures.get('pic-1');
    expect(got?.content_type).to.equal('image/png');
    expect(got?.bytes.equals(bytes)).to.equal(true);
    expect(await fixture.engine.pictures.get('pic-2')).to.equal(null);
  });

  it('counts rate limits in the engine, so that every instance shares them', async () => {
    const other = await fixture.storage.open();
    const options = { keyPrefix: 'conformance', points: 2, duration: 60 };
    const here = fixture.engine.createRateLimiter(options);
    const there = other.createRateLimiter(options);
    await here.consume('1.2.3.4');
    await there.consume('1.2.3.4');
    const refused = await here.consume('1.2.3.4').catch((e) => e);
    expect(refused).to.be.instanceOf(RateLimiterRes);
    expect(refused.remainingPoints).to.equal(0);
    // Another key has its own budget.
    expect((await there.consume('5.6.7.8')).remainingPoints).to.equal(1);
  });
});
