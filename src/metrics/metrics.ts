/**
 * Prometheus metrics (prom-client, imported only here): rows written per table and entry point,
 * request latency per operation, real-time and MQTT figures, change-log and LMDB sizes, process
 * figures, and replication per link and subscription read from the cluster_status operation (the
 * same figures an operator sees there). docs/metrics.md lists every metric.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { internalSuperUser } from '../auth/permissions.js';
import { isSuperUser } from '../auth/users.js';
import { DbError } from '../errors/db-error.js';
import { errorResponse } from '../http/error-response.js';
import type { Logger } from '../log/logger.js';
import type { Body, OperationContext, Services } from '../operations/context.js';
import type { OperationRegistry } from '../operations/registry.js';
import { RowStream } from '../operations/row-stream.js';
import type { EntryPoint, IngestObserver } from '../rest/observer.js';
import { replicationFigures, type ReplicationGauges } from './replication-metrics.js';
import { sinkFigures } from './sink-metrics.js';

export interface MetricsOptions {
  services: Services;
  registry: OperationRegistry;
  requireAuthentication: boolean;
  logger: Logger;
  /** Live figures of the HTTP-port subsystems, read at scrape time. */
  live?: () => { mqttConnections: number; realtimeListeners: number };
}

const WRITE_FIELDS: Record<string, string> = { insert: 'inserted_hashes', update: 'update_hashes', upsert: 'upserted_hashes', delete: 'deleted_hashes' };

export class Metrics implements IngestObserver {
  readonly register = new Registry();
  readonly #opts: MetricsOptions;
  readonly #rows: Counter<'database' | 'table' | 'entry_point'>;
  readonly #latency: Histogram<'entry_point' | 'operation'>;
  readonly #dropped: Counter<'transport' | 'reason'>;
  readonly #replication: ReplicationGauges;
  readonly #poll: NodeJS.Timeout;
  /** The registry's own dispatch (reading cluster_status is not timed as a client operation). */
  readonly #dispatch: OperationRegistry['dispatch'];

