import type { RawEvent } from '../events/upcasters';
import type { Engine, RewrittenEvent } from '../store/ports';
import { PersonalDataCodec } from './codec';
import { EmailClaimNames } from './email-claims';
import { LEGACY_UNTIL, protectEngine, protectionOf } from './index';
import { UserErasedError } from './keys';

/** Meta entry: the position `privacy migrate` has rewritten up to (so that a rerun resumes there). */
export const MIGRATED_TO = 'migrated_to';

const BATCH = 500;

export interface MigrationResult {
  /** Events looked at, and how many of them were rewritten. */
  scanned: number;
  rewritten: number;
  /** Users whose data keys were deleted by this run (an erasure interrupted before it deleted the key). */
  keysErased: number;
  head: number;
}

const isClaim = (type: string) => type === 'EmailClaimed' || type === 'EmailReleased';

/**
 * Rewrites every event still holding personal fields in plaintext into the protected form, and
 * renames email claim streams to their keyed hashes: the one sanctioned rewrite of stored events
 * (docs/privacy.md). Ids, positions, types, versions, times and metadata stay. Idempotent (a
 * protected field is left alone) and resumable (it goes on from where the last run got to).
 */
export async function migrateLog(
  engine: Engine,
  master: Buffer,
  onProgress: (position: number, head: number) => void = () => {},
): Promise<MigrationResult> {
  const protection = protectionOf(protectEngine(engine, master))!;
  const { ring, codec, claims } = protection;
  const keys = engine.privacy.keys;
  const head = await engine.events.headPosition();
  let position = Math.min(Number((await keys.getMeta(MIGRATED_TO)) ?? 0), head);
  const result: MigrationResult = { scanned: 0, rewritten: 0, keysErased: 0, head };
  onProgress(position, head);
  while (position < head) {
    const batch = (await engine.privacy.readRaw(position, BATCH)).filter((e) => e.position <= head);
    if (batch.length === 0) break;
    const rewrites: RewrittenEvent[] = [];
    for (const event of batch) {
      const rewrite = await protectedForm(event, codec, claims);
      if (rewrite) rewrites.push(rewrite);
      if (event.type === 'UserErased') {
        const userId = String(event.data.user_id);
        if ((await keys.get(userId))?.wrapped) {
          await ring.erase(userId, event.time);
          result.keysErased += 1;
        }
      }
    }
    await engine.privacy.rewriteEvents(rewrites);
    position = batch[batch.length - 1].position;
    await keys.setMeta(MIGRATED_TO, String(position));
    result.scanned += batch.length;
    result.rewritten += rewrites.length;
    onProgress(position, head);
  }
  // Written by this release from the start, or rewritten now: nothing below the head is plaintext.
  await keys.setMeta(LEGACY_UNTIL, '0');
  return result;
}

/** The event's protected data and stream, or null when it is protected already. */
async function protectedForm(
  event: RawEvent,
  codec: PersonalDataCodec,
  claims: EmailClaimNames,
): Promise<RewrittenEvent | null> {
  let changed = false;
  let data = event.data;
  if (PersonalDataCodec.hasPlaintext(event)) {
    const plain = { type: event.type, data } as never;
    try {
      data = ((await codec.seal(plain)) as { data: Record<string, unknown> }).data;
    } catch (error) {
      // The owner was erased already: their plaintext goes straight to the erased form.
      if (!(error instanceof UserErasedError)) throw error;
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- `plain` is never-typed for seal()
      data = PersonalDataCodec.erase(plain as { type: string; data: Record<string, unknown> }).data;
    }
    changed = true;
  }
  if (isClaim(event.type) && String(data.key).includes('@')) {
    data = { ...data, key: claims.hashedKey(String(data.key)) };
    changed = true;
  }
  let stream = event.stream;
  const plainKey = EmailClaimNames.plainKey(stream);
  if (plainKey !== null) {
    stream = claims.hashedStream(plainKey);
    changed = true;
  }
  return changed ? { position: event.position, stream, data } : null;
}
