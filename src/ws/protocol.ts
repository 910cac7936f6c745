import { parseChatLine, type ChatLine } from '../app/chat-syntax';
import { DomainError } from '../commands/decider';
import { TEXT_MAX } from '../commands/rules';
import { HttpError } from '../edge/errors';
import { Type } from '@sinclair/typebox';
import { literal, object, refSchema } from '../edge/schemas';
import { bodyValidator } from '../edge/validation';

export { WS_PATH } from '../edge/paths';
/** The subprotocol a browser offers next to its token (Sec-WebSocket-Protocol: parley, <token>). */
export const SUBPROTOCOL = 'parley';

/** Close codes the server uses; docs/websocket.md lists them for client authors. */
export const CLOSE = {
  /** The server is shutting down: reconnect (with back-off) to another or the restarted instance. */
  goingAway: 1001,
  /** The server could not load the connection's history: reconnect later. */
  internalError: 1011,
  /** The frame was over the size limit (sent by ws itself). */
  tooBig: 1009,
  /** The client read too slowly and too much piled up for it: reconnect and read faster. */
  slowReader: 1013,
  /** The access token expired and no {type:'auth'} frame renewed it: refresh, then reconnect. */
  tokenExpired: 4001,
  /** The session ended (logout, password change, reused refresh token): log in again. */
  sessionRevoked: 4003,
} as const;

/**
 * Error codes of error frames that are not the HTTP API's own (the domain codes — validation_failed,
 * recipient_not_found, pm_to_self, pm_not_accepted, session_invalid — and invalid_request /
 * concurrent_update / internal_error are shared with it).
 */
export type WsErrorCode = 'invalid_json' | 'unknown_type' | 'rate_limited' | 'auth_user_mismatch';

export class FrameError extends Error {
  constructor(
    readonly code: WsErrorCode | 'invalid_request',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** What a client frame asks for. */
export type ClientFrame = { type: 'send'; line: ChatLine; ref?: string } | { type: 'auth'; token: string };

// Empty text passes the shape check on purpose: the decider answers it with validation_failed,
// exactly as it does for a text frame. The bound only keeps absurd strings away from it.
const text = Type.String({ maxLength: TEXT_MAX * 2 });
const recipient = Type.String({ minLength: 1, maxLength: 200 });

const VALIDATORS: Record<string, (frame: unknown) => void> = {
  pm: bodyValidator(object({ type: literal('pm'), to: recipient, text, ref: Type.Optional(refSchema) }), 'frame'),
  chat: bodyValidator(object({ type: literal('chat'), text, ref: Type.Optional(refSchema) }), 'frame'),
  auth: bodyValidator(
    object({ type: literal('auth'), token: Type.String({ minLength: 1, maxLength: 4096 }) }),
    'frame',
  ),
};

/** The `ref` of a JSON frame, when it has a usable one: error frames echo it. */
export function refOf(raw: string): string | undefined {
  if (!raw.includes('"ref"')) return undefined;
  try {
    const ref = (JSON.parse(raw) as { ref?: unknown }).ref;
    return typeof ref === 'string' && ref.length <= 128 ? ref : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A text frame whose first non-blank character is '{' is JSON ({type:'pm'|'chat'|'auth', …});
 * any other text is a line in the chat syntax ("/pm <user> <text>" or general chat).
 */
export function parseFrame(raw: string): ClientFrame {
  if (raw.trimStart()[0] !== '{') {
    const line = parseChatLine(raw);
    if (line instanceof DomainError) throw line;
    return { type: 'send', line };
  }
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    throw new FrameError('invalid_json', 'the frame starts with { but is not valid JSON');
  }
  const type = (frame as { type?: unknown }).type;
  if (typeof type !== 'string')
    throw new FrameError('unknown_type', "a JSON frame needs a string 'type': pm, chat or auth");
  const validate = Object.hasOwn(VALIDATORS, type) ? VALIDATORS[type] : undefined;
  if (!validate)
    throw new FrameError('unknown_type', `unknown frame type '${type.slice(0, 40)}': expected pm, chat or auth`);
  try {
    validate(frame);
  } catch (error) {
    if (error instanceof HttpError) throw new FrameError('invalid_request', error.message, error.details);
    throw error;
  }
  const f = frame as { type: string; to?: string; text?: string; ref?: string; token?: string };
  if (f.type === 'auth') return { type: 'auth', token: f.token! };
  const line: ChatLine = f.type === 'pm' ? { kind: 'pm', to: f.to!, text: f.text! } : { kind: 'chat', text: f.text! };
  return { type: 'send', line, ...(f.ref === undefined ? {} : { ref: f.ref }) };
}
