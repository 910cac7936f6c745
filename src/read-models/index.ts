import { chatReadModel } from './chat';
import { conversationsReadModel } from './conversations';
import { inboxReadModel } from './inbox';
import type { AnyReadModel } from './kit/read-model';
import { sessionsReadModel } from './sessions';
import { usersReadModel } from './users';

/**
 * Every read model, in the order their projections run. Both engines iterate this list for the
 * tables/collections, their DDL and indexes, how each op is written and the queries; adding a read
 * model is its folder and one line here.
 */
export const READ_MODELS = [
  usersReadModel,
  sessionsReadModel,
  inboxReadModel,
  conversationsReadModel,
  chatReadModel,
] as const satisfies readonly AnyReadModel[];

type Registered = (typeof READ_MODELS)[number];

/** Every kind of read-model write: what the registered projections produce. */
export type ReadModelOp = ReturnType<Registered['projection']['project']>[number];

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every registered read model's queries, as one object (both engines answer all of them). */
export type ReadModelQueries = UnionToIntersection<ReturnType<Registered['sqlite']['queries']>>;

/** The read model a projection fills. */
export function readModelOf(projection: string): AnyReadModel {
  const model = READ_MODELS.find((m) => m.projection.name === projection);
  if (!model) throw new Error(`unknown projection: ${projection}`);
  return model;
}

const OWNERS = new Map<string, AnyReadModel>(
  READ_MODELS.flatMap((m) => Object.keys(m.sqlite.apply).map((k) => [k, m])),
);

/** The read model whose projection writes ops of this kind. */
export function ownerOfOp(kind: string): AnyReadModel | undefined {
  return OWNERS.get(kind);
}

export type { Page } from './kit/read-model';
export type { PrivateMessageRow } from './kit/private-message';
export type { ChatMessageRow } from './chat/types';
export { pairKey } from './conversations/types';
export type { SessionRow } from './sessions/types';
export type { UserChanges, UserRow } from './users/types';
