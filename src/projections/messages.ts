// The message projections live with their read models; re-exported here for existing importers.
export { chatMessageRow, chatProjection } from '../read-models/chat/projection';
export { conversationsProjection } from '../read-models/conversations/projection';
export { inboxProjection } from '../read-models/inbox/projection';
export { INBOX_SIZE } from '../read-models/inbox/types';
export { privateMessageRow } from '../read-models/kit/private-message';
