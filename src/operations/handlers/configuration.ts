/**
 * get_configuration (FerryDB's settings plus the HarperDB sections clients read, with FerryDB's
 * real values), set_configuration (validated, persisted to the YAML file, applied on restart,
 * secrets never echoed), restart and restart_service.
 */
import { join } from 'node:path';
import { redactConfig } from '../../config/load-config.js';
import { resolveSettings, writeSettings } from '../../config/persist.js';
import { DbError, invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import type { OperationRegistry } from '../registry.js';

export const SET_CONFIGURATION_MESSAGE = 'Configuration successfully set. You must restart FerryDB for new config settings to take effect.';
export const RESTART_MESSAGE = 'Restarting FerryDB. This may take up to 60 seconds.';

function getConfiguration(_body: Body, ctx: OperationContext): Record<string, unknown> {
  const cfg = redactConfig(ctx.config);
  const auth = (cfg.authentication ?? {}) as Record<string, unknown>;
  const logging = cfg.logging as Record<string, unknown>;
  return {
    ...cfg,
    // HarperDB's sections; FerryDB always requires credentials, also from localhost.
    authentication: {
      authorizeLocal: false,
      enableSessions: false,
      operationTokenTimeout: auth.operationTokenTimeout ?? '1d',
      refreshTokenTimeout: auth.refreshTokenTimeout ?? '30d',
      ...auth,
    },
    componentsRoot: null,
    threads: { count: 1 },
    storage: { path: join(ctx.config.rootPath, 'database'), engine: 'lmdb' },
    logging: { ...logging, root: ctx.node.logDir },
    tls: { certificate: null, privateKey: null, certificateAuthority: null },
  };
}

function setConfiguration(body: Body, ctx: OperationContext) {
  const { operation: _op, ...updates } = body;
  const written = writeSettings(ctx.node.configFile, resolveSettings(updates));
  ctx.logger.info({ settings: written, file: ctx.node.configFile }, 'configuration file updated by set_configuration');
  return SET_CONFIGURATION_MESSAGE;
}

function restart(_body: Body, ctx: OperationContext) {
  const again = ctx.restartNode;
  if (!again) throw invalid('restart is only available when the node runs as a process (ferrydb start / npm start)');
  // Answer first; the restart closes the server gracefully (in-flight requests finish).
  setTimeout(again, 50).unref();
  return RESTART_MESSAGE;
}

async function restartService(body: Body, ctx: OperationContext) {
  const service = body.service;
  const names = [...ctx.restarters.keys()].sort();
  if (service === undefined || service === null || service === '') throw invalid(`'service' is required`);
  if (typeof service !== 'string') throw invalid(`'service' must be a string`);
  const restartOne = ctx.restarters.get(service);
  if (!restartOne) {
    throw new DbError('VALIDATION_FAILED', `'service' must be one of ${names.length ? names.join(', ') : '(none: this node has no restartable services)'}; use 'restart' for the whole node`);
  }
  await restartOne();
  return `Restarting ${service}`;
}

export function registerConfigurationOperations(r: OperationRegistry): void {
  r.register({ name: 'get_configuration', handler: getConfiguration, superUserOnly: true });
  r.register({ name: 'set_configuration', handler: setConfiguration, superUserOnly: true });
  r.register({ name: 'restart', handler: restart, superUserOnly: true });
  r.register({ name: 'restart_service', handler: restartService, superUserOnly: true });
}
