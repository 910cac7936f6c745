import { expect } from 'chai';
import type { Client, TestUser } from './http';
import { connect, type ChatClient, type ConnectOptions, type Frame } from './ws';

/** Frame types a resync replays: what changes what a user sees. */
const SHOWN = new Set(['pm', 'chat', 'edited', 'deleted', 'read', 'receipt']);

/**
 * What a client was shown, in the order it was shown: live frames and the frames inside `sync`
 * frames, without `recipient_online` (instance-local, never in a resync).
 */
export function shown(frames: readonly Frame[]): Frame[] {
  const out: Frame[] = [];
  for (const frame of frames) {
    if (frame.type === 'sync') out.push(...(frame.frames as Frame[]));
    else if (SHOWN.has(frame.type)) out.push(frame);
  }
  return out.map(({ recipient_online: _local, ...rest }) => rest);
}

/** The cursor of the last frame that carries one (history, sync or a shown frame). */
export function lastCursor(frames: readonly Frame[]): string {
  for (let i = frames.length - 1; i >= 0; i--) {
    const cursor = frames[i].cursor;
    if (typeof cursor === 'string') return cursor;
  }
  throw new Error(`no frame with a cursor in ${JSON.stringify(frames)}`);
}

/** Connects with ?since= and takes the sync frame, which must come first. */
export async function connectWithSync(
  url: string,
  token: string,
  since: string,
  options: ConnectOptions = {},
): Promise<{ client: ChatClient; sync: Frame }> {
  const client = await connect(url, token, { ...options, since });
  const sync = await client.next(() => true, 'the sync frame');
  if (client.frames[0] !== sync || sync.type !== 'sync')
    throw new Error(`the first frame was ${JSON.stringify(sync)}, not sync`);
  return { client, sync };
}

/** Sends a PM or (without `to`) a chat line over REST and returns the stored message. */
export async function say(api: Client, from: TestUser, text: string, to?: TestUser): Promise<Frame> {
  const reply = await api.post('/messenger/messages', {
    token: from.access_token,
    json: to ? { to: to.username, text } : { text },
  });
  expect(reply.status, JSON.stringify(reply.body)).to.equal(201);
  return reply.body as Frame;
}
