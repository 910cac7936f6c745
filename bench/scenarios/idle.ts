import type { ConnectResult } from '../clients/ws-load';
import { BenchChild } from '../lib/child';
import { seedUsers } from '../lib/seed';
import { round, sleep } from '../lib/stats';
import { withProcesses, workspace, type Target } from './target';

export interface IdleOptions {
  connections: number;
}

export interface IdleResult {
  idle: number;
  rss_kib_per_connection: number;
  rss_before_kib: number;
  rss_after_kib: number;
  connect: ConnectResult;
}

/**
 * N users, each with one authenticated WebSocket that stays idle. Server RSS (VmRSS of the server
 * process, after a forced GC) with all of them open, minus the same with none open (after a warm-up
 * round of connections, so code loaded on first use is not counted), per connection.
 */
export async function idleBench(target: Target, o: IdleOptions): Promise<IdleResult> {
  const ws = workspace(target, 'idle');
  try {
    const engine = await ws.openEngine();
    const users = await seedUsers(engine, { count: o.connections, sessions: true, chunk: 5000 });
    await engine.close();
    return await withProcesses(async (track) => {
      const server = track(await ws.startServer());
      const client = track(BenchChild.start('clients/ws-load.ts'));
      const asClients = users.map((u) => ({ username: u.username, token: u.access_token! }));
      await client.call({ cmd: 'connect', url: server.wsUrl, concurrency: 50, users: asClients.slice(0, 200) });
      await client.call({ cmd: 'close' });
      await sleep(500);
      const before = await server.settledRssKib();
      const connect = await client.call<ConnectResult>({
        cmd: 'connect',
        url: server.wsUrl,
        concurrency: 100,
        users: asClients,
      });
      if (connect.connected < o.connections)
        throw new Error(`only ${connect.connected} of ${o.connections} connected: ${JSON.stringify(connect.failures)}`);
      await sleep(1000);
      const after = await server.settledRssKib();
      await client.call({ cmd: 'close' });
      return {
        idle: connect.connected,
        rss_kib_per_connection: round((after - before) / connect.connected, 2),
        rss_before_kib: before,
        rss_after_kib: after,
        connect,
      };
    });
  } finally {
    await ws.cleanUp();
  }
}
