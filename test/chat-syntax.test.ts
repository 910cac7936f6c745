import { expect } from 'chai';
import { parseChatLine } from '../src/app/chat-syntax';
import { DomainError } from '../src/commands/decider';

describe('chat syntax', () => {
  it('reads "/pm <username> <text>" as a private message', () => {
    expect(parseChatLine('/pm bob hello there')).to.deep.equal({ kind: 'pm', to: 'bob', text: 'hello there' });
  });

  it('keeps the text of a private message whole, line breaks included', () => {
    expect(parseChatLine('/PM  bob   line one\nline two ')).to.deep.equal({
      kind: 'pm',
      to: 'bob',
      text: 'line one\nline two',
    });
  });

  it('reads anything else as general chat', () => {
    expect(parseChatLine('hello all')).to.deep.equal({ kind: 'chat', text: 'hello all' });
    expect(parseChatLine('/pmbob hi')).to.deep.equal({ kind: 'chat', text: '/pmbob hi' });
    expect(parseChatLine('say /pm bob hi')).to.deep.equal({ kind: 'chat', text: 'say /pm bob hi' });
  });

  for (const line of ['/pm', '/pm   ', '/pm bob', '/pm bob   ']) {
    it(`refuses '${line}' with the usage`, () => {
      const result = parseChatLine(line);
      expect(result).to.be.instanceOf(DomainError);
      expect((result as DomainError).code).to.equal('validation_failed');
      expect((result as DomainError).message).to.contain('/pm <username> <text>');
    });
  }
});
