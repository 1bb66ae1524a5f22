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
import { createOperationsServer } from './http/operations-server.js';
import { StudioFiles } from './http/studio-static.js';
import { silentLogger, type Logger } from './log/logger.js';
import { createCoreRegistry, Jobs, schemaView, type OperationRegistry, type Services } from './operations/index.js';
import { Records } from './records/records.js';
import { createReplication } from './replication/index.js';
import { openLmdbEngine } from './storage/lmdb-engine.js';
import type { StorageEngine } from './storage/engine.js';
import { packageRoot, version } from './version.js';

/** Names the process serving a root path while it listens (ferrydb user refuses to touch a running node). */
export const PID_FILE = 'ferrydb.pid';

export interface NodeOptions {
  logger?: Logger;
  logDir?: string | null;
  /** Clock for token lifetimes and login limits (tests inject one). */
  clock?: () => number;
}

export interface FerryNode {
  readonly config: Config;
  readonly services: Services;
  readonly registry: OperationRegistry;
  /** Set on the first start when the admin password was generated: show it once, never log it. */
  readonly generatedAdminPassword: string | null;
  listen(): Promise<{ operations: AddressInfo }>;
  close(): Promise<void>;
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
  const clock = options.clock ?? Date.now;
  const users = new Users(engine, { clock });
  users.setSchema(schemaView({ catalog }));
  // The token key is generated on the first start and kept under the root path (0600).
  users.attachTokens(await Tokens.open(join(config.rootPath, 'keys'), {
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
    node: { nodeName, version: version(), startedAt: Date.now(), logDir: options.logDir ?? null, ports: { operations: 0, http: null, clustering: null } },
    statusProviders: new Map(),
    restarters: new Map(),
    systemTables: new Map(),
  };
  const registry = createCoreRegistry();
  const replication = createReplication({ services, registry, config, logger });
  const studio = config.localStudio.enabled ? new StudioFiles(join(packageRoot(), 'studio', 'dist')) : null;
  let server: Server | null = null;
  let closed = false;

  return {
    config, services, registry, generatedAdminPassword,
    async listen() {
      const net = config.operationsApi.network;
      server = createOperationsServer({
        registry, services, studio, logger,
        cors: { enabled: net.cors, accessList: net.corsAccessList },
        bodyLimit: net.bodyLimit, keepAliveTimeout: net.keepAliveTimeout,
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(net.port, net.host, () => { server!.off('error', reject); resolve(); });
      });
      const operations = server.address() as AddressInfo;
      writeFileSync(join(config.rootPath, PID_FILE), `${process.pid}\n`);
      services.node.ports.operations = operations.port;
      logger.info({ host: operations.address, port: operations.port, node: nodeName, studio: Boolean(studio?.available) }, 'operations API listening');
      const clusteringPort = await replication.start();
      if (clusteringPort !== null) {
        services.node.ports.clustering = clusteringPort;
        logger.info({ host: config.clustering.host, port: clusteringPort, node: nodeName }, 'replication listening');
      }
      return { operations };
    },
    async close() {
      if (closed) return;
      closed = true;
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
      await engine.close();
      rmSync(join(config.rootPath, PID_FILE), { force: true });
      logger.info('node stopped');
    },
  };
}
