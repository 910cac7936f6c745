import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Process-wide facts (CPU, memory, GC, event-loop delay) belong to the process, not to one server:
 * they are collected once into a registry of their own, whose event-loop monitor runs for the
 * life of the process. Everything a server measures goes into a registry per server instance, so
 * that several servers in one process (tests) never clash over metric names.
 */
let processRegistry: Registry | null = null;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 10 });
  }
  return processRegistry;
}

/** A fresh registry for one server's metrics. */
export function createMetricsRegistry(): Registry {
  processMetrics();
  return new Registry();
}

/** The Prometheus text exposition of this server's metrics and the process's. */
export async function exposition(registry: Registry): Promise<{ contentType: string; text: string }> {
  const [own, proc] = await Promise.all([registry.metrics(), processMetrics().metrics()]);
  return { contentType: registry.contentType, text: `${own}\n${proc}` };
}
