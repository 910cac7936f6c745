import { usernameStream } from '../events';
import type { EventStore } from '../store/ports';

/** The user who claimed a (normalised) username key, read from its claim stream: the write side's own record. */
export async function claimantOf(events: EventStore, usernameKey: string): Promise<string | undefined> {
  const claim = await events.readStreams([usernameStream(usernameKey)]);
  const claimed = claim.events.find((e) => e.type === 'UsernameClaimed');
  return claimed?.type === 'UsernameClaimed' ? claimed.data.user_id : undefined;
}