  constructor(opts: MetricsOptions) {
    this.#opts = opts;
    this.#dispatch = opts.registry.dispatch.bind(opts.registry);
    const register = this.register;
    const { services } = opts;
    collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 20 });
    this.#rows = new Counter({ name: 'ferrydb_rows_written_total', help: 'Rows written (inserted, updated, upserted or deleted) per table and entry point', labelNames: ['database', 'table', 'entry_point'], registers: [register] });
    this.#latency = new Histogram({
      name: 'ferrydb_request_duration_seconds', help: 'Time to answer a request, per entry point and operation (REST: the method; MQTT: publish, until the durable commit)',
      labelNames: ['entry_point', 'operation'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [register],
    });
    this.#dropped = new Counter({ name: 'ferrydb_realtime_subscribers_dropped_total', help: 'Real-time subscribers disconnected by the node, per transport and reason (slow: over the buffer bound)', labelNames: ['transport', 'reason'], registers: [register] });
    const live = opts.live;
    new Gauge({ name: 'ferrydb_mqtt_connections', help: 'Connected MQTT clients', registers: [register], collect() { this.set(live?.().mqttConnections ?? 0); } });
    new Gauge({ name: 'ferrydb_realtime_listeners', help: 'Active real-time subscriptions (WebSocket, SSE and MQTT), by table listener', registers: [register], collect() { this.set(live?.().realtimeListeners ?? 0); } });
    new Gauge({
      name: 'ferrydb_table_records', help: 'Records per table', labelNames: ['database', 'table'], registers: [register],
      collect() { this.reset(); for (const db of services.catalog.databases()) for (const t of services.catalog.tables(db.name)) this.set({ database: db.name, table: t.name }, services.records.count(t)); },
    });
    new Gauge({
      name: 'ferrydb_changelog_entries', help: 'Change-log entries retained per table', labelNames: ['database', 'table'], registers: [register],
      collect() { this.reset(); for (const db of services.catalog.databases()) for (const t of services.catalog.tables(db.name)) this.set({ database: db.name, table: t.name }, services.changelog.countAfter(db.name, t.name, 0)); },
    });
    const stats = () => services.records.engine.stats();
    new Gauge({ name: 'ferrydb_lmdb_map_size_bytes', help: 'Size of the LMDB memory map', registers: [register], collect() { this.set(stats().mapSizeBytes); } });
    new Gauge({ name: 'ferrydb_lmdb_used_bytes', help: 'Bytes of the LMDB map in use (up to the last used page)', registers: [register], collect() { this.set(stats().usedBytes); } });
    new Gauge({ name: 'ferrydb_lmdb_free_pages', help: 'Pages of the current LMDB map not yet used (LMDB grows the map when they run out)', registers: [register], collect() { const s = stats(); this.set(Math.max(0, Math.floor(s.mapSizeBytes / s.pageSize) - Math.ceil(s.usedBytes / s.pageSize))); } });
    new Gauge({ name: 'ferrydb_lmdb_readers', help: 'LMDB reader slots in use', registers: [register], collect() { this.set(stats().readers); } });
    this.#replication = replicationFigures(register, () => this.#clusterStatus());
    sinkFigures(register, () => this.#read('sink_status'));
    // Reconnects are seen as changes of a link's connected_since; sample between scrapes too.
    this.#poll = setInterval(() => this.#replication.sample(), 5000);
    this.#poll.unref();
    this.#instrument(opts.registry);
  }

  /** The answer of a synchronous status operation run as the internal metrics user (null when absent). */
  #read(operation: string): Record<string, unknown> | null {
    const { services, registry } = this.#opts;
    if (!registry.has(operation)) return null;
    const r = this.#dispatch({ operation }, { ...services, user: internalSuperUser('metrics') });
    return r instanceof Promise ? null : (r as Record<string, unknown>);
  }

  #clusterStatus(): Record<string, unknown> | null {
    const { services, registry } = this.#opts;
    if (!registry.has('cluster_status')) return null;
    const ctx: OperationContext = { ...services, user: internalSuperUser('metrics') };
    const r = this.#dispatch({ operation: 'cluster_status' }, ctx);
    return r instanceof Promise ? null : (r as Record<string, unknown>);
  }

  /** Times every operation and counts the rows each write operation wrote. */
  #instrument(registry: OperationRegistry): void {
    const dispatch = this.#dispatch;
    registry.dispatch = (body: Body, ctx: OperationContext): unknown => {
      const started = performance.now();
      const op = typeof body.operation === 'string' ? body.operation : 'unknown';
      const finish = (result: unknown) => {
        const took = () => this.observed('operations', op, (performance.now() - started) / 1000);
        // A streamed search is timed until its last row was read (sent), not until it began.
        if (result instanceof RowStream) void result.finished.then(took);
        else took();
        const field = WRITE_FIELDS[op];
        if (field && result && typeof result === 'object') {
          const keys = (result as Record<string, unknown>)[field];
          if (Array.isArray(keys) && keys.length) this.rowsWritten('operations', String(body.database ?? body.schema ?? 'data'), String(body.table), keys.length);
        }
        return result;
      };
      const result = dispatch(body, ctx);
      return result instanceof Promise ? result.then(finish) : finish(result);
    };
  }

  rowsWritten(entryPoint: EntryPoint, database: string, table: string, rows: number): void {
    if (rows > 0) this.#rows.inc({ database, table, entry_point: entryPoint }, rows);
  }

  observed(entryPoint: EntryPoint, kind: string, seconds: number): void {
    this.#latency.observe({ entry_point: entryPoint, operation: kind }, seconds);
  }

  subscriberDropped(transport: 'websocket' | 'sse' | 'mqtt', reason: string): void {
    this.#dropped.inc({ transport, reason });
  }

  /** GET /metrics: Prometheus text; super users only unless metrics.requireAuthentication is false. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const { services, logger } = this.#opts;
    const fail = (err: unknown) => {
      const { status, body } = errorResponse(err, logger);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    };
    const serve = () => this.register.metrics().then((text) => {
      res.writeHead(200, { 'content-type': this.register.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
    }, fail);
    if (!this.#opts.requireAuthentication) return void serve();
    services.users.authenticate(req.headers.authorization, req.socket.remoteAddress ?? 'unknown').then((user) => {
      if (!isSuperUser(user)) throw new DbError('FORBIDDEN', 'This operation is not authorized due to role restrictions and/or invalid schema items', { body: { unauthorized_access: ['/metrics is restricted to super users'], invalid_schema_items: [] } });
      return serve();
    }).catch(fail);
  }

  close(): void {
    clearInterval(this.#poll);
  }
}
