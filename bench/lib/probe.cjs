'use strict';
/**
 * Preloaded into the server under test (`node --require bench/lib/probe.cjs dist/main.js`), so the
 * server runs unchanged while the bench reads, over the IPC channel:
 *  - event-loop delay (perf_hooks.monitorEventLoopDelay), reset at the start of each window;
 *  - projection lag: time from the commit of a MessageSent event to the commit of the inbox
 *    read-model transaction that holds it, both stamped inside this process;
 *  - a forced GC before memory readings (the server is started with --expose-gc).
 * The lag hooks wrap two methods of the running engine; if the engine's shape changes they report
 * `lag_hooked: false` instead of guessing.
 */
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');

// Threads the server starts inherit --require; the probe belongs to the main thread only.
if (isMainThread && process.argv[1]) install();

function install() {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const lag = { enabled: false, hooked: false, committedAt: new Map(), samples: [] };
  let runner = null;

  function hookEngine(engine) {
    const events = engine && engine.events;
    const readModels = engine && engine.readModels;
    // commitBatch(batch) → outcomes: where the SQLite event store commits a group of appends durably.
    if (!events || typeof events.commitBatch !== 'function' || !readModels || typeof readModels.apply !== 'function')
      return;
    const commitBatch = events.commitBatch;
    events.commitBatch = function probedCommitBatch(batch) {
      const outcomes = commitBatch.call(this, batch);
      if (lag.enabled) {
        const t = performance.now();
        for (const outcome of outcomes) {
          if (!outcome.ok) continue;
          for (const e of outcome.result.events) if (e.type === 'MessageSent') lag.committedAt.set(e.position, t);
        }
      }
      return outcomes;
    };
    const apply = readModels.apply;
    readModels.apply = async function probedApply(projection, ops, from, to) {
      await apply.call(this, projection, ops, from, to);
      if (projection !== 'inbox' || lag.committedAt.size === 0) return;
      const t = performance.now();
      for (const op of ops) {
        if (op.kind !== 'inbox.add') continue;
        const committed = lag.committedAt.get(op.message.position);
        if (committed === undefined) continue;
        lag.committedAt.delete(op.message.position);
        lag.samples.push(t - committed);
      }
    };
    lag.hooked = true;
  }

  // The entry script is dist/main.js; the runner module it loads is the one patched here (same file, same cache entry).
  const dist = path.dirname(path.resolve(process.argv[1]));
  try {
    const { ProjectionRunner } = require(path.join(dist, 'projections', 'runner.js'));
    const start = ProjectionRunner.prototype.start;
    ProjectionRunner.prototype.start = function probedStart(...args) {
      runner = this;
      hookEngine(this.engine);
      return start.apply(this, args);
    };
  } catch {
    // No runner to hook: lag stays unavailable.
  }

  const ms = (ns) => Math.round((ns / 1e6) * 1000) / 1000;

  function loopStats() {
    return {
      p50_ms: ms(loop.percentile(50)),
      p99_ms: ms(loop.percentile(99)),
      max_ms: ms(loop.max),
      mean_ms: ms(loop.mean),
      samples: loop.count,
    };
  }

  const handlers = {
    reset() {
      loop.reset();
      lag.samples = [];
      lag.committedAt.clear();
      return {};
    },
    'lag-start'() {
      lag.samples = [];
      lag.committedAt.clear();
      lag.enabled = true;
      return { lag_hooked: lag.hooked };
    },
    'lag-stop'() {
      lag.enabled = false;
      const samples = lag.samples;
      lag.samples = [];
      const pending = lag.committedAt.size;
      lag.committedAt.clear();
      return { lag_hooked: lag.hooked, samples, unmatched: pending };
    },
    loop: loopStats,
    /** How far the projections are behind the log (0 when all have applied the head). */
    async backlog() {
      if (!runner) return { backlog: null };
      const head = await runner.engine.events.headPosition();
      return { backlog: head - runner.position };
    },
    gc() {
      if (typeof global.gc === 'function') {
        global.gc();
        global.gc();
      }
      return { rss: process.memoryUsage().rss, heap_used: process.memoryUsage().heapUsed };
    },
  };

  if (typeof process.send === 'function') {
    process.on('message', async (msg) => {
      if (!msg || typeof msg !== 'object' || msg.probe === undefined) return;
      const handler = handlers[msg.cmd];
      const reply = handler ? await handler() : { error: `unknown probe command ${msg.cmd}` };
      process.send({ probe: msg.probe, ...reply });
    });
    // The bench went away: do not linger.
    process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    process.channel && process.channel.unref();
  }
}
