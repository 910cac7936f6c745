import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticated, Feed, FeedBatch, FeedNotice, Parley } from '../app';
import { toHttpError } from '../edge/errors';
import { chatView, pmView } from '../edge/views';
import type { ChatStats } from '../metrics/chat';
import { ChatConnection, type ConnectionHost, type ConnectionLimits } from './connection';
import { CLOSE, SUBPROTOCOL, WS_PATH } from './protocol';
import { refuseUpgrade, tokenFrom } from './upgrade';

export interface ChatServerOptions extends ConnectionLimits {
  /** Largest frame a client may send; bigger ones close the connection with 1009. */
  maxPayload: number;
  /** Every this often each socket is pinged; one that has not answered the previous ping is dropped. */
  heartbeatMs: number;
  /** How long close() waits for clients to answer the 1001 close before dropping them. */
  closeTimeoutMs: number;
}

export const DEFAULT_CHAT_OPTIONS: ChatServerOptions = {
  maxPayload: 16 * 1024,
  heartbeatMs: 30_000,
  closeTimeoutMs: 2_000,
  ratePerSecond: 20,
  rateBurst: 40,
  maxBufferedBytes: 1024 * 1024,
  maxPending: 100,
};

type Counters = Omit<ChatStats, 'connections' | 'users' | 'feed_position'>;

function addTo<K>(index: Map<K, Set<ChatConnection>>, key: K, connection: ChatConnection): void {
  const set = index.get(key);
  if (set) set.add(connection);
  else index.set(key, new Set([connection]));
}

function removeFrom<K>(index: Map<K, Set<ChatConnection>>, key: K, connection: ChatConnection): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(connection);
  if (set.size === 0) index.delete(key);
}

/**
 * The chat socket at /messenger/ws. Frames in go through the same use cases as the REST API;
 * delivery comes only from the event feed, so each app instance sharing a store delivers every
 * message to its own sockets, whoever stored it.
 */
export class ChatServer implements ConnectionHost {
  readonly limits: ConnectionLimits;
  readonly counters: Counters = {
    frames_in: 0,
    frames_out: 0,
    errors_out: 0,
    rate_limited: 0,
    upgrades_refused: 0,
    closed_slow_reader: 0,
    closed_dead_peer: 0,
    closed_token_expired: 0,
    closed_session_revoked: 0,
  };
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<ChatConnection>();
  private readonly byUser = new Map<string, Set<ChatConnection>>();
  private readonly bySession = new Map<string, Set<ChatConnection>>();
  private readonly heartbeat: NodeJS.Timeout;
  private feed: Feed | null = null;
  private delivered = 0;
  private closing: Promise<void> | null = null;
  /** Sockets corked while a batch of events is delivered. */
  private corked: Set<ChatConnection> | null = null;

  private constructor(
    readonly parley: Parley,
    private readonly options: ChatServerOptions,
  ) {
    this.limits = options;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Starts delivering from the log's head and takes upgrades from `server`. */
  static async attach(parley: Parley, server: Server, options: Partial<ChatServerOptions> = {}): Promise<ChatServer> {
    const chat = new ChatServer(parley, { ...DEFAULT_CHAT_OPTIONS, ...options });
    chat.feed = await parley.messaging.feed('head', (batch) => chat.deliverAll(batch));
    chat.delivered = chat.feed.from;
    chat.feed.done.catch((error: unknown) => parley.log.error({ err: error }, 'chat delivery feed stopped'));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      chat.upgrade(request, socket, head),
    );
    return chat;
  }

  stats(): ChatStats {
    return {
      connections: this.connections.size,
      users: this.byUser.size,
      ...this.counters,
      feed_position: this.delivered,
    };
  }

  deliveredPosition(): number {
    return this.delivered;
  }

  rebind(connection: ChatConnection, previousSessionId: string): void {
    removeFrom(this.bySession, previousSessionId, connection);
    addTo(this.bySession, connection.principal.session_id, connection);
  }

