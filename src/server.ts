/**
 * Composition root: builds a FerryDB node from a Config. createNode() opens storage and wires
 * the subsystems; listen() binds the ports; close() stops everything in reverse order.
 * No business logic lives here.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_USER, SUPER_USER } from './auth/roles.js';
import { Tokens } from './auth/tokens.js';
import { Users } from './auth/users.js';
import { generatePassword } from './auth/password.js';
import { Catalog } from './catalog/catalog.js';
import { ChangeLog } from './changelog/changelog.js';
import { parseDuration } from './config/duration.js';
import type { Config } from './config/load-config.js';
import { DbError } from './errors/db-error.js';
import { CONFIG_FILE_NAME } from './config/read-sources.js';
import { createHttpPort, type HttpPort } from './http/http-server.js';
import { createOperationsServer } from './http/operations-server.js';
import { webSocketStream } from './http/websocket-upgrade.js';
import { Metrics } from './metrics/metrics.js';
import { MqttBroker } from './mqtt/mqtt-broker.js';
import { ChangeFeed } from './realtime/change-feed.js';
import { NO_OBSERVER } from './rest/observer.js';
import { Realtime } from './rest/realtime.js';
import { createRestHandler } from './rest/rest-handler.js';
import type { ResolvedPath } from './rest/resource-path.js';
import type { User } from './auth/users.js';
import { StudioFiles } from './http/studio-static.js';
import { notify, silentLogger, type Logger } from './log/logger.js';
import { createCoreRegistry, Jobs, schemaView, type OperationRegistry, type Services } from './operations/index.js';
import { Records } from './records/records.js';
import { createReplication } from './replication/index.js';
import { registerSqlOperation } from './sql/index.js';
import { createSinks } from './sinks/index.js';
import { openLmdbEngine } from './storage/lmdb-engine.js';
import type { StorageEngine } from './storage/engine.js';
import { packageRoot, version } from './version.js';

/** Names the process serving a root path while it listens (ferrydb user refuses to touch a running node). */
export const PID_FILE = 'ferrydb.pid';

export interface NodeOptions {
  logger?: Logger;
  logDir?: string | null;
  /** The YAML file set_configuration writes (default <rootPath>/ferrydb-config.yaml). */
  configFile?: string;
  /** Called by the `restart` operation (the CLI restarts the node in place). */
  restartNode?: () => void;
  /** Clock for token lifetimes and login limits (tests inject one). */
  clock?: () => number;
}

export interface FerryNode {
  readonly config: Config;
  readonly services: Services;
  readonly registry: OperationRegistry;
  /** Set on the first start when the admin password was generated: show it once, never log it. */
  readonly generatedAdminPassword: string | null;
  /** Binds the operations API, the HTTP port (REST, real-time, MQTT over WebSocket, /metrics), MQTT and replication. */
  listen(): Promise<{ operations: AddressInfo; http: AddressInfo; mqtt: { port: number; securePort: number | null } }>;
  close(): Promise<void>;
}

/** A port that cannot be bound is a configuration error naming the setting (one line, no stack). */
function portError(err: unknown, host: string, port: number, setting: string, env: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new DbError('VALIDATION_FAILED', `invalid configuration: port ${port} on ${host} is already in use (setting '${setting}', ${env})`);
  if (code === 'EACCES') return new DbError('VALIDATION_FAILED', `invalid configuration: no permission to listen on port ${port} on ${host} (setting '${setting}', ${env})`);
  if (code === 'EADDRNOTAVAIL') return new DbError('VALIDATION_FAILED', `invalid configuration: address ${host} is not available on this machine (setting '${setting.replace(/port$/, 'host')}')`);
  return err;
}

