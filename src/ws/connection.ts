import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { Authenticated, Parley } from '../app';
import { toHttpError } from '../edge/errors';
import { pmView } from '../edge/views';
import { CLOSE, FrameError, parseFrame, refOf, type ClientFrame } from './protocol';
import { TokenBucket } from './token-bucket';

export interface ConnectionLimits {
  ratePerSecond: number;
  rateBurst: number;
  /** Bytes allowed to pile up unsent for one socket before it is closed as a slow reader. */
  maxBufferedBytes: number;
  /** Frames accepted but not yet handled; more are refused like a rate limit. */
  maxPending: number;
}

/** What a connection needs from the chat server that owns it. */
export interface ConnectionHost {
  readonly parley: Parley;
  readonly limits: ConnectionLimits;
  readonly counters: {
    frames_in: number;
    frames_out: number;
    errors_out: number;
    rate_limited: number;
    closed_slow_reader: number;
    closed_token_expired: number;
    closed_session_revoked: number;
  };
  /** Position of the last event the delivery feed has handed out. */
  deliveredPosition(): number;
  /** The connection moved to another session (an auth frame with a token of a new login). */
  rebind(connection: ChatConnection, previousSessionId: string): void;
}

const TEXT = { binary: false } as const;
// setTimeout cannot wait longer than this; a longer expiry is re-armed when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Time given to a slow reader to take its close frame before the socket is dropped. */
const SLOW_READER_GRACE_MS = 5_000;

const encode = (frame: object): Buffer => Buffer.from(JSON.stringify(frame));

/**
 * One open chat socket of an authenticated user: turns its frames into the messaging use cases, one
 * at a time so a client's messages are stored in the order it sent them, and writes frames to it.
 */
export class ChatConnection {
  /** Cleared by the heartbeat before each ping; set again by the pong (or any frame). */
  alive = true;
  private expiresAt: number;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly bucket: TokenBucket;
  private pending = 0;
  /** Frames are handled in order; this is the end of the queue. */
  private queue: Promise<void>;
  /** Live frames held back until the history frame has gone out (then dropped if it had them). */
  private backlog: { id: string; data: Buffer }[] | null = [];

  constructor(
    readonly ws: WebSocket,
    public principal: Authenticated,
    private readonly host: ConnectionHost,
  ) {
    this.bucket = new TokenBucket(host.limits.ratePerSecond, host.limits.rateBurst);
    this.expiresAt = principal.expiresAt;
    this.armExpiry();
    this.queue = this.sendHistory();
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
  }

