import type {
  ClaimEvent,
  EmailClaimed,
  EmailReleased,
  PictureRef,
  ProfileFields,
  SessionRevoked,
  UserEvent,
  UserSettings,
  UsernameClaimed,
} from '../events';
import { emailStream, usernameStream } from '../events';
import { DomainError, type Decider } from './decider';
import { emailKey, emailProblem, nameProblem, normalizeUsername, usernameKey, usernameProblem } from './rules';

export interface User extends ProfileFields {
  id: string;
  username: string;
  password_hash: string;
  settings: UserSettings;
  picture: PictureRef | null;
  /** Ids of the users this user blocked, in the order blocked. */
  blocked: readonly string[];
}

/** Whom a block command names, as the app found them by username (null: nobody has that name). */
export interface BlockTarget {
  id: string;
  username: string;
}

/** A user aggregate plus the owners of whichever username/email claim streams were loaded with it. */
export interface UserState {
  user: User | null;
  claims: Record<string, string | null>;
}

export const DEFAULT_SETTINGS: UserSettings = { pm_policy: 'everyone', phone_public: false, read_receipts: true };

/** A user's read_receipts setting: absent (registered before it existed) means on. */
export const readReceiptsOn = (settings: UserSettings): boolean => settings.read_receipts ?? true;

export type UserCommand =
  | ({ type: 'RegisterUser'; user_id: string; username: string; password_hash: string } & ProfileFields)
  | { type: 'UpdateProfile'; user_id: string; changes: Partial<ProfileFields> }
  | { type: 'ChangeSettings'; user_id: string; changes: Partial<UserSettings> }
  | {
      type: 'ChangePassword';
      user_id: string;
      /** The hash the current password was verified against: refused if it is no longer current. */
      verified_hash: string;
      password_hash: string;
      /** Sessions to end with the change (every active one but the caller's). */
      revoke_sessions: string[];
    }
  | { type: 'SetPicture'; user_id: string; picture: PictureRef | null }
  /** `username` is the name asked for, for the refusal when `target` is null. */
  | { type: 'BlockUser' | 'UnblockUser'; user_id: string; username: string; target: BlockTarget | null }
  | {
      type: 'EraseUser';
      user_id: string;
      /** The hash the password was verified against: refused if it is no longer current. */
      verified_hash: string;
      /** Every session of the user still active: all of them end with the account. */
      revoke_sessions: string[];
    };

type Event = UserEvent | ClaimEvent | SessionRevoked;

function profileProblems(fields: Partial<ProfileFields>): Record<string, string> {
  const problems: Record<string, string> = {};
  if (fields.email !== undefined) {
    const p = emailProblem(fields.email);
    if (p) problems.email = p;
  }
  for (const field of ['first_name', 'last_name', 'phone'] as const) {
    const p = nameProblem(field, fields[field]);
    if (p) problems[field] = p;
  }
  return problems;
}

export const invalid = (problems: Record<string, string>): DomainError =>
  new DomainError('validation_failed', Object.values(problems)[0], problems);

/** What is wrong with a registration's fields, by field (empty when nothing is). */
export function registrationProblems(fields: { username: string } & Partial<ProfileFields>): Record<string, string> {
  const problems = profileProblems(fields);
  const usernameIssue = usernameProblem(fields.username);
  if (usernameIssue) problems.username = usernameIssue;
  return problems;
}

