import { CommitUnknownError, EventTooLargeError } from '../app';
import { RetriesExhaustedError } from '../app/execute';
import { DomainError, type DomainErrorCode } from '../commands/decider';

/**
 * The one error mapping of both edges: the HTTP API answers with it, and the chat socket sends
 * the same codes in its error frames (and its refused upgrades).
 */

/** An error with its HTTP status, code and message, as the API reports it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  validation_failed: 422,
  username_taken: 409,
  email_taken: 409,
  user_not_found: 404,
  recipient_not_found: 404,
  pm_to_self: 422,
  pm_not_accepted: 403,
  invalid_credentials: 401,
  session_invalid: 401,
  refresh_token_reused: 401,
  picture_unsupported: 415,
};

/** Errors thrown by Koa's own parts (body parsing, routing), by their status. */
const FRAMEWORK_CODES: Record<number, [string, string]> = {
  400: ['invalid_request', 'the request could not be parsed'],
  404: ['not_found', 'no such resource'],
  405: ['method_not_allowed', 'this method is not allowed here'],
  413: ['payload_too_large', 'the request body is too large'],
  415: ['unsupported_media_type', 'this content type is not supported here'],
  501: ['not_implemented', 'this method is not supported'],
};

/** Turns anything a handler threw into the one error shape; unknown errors become an opaque 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError)
    return new HttpError(DOMAIN_STATUS[error.code], error.code, error.message, error.details);
  if (error instanceof RetriesExhaustedError) {
    return new HttpError(409, 'concurrent_update', 'the resource was changed concurrently; try again');
  }
  if (error instanceof CommitUnknownError) {
    return new HttpError(
      503,
      'commit_unknown',
      'the store did not confirm whether this was saved; send it again ' +
        '(a message resent with the same ref is stored once)',
      undefined,
      { 'Retry-After': '1' },
    );
  }
  if (error instanceof EventTooLargeError) return new HttpError(413, 'event_too_large', error.message);
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && FRAMEWORK_CODES[status]) {
    const [code, message] = FRAMEWORK_CODES[status];
    return new HttpError(status, code, message);
  }
  return new HttpError(500, 'internal_error', 'something went wrong on our side');
}