  /** ws keeps the TCP socket private; corking it is the only way to batch frames (see ChatServer.out). */
  private get socket(): Duplex | undefined {
    return (this.ws as unknown as { _socket?: Duplex })._socket;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Writes an encoded frame (shared by every recipient of an event). */
  send(data: Buffer): void {
    if (!this.open) return;
    this.ws.send(data, TEXT);
    this.host.counters.frames_out++;
    if (this.ws.bufferedAmount > this.host.limits.maxBufferedBytes) this.closeSlowReader();
  }

  /** A live message from the feed: sent now, or after the history frame if that is still coming. */
  deliver(id: string, data: Buffer): void {
    if (this.backlog) this.backlog.push({ id, data });
    else this.send(data);
  }

  /** Holds writes back until uncork(), so that several frames go out in one system call. */
  cork(): void {
    this.socket?.cork();
  }

  uncork(): void {
    this.socket?.uncork();
    // Buffered bytes are only known once the writes are released.
    if (this.ws.bufferedAmount > this.host.limits.maxBufferedBytes) this.closeSlowReader();
  }

  close(code: number, reason: string): void {
    this.stopTimers();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  /** Resolves once every frame received so far has been handled. */
  drained(): Promise<void> {
    return this.queue;
  }

  stopTimers(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.alive = true;
    this.host.counters.frames_in++;
    const raw = isBinary ? '' : data.toString('utf8');
    const wait = this.bucket.take();
    if (wait > 0 || this.pending >= this.host.limits.maxPending) {
      this.host.counters.rate_limited++;
      this.sendError('rate_limited', 'too many frames: slow down', refOf(raw), { retry_after_ms: Math.max(wait, 1) });
      return;
    }
    if (isBinary) {
      this.sendError('invalid_request', 'send text frames: chat lines or JSON');
      return;
    }
    this.pending++;
    this.queue = this.queue
      .then(() => this.handle(raw))
      // handle() reports its own errors; this only keeps one surprise from stalling the queue.
      .catch((error: unknown) => this.host.parley.log.error({ err: error }, 'chat frame handling failed'))
      .finally(() => {
        this.pending--;
      });
  }

  private async handle(raw: string): Promise<void> {
    if (!this.open) return;
    let frame: ClientFrame | undefined;
    try {
      frame = parseFrame(raw);
      if (frame.type === 'auth') await this.reauthenticate(frame.token);
      else {
        const sent = await this.host.parley.messaging.send(this.principal, frame.line, frame.ref, {
          correlationId: randomUUID(),
        });
        // Only now is the message in the log: the ack may come before or after its pm/chat frame.
        if (frame.ref !== undefined) this.send(encode({ type: 'ack', ref: frame.ref, id: sent.message.id }));
      }
    } catch (error) {
      this.reportError(error, frame && frame.type === 'send' ? frame.ref : refOf(raw));
    }
  }

  /** Frame errors are the socket's own; everything else maps to the same codes as the HTTP API. */
  private reportError(error: unknown, ref: string | undefined): void {
    if (error instanceof FrameError) {
      this.sendError(error.code, error.message, ref, error.details);
      return;
    }
    const mapped = toHttpError(error);
    if (mapped.status >= 500)
      this.host.parley.log.error({ err: error, user_id: this.principal.user_id }, 'chat frame failed');
    this.sendError(mapped.code, mapped.message, ref, mapped.details);
  }

  private sendError(code: string, message: string, ref?: string, details?: unknown): void {
    this.host.counters.errors_out++;
    this.deliver(
      '',
      encode({
        type: 'error',
        code,
        message,
        ...(ref === undefined ? {} : { ref }),
        ...(details === undefined ? {} : { details }),
      }),
    );
  }

  /** {type:'auth'}: a fresh access token of the same user keeps the connection past the old one's expiry. */
  private async reauthenticate(token: string): Promise<void> {
    const principal = await this.host.parley.accounts.authenticate(token);
    if (principal.user_id !== this.principal.user_id) {
      throw new FrameError('auth_user_mismatch', 'the token belongs to another user; open a new connection for them');
    }
    const previousSession = this.principal.session_id;
    this.principal = principal;
    this.expiresAt = principal.expiresAt;
    this.armExpiry();
    if (previousSession !== principal.session_id) this.host.rebind(this, previousSession);
    this.send(
      encode({
        type: 'authenticated',
        username: principal.username,
        expires_at: new Date(this.expiresAt).toISOString(),
      }),
    );
  }

  private armExpiry(): void {
    this.stopTimers();
    if (!Number.isFinite(this.expiresAt)) return;
    const delay = this.expiresAt - Date.now();
    this.expiryTimer = setTimeout(
      () => {
        if (Date.now() < this.expiresAt) return this.armExpiry();
        this.host.counters.closed_token_expired++;
        this.close(CLOSE.tokenExpired, 'access token expired');
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    this.expiryTimer.unref();
  }

  /**
   * The first frame: the user's last received private messages. Waiting for the read models to
   * reach what the feed has delivered means a message is either in the history or sent live after
   * it (or both, and then the live copy is dropped) — never lost in between.
   */
  private async sendHistory(): Promise<void> {
    const { accounts, messaging } = this.host.parley;
    try {
      // A revocation the feed handed out before this socket was registered would otherwise be missed.
      const ended = await accounts.sessionEnded(this.principal.session_id, { after: this.host.deliveredPosition() });
      if (ended !== null) {
        this.host.counters.closed_session_revoked++;
        this.close(CLOSE.sessionRevoked, `session ended: ${ended}`);
        return;
      }
      const rows = await messaging.inbox(this.principal.user_id);
      this.send(encode({ type: 'history', messages: rows.map(pmView) }));
      const inHistory = new Set(rows.map((r) => r.id));
      const held = this.backlog ?? [];
      this.backlog = null;
      for (const frame of held) if (!inHistory.has(frame.id)) this.send(frame.data);
    } catch (error) {
      this.host.parley.log.error({ err: error, user_id: this.principal.user_id }, 'could not send chat history');
      this.close(CLOSE.internalError, 'could not load history');
    }
  }

  private closeSlowReader(): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.host.counters.closed_slow_reader++;
    this.close(CLOSE.slowReader, 'reading too slowly');
    // The close frame waits behind everything buffered; a reader that has stopped never takes it.
    setTimeout(() => this.ws.terminate(), SLOW_READER_GRACE_MS).unref();
  }
}
