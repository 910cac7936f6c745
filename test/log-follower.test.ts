import { setImmediate as tick } from 'node:timers/promises';
import { expect } from 'chai';
import fc from 'fast-check';
import type { StoredEvent } from '../src/events';
import { LogFollower } from '../src/store/log-follower';

/**
 * Model-based test of the follower both engines use. A fake log stands in for the engine; the
 * commands are what the engines do to followers: SQLite pushes its own commits after they are
 * durable, in commit order, and never sees another process's appends except by reading; MongoDB's
 * change stream pushes every commit one event at a time, may repeat events after a restart, deliver
 * them late, or lose some and report a discontinuity. The handler is sometimes slow and sometimes
 * throws (the projection runner then subscribes again from the last position handled).
 * Whatever happens, the handler must see every position of the log exactly once, in order.
 */

type Push = 'batch' | 'single' | 'none';
type Command =
  | { kind: 'append'; count: number; push: Push; delay: number }
  | { kind: 'repush'; back: number; count: number }
  | { kind: 'drop-and-notify'; count: number }
  | { kind: 'notify' }
  | { kind: 'import-gap'; gap: number; count: number }
  | { kind: 'wait'; ticks: number };
type Behaviour = 'ok' | 'slow' | 'throw';

const event = (position: number): StoredEvent => ({ position }) as unknown as StoredEvent;

class Model {
  readonly log: StoredEvent[] = [];
  readonly seen: number[] = [];
  private follower!: LogFollower;
  private calls = 0;
  private readonly pending: Promise<void>[] = [];
  private restarts = 0;

  constructor(
    private readonly behaviours: Behaviour[],
    private readonly batchSize: number,
  ) {
    this.subscribe(0);
  }

  private get head(): number {
    return this.log.length === 0 ? 0 : this.log[this.log.length - 1].position;
  }

  private subscribe(after: number): void {
    const source = {
      pollIntervalMs: 3,
      readAll: async (from: number, limit: number) => {
        // Asynchronous like MongoDB: commands may run while a read is in flight.
        const found = this.log.filter((e) => e.position > from).slice(0, limit);
        await tick();
        return found;
      },
    };
    const follower = new LogFollower(source, after, (batch) => this.handle(batch), { batchSize: this.batchSize });
    this.follower = follower;
    follower.done.catch(() => {
      if (this.restarts++ > 1_000) throw new Error('too many restarts');
      this.subscribe(follower.position);
    });
  }

  private async handle(batch: StoredEvent[]): Promise<void> {
    const behaviour = this.behaviours[this.calls++ % this.behaviours.length];
    if (behaviour === 'slow') for (let i = 0; i < 8; i++) await tick();
    if (behaviour === 'throw') throw new Error('handler failed');
    this.seen.push(...batch.map((e) => e.position));
  }

  private append(count: number, from = this.head + 1): StoredEvent[] {
    const events = Array.from({ length: count }, (_, i) => event(from + i));
    this.log.push(...events);
    return events;
  }

  /** Pushes to whichever follower is current when the push happens (as the engines do). */
  private pushLater(events: StoredEvent[], delay: number): void {
    this.pending.push(
      (async () => {
        for (let i = 0; i < delay; i++) await tick();
        this.follower.push(events);
      })(),
    );
  }

  async run(command: Command): Promise<void> {
    switch (command.kind) {
      case 'append': {
        const events = this.append(command.count);
        if (command.push === 'batch') this.pushLater(events, command.delay);
        if (command.push === 'single') events.forEach((e, i) => this.pushLater([e], command.delay + (i % 3)));
        break;
      }
      case 'repush': {
        const start = Math.max(0, this.log.length - command.back);
        this.follower.push(this.log.slice(start, start + command.count));
        break;
      }
      case 'drop-and-notify':
        this.append(command.count);
        this.follower.notify();
        break;
      case 'notify':
        this.follower.notify();
        break;
      case 'import-gap':
        this.append(command.count, this.head + 1 + command.gap);
        this.follower.notify();
        break;
      case 'wait':
        for (let i = 0; i < command.ticks; i++) await tick();
        break;
    }
    await tick();
  }

