import type { StoredEvent } from '../../events';
import type { AnyMongoReadModel, MongoReadModel } from './mongo';
import type { AnySqliteReadModel, SqliteReadModel } from './sqlite';

import type { Op } from './op';

export type { Op } from './op';

/**
 * A projection turns events into read-model writes. It is a pure function of the event, so a
 * rebuild from the log gives exactly what incremental processing gave, on any engine.
 */
export interface ProjectionOf<O extends Op> {
  readonly name: string;
  project(event: StoredEvent): O[];
}

export interface Page {
  /** Return only messages older than the message with this id. */
  before?: string;
  limit: number;
}

/**
 * One read model: its projection, the tables (SQLite) or collections (MongoDB) it owns, named alike
 * on both engines, and how each engine writes its ops and answers its queries `Q`.
 */
export interface ReadModel<O extends Op, Q extends object> {
  readonly projection: ProjectionOf<O>;
  /** Cleared when the projection is reset, swapped in when a rebuild is promoted. */
  readonly tables: readonly string[];
  readonly sqlite: SqliteReadModel<O, Q>;
  readonly mongo: MongoReadModel<O, Q>;
}

/** A read model with its op and query types erased, as the engines iterate the registry. */
export interface AnyReadModel {
  readonly projection: ProjectionOf<Op>;
  readonly tables: readonly string[];
  readonly sqlite: AnySqliteReadModel;
  readonly mongo: AnyMongoReadModel;
}

/** Makes a class whose instances carry the methods of the object given to its constructor. */
export function withQueries<Q extends object>(): new (queries: Q) => Q {
  return class {
    constructor(queries: Q) {
      Object.assign(this, queries);
    }
  } as new (queries: Q) => Q;
}
