import type { TransactionOptions } from 'mongodb';
import type { EventMetadata, StoredEvent } from '../../events';
import { upcast } from '../../events/upcasters';

/** One event as the `events` collection stores it: its log position is the _id. */
export interface EventDoc {
  _id: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  schema_version: number;
  time: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export const toEvent = ({ _id, ...rest }: EventDoc): StoredEvent => upcast({ ...rest, position: _id });

/**
 * Every transaction reads a snapshot and commits to a majority: an acknowledged event survives the
 * loss of the primary, and change streams (which only see majority-committed writes) see it.
 */
export const TRANSACTION_OPTIONS: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};
