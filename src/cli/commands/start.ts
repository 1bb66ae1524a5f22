/** `ferrydb start`: load the configuration, open the node, listen, stop cleanly on signals. */
import { join } from 'node:path';
import { parseSettingFlags, readConfig } from '../../config/read-sources.js';
import { createLogger } from '../../log/logger.js';
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

/** Runs a node until SIGINT/SIGTERM; resolves with the exit code. */
export async function runStart(args: string[], io: CliIo): Promise<number> {
  const config = readConfig(io.env, parseSettingFlags(args), io.cwd);
  const logDir = config.logging.file ? join(config.rootPath, 'log') : null;
  const log = createLogger({
    level: config.logging.level, stdStreams: config.logging.stdStreams, dir: logDir,
    maxBytes: config.logging.rotation.maxBytes, files: config.logging.rotation.files,
    nodeName: config.clustering.nodeName ?? undefined,
  });
  let node: FerryNode | undefined;
  try {
    node = await createNode(config, { logger: log.logger, logDir });
    const { operations } = await node.listen();
    if (node.generatedAdminPassword) {
      // Printed once, straight to the terminal, never through the logger (log files keep no secrets).
      io.stdout(`\nFerryDB created the admin user 'admin' with the generated password:\n\n    ${node.generatedAdminPassword}\n\nIt is shown only this once. Set HDB_ADMIN_USERNAME/HDB_ADMIN_PASSWORD on first start to choose your own.\n\n`);
    }
    io.stdout(`FerryDB node '${node.services.node.nodeName}' ready: operations API on http://${operations.address}:${operations.port}/\n`);
  } catch (err) {
    log.logger.fatal({ err }, 'start-up failed');
    await node?.close().catch(() => undefined);
    await log.close();
    throw err;
  }
  const started = node;
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.logger.info({ signal }, 'shutting down');
      started.close().then(
        () => log.close().then(() => resolve(0)),
        (err) => { log.logger.error({ err }, 'shutdown failed'); void log.close().then(() => resolve(1)); },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
