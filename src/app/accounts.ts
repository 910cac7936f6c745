import { createHash, randomUUID } from 'node:crypto';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../auth/passwords';
import { TokenError, type TokenPair } from '../auth/tokens';
import { DomainError, fold } from '../commands/decider';
import { emailKey, passwordProblem, usernameKey } from '../commands/rules';
import { sessionDecider } from '../commands/session';
import { invalid, registrationProblems, userDecider, type User, type UserCommand } from '../commands/user';
import {
  emailStream,
  sessionStream,
  usernameStream,
  userStream,
  type PictureRef,
  type ProfileFields,
  type UserEvent,
  type UserSettings,
} from '../events';
import type { UserRow } from '../store/read-models';
import type { AppDeps } from './deps';
import type { CommandContext } from './execute';
import { claimantOf } from './username-claims';

/** The authenticated caller of a request or WebSocket connection. */
export interface Principal {
  user_id: string;
  username: string;
  session_id: string;
}

/** A caller whose access token was verified, and when that token expires (ms since the epoch). */
export interface Authenticated extends Principal {
  expiresAt: number;
}

export interface Registration extends Partial<Omit<ProfileFields, 'email'>> {
  username: string;
  email: string;
  password: string;
}

export interface AccountChanges extends Partial<ProfileFields> {
  settings?: Partial<UserSettings>;
  current_password?: string;
  new_password?: string;
}

const PICTURE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Whoever asked over HTTP reads their own writes next: every account change waits for the projections. */
const CONSISTENT = { consistent: true } as const;

const invalidCredentials = () => new DomainError('invalid_credentials', 'incorrect username or password');
const sessionInvalid = (message: string) => new DomainError('session_invalid', message);

/** Deciders only ever see hashes, so the password rule is checked here, before hashing. */
function checkPassword(field: 'password' | 'new_password', password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new DomainError('validation_failed', problem, { [field]: problem });
}

/** Registration, sessions and profile changes: the account use cases behind /users and /auth. */
export class Accounts {
  constructor(private readonly deps: AppDeps) {}

  async register(input: Registration, ctx: CommandContext): Promise<UserRow> {
    // Every field's problem at once, and before the (deliberately slow) hashing.
    const problems = registrationProblems(input);
    const passwordIssue = passwordProblem(input.password);
    if (passwordIssue) problems.password = passwordIssue;
    if (Object.keys(problems).length > 0) throw invalid(problems);
    const userId = randomUUID();
    const passwordHash = await hashPassword(input.password);
    await this.deps.handle(
      userDecider,
      [usernameStream(usernameKey(input.username)), emailStream(emailKey(input.email))],
      {
        type: 'RegisterUser',
        user_id: userId,
        username: input.username,
        email: input.email,
        password_hash: passwordHash,
        first_name: input.first_name ?? null,
        last_name: input.last_name ?? null,
        phone: input.phone ?? null,
      },
      ctx,
      CONSISTENT,
    );
    return this.profile(userId);
  }

  /** Checks the password and starts a session. Unknown user and wrong password look the same. */
  async login(username: string, password: string, ctx: CommandContext): Promise<TokenPair> {
    const user = await this.loadUserByName(username);
    const ok = user ? await verifyPassword(user.password_hash, password) : await burnPasswordCheck(password);
    if (!user || !ok) throw invalidCredentials();

    const sessionId = randomUUID();
    const refreshId = randomUUID();
    await this.deps.handle(
      sessionDecider,
      [sessionStream(sessionId)],
      {
        type: 'StartSession',
        session_id: sessionId,
        user_id: user.id,
        username: user.username,
        refresh_id: refreshId,
        expires_at: this.deps.tokens.refreshExpiry(new Date()),
      },
      { ...ctx, userId: user.id },
      CONSISTENT,
    );
    return this.deps.tokens.issue({ sub: user.id, sid: sessionId, username: user.username }, refreshId);
  }

  /** Rotates the refresh token. A spent one presented again ends the whole session. */
  async refresh(refreshToken: string, ctx: CommandContext): Promise<TokenPair> {
    const claims = this.verify(() => this.deps.tokens.verifyRefresh(refreshToken));
    const refreshId = randomUUID();
    const now = new Date();
    const done = await this.deps.handle(
      sessionDecider,
      [sessionStream(claims.sid)],
      {
        type: 'RefreshSession',
        session_id: claims.sid,
        presented_refresh_id: claims.jti,
        refresh_id: refreshId,
        expires_at: this.deps.tokens.refreshExpiry(now),
        now: now.toISOString(),
      },
      { ...ctx, userId: claims.sub },
      CONSISTENT,
    );
    if (done.events.some((e) => e.type === 'SessionRevoked')) {
      throw new DomainError('refresh_token_reused', 'this refresh token was already used; the session has been ended');
    }
    const user = await this.deps.engine.readModels.userById(claims.sub);
    if (!user) throw sessionInvalid('the user no longer exists');
    return this.deps.tokens.issue({ sub: claims.sub, sid: claims.sid, username: user.username }, refreshId);
  }

  async logout(principal: Principal, ctx: CommandContext): Promise<void> {
    await this.deps.handle(
      sessionDecider,
      [sessionStream(principal.session_id)],
      {
        type: 'RevokeSession',
        session_id: principal.session_id,
        reason: 'logout',
      },
      { ...ctx, userId: principal.user_id },
      CONSISTENT,
    );
  }

