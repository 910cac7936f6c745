import { messageChangeDecider, type MessageChangeCommand } from '../../src/commands/message-change';
import type { MessageEvent, Stored } from '../../src/events';
import { deciderSpec } from '../helpers/given';

const spec = deciderSpec(messageChangeDecider);

const ALICE = 'user-alice';
const BOB = 'user-bob';
const CAROL = 'user-carol';
const SENT_AT = '2026-01-01T10:00:00.000Z';

/** Past events as the log hands them over: with their time and position. */
const stored = (event: MessageEvent, position: number): MessageEvent =>
  ({ ...event, time: SENT_AT, position }) as Stored<MessageEvent>;

const pmSent = stored(
  {
    type: 'MessageSent',
    data: { message_id: 'm1', from_id: ALICE, from: 'alice', to_id: BOB, to: 'bob', text: 'hello bob' },
  },
  7,
);
const chatPosted = stored(
  { type: 'ChatMessagePosted', data: { message_id: 'c1', from_id: ALICE, from: 'alice', text: 'hi all' } },
  8,
);
const pmDeleted: MessageEvent = {
  type: 'MessageDeleted',
  data: { message_id: 'm1', kind: 'pm', from_id: ALICE, to_id: BOB },
};
const pmEdited = (text: string): MessageEvent => ({
  type: 'MessageEdited',
  data: { message_id: 'm1', kind: 'pm', from_id: ALICE, from: 'alice', to_id: BOB, to: 'bob', text, sent_at: SENT_AT },
});

const edit = (text: string, by_id = ALICE, message_id = 'm1'): MessageChangeCommand => ({
  type: 'EditMessage',
  message_id,
  by_id,
  text,
});
const del = (by_id = ALICE, message_id = 'm1'): MessageChangeCommand => ({ type: 'DeleteMessage', message_id, by_id });

describe('message change decider', () => {
  describe('EditMessage', () => {
    it('edits a PM with trimmed text, carrying the whole message (original sent_at)', () => {
      spec
        .given([pmSent])
        .when(edit('  hello again '))
        .then([pmEdited('hello again')]);
    });

    it('edits a chat line, without recipient fields', () => {
      spec
        .given([chatPosted])
        .when(edit('hi everyone', ALICE, 'c1'))
        .then([
          {
            type: 'MessageEdited',
            data: {
              message_id: 'c1',
              kind: 'chat',
              from_id: ALICE,
              from: 'alice',
              text: 'hi everyone',
              sent_at: SENT_AT,
            },
          },
        ]);
    });

    it('edits again after an edit, from the latest text', () => {
      spec
        .given([pmSent, pmEdited('v2')])
        .when(edit('v3'))
        .then([pmEdited('v3')]);
    });

    it('stores nothing for the text it already has', () => {
      spec.given([pmSent]).when(edit(' hello bob ')).thenNothing();
      spec
        .given([pmSent, pmEdited('v2')])
        .when(edit('v2'))
        .thenNothing();
    });

    it('refuses an unknown message with message_not_found', () => {
      spec.given([]).when(edit('x')).thenError('message_not_found');
    });

    it('refuses the recipient of a PM, and anyone but the sender of a chat line, with not_message_sender', () => {
      spec.given([pmSent]).when(edit('x', BOB)).thenError('not_message_sender');
      spec
        .given([chatPosted])
        .when(edit('x', CAROL, 'c1'))
        .thenError('not_message_sender');
    });

    it('answers someone who is no party to a PM as if it did not exist', () => {
      spec.given([pmSent]).when(edit('x', CAROL)).thenError('message_not_found');
    });

    it('refuses to edit a deleted message with message_deleted', () => {
      spec.given([pmSent, pmDeleted]).when(edit('back again')).thenError('message_deleted');
    });

    for (const [text, why] of [
      ['', 'empty'],
      [' \n ', 'whitespace only'],
      ['x'.repeat(4001), 'longer than 4000'],
      ['a\u0007b', 'a control character'],
    ]) {
      it(`refuses text that is ${why} with validation_failed`, () => {
        spec.given([pmSent]).when(edit(text)).thenError('validation_failed');
      });
    }

    it('checks who asks before the text: a stranger learns nothing from a bad edit', () => {
      spec.given([pmSent]).when(edit('', CAROL)).thenError('message_not_found');
      spec.given([pmSent]).when(edit('', BOB)).thenError('not_message_sender');
    });
  });

  describe('DeleteMessage', () => {
    it('deletes a PM, naming both parties', () => {
      spec
        .given([pmSent, pmEdited('v2')])
        .when(del())
        .then([pmDeleted]);
    });

    it('deletes a chat line', () => {
      spec
        .given([chatPosted])
        .when(del(ALICE, 'c1'))
        .then([{ type: 'MessageDeleted', data: { message_id: 'c1', kind: 'chat', from_id: ALICE } }]);
    });

    it('is idempotent: deleting again stores nothing', () => {
      spec.given([pmSent, pmDeleted]).when(del()).thenNothing();
    });

    it('refuses anyone but the sender, and hides a PM from strangers', () => {
      spec.given([pmSent]).when(del(BOB)).thenError('not_message_sender');
      spec.given([chatPosted]).when(del(BOB, 'c1')).thenError('not_message_sender');
      spec.given([pmSent]).when(del(CAROL)).thenError('message_not_found');
      spec.given([pmSent, pmDeleted]).when(del(BOB)).thenError('not_message_sender');
    });

    it('refuses an unknown message', () => {
      spec.given([]).when(del()).thenError('message_not_found');
    });
  });
});
