/**
 * What the HTTP-port entry points (REST, real-time, MQTT) report to the metrics subsystem. A
 * narrow interface so those modules never import prom-client; a no-op when metrics are off.
 */

export type EntryPoint = 'operations' | 'rest' | 'mqtt';

export interface IngestObserver {
  /** Rows written through an entry point (after the commit). */
  rowsWritten(entryPoint: EntryPoint, database: string, table: string, rows: number): void;
  /** One request or message handled: what it was and how long it took. */
  observed(entryPoint: EntryPoint, kind: string, seconds: number): void;
  /** A real-time subscriber was disconnected (reason: slow, error, ...). */
  subscriberDropped(transport: 'websocket' | 'sse' | 'mqtt', reason: string): void;
}

export const NO_OBSERVER: IngestObserver = {
  rowsWritten() { /* metrics off */ },
  observed() { /* metrics off */ },
  subscriberDropped() { /* metrics off */ },
};