  /** Verifies an access token and that its session is still live (one indexed read). */
  async authenticate(accessToken: string): Promise<Authenticated> {
    const claims = this.verify(() => this.deps.tokens.verifyAccess(accessToken));
    const session = await this.deps.engine.readModels.session(claims.sid);
    if (!session || session.user_id !== claims.sub) throw sessionInvalid('the session does not exist');
    if (session.revoked) throw sessionInvalid('the session has ended');
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
    return { user_id: claims.sub, username: claims.username, session_id: claims.sid, expiresAt };
  }

  /**
   * How a session ended ('logout', …), or null while it is live. With `after`, the read models are
   * first brought up to that log position, so that an end the caller has already seen is found.
   */
  async sessionEnded(sessionId: string, options: { after?: number } = {}): Promise<string | null> {
    if (options.after) await this.deps.projector.waitFor(options.after);
    const session = await this.deps.engine.readModels.session(sessionId);
    if (!session) return 'unknown session';
    return session.revoked ?? null;
  }

  async profile(userId: string): Promise<UserRow> {
    const user = await this.deps.engine.readModels.userById(userId);
    if (!user) throw new DomainError('user_not_found', 'no such user');
    return user;
  }

  /** A user's profile by username, matched case-insensitively. */
  async profileByName(username: string): Promise<UserRow> {
    const user = await this.deps.engine.readModels.userByKey(usernameKey(username));
    if (!user) throw new DomainError('user_not_found', `there is no user '${username}'`);
    return user;
  }

  /** Users whose username starts with `prefix` (case-insensitive), sorted by username. */
  search(prefix: string, limit: number): Promise<UserRow[]> {
    return this.deps.engine.readModels.searchUsers(usernameKey(prefix), limit);
  }

  /** A user's current picture with its bytes; null when there is no such user or no picture. */
  async picture(username: string): Promise<(PictureRef & { bytes: Buffer }) | null> {
    const user = await this.deps.engine.readModels.userByKey(usernameKey(username));
    if (!user?.picture) return null;
    const stored = await this.deps.engine.pictures.get(user.picture.id);
    return stored ? { ...user.picture, content_type: stored.content_type, bytes: stored.bytes } : null;
  }

  /** Profile, settings and password in one atomic change: all of it happens, or none. */
  async update(principal: Principal, changes: AccountChanges, ctx: CommandContext): Promise<UserRow> {
    const { settings, current_password, new_password, ...profile } = changes;
    const commands: UserCommand[] = [];
    const streams = [userStream(principal.user_id)];
    if (profile.email !== undefined) streams.push(emailStream(emailKey(profile.email)));
    if (Object.keys(profile).length > 0)
      commands.push({ type: 'UpdateProfile', user_id: principal.user_id, changes: profile });
    if (settings) commands.push({ type: 'ChangeSettings', user_id: principal.user_id, changes: settings });
    if (new_password !== undefined) {
      if (current_password === undefined) {
        throw new DomainError('validation_failed', 'current_password is required to change the password', {
          current_password: 'required',
        });
      }
      commands.push(await this.passwordChange(principal, current_password, new_password));
    } else if (current_password !== undefined) {
      // Most likely a client that meant to change the password: say so rather than change nothing.
      throw new DomainError('validation_failed', 'current_password goes with new_password', {
        new_password: 'required with current_password',
      });
    }
    await this.deps.handle(userDecider, streams, commands, { ...ctx, userId: principal.user_id }, CONSISTENT);
    return this.profile(principal.user_id);
  }

  private async passwordChange(principal: Principal, current: string, next: string): Promise<UserCommand> {
    checkPassword('new_password', next);
    const user = await this.loadUser(principal.user_id);
    if (!user || !(await verifyPassword(user.password_hash, current))) {
      throw new DomainError('invalid_credentials', 'the current password is wrong', { current_password: 'incorrect' });
    }
    const others = (await this.deps.engine.readModels.activeSessionIds(user.id)).filter(
      (id) => id !== principal.session_id,
    );
    return {
      type: 'ChangePassword',
      user_id: user.id,
      verified_hash: user.password_hash,
      password_hash: await hashPassword(next),
      revoke_sessions: others,
    };
  }

  /** Stores a picture recognised by its bytes (PNG, JPEG, GIF, WebP) and makes it the user's. */
  async setPicture(principal: Principal, bytes: Buffer, ctx: CommandContext): Promise<PictureRef> {
    // file-type is an ES module; import() keeps this file loadable as CommonJS.
    const { fileTypeFromBuffer } = await import('file-type');
    const detected = await fileTypeFromBuffer(bytes);
    if (!detected || !PICTURE_TYPES.has(detected.mime)) {
      throw new DomainError('picture_unsupported', 'the file is not a PNG, JPEG, GIF or WebP image', {
        detected: detected?.mime ?? null,
      });
    }
    const picture: PictureRef = {
      id: createHash('sha256').update(bytes).digest('hex'),
      content_type: detected.mime,
      size: bytes.length,
    };
    await this.deps.engine.pictures.put(picture.id, picture.content_type, bytes);
    await this.deps.handle(
      userDecider,
      [userStream(principal.user_id)],
      {
        type: 'SetPicture',
        user_id: principal.user_id,
        picture,
      },
      { ...ctx, userId: principal.user_id },
      CONSISTENT,
    );
    return picture;
  }

  /** The write-side user (with its password hash), found through the username's claim stream. */
  private async loadUserByName(username: string): Promise<User | null> {
    const userId = await claimantOf(this.deps.engine.events, usernameKey(username));
    return userId ? this.loadUser(userId) : null;
  }

  private async loadUser(userId: string): Promise<User | null> {
    const { events } = await this.deps.engine.events.readStreams([userStream(userId)]);
    return fold(userDecider, events as UserEvent[]).user;
  }

  private verify<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof TokenError) throw sessionInvalid(error.message);
      throw error;
    }
  }
}
