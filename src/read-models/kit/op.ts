/** A read-model write: what a projection makes of an event, applied idempotently by either engine. */
export interface Op {
  readonly kind: string;
}