function decideRegister(cmd: Extract<UserCommand, { type: 'RegisterUser' }>, state: UserState): Event[] | DomainError {
  const problems = registrationProblems(cmd);
  if (Object.keys(problems).length > 0) return invalid(problems);

  const username = normalizeUsername(cmd.username);
  const uKey = usernameKey(username);
  const eKey = emailKey(cmd.email);
  if (state.user) return new DomainError('username_taken', 'this user is already registered');
  if (state.claims[usernameStream(uKey)]) return new DomainError('username_taken', `username '${username}' is taken`);
  if (state.claims[emailStream(eKey)]) return new DomainError('email_taken', 'this email is already registered');

  const claimedUsername: UsernameClaimed = { type: 'UsernameClaimed', data: { key: uKey, user_id: cmd.user_id } };
  const claimedEmail: EmailClaimed = { type: 'EmailClaimed', data: { key: eKey, user_id: cmd.user_id } };
  return [
    claimedUsername,
    claimedEmail,
    {
      type: 'UserRegistered',
      data: {
        user_id: cmd.user_id,
        username,
        username_key: uKey,
        email: cmd.email.trim(),
        password_hash: cmd.password_hash,
        first_name: cmd.first_name,
        last_name: cmd.last_name,
        phone: cmd.phone,
        settings: DEFAULT_SETTINGS,
      },
    },
  ];
}

function decideUpdateProfile(
  cmd: Extract<UserCommand, { type: 'UpdateProfile' }>,
  user: User,
  state: UserState,
): Event[] | DomainError {
  const problems = profileProblems(cmd.changes);
  if (Object.keys(problems).length > 0) return invalid(problems);

  const changes: Partial<ProfileFields> = {};
  for (const field of ['email', 'first_name', 'last_name', 'phone'] as const) {
    const value = field === 'email' ? cmd.changes.email?.trim() : cmd.changes[field];
    if (value !== undefined && value !== user[field]) (changes as Record<string, unknown>)[field] = value;
  }
  if (Object.keys(changes).length === 0) return [];

  const events: Event[] = [];
  if (changes.email !== undefined) {
    const oldKey = emailKey(user.email);
    const newKey = emailKey(changes.email);
    if (newKey !== oldKey) {
      const owner = state.claims[emailStream(newKey)];
      if (owner && owner !== user.id) return new DomainError('email_taken', 'this email is already registered');
      const released: EmailReleased = { type: 'EmailReleased', data: { key: oldKey, user_id: user.id } };
      const claimed: EmailClaimed = { type: 'EmailClaimed', data: { key: newKey, user_id: user.id } };
      events.push(released, claimed);
    }
  }
  events.push({ type: 'ProfileUpdated', data: { user_id: user.id, changes } });
  return events;
}

function decideChangeSettings(cmd: Extract<UserCommand, { type: 'ChangeSettings' }>, user: User): Event[] {
  const changes: Partial<UserSettings> = {};
  if (cmd.changes.pm_policy !== undefined && cmd.changes.pm_policy !== user.settings.pm_policy)
    changes.pm_policy = cmd.changes.pm_policy;
  if (cmd.changes.phone_public !== undefined && cmd.changes.phone_public !== user.settings.phone_public)
    changes.phone_public = cmd.changes.phone_public;
  const receipts = cmd.changes.read_receipts;
  if (receipts !== undefined && receipts !== readReceiptsOn(user.settings)) changes.read_receipts = receipts;
  return Object.keys(changes).length === 0 ? [] : [{ type: 'SettingsChanged', data: { user_id: user.id, changes } }];
}

function decideChangePassword(
  cmd: Extract<UserCommand, { type: 'ChangePassword' }>,
  user: User,
): Event[] | DomainError {
  if (cmd.verified_hash !== user.password_hash)
    return new DomainError('invalid_credentials', 'the current password is wrong');
  return [
    { type: 'PasswordChanged', data: { user_id: user.id, password_hash: cmd.password_hash } },
    ...cmd.revoke_sessions.map((session_id): SessionRevoked => ({
      type: 'SessionRevoked',
      data: { session_id, user_id: user.id, reason: 'password_changed' },
    })),
  ];
}

