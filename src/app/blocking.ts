import { fold } from '../commands/decider';
import { usernameKey } from '../commands/rules';
import { userDecider, type BlockTarget } from '../commands/user';
import { userStream, type UserEvent } from '../events';
import type { Principal } from './accounts';
import type { AppDeps } from './deps';
import type { CommandContext } from './execute';
import { claimantOf } from './username-claims';

/** The caller reads their own block list next: block changes wait for the projections. */
const CONSISTENT = { consistent: true } as const;

/**
 * Blocking users: the use cases behind /users/blocks. A block lives in the blocker's user stream,
 * which the PM decider loads for every recipient, so a blocked sender is refused without a look-up.
 */
export class Blocking {
  constructor(private readonly deps: AppDeps) {}

  /** Idempotent: blocking someone already blocked changes nothing. */
  block(principal: Principal, username: string, ctx: CommandContext): Promise<void> {
    return this.run('BlockUser', principal, username, ctx);
  }

  /** Idempotent: unblocking someone who is not blocked changes nothing. */
  unblock(principal: Principal, username: string, ctx: CommandContext): Promise<void> {
    return this.run('UnblockUser', principal, username, ctx);
  }

  /** The usernames the caller blocked, in the order blocked. */
  async blocked(principal: Principal): Promise<string[]> {
    return (await this.deps.engine.readModels.blocks(principal.user_id)).map((b) => b.blocked);
  }

  private async run(
    type: 'BlockUser' | 'UnblockUser',
    principal: Principal,
    username: string,
    ctx: CommandContext,
  ): Promise<void> {
    const target = await this.target(username);
    await this.deps.handle(
      userDecider,
      [userStream(principal.user_id)],
      {
        type,
        user_id: principal.user_id,
        username,
        target,
      },
      { ...ctx, userId: principal.user_id },
      CONSISTENT,
    );
  }

  /** Whom a username names, from the write side: its claim stream, then that user's own stream. */
  private async target(username: string): Promise<BlockTarget | null> {
    const id = await claimantOf(this.deps.engine.events, usernameKey(username));
    if (!id) return null;
    const { events } = await this.deps.engine.events.readStreams([userStream(id)]);
    const user = fold(userDecider, events as UserEvent[]).user;
    return user ? { id: user.id, username: user.username } : null;
  }
}
