/**
 * Pure input rules shared by the deciders. They are the domain's word on what a valid username,
 * email or message is; the HTTP schemas only check shapes.
 */
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const TEXT_MAX = 4000;
export const NAME_MAX = 100;
export const EMAIL_MAX = 254;

/** Words that would collide with routes under /users/ or read as commands. */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'me',
  'create',
  'update',
  'add_picture',
  'search',
  'picture',
  'login',
  'logout',
  'refresh',
  'auth',
  'users',
  'user',
  'messenger',
  'admin',
  'root',
  'system',
  'api',
  'docs',
  'openapi.json',
  'metrics',
  'healthz',
  'readyz',
  'ws',
  'pm',
  'chat',
  'inbox',
  'null',
  'undefined',
]);

// Letters and digits of any script, plus '_', '.', '-'.
const USERNAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
// Control characters other than tab and newline; also lone surrogates are refused by JSON parsing.
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/u;
const NAME_CONTROL_CHARS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u;
// Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is not our concern here.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

/** NFKC folds compatibility look-alikes (full-width letters, ligatures) before comparing names. */
export const normalizeUsername = (username: string): string => username.normalize('NFKC');
export const usernameKey = (username: string): string => normalizeUsername(username).toLowerCase();
export const emailKey = (email: string): string => email.normalize('NFKC').trim().toLowerCase();

export function usernameProblem(raw: string): string | null {
  const username = normalizeUsername(raw);
  const length = [...username].length;
  if (length < USERNAME_MIN || length > USERNAME_MAX)
    return `username must be ${USERNAME_MIN}–${USERNAME_MAX} characters`;
  if (!USERNAME_PATTERN.test(username)) return "username may contain only letters, digits, '_', '.' and '-'";
  if (RESERVED_USERNAMES.has(username.toLowerCase())) return `username '${username}' is reserved`;
  return null;
}

export function emailProblem(email: string): string | null {
  if (email.length > EMAIL_MAX || !EMAIL_PATTERN.test(email)) return 'email is not a valid address';
  return null;
}

export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX)
    return `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`;
  return null;
}

/** For first/last names and phone numbers: short, single-line, no control characters. */
export function nameProblem(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if ([...value].length > NAME_MAX) return `${field} must be at most ${NAME_MAX} characters`;
  if (NAME_CONTROL_CHARS.test(value)) return `${field} must not contain control characters`;
  return null;
}

/** Trims a message and says what is wrong with it, if anything. */
export function messageText(raw: string): { text: string; problem: string | null } {
  const text = raw.trim();
  if (text.length === 0) return { text, problem: 'message text is empty' };
  if ([...text].length > TEXT_MAX) return { text, problem: `message text is longer than ${TEXT_MAX} characters` };
  if (CONTROL_CHARS.test(text)) return { text, problem: 'message text contains control characters' };
  return { text, problem: null };
}
