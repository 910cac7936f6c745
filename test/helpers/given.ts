import { expect } from 'chai';
import { DomainError, type Decider, type DomainErrorCode } from '../../src/commands/decider';
import type { ParleyEvent } from '../../src/events';

/**
 * Given/when/then for pure deciders, in the style of emmett's DeciderSpecification:
 *   spec.given(pastEvents).when(command).then(newEvents)
 *   spec.given(pastEvents).when(command).thenError('username_taken')
 * The past events are folded with evolve into the state the command is decided on.
 */
export interface Outcome<E> {
  /** Asserts exactly these new events (deep equality, in order). */
  then(expected: E[]): void;
  /** Asserts that the command was accepted but changed nothing. */
  thenNothing(): void;
  /** Asserts a refusal with this code; returns the error for further checks. */
  thenError(code: DomainErrorCode): DomainError;
  /** The raw result, for assertions the helpers above do not cover. */
  readonly result: E[] | DomainError;
}

export interface Specification<C, E> {
  given(events: E[]): { when(command: C): Outcome<E> };
}

export function deciderSpec<C, S, E extends ParleyEvent>(decider: Decider<C, S, E>): Specification<C, E> {
  return {
    given(events) {
      return {
        when(command) {
          const state = events.reduce(decider.evolve, decider.initialState());
          const result = decider.decide(command, state);
          const describe = () =>
            result instanceof DomainError ? `error ${result.code}: ${result.message}` : JSON.stringify(result);
          return {
            result,
            then(expected) {
              expect(result, describe()).not.to.be.instanceOf(DomainError);
              expect(result).to.deep.equal(expected);
            },
            thenNothing() {
              expect(result, describe()).to.deep.equal([]);
            },
            thenError(code) {
              expect(result, describe()).to.be.instanceOf(DomainError);
              const error = result as DomainError;
              expect(error.code).to.equal(code);
              return error;
            },
          };
        },
      };
    },
  };
}