  /** Waits until the handler has seen the whole log (polls find what nothing pushed). */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
    const deadline = Date.now() + 5_000;
    while (this.seen.length < this.log.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    // A little longer, so that a duplicate delivery would show.
    await new Promise((r) => setTimeout(r, 10));
    await this.follower.stop();
  }
}

const behaviours = fc
  .array(fc.constantFrom<Behaviour>('ok', 'ok', 'ok', 'slow', 'throw'), { minLength: 1, maxLength: 8 })
  .filter((b) => b.includes('ok'));

/** SQLite: local commits pushed in commit order after their fsync (batches, maybe late); other processes' unseen. */
const sqliteCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    count: fc.integer({ min: 1, max: 5 }),
    push: fc.constant<Push>('batch'),
    delay: fc.constant(0),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    count: fc.integer({ min: 1, max: 5 }),
    push: fc.constant<Push>('none'),
    delay: fc.constant(0),
  }),
  fc.record({ kind: fc.constant('notify' as const) }),
  fc.record({
    kind: fc.constant('import-gap' as const),
    gap: fc.integer({ min: 1, max: 3 }),
    count: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('wait' as const), ticks: fc.integer({ min: 0, max: 6 }) }),
);

/** MongoDB: every commit pushed event by event, late or out of order, repeated after restarts, or lost with a notice. */
const mongoCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    count: fc.integer({ min: 1, max: 4 }),
    push: fc.constant<Push>('single'),
    delay: fc.integer({ min: 0, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('repush' as const),
    back: fc.integer({ min: 1, max: 8 }),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('drop-and-notify' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('notify' as const) }),
  fc.record({ kind: fc.constant('wait' as const), ticks: fc.integer({ min: 0, max: 6 }) }),
);

async function check(commands: Command[], handler: Behaviour[], batchSize: number): Promise<void> {
  const model = new Model(handler, batchSize);
  for (const command of commands) await model.run(command);
  await model.settle();
  expect(model.seen).to.deep.equal(model.log.map((e) => e.position));
}

describe('LogFollower (model-based)', function () {
  this.timeout(60_000);

  it('hands a SQLite-style follower every position once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sqliteCommand, { maxLength: 25 }),
        behaviours,
        fc.integer({ min: 1, max: 6 }),
        (commands, handler, batchSize) => check(commands, handler, batchSize),
      ),
      { numRuns: 60 },
    );
  });

  it('hands a MongoDB-style follower every position once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mongoCommand, { maxLength: 25 }),
        behaviours,
        fc.integer({ min: 1, max: 6 }),
        (commands, handler, batchSize) => check(commands, handler, batchSize),
      ),
      { numRuns: 60 },
    );
  });

  it('does not hand on a pushed event after a hole, nor a repeated one (the reported cases)', async () => {
    // Pushing 3, then 5 (4 appended elsewhere) delivered 1,2,3,5; pushing 3,3,4 delivered 1,2,3,3,4.
    // Each time the handler is still busy with 1,2 when the later pushes arrive.
    await check(
      [
        { kind: 'append', count: 2, push: 'batch', delay: 0 },
        { kind: 'append', count: 1, push: 'batch', delay: 0 },
        { kind: 'append', count: 1, push: 'none', delay: 0 },
        { kind: 'append', count: 1, push: 'batch', delay: 0 },
      ],
      ['slow'],
      10,
    );
    await check(
      [
        { kind: 'append', count: 2, push: 'batch', delay: 0 },
        { kind: 'append', count: 1, push: 'batch', delay: 0 },
        { kind: 'repush', back: 1, count: 1 },
        { kind: 'append', count: 1, push: 'batch', delay: 0 },
      ],
      ['slow'],
      10,
    );
  });
});
