import type { ConnectResult, RunCommand, RunResult } from '../clients/ws-load';
import { BenchChild } from '../lib/child';
import { seedUsers } from '../lib/seed';
import { summarize, round, type Summary } from '../lib/stats';
import type { LagReading, LoopReading } from '../lib/server';
import { withProcesses, workspace, type Target } from './target';

export interface PmOptions {
  users: number;
  /** PMs each connection keeps unacknowledged at saturation. */
  window: number;
  /**
   * Per-connection send ceiling; 0: unpaced (the server then runs with its per-connection limit,
   * WS_RATE_LIMIT, raised out of the way, so saturation is the server's, not the limit's).
   */
  perConnectionRate: number;
  textSize: number;
  warmupMs: number;
  durationMs: number;
  /** Relay runs: before and after parley's, to even out drift on a noisy machine. */
  relayRuns: number;
}

/**
 * BENCH_PM_INSTANCES=N (default 1): N-1 more servers on the same store, started after the measured
 * one and sent no clients. They follow the log and the projection leases, as instances behind a
 * load balancer would: the figure is one instance's throughput with others beside it.
 */
const INSTANCES = Math.max(1, Number(process.env.BENCH_PM_INSTANCES ?? '1'));

export interface PmResult {
  /** Servers on the store; clients talk to the first only. */
  instances: number;
  users: number;
  text_size: number;
  throughput_msgs_per_s: number;
  baseline_relay_msgs_per_s: number;
  ratio: number;
  /** Offered load of the latency run: half the measured saturation throughput. */
  half_rate_msgs_per_s: number;
  p50_ms: number;
  p99_ms: number;
  projection_lag_p99_ms: number | null;
  projection_lag_ms: Summary | null;
  /** The offered ceiling users × per-connection rate (null: unpaced): throughput near it means the client, not the server, was the bound. */
  offered_ceiling_msgs_per_s: number | null;
  saturation: RunResult;
  half_rate: RunResult;
  relay_runs: RunResult[];
  server_event_loop_at_saturation: LoopReading;
  /** How long the projections needed, after the saturation run, to apply everything it stored. */
  projections_catch_up_after_saturation_ms: number;
  server_event_loop_at_half_rate: LoopReading;
  connect: { parley: ConnectResult; relay: ConnectResult };
}

/**
 * C users connected over WebSocket from a client process; each keeps `window` PMs in flight to
 * random others. Throughput = PMs received by their recipients per second at saturation; then the
 * same at half that rate, open loop, for latency (client send → recipient receive) and projection
 * lag (measured inside the server by the probe). The plain relay gets the same client and traffic.
 */
export async function pmBench(target: Target, o: PmOptions): Promise<PmResult> {
  const ws = workspace(target, 'pm');
  try {
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.users, sessions: true });
    await engine.close();
    return await withProcesses(async (track) => {
      const unlimited = { WS_RATE_LIMIT: '1000000', WS_RATE_BURST: '1000000' };
      const server = track(await ws.startServer(o.perConnectionRate ? {} : unlimited));
      for (let i = 1; i < INSTANCES; i++) track(await ws.startServer(o.perConnectionRate ? {} : unlimited));
      const relay = track(BenchChild.start('relay-server.ts'));
      const { port: relayPort } = await relay.nextMessage<{ port: number }>();
      const client = track(BenchChild.start('clients/ws-load.ts'));
      const saturate = (): RunCommand => ({
        cmd: 'run',
        mode: 'saturate',
        window: o.window,
        rate: 0,
        perConnectionRate: o.perConnectionRate,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        textSize: o.textSize,
      });

      const relayRuns: RunResult[] = [];
      const relayRun = async (): Promise<ConnectResult> => {
        const connected = await client.call<ConnectResult>({
          cmd: 'connect',
          url: `ws://127.0.0.1:${relayPort}/messenger/ws`,
          concurrency: 50,
          users: users.map((u) => ({ username: u.username, token: u.username })),
        });
        relayRuns.push(await client.call<RunResult>(saturate()));
        await client.call({ cmd: 'close' });
        return connected;
      };

      const relayConnect = await relayRun();
      const parleyConnect = await client.call<ConnectResult>({
        cmd: 'connect',
        url: server.wsUrl,
        concurrency: 50,
        users: users.map((u) => ({ username: u.username, token: u.access_token! })),
      });
      if (parleyConnect.connected < users.length)
        throw new Error(
          `only ${parleyConnect.connected} of ${users.length} connected: ${JSON.stringify(parleyConnect.failures)}`,
        );
      await server.probe('reset');
      const saturation = await client.call<RunResult>(saturate());
      const loopSat = await server.probe<LoopReading>('loop');

      const halfRate = Math.max(1, Math.round(saturation.delivered_per_s / 2));
      // Saturation may leave the projections behind: let them catch up, so the half-rate run starts clean.
      const settleMs = await server.settle();
      await server.probe('reset');
      await server.probe('lag-start');
      const half = await client.call<RunResult>({ ...saturate(), mode: 'rate', rate: halfRate });
      const lag = await server.probe<LagReading>('lag-stop');
      const loopHalf = await server.probe<LoopReading>('loop');
      await client.call({ cmd: 'close' });
      for (let i = 1; i < o.relayRuns; i++) await relayRun();

      const baseline = relayRuns.reduce((a, r) => a + r.delivered_per_s, 0) / relayRuns.length;
      const lagSummary = lag.lag_hooked ? summarize(lag.samples) : null;
      return {
        instances: INSTANCES,
        users: o.users,
        text_size: o.textSize,
        throughput_msgs_per_s: saturation.delivered_per_s,
        baseline_relay_msgs_per_s: Math.round(baseline),
        ratio: round(saturation.delivered_per_s / baseline),
        half_rate_msgs_per_s: halfRate,
        p50_ms: half.latency_ms.p50,
        p99_ms: half.latency_ms.p99,
        projection_lag_p99_ms: lagSummary ? lagSummary.p99 : null,
        projection_lag_ms: lagSummary,
        offered_ceiling_msgs_per_s: o.perConnectionRate ? o.users * o.perConnectionRate : null,
        saturation,
        half_rate: half,
        relay_runs: relayRuns,
        server_event_loop_at_saturation: loopSat,
        projections_catch_up_after_saturation_ms: settleMs,
        server_event_loop_at_half_rate: loopHalf,
        connect: { parley: parleyConnect, relay: relayConnect },
      };
    });
  } finally {
    await ws.cleanUp();
  }
}
