import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { bearerToken } from '../auth/tokens';
import { SUBPROTOCOL } from './protocol';

/**
 * Where a client may put its access token, in the order they are looked at:
 * 1. `Authorization: Bearer <token>` (non-browser clients),
 * 2. `Sec-WebSocket-Protocol: parley, <token>` (browsers, which cannot set headers; the server
 *    answers with the `parley` subprotocol and never echoes the token),
 * 3. `?token=<token>` in the URL (what the original page did; URLs end up in logs, so prefer 1 or 2).
 */
export function tokenFrom(request: IncomingMessage, url: URL): string | null {
  const bearer = bearerToken(request.headers.authorization);
  if (bearer) return bearer;
  const offered = offeredProtocols(request);
  if (offered.includes(SUBPROTOCOL)) {
    const token = offered.find((p) => p !== SUBPROTOCOL);
    if (token) return token;
  }
  return url.searchParams.get('token') || null;
}

export function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return header
    ? header
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
    : [];
}

/** Answers an upgrade request with a plain HTTP error (same JSON shape as the API) and drops the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason =
    {
      401: 'Unauthorized',
      404: 'Not Found',
      400: 'Bad Request',
      500: 'Internal Server Error',
      503: 'Service Unavailable',
    }[status] ?? 'Error';
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
