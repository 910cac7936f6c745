/**
 * The baseline for private messages: a plain `ws` relay with parley's frame shapes and nothing else
 * (no authentication, no validation, no persistence, no projections). The `token` query parameter
 * is taken as the username. Started as a child process by the bench; reports its port over IPC.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const byUser = new Map<string, Set<WebSocket>>();
const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/messenger/ws', perMessageDeflate: false });

function sendAll(username: string, payload: string): void {
  for (const ws of byUser.get(username) ?? []) ws.send(payload);
}

wss.on('connection', (ws, req) => {
  const username = new URL(req.url ?? '/', 'http://relay').searchParams.get('token') ?? '';
  let conns = byUser.get(username);
  if (!conns) byUser.set(username, (conns = new Set()));
  conns.add(ws);
  ws.on('close', () => conns.delete(ws));
  ws.send(JSON.stringify({ type: 'history', messages: [] }));
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type?: string; to?: string; text?: string; ref?: string };
    if (frame.type !== 'pm' || !frame.to || !frame.text) return;
    if (!byUser.has(frame.to)) {
      ws.send(
        JSON.stringify({ type: 'error', code: 'recipient_not_found', message: 'no such recipient', ref: frame.ref }),
      );
      return;
    }
    const id = randomUUID();
    const payload = JSON.stringify({
      type: 'pm',
      id,
      from: username,
      to: frame.to,
      text: frame.text,
      sent_at: new Date().toISOString(),
    });
    sendAll(frame.to, payload);
    sendAll(username, payload);
    if (frame.ref !== undefined) ws.send(JSON.stringify({ type: 'ack', ref: frame.ref, id }));
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ ready: true, port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
