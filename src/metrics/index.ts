export { registerChatMetrics } from './chat';
export type { ChatStats } from './chat';
export { instrumentEngine } from './events';
export { httpMetrics, UNMATCHED_ROUTE } from './http';
export { registerProjectionMetrics, type ProjectionSource } from './projections';
export { createMetricsRegistry, exposition } from './registry';
