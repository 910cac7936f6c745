import WebSocket from 'ws';
import { NO_RATE_LIMITS } from './suite';

/** A frame as the chat server sends it. */
export type Frame = { type: string; [key: string]: any };

export interface Closed {
  code: number;
  reason: string;
}

const WAIT_MS = 5_000;

/**
 * A chat-socket test client: collects every frame it receives, and lets a test wait for the next
 * frame matching a predicate (bounded in time, so a missing frame fails instead of hanging).
 */
export class ChatClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  /** Indexes of frames already returned by next(). */
  private readonly taken = new Set<number>();
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? { type: '<binary>' } : JSON.parse(data.toString()));
      this.wakeAll();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wakeAll();
      });
    });
  }

  send(frame: string | object): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * The earliest frame not yet taken that matches (waiting for it if need be). Frames that do not
   * match stay available to later calls, so the order frames arrive in does not matter to a test.
   */
  async next(match: (frame: Frame) => boolean = () => true, what = 'a frame', timeoutMs = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.frames.length; i++) {
        if (this.taken.has(i) || !match(this.frames[i])) continue;
        this.taken.add(i);
        return this.frames[i];
      }
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting for ${what}; got ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  nextOfType(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, `a '${type}' frame`, timeoutMs);
  }

  /** Waits for the server to close the socket. */
  async waitClose(timeoutMs = WAIT_MS): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out waiting for the socket to close')), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<Closed> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    return this.closed;
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export const wsUrl = (httpUrl: string, path = '/messenger/ws'): string => httpUrl.replace(/^http/, 'ws') + path;

export interface ConnectOptions {
  /** How the token travels: ?token= (default), Authorization header, or Sec-WebSocket-Protocol. */
  via?: 'query' | 'header' | 'protocol';
  wsOptions?: WebSocket.ClientOptions;
}

/** Opens a chat socket and waits until it is open (not for the history frame). */
export function connect(httpUrl: string, token: string, options: ConnectOptions = {}): Promise<ChatClient> {
  const via = options.via ?? 'query';
  const url = via === 'query' ? `${wsUrl(httpUrl)}?token=${encodeURIComponent(token)}` : wsUrl(httpUrl);
  const headers = via === 'header' ? { Authorization: `Bearer ${token}` } : undefined;
  const protocols = via === 'protocol' ? ['parley', token] : undefined;
  const ws = new WebSocket(url, protocols, { headers, ...options.wsOptions });
  const client = new ChatClient(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused: ${res.statusCode}`));
      ws.terminate();
    });
  });
}

/** Connects and takes the history frame, which always comes first. */
export async function connectWithHistory(
  httpUrl: string,
  token: string,
  options?: ConnectOptions,
): Promise<{ client: ChatClient; history: Frame }> {
  const client = await connect(httpUrl, token, options);
  const history = await client.next(() => true, 'the history frame');
  if (client.frames[0] !== history || history.type !== 'history')
    throw new Error(`the first frame was ${JSON.stringify(history)}, not history`);
  return { client, history };
}

export interface Refusal {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** Attempts an upgrade that should be refused, and returns the HTTP answer. */
export function refusedUpgrade(
  url: string,
  options: WebSocket.ClientOptions & { protocols?: string[] } = {},
): Promise<Refusal> {
  const ws = new WebSocket(url, options.protocols, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers: res.headers });
        ws.terminate();
      });
    });
    ws.once('error', (error) => reject(error));
  });
}

/** Chat tests register many users from one address: the abuse limits are off for them. */
export const TEST_LIMITS = NO_RATE_LIMITS;