/** Opens the node's storage and builds its services (nothing listens yet). */
export async function createNode(config: Config, options: NodeOptions = {}): Promise<FerryNode> {
  const logger = options.logger ?? silentLogger();
  mkdirSync(config.rootPath, { recursive: true });
  const engine: StorageEngine = openLmdbEngine({ path: join(config.rootPath, 'database') });
  const nodeName = config.clustering.nodeName ?? hostname();
  const catalog = new Catalog(engine);
  const changelog = new ChangeLog(engine, nodeName);
  const records = new Records(engine, catalog, changelog);
  changelog.onPurgeError = (err) => logger.error({ err }, 'removing the change log of a dropped table failed; it is tried again at the next drop or start');
  const clock = options.clock ?? Date.now;
  const users = new Users(engine, { clock });
  users.setSchema(schemaView({ catalog }));
  // The token key is generated on the first token signed or checked, and kept under the root path (0600).
  users.attachTokens(Tokens.open(join(config.rootPath, 'keys'), {
    operationTtlMs: parseDuration(config.authentication.operationTokenTimeout)!,
    refreshTtlMs: parseDuration(config.authentication.refreshTokenTimeout)!,
    clock,
  }));

  let generatedAdminPassword: string | null = null;
  if (users.count() === 0) {
    const username = config.admin.username ?? 'admin';
    const password = config.admin.password ?? (generatedAdminPassword = generatePassword());
    await users.put(username, password, SUPER_USER);
    logger.info({ username, generated: generatedAdminPassword !== null }, 'created the admin user');
  }
  if (config.clustering.enabled && config.clustering.password) {
    const existing = users.get(config.clustering.user);
    if (existing && existing.role.permission.super_user) {
      logger.warn({ user: config.clustering.user }, 'the cluster user is also a super user; keeping its role');
    } else if (!existing || !(await users.checkPassword(config.clustering.user, config.clustering.password))) {
      await users.put(config.clustering.user, config.clustering.password, CLUSTER_USER);
    }
  }

  const services: Services = {
    config, records, catalog, changelog, users, logger, jobs: new Jobs(engine),
    node: { nodeName, version: version(), startedAt: Date.now(), logDir: options.logDir ?? null, configFile: options.configFile ?? join(config.rootPath, CONFIG_FILE_NAME), ports: { operations: 0, http: null, clustering: null } },
    statusProviders: new Map(),
    restarters: new Map(),
    logConsumers: new Map(),
    ...(options.restartNode ? { restartNode: options.restartNode } : {}),
    systemTables: new Map(),
  };
  const registry = createCoreRegistry();
  const replication = createReplication({ services, registry, config, logger });
  const sql = registerSqlOperation(registry);
  const sinks = createSinks({ services, registry, config, logger });
  const studio = config.localStudio.enabled ? new StudioFiles(join(packageRoot(), 'studio', 'dist')) : null;
  const feed = new ChangeFeed(changelog);
  let broker: MqttBroker | null = null;
  const metrics = config.metrics.enabled
    ? new Metrics({ services, registry, requireAuthentication: config.metrics.requireAuthentication, logger, live: () => ({ mqttConnections: broker?.connections ?? 0, realtimeListeners: feed.listenerCount }) })
    : null;
  const observer = metrics ?? NO_OBSERVER;
  broker = new MqttBroker({ services, feed, config, observer, logger });
  const realtime = new Realtime({ services, feed, maxBufferBytes: config.http.maxSubscriberBufferBytes, maxInitialRecords: config.http.maxInitialRecords, observer, logger });
  const rest = createRestHandler({ services, bodyLimit: config.http.bodyLimit, observer, logger, serveEvents: (req, res, target, user) => realtime.serveEvents(req, res, target, user) });
  const mqttBroker = broker;
  const httpPort: HttpPort = createHttpPort({
    keepAliveTimeout: config.http.keepAliveTimeout,
    maxWebSocketPayloadBytes: config.mqtt.maxPacketBytes,
    handlers: {
      rest,
      ...(metrics ? { metrics: (req, res) => metrics.handle(req, res) } : {}),
      ...(config.mqtt.webSocket ? { mqtt: (ws, req) => mqttBroker.handleStream(webSocketStream(ws), req.socket.remoteAddress ?? 'unknown') } : {}),
      prepareSubscription: (req, socket) => realtime.prepareUpgrade(req, socket),
      subscription: (ws, prepared) => {
        const p = prepared as { user: User; target: ResolvedPath };
        realtime.serveWebSocket(ws, p.target, p.user);
      },
    },
  });
  let server: Server | null = null;
  let httpListening = false;
  let closed = false;

  return {
    config, services, registry, generatedAdminPassword,
    async listen() {
      const net = config.operationsApi.network;
      // A purge of dropped tables' change logs, or a dropped attribute's removal, cut short by a stop continues.
      void changelog.purgeDropped();
      records.resumePending().catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'UNAVAILABLE') logger.error({ err }, 'finishing a dropped attribute\'s removal failed; it is tried again at the next start');
      });
      server = createOperationsServer({
        registry, services, studio, logger,
        cors: { enabled: net.cors, accessList: net.corsAccessList },
        bodyLimit: net.bodyLimit, keepAliveTimeout: net.keepAliveTimeout,
      });
      await new Promise<void>((resolve, reject) => {
        const failed = (err: Error) => reject(portError(err, net.host, net.port, 'operationsApi.network.port', 'OPERATIONSAPI_NETWORK_PORT'));
        server!.once('error', failed);
        server!.listen(net.port, net.host, () => { server!.off('error', failed); resolve(); });
      });
      const operations = server.address() as AddressInfo;
      writeFileSync(join(config.rootPath, PID_FILE), `${process.pid}\n`);
      services.node.ports.operations = operations.port;
      notify(logger, { host: operations.address, port: operations.port, node: nodeName, studio: Boolean(studio?.available) }, 'operations API listening');
      await new Promise<void>((resolve, reject) => {
        const failed = (err: Error) => reject(portError(err, config.http.host, config.http.port, 'http.port', 'HTTP_PORT'));
        httpPort.server.once('error', failed);
        httpPort.server.listen(config.http.port, config.http.host, () => { httpPort.server.off('error', failed); resolve(); });
      });
      httpListening = true;
      const http = httpPort.server.address() as AddressInfo;
      services.node.ports.http = http.port;
      notify(logger, { host: http.address, port: http.port }, 'HTTP port listening (REST, real-time, MQTT over WebSocket, /metrics)');
      const mqtt = await mqttBroker.listen().catch((err: unknown) => {
        throw portError(err, config.mqtt.network.host, config.mqtt.network.port, 'mqtt.network.port', 'MQTT_NETWORK_PORT');
      });
      notify(logger, { host: config.mqtt.network.host, port: mqtt.port, securePort: mqtt.securePort }, 'MQTT listening');
      const clusteringPort = await replication.start().catch((err: unknown) => {
        throw portError(err, config.clustering.host, config.clustering.port, 'clustering.port', 'CLUSTERING_PORT');
      });
      if (clusteringPort !== null) {
        services.node.ports.clustering = clusteringPort;
        notify(logger, { host: config.clustering.host, port: clusteringPort, node: nodeName }, 'replication listening');
      }
      sinks.start();
      return { operations, http, mqtt };
    },
    async close() {
      if (closed) return;
      closed = true;
      await mqttBroker.close().catch((err: unknown) => logger.error({ err }, 'stopping MQTT failed'));
      if (httpListening) {
        const closing = new Promise<void>((resolve) => httpPort.server.close(() => resolve()));
        httpPort.closeConnections();
        await closing;
      }
      feed.close();
      metrics?.close();
      await sinks.stop().catch((err: unknown) => logger.error({ err }, 'stopping the sinks failed'));
      await replication.stop().catch((err: unknown) => logger.error({ err }, 'stopping replication failed'));
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
          const deadline = Date.now() + 5000;
          const poll = setInterval(() => {
            if (((s as unknown as { inFlight: number }).inFlight ?? 0) === 0 || Date.now() > deadline) {
              clearInterval(poll);
              s.closeAllConnections();
            }
          }, 20);
          poll.unref();
        });
      }
      await services.jobs.idle();
      await sql.close();
      await changelog.stopPurge();
      await engine.close();
      rmSync(join(config.rootPath, PID_FILE), { force: true });
      notify(logger, {}, 'node stopped');
    },
  };
}
