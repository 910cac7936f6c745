import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { syntheticLog } from '../../src/cli/synthetic-log';
import type { EventType, ParleyEvent } from '../../src/events';
import { createLogger } from '../../src/log';
import { PROJECTIONS } from '../../src/projections';
import { ProjectionRunner } from '../../src/projections/runner';
import type { Engine } from '../../src/store/ports';
import type { ReadModelStore } from '../../src/store/read-models';
import { forEachEngine, useEngine } from '../helpers/engines';
import { LogCapture } from '../helpers/log-capture';

async function appendSynthetic(engine: Engine, total: number, seed: number): Promise<number> {
  let position = 0;
  for (const batch of syntheticLog(total, 200, seed)) {
    const results = await Promise.all(
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
    position = Math.max(position, ...results.map((r) => r.position));
  }
  return position;
}

/** Counts read-model writes per projection, so a test can tell which instance applied what. */
function countingApplies(
  engine: Engine,
  counts: Map<string, number>,
  fail?: (projection: string) => Error | null,
): Engine {
  const readModels = new Proxy(engine.readModels, {
    get(target, property) {
      if (property === 'apply') {
        const apply: ReadModelStore['apply'] = async (projection, ops, from, to) => {
          const error = fail?.(projection);
          if (error) throw error;
          counts.set(projection, (counts.get(projection) ?? 0) + 1);
          return target.apply(projection, ops, from, to);
        };
        return apply;
      }
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
  return {
    ...engine,
    name: engine.name,
    events: engine.events,
    leases: engine.leases,
    pictures: engine.pictures,
    readModels,
  };
}

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

forEachEngine('projection leases', (kind) => {
  const fixture = useEngine(kind);

  it('grants a lease to one holder at a time, renews it for that holder, and hands it over once it expired or was released', async () => {
    const leases = fixture.engine.leases;
    expect(await leases.acquire('p', 'a', 400)).to.equal(true);
    expect(await leases.acquire('p', 'b', 400)).to.equal(false);
    expect(await leases.acquire('p', 'a', 400)).to.equal(true);
    const [lease] = await leases.list();
    expect(lease).to.include({ name: 'p', holder: 'a' });
    expect(lease.expires_at.getTime()).to.be.greaterThan(Date.now());
    await sleep(500);
    expect(await leases.acquire('p', 'b', 400)).to.equal(true);
    expect(await leases.acquire('p', 'a', 400)).to.equal(false);
    await leases.release('p', 'a');
    expect(await leases.acquire('p', 'a', 400)).to.equal(false);
    await leases.release('p', 'b');
    expect(await leases.acquire('p', 'a', 400)).to.equal(true);
  });

  it('lets exactly one of two racing instances take a free lease', async () => {
    const other = await fixture.storage.open();
    const results = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => fixture.engine.leases.acquire('race', `a${i}`, 5_000)),
      ...Array.from({ length: 5 }, (_, i) => other.leases.acquire('race', `b${i}`, 5_000)),
    ]);
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it('has one instance apply each projection; the other follows its checkpoint and takes over when it stops', async function () {
    this.timeout(30_000);
    const log = createLogger('silent');
    const countsA = new Map<string, number>();
    const countsB = new Map<string, number>();
    const engineA = countingApplies(fixture.engine, countsA);
    const engineB = countingApplies(await fixture.storage.open(), countsB);
    const options = { leaseTtlMs: 1_000, renewEveryMs: 100 };
    const a = new ProjectionRunner(engineA, PROJECTIONS, log, { ...options, holder: 'instance-a' });
    await a.start();
    const b = new ProjectionRunner(engineB, PROJECTIONS, log, { ...options, holder: 'instance-b' });
    await b.start();
    try {
      for (const s of a.status()) expect(s.lease).to.deep.equal({ holder: 'instance-a', mine: true });
      for (const s of b.status()) expect(s.lease).to.deep.equal({ holder: 'instance-a', mine: false });

      // Appended through B; applied by A only; B's read-after-write waits on A's checkpoints.
      const head = await appendSynthetic(engineB, 600, 3);
      expect(await b.waitFor(head, 10_000)).to.equal(true);
      expect(await a.waitFor(head, 10_000)).to.equal(true);
      expect([...countsB.values()].reduce((x, y) => x + y, 0)).to.equal(0);
      expect(countsA.get('inbox')).to.be.greaterThan(0);
      for (const p of PROJECTIONS) {
        // Complete up to the head: events after the stored checkpoint change nothing in this read model.
        expect(await engineB.readModels.checkpoint(p.name)).to.be.at.most(head);
      }
      const userA = await engineA.readModels.searchUsers('', 1000);
      expect(await engineB.readModels.searchUsers('', 1000)).to.deep.equal(userA);

      await a.stop();
      await until(() => b.status().every((s) => s.lease.mine), 5_000, 'B to take the leases over');
      const more = await appendSynthetic(engineB, 300, 4);
      expect(await b.waitFor(more, 10_000)).to.equal(true);
      expect(countsB.get('inbox')).to.be.greaterThan(0);
      for (const s of b.status()) expect(s).to.include({ position: more, live: true, error: null });
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('retries a transient store error in a projection instead of stopping it, and logs it at warn', async function () {
    this.timeout(20_000);
    const capture = new LogCapture();
    let failures = 3;
    const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const engine = countingApplies(fixture.engine, new Map(), (projection) =>
      projection === 'users' && failures-- > 0 ? busy() : null,
    );
    const runner = new ProjectionRunner(engine, PROJECTIONS, createLogger('warn', capture), { holder: 'solo' });
    await runner.start();
    try {
      const head = await appendSynthetic(engine, 100, 5);
      const sampled: unknown[] = [];
      const sampler = setInterval(() => sampled.push(runner.status().find((s) => s.name === 'users')!.error), 5);
      expect(await runner.waitFor(head, 10_000)).to.equal(true);
      clearInterval(sampler);
      expect(failures).to.be.below(0);
      expect(sampled.every((e) => e === null)).to.equal(true);
      const warnings = capture.records().filter((r) => r.level === 40 && r.projection === 'users');
      expect(warnings).to.have.length(3);
      expect(capture.records().filter((r) => r.level >= 50)).to.deep.equal([]);
    } finally {
      await runner.stop();
    }
  });
});
