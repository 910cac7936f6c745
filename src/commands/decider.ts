import type { ParleyEvent } from '../events';

/** Why a command was refused. The code is stable and part of the API's error bodies. */
export type DomainErrorCode =
  | 'validation_failed'
  | 'username_taken'
  | 'email_taken'
  | 'user_not_found'
  | 'recipient_not_found'
  | 'pm_to_self'
  | 'pm_not_accepted'
  | 'invalid_credentials'
  | 'session_invalid'
  | 'refresh_token_reused'
  | 'picture_unsupported';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * A decider is the whole write-side behaviour of an aggregate, without I/O:
 * decide(command, state) → new events or a domain error; evolve(state, event) → next state.
 */
export interface Decider<Command, State, Event extends ParleyEvent = ParleyEvent> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[] | DomainError;
}

export const fold = <S, E extends ParleyEvent>(
  decider: Pick<Decider<unknown, S, E>, 'initialState' | 'evolve'>,
  events: readonly E[],
): S => events.reduce(decider.evolve, decider.initialState());

/**
 * Decides several commands in a row as one: each sees the state the previous ones left. All their
 * events, or the first error.
 */
export function decideAll<C, S, E extends ParleyEvent>(
  decider: Decider<C, S, E>,
  commands: readonly C[],
  state: S,
): E[] | DomainError {
  const events: E[] = [];
  for (const command of commands) {
    const result = decider.decide(command, state);
    if (result instanceof DomainError) return result;
    events.push(...result);
    state = result.reduce(decider.evolve, state);
  }
  return events;
}
