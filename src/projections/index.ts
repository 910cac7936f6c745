import { chatProjection, conversationsProjection, inboxProjection } from './messages';
import type { Projection } from './projection';
import { sessionsProjection } from './sessions';
import { usersProjection } from './users';

export type { Projection } from './projection';

export const PROJECTIONS: readonly Projection[] = [
  usersProjection, sessionsProjection, inboxProjection, conversationsProjection, chatProjection,
];
