import { expect } from 'chai';
import { messageDecider, type MessageCommand } from '../../src/commands/message';
import { DEFAULT_SETTINGS } from '../../src/commands/user';
import type { ParleyEvent } from '../../src/events';
import { deciderSpec } from '../helpers/given';

const spec = deciderSpec(messageDecider);

const ALICE = 'user-alice';
const BOB = 'user-bob';

const bobRegistered: ParleyEvent = {
  type: 'UserRegistered',
  data: {
    user_id: BOB,
    username: 'bob',
    username_key: 'bob',
    email: 'bob@example.test',
    password_hash: 'h',
    first_name: null,
    last_name: null,
    phone: null,
    settings: DEFAULT_SETTINGS,
  },
};
const bobRefusesPms: ParleyEvent = {
  type: 'SettingsChanged',
  data: { user_id: BOB, changes: { pm_policy: 'nobody' } },
};

const pm = (
  text: string,
  overrides: Partial<Extract<MessageCommand, { type: 'SendPrivateMessage' }>> = {},
): MessageCommand => ({
  type: 'SendPrivateMessage',
  message_id: 'm1',
  from_id: ALICE,
  from: 'alice',
  to_id: BOB,
  text,
  ...overrides,
});
const chat = (text: string, ref?: string): MessageCommand => ({
  type: 'PostChatMessage',
  message_id: 'c1',
  from_id: ALICE,
  from: 'alice',
  text,
  ...(ref ? { ref } : {}),
});

describe('message decider', () => {
  describe('SendPrivateMessage', () => {
    it('sends trimmed text to the recipient, with their username', () => {
      spec
        .given([bobRegistered])
        .when(pm('  hello bob \n', { ref: 'r-1' }))
        .then([
          {
            type: 'MessageSent',
            data: {
              message_id: 'm1',
              from_id: ALICE,
              from: 'alice',
              to_id: BOB,
              to: 'bob',
              text: 'hello bob',
              ref: 'r-1',
            },
          },
        ]);
    });

    it('refuses an unknown recipient', () => {
      spec.given([]).when(pm('hi')).thenError('recipient_not_found');
    });

    it('refuses a message to oneself', () => {
      spec
        .given([bobRegistered])
        .when(pm('hi', { from_id: BOB, from: 'bob' }))
        .thenError('pm_to_self');
    });

    it('refuses a recipient who accepts no private messages', () => {
      spec.given([bobRegistered, bobRefusesPms]).when(pm('hi')).thenError('pm_not_accepted');
    });

    it('delivers again once the recipient accepts messages again', () => {
      const reopened: ParleyEvent = {
        type: 'SettingsChanged',
        data: { user_id: BOB, changes: { pm_policy: 'everyone' } },
      };
      expect(spec.given([bobRegistered, bobRefusesPms, reopened]).when(pm('hi')).result).to.have.length(1);
    });

    for (const [text, why] of [
      ['', 'empty'],
      [' \t\n ', 'whitespace only'],
      ['x'.repeat(4001), 'longer than 4000'],
      ['a\u0000b', 'a control character'],
    ]) {
      it(`refuses text that is ${why}`, () => {
        spec.given([bobRegistered]).when(pm(text)).thenError('validation_failed');
      });
    }

    it('accepts exactly 4000 characters, counted as code points', () => {
      expect(spec.given([bobRegistered]).when(pm('😀'.repeat(4000))).result).to.have.length(1);
    });

    it('stores nothing new when the message (same ref, same id) is already stored', () => {
      const stored: ParleyEvent = {
        type: 'MessageSent',
        data: { message_id: 'm1', from_id: ALICE, from: 'alice', to_id: BOB, to: 'bob', text: 'hi', ref: 'r' },
      };
      spec
        .given([bobRegistered, stored])
        .when(pm('hi', { ref: 'r' }))
        .thenNothing();
    });
  });

  describe('PostChatMessage', () => {
    it('posts trimmed text to the general chat', () => {
      spec
        .given([])
        .when(chat(' hello all ', 'r'))
        .then([
          {
            type: 'ChatMessagePosted',
            data: { message_id: 'c1', from_id: ALICE, from: 'alice', text: 'hello all', ref: 'r' },
          },
        ]);
    });

    it('refuses empty and over-long text', () => {
      spec.given([]).when(chat('   ')).thenError('validation_failed');
      spec
        .given([])
        .when(chat('y'.repeat(4001)))
        .thenError('validation_failed');
    });

    it('stores nothing new for a resent ref', () => {
      const stored: ParleyEvent = {
        type: 'ChatMessagePosted',
        data: { message_id: 'c1', from_id: ALICE, from: 'alice', text: 'hello', ref: 'r' },
      };
      spec.given([stored]).when(chat('hello', 'r')).thenNothing();
    });
  });
});
