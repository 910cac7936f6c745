import type WebSocket from 'ws';

/** A text frame's contents: ws hands over one Buffer by default (an ArrayBuffer or fragments if asked to). */
export function frameText(data: WebSocket.RawData): string {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return bytes.toString('utf8');
}
