/** What every event in the log carries besides its own data. */
export interface EventMetadata {
  /** Id of the request (or frame) that led to this event; shared by every event it caused. */
  correlation_id: string;
  /** Id of the command that produced this event. */
  causation_id: string;
  /** The authenticated user who acted, when there was one. */
  user_id?: string;
}

/** An event as a decider produces it: a type and its data. */
export interface EventOf<T extends string, D> {
  type: T;
  data: D;
}

/** An event as the log stores it. */
export type Stored<E extends EventOf<string, unknown>> = E & {
  /** Unique id of this event. */
  id: string;
  /** Position in the whole log: strictly increasing in commit order, starting at 1. */
  position: number;
  stream: string;
  /** Version of the stream after this event: 1 for a stream's first event. */
  version: number;
  /** ISO-8601 time the command was handled. */
  time: string;
  metadata: EventMetadata;
  /** Version of the data's shape; older shapes are upcast on read (see upcasters.ts). */
  schema_version: number;
};
