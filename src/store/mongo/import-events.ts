import { MongoBulkWriteError, type ClientSession, type Collection } from 'mongodb';
import type { RawEvent } from '../../events/upcasters';
import { ImportConflictError } from '../ports';
import type { EventDoc } from './event-doc';
import { DUPLICATE_KEY, EVENTS, hasCode, logHead } from './schema';

/**
 * Writes exported events as they are, in the caller's transaction: positions must increase and
 * lie after the head. The counter moves to the last one, so that appends (which all write the
 * counter, and so conflict with this transaction) continue after the imported events.
 */
export async function insertExported(
  eventsCollection: Collection<EventDoc>,
  counters: Collection<{ _id: string; position: number }>,
  events: RawEvent[],
  session: ClientSession,
): Promise<void> {
  // A missing counter stands for the log's head, as for appends.
  const counter = await counters.findOne({ _id: EVENTS }, { session });
  const head = counter?.position ?? (await logHead(eventsCollection, session));
  let last = head;
  for (const e of events) {
    if (e.position <= last) {
      throw new ImportConflictError(
        e.position,
        `position ${e.position} is not after ${last} (the log's head or the previous event): the log only grows at its end`,
      );
    }
    last = e.position;
  }
  await counters.updateOne({ _id: EVENTS }, { $set: { position: last } }, { session, upsert: true });
  const docs: EventDoc[] = events.map((e) => ({
    _id: e.position,
    id: e.id,
    stream: e.stream,
    version: e.version,
    type: e.type,
    schema_version: e.schema_version,
    time: e.time,
    data: e.data,
    metadata: e.metadata,
  }));
  try {
    await eventsCollection.insertMany(docs, { session, ordered: true });
  } catch (error) {
    if (!hasCode(error, DUPLICATE_KEY)) throw error;
    const e = events[failedIndex(error)] ?? events[0];
    throw new ImportConflictError(
      e.position,
      `stream ${e.stream} already has a version ${e.version} (event at position ${e.position})`,
    );
  }
}

function failedIndex(error: unknown): number {
  if (!(error instanceof MongoBulkWriteError)) return 0;
  const writeErrors = error.writeErrors;
  return (Array.isArray(writeErrors) ? writeErrors[0] : writeErrors)?.index ?? 0;
}
