/**
 * `ferrydb start`: load the configuration, open the node, listen, stop cleanly on signals.
 * The `restart` operation closes the node gracefully and starts it again in this process, with
 * the configuration re-read (set_configuration's changes apply), on the same ports and data.
 */
import { join, resolve } from 'node:path';
import { CONFIG_FILE_NAME, parseSettingFlags, readConfig } from '../../config/read-sources.js';
import { DbError } from '../../errors/db-error.js';
import { createLogger, notify, type LoggerHandle } from '../../log/logger.js';
import { createNode, type FerryNode } from '../../server.js';
import type { CliIo } from '../io.js';

export const START_HELP = `Usage: ferrydb start [--SETTING value ...]

Starts a FerryDB node in the foreground. Settings come from defaults, then
<rootPath>/ferrydb-config.yaml, then environment variables, then these flags.
A flag is any setting's environment name or dotted path, for example:
  --ROOTPATH ./data  --OPERATIONSAPI_NETWORK_PORT 9925  --operationsApi.network.host=0.0.0.0
  --CLUSTERING true --CLUSTERING_PORT 12345 --NODE_NAME edge --LOG_LEVEL debug
See docs/config.md for every setting.
`;

interface Running { node: FerryNode; log: LoggerHandle }

/** Reads the configuration, opens and binds a node; configuration problems are one-line DbErrors. */
async function boot(io: CliIo, flags: Record<string, string>, restartNode: () => void): Promise<Running> {
  const config = readConfig(io.env, flags, io.cwd);
  const logDir = config.logging.file ? join(config.rootPath, 'log') : null;
  const log = createLogger({
    level: config.logging.level, stdStreams: config.logging.stdStreams, dir: logDir,
    maxBytes: config.logging.rotation.maxBytes, files: config.logging.rotation.files,
    nodeName: config.clustering.nodeName ?? undefined,
  });
  const configFile = io.env.HDB_CONFIG ? resolve(io.cwd, io.env.HDB_CONFIG) : join(config.rootPath, CONFIG_FILE_NAME);
  let node: FerryNode | undefined;
  try {
    node = await createNode(config, { logger: log.logger, logDir, configFile, restartNode });
    const { operations } = await node.listen();
    if (node.generatedAdminPassword) {
      // Printed once, straight to the terminal, never through the logger (log files keep no secrets).
      io.stdout(`\nFerryDB created the admin user 'admin' with the generated password:\n\n    ${node.generatedAdminPassword}\n\nIt is shown only this once. Set HDB_ADMIN_USERNAME/HDB_ADMIN_PASSWORD on first start to choose your own.\n\n`);
    }
    io.stdout(`FerryDB node '${node.services.node.nodeName}' ready: operations API on http://${operations.address}:${operations.port}/\n`);
    return { node, log };
  } catch (err) {
    // A configuration problem (a port in use, ...) is the one line main() prints; anything else is logged in full.
    if (!(err instanceof DbError)) log.logger.fatal({ err }, 'start-up failed');
    await node?.close().catch(() => undefined);
    await log.close();
    throw err;
  }
}

/** Runs a node until SIGINT/SIGTERM; resolves with the exit code. */
export async function runStart(args: string[], io: CliIo): Promise<number> {
  const flags = parseSettingFlags(args);
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => { done = r; });
  let stopping = false;
  let restarting: Promise<void> | null = null;
  let current: Running;
  const restart = () => {
    if (stopping || restarting) return;
    restarting = (async () => {
      notify(current.log.logger, {}, 'restarting');
      await current.node.close();
      await current.log.close();
      current = await boot(io, flags, restart);
    })().then(
      () => { restarting = null; },
      (err: unknown) => { io.stderr(`ferrydb: restart failed: ${err instanceof DbError ? err.message : (err as Error).stack ?? String(err)}\n`); stopping = true; done(1); },
    );
  };
  current = await boot(io, flags, restart);
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await restarting;
      notify(current.log.logger, { signal }, 'shutting down');
      try {
        await current.node.close();
        await current.log.close();
        done(0);
      } catch (err) {
        current.log.logger.error({ err }, 'shutdown failed');
        await current.log.close();
        done(1);
      }
    })();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return finished;
}
