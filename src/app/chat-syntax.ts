import { DomainError } from '../commands/decider';

export type ChatLine = { kind: 'pm'; to: string; text: string } | { kind: 'chat'; text: string };

const PM_COMMAND = /^\/pm(?:\s+|$)/i;

/**
 * The original chat's syntax: "/pm <username> <text>" is a private message, anything else goes to
 * the general chat. Text is checked further by the deciders.
 */
export function parseChatLine(line: string): ChatLine | DomainError {
  const trimmed = line.trim();
  if (!PM_COMMAND.test(trimmed)) return { kind: 'chat', text: line };
  const rest = trimmed.replace(PM_COMMAND, '');
  const match = /^(\S+)\s+([\s\S]+)$/.exec(rest);
  if (!match)
    return new DomainError('validation_failed', 'usage: /pm <username> <text>', {
      text: 'a private message needs a recipient and a text',
    });
  return { kind: 'pm', to: match[1], text: match[2] };
}