/** Blocking is idempotent both ways: blocking a blocked user, or unblocking one who is not, changes nothing. */
function decideBlock(
  cmd: Extract<UserCommand, { type: 'BlockUser' | 'UnblockUser' }>,
  user: User,
): Event[] | DomainError {
  const target = cmd.target;
  if (!target) return new DomainError('user_not_found', `there is no user '${cmd.username}'`);
  const data = { user_id: user.id, blocked_id: target.id, blocked: target.username };
  const isBlocked = user.blocked.includes(target.id);
  if (cmd.type === 'UnblockUser') return isBlocked ? [{ type: 'UserUnblocked', data }] : [];
  if (target.id === user.id) {
    return new DomainError('block_self', 'you cannot block yourself', { username: 'you cannot block yourself' });
  }
  return isBlocked ? [] : [{ type: 'UserBlocked', data }];
}

/**
 * Erasure keeps the username claimed (nobody may take over the name), releases the email, ends
 * every session and records UserErased; the data key's deletion (docs/privacy.md) does the rest.
 */
function decideErase(cmd: Extract<UserCommand, { type: 'EraseUser' }>, user: User): Event[] | DomainError {
  if (cmd.verified_hash !== user.password_hash) return new DomainError('invalid_credentials', 'the password is wrong');
  return [
    { type: 'EmailReleased', data: { key: emailKey(user.email), user_id: user.id } },
    ...cmd.revoke_sessions.map((session_id): SessionRevoked => ({
      type: 'SessionRevoked',
      data: { session_id, user_id: user.id, reason: 'account_erased' },
    })),
    { type: 'UserErased', data: { user_id: user.id } },
  ];
}

export const userDecider: Decider<UserCommand, UserState, Event> = {
  initialState: () => ({ user: null, claims: {} }),

  evolve(state, event) {
    switch (event.type) {
      case 'UsernameClaimed':
        return { ...state, claims: { ...state.claims, [usernameStream(event.data.key)]: event.data.user_id } };
      case 'EmailClaimed':
        return { ...state, claims: { ...state.claims, [emailStream(event.data.key)]: event.data.user_id } };
      case 'EmailReleased':
        return { ...state, claims: { ...state.claims, [emailStream(event.data.key)]: null } };
      case 'SessionRevoked':
        return state;
      default:
        return { ...state, user: evolveUser(state.user, event) };
    }
  },

  decide(cmd, state) {
    if (cmd.type === 'RegisterUser') return decideRegister(cmd, state);
    const user = state.user;
    if (!user || user.id !== cmd.user_id) return new DomainError('user_not_found', 'no such user');
    switch (cmd.type) {
      case 'UpdateProfile':
        return decideUpdateProfile(cmd, user, state);
      case 'ChangeSettings':
        return decideChangeSettings(cmd, user);
      case 'ChangePassword':
        return decideChangePassword(cmd, user);
      case 'BlockUser':
      case 'UnblockUser':
        return decideBlock(cmd, user);
      case 'EraseUser':
        return decideErase(cmd, user);
      case 'SetPicture':
        return cmd.picture?.id === user.picture?.id
          ? []
          : [{ type: 'PictureChanged', data: { user_id: user.id, picture: cmd.picture } }];
    }
  },
};

/** The user's own events folded into a User; other aggregates (messages) reuse it for recipients. */
export function evolveUser(user: User | null, event: UserEvent): User | null {
  switch (event.type) {
    case 'UserRegistered': {
      const { user_id, username_key: _key, ...rest } = event.data;
      return { id: user_id, ...rest, picture: null, blocked: [] };
    }
    case 'ProfileUpdated':
      return user && { ...user, ...event.data.changes };
    case 'SettingsChanged':
      return user && { ...user, settings: { ...user.settings, ...event.data.changes } };
    case 'PasswordChanged':
      return user && { ...user, password_hash: event.data.password_hash };
    case 'PictureChanged':
      return user && { ...user, picture: event.data.picture };
    case 'UserBlocked':
      return user && { ...user, blocked: [...user.blocked, event.data.blocked_id] };
    case 'UserUnblocked':
      return user && { ...user, blocked: user.blocked.filter((id) => id !== event.data.blocked_id) };
    case 'UserErased':
      // Nothing of an erased user is left to act on: to every command it is no user at all.
      return null;
  }
}
