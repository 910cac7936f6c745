/**
 * A cursor names a position in the event log, for clients as an opaque string: base64url of
 * `c1:<position>` (the prefix versions the format). It is not signed: it only says where a resync
 * starts, and a resync only ever returns frames for the authenticated user, so a forged cursor can
 * show nothing its holder could not read anyway; one past the log's head counts as unknown.
 */
const PREFIX = 'c1:';
const SHAPE = /^c1:(0|[1-9][0-9]{0,15})$/;
/** Longest cursor string taken (a 16-digit position encodes to 26 characters). */
export const CURSOR_MAX = 64;

export function encodeCursor(position: number): string {
  return Buffer.from(`${PREFIX}${position}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one this server made. */
export function decodeCursor(cursor: string | undefined | null): number | null {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > CURSOR_MAX) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = SHAPE.exec(text);
  if (!match) return null;
  const position = Number(match[1]);
  // Only the canonical encoding is taken, so that one position has exactly one cursor.
  return Number.isSafeInteger(position) && encodeCursor(position) === cursor ? position : null;
}