  /** Stops taking upgrades, closes every socket with 1001, and waits for frames being handled. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      const open = [...this.connections];
      const closed = Promise.all(
        open.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.ws.readyState === c.ws.CLOSED) resolve();
              else c.ws.once('close', () => resolve());
            }),
        ),
      );
      for (const c of open) c.close(CLOSE.goingAway, 'server shutting down');
      const timer = setTimeout(() => {
        for (const c of open) c.ws.terminate();
      }, this.options.closeTimeoutMs);
      await closed;
      clearTimeout(timer);
      await Promise.all(open.map((c) => c.drained()));
      await this.feed?.stop();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    })();
    return this.closing;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ignoreErrors = () => {};
    socket.on('error', ignoreErrors);
    const refuse = (status: number, code: string, message: string, headers?: Record<string, string>) => {
      this.counters.upgrades_refused++;
      refuseUpgrade(socket, status, code, message, headers);
    };
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH)
      return refuse(404, 'not_found', `no WebSocket endpoint at ${url.pathname}; use ${WS_PATH}`);
    if (this.closing) return refuse(503, 'shutting_down', 'the server is shutting down; reconnect shortly');
    const token = tokenFrom(request, url);
    if (!token) {
      return refuse(
        401,
        'not_authenticated',
        'send an access token: Authorization: Bearer, Sec-WebSocket-Protocol: parley, <token>, or ?token=',
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    this.parley.accounts.authenticate(token).then(
      (principal) => {
        if (socket.destroyed) return;
        if (this.closing) return refuse(503, 'shutting_down', 'the server is shutting down; reconnect shortly');
        this.wss.handleUpgrade(request, socket, head, (ws) => {
          socket.off('error', ignoreErrors);
          this.accept(ws, principal);
        });
      },
      (error: unknown) => {
        const mapped = toHttpError(error);
        if (mapped.status >= 500) this.parley.log.error({ err: error }, 'chat upgrade failed');
        refuse(
          mapped.status,
          mapped.code,
          mapped.message,
          mapped.status === 401 ? { 'WWW-Authenticate': 'Bearer error="invalid_token"' } : {},
        );
      },
    );
  }

  private accept(ws: WebSocket, principal: Authenticated): void {
    const connection = new ChatConnection(ws, principal, this);
    this.connections.add(connection);
    addTo(this.byUser, principal.user_id, connection);
    addTo(this.bySession, principal.session_id, connection);
    ws.on('error', (error) => this.parley.log.debug({ err: error }, 'chat socket error'));
    ws.on('close', () => {
      connection.stopTimers();
      this.connections.delete(connection);
      removeFrom(this.byUser, connection.principal.user_id, connection);
      removeFrom(this.bySession, connection.principal.session_id, connection);
    });
  }

  /** Drops sockets that did not answer the last ping, and pings the rest. */
  private beat(): void {
    for (const c of this.connections) {
      if (!c.alive) {
        this.counters.closed_dead_peer++;
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /**
   * Each notice is encoded once and the same bytes go to every socket that should see it. Never
   * throws: a failing handler would stop the feed for everyone.
   */
  private deliverAll(batch: FeedBatch): void {
    this.corked = new Set();
    try {
      for (const notice of batch.notices) {
        try {
          this.deliver(notice);
        } catch (error) {
          const about =
            notice.kind === 'revoked' ? { session_id: notice.session_id } : { message_id: notice.message.id };
          this.parley.log.error({ err: error, ...about }, 'chat delivery failed for a notice');
        }
      }
    } finally {
      this.delivered = batch.position;
      for (const c of this.corked) c.uncork();
      this.corked = null;
    }
  }

  /**
   * Frames for one socket in one batch of notices leave in one write: a busy chat sends hundreds of
   * small frames per commit, and a system call for each was the fan-out's cost.
   */
  private out(c: ChatConnection, id: string, data: Buffer): void {
    if (this.corked && !this.corked.has(c)) {
      c.cork();
      this.corked.add(c);
    }
    c.deliver(id, data);
  }

  private deliver(notice: FeedNotice): void {
    switch (notice.kind) {
      case 'pm': {
        const recipients = this.byUser.get(notice.message.to_id);
        const senders = this.byUser.get(notice.message.from_id);
        if (!recipients && !senders) return;
        const view = pmView(notice.message);
        if (recipients) {
          const data = Buffer.from(JSON.stringify(view));
          for (const c of recipients) this.out(c, view.id, data);
        }
        if (senders) {
          // recipient_online: whether the recipient has a socket on this instance.
          const data = Buffer.from(JSON.stringify({ ...view, recipient_online: recipients !== undefined }));
          for (const c of senders) this.out(c, view.id, data);
        }
        return;
      }
      case 'chat': {
        if (this.connections.size === 0) return;
        const view = chatView(notice.message);
        const data = Buffer.from(JSON.stringify(view));
        for (const c of this.connections) this.out(c, view.id, data);
        return;
      }
      case 'revoked': {
        const revoked = this.bySession.get(notice.session_id);
        if (!revoked) return;
        for (const c of [...revoked]) {
          this.counters.closed_session_revoked++;
          c.close(CLOSE.sessionRevoked, `session ended: ${notice.reason}`);
        }
        return;
      }
      default:
    }
  }
}
