/**
 * Every FerryDB setting, declared once: path in the YAML file, type, default, environment
 * names (HarperDB's names first-class) and a doc line. docs/config.md is checked against it.
 */

export type SettingType = 'string' | 'int' | 'bool' | 'port' | 'level' | 'list' | 'path';

export interface SettingDef {
  /** Dotted path, as in the YAML config file. */
  readonly path: string;
  readonly type: SettingType;
  readonly default: string | number | boolean | null | readonly string[];
  /** Extra environment/flag names besides the one derived from the path (PATH_WITH_UNDERSCORES). */
  readonly aliases?: readonly string[];
  readonly doc: string;
  /** Secrets are never logged nor returned by get_configuration. */
  readonly secret?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const SETTINGS: readonly SettingDef[] = [
  { path: 'rootPath', type: 'path', default: './data', aliases: ['ROOTPATH', 'HDB_ROOT'], doc: 'Directory holding the database files, the config file and the logs.' },
  { path: 'operationsApi.network.host', type: 'string', default: '127.0.0.1', aliases: ['SERVER_HOST'], doc: 'Interface the operations API listens on (0.0.0.0 for all).' },
  { path: 'operationsApi.network.port', type: 'port', default: 9925, aliases: ['SERVER_PORT'], doc: 'Operations API port; also accepts host:port. 0 picks a free port.' },
  { path: 'operationsApi.network.bodyLimit', type: 'int', default: 100 * 1024 * 1024, min: 1024, doc: 'Largest accepted request body in bytes; larger bodies get 413.' },
  { path: 'operationsApi.network.cors', type: 'bool', default: true, aliases: ['CORS_ON'], doc: 'Answer cross-origin requests from allowed origins.' },
  { path: 'operationsApi.network.corsAccessList', type: 'list', default: [], aliases: ['CORS_WHITELIST'], doc: 'Extra allowed origins (comma separated; * allows any). The node\'s own origin and Studio pages on the same host are always allowed.' },
  { path: 'operationsApi.network.keepAliveTimeout', type: 'int', default: 30000, min: 1000, doc: 'Idle keep-alive timeout for HTTP connections, in ms.' },
  { path: 'http.host', type: 'string', default: '127.0.0.1', doc: 'Interface of the HTTP (REST, MQTT over WebSocket) port.' },
  { path: 'http.port', type: 'port', default: 9926, aliases: ['CUSTOM_FUNCTIONS_PORT'], doc: 'HTTP port for REST and MQTT over WebSocket; also accepts host:port. 0 picks a free port.' },
  { path: 'localStudio.enabled', type: 'bool', default: true, aliases: ['LOCAL_STUDIO_ON'], doc: 'Serve the Studio on GET / of the operations port.' },
  { path: 'clustering.enabled', type: 'bool', default: false, aliases: ['CLUSTERING'], doc: 'Enable replication between nodes.' },
  { path: 'clustering.host', type: 'string', default: '127.0.0.1', doc: 'Interface the replication port listens on.' },
  { path: 'clustering.port', type: 'port', default: 12345, aliases: ['CLUSTERING_PORT', 'CLUSTERING_HUBSERVER_CLUSTER_NETWORK_PORT'], doc: 'Replication (WebSocket) port; also accepts host:port.' },
  { path: 'clustering.nodeName', type: 'string', default: null, aliases: ['NODE_NAME', 'CLUSTERING_NODENAME'], doc: 'Unique name of this node (default: the host name).' },
  { path: 'clustering.user', type: 'string', default: 'cluster_user', aliases: ['CLUSTERING_USER'], doc: 'Cluster user; must be the same on every node.' },
  { path: 'clustering.password', type: 'string', default: null, aliases: ['CLUSTERING_PASSWORD'], secret: true, doc: 'Cluster user password; must be the same on every node. Required when clustering is enabled.' },
  { path: 'clustering.tls.certificate', type: 'path', default: null, doc: 'PEM certificate for wss on the replication port (TLS is off when unset).' },
  { path: 'clustering.tls.privateKey', type: 'path', default: null, doc: 'PEM private key matching clustering.tls.certificate.' },
  { path: 'clustering.tls.certificateAuthority', type: 'path', default: null, doc: 'PEM CA used to verify peers when dialling wss.' },
  { path: 'clustering.tls.insecure', type: 'bool', default: false, aliases: ['ALLOW_SELF_SIGNED_SSL_CERTS'], doc: 'Accept self-signed peer certificates when dialling wss.' },
  { path: 'clustering.batch.maxRows', type: 'int', default: 2000, min: 1, doc: 'Most change-log entries in one replication batch.' },
  { path: 'clustering.batch.maxBytes', type: 'int', default: 1024 * 1024, min: 1024, doc: 'Most uncompressed bytes in one replication batch.' },
  { path: 'clustering.batch.lingerMs', type: 'int', default: 20, min: 0, doc: 'How long a sender waits for more rows before sending a partial batch.' },
  { path: 'clustering.batch.maxInFlight', type: 'int', default: 4, min: 1, doc: 'Most unacknowledged batches per subscription.' },
  { path: 'clustering.heartbeatMs', type: 'int', default: 5000, min: 100, doc: 'Heartbeat interval; a link silent for two intervals is declared dead.' },
  { path: 'clustering.reconnect.minMs', type: 'int', default: 250, min: 10, doc: 'First reconnect delay (jittered, doubled up to the maximum).' },
  { path: 'clustering.reconnect.maxMs', type: 'int', default: 5000, min: 100, doc: 'Largest reconnect delay.' },
  { path: 'clustering.retention.maxAgeMs', type: 'int', default: 7 * 24 * 3600 * 1000, min: 1000, doc: 'Change-log entries older than this are dropped even if a peer has not acknowledged them (the peer is then resynced).' },
  { path: 'clustering.retention.maxEntries', type: 'int', default: 50_000_000, min: 1000, doc: 'Most change-log entries kept; older ones are dropped past this (peers behind are resynced).' },
  { path: 'clustering.retention.intervalMs', type: 'int', default: 30_000, min: 50, doc: 'How often the change log is trimmed.' },
  { path: 'clustering.retention.firstPassMs', type: 'int', default: 5000, min: 0, doc: 'Delay of the first retention pass after start (or the interval when shorter), so a node restarted often still trims its log.' },
  { path: 'clustering.recreateDroppedTables', type: 'bool', default: true, doc: 'A subscribed table dropped locally is recreated with a full, non-destructive resync of the publisher\'s rows; false pauses the subscription until the table is created again.' },
  { path: 'mqtt.network.port', type: 'port', default: 1883, doc: 'MQTT port (reserved for MQTT ingestion).' },
  { path: 'logging.level', type: 'level', default: 'info', aliases: ['LOG_LEVEL'], doc: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { path: 'logging.stdStreams', type: 'bool', default: true, aliases: ['LOG_TO_STDSTREAMS'], doc: 'Write logs to standard output.' },
  { path: 'logging.file', type: 'bool', default: true, aliases: ['LOG_TO_FILE'], doc: 'Write logs to <rootPath>/log/ferrydb.log, rotated by size.' },
  { path: 'logging.rotation.maxBytes', type: 'int', default: 10 * 1024 * 1024, min: 1024, doc: 'Rotate the log file when it exceeds this size.' },
  { path: 'logging.rotation.files', type: 'int', default: 5, min: 1, max: 100, doc: 'Rotated log files kept.' },
  { path: 'logging.auditLog', type: 'bool', default: true, doc: 'Keep the change log readable through read_audit_log/read_transaction_log (replication always uses it).' },
  { path: 'admin.username', type: 'string', default: null, aliases: ['HDB_ADMIN_USERNAME'], doc: 'Admin user created on first start (default admin).' },
  { path: 'admin.password', type: 'string', default: null, aliases: ['HDB_ADMIN_PASSWORD'], secret: true, doc: 'Admin password used on first start; when absent a strong one is generated and printed once.' },
];

/** The environment/flag name derived from a dotted path: operationsApi.network.port -> OPERATIONSAPI_NETWORK_PORT. */
export function envNameOf(path: string): string {
  return path.replace(/\./g, '_').toUpperCase();
}

/** Every accepted name for each setting, upper-cased, mapped to its definition. */
export function settingNames(): Map<string, SettingDef> {
  const names = new Map<string, SettingDef>();
  for (const def of SETTINGS) {
    names.set(envNameOf(def.path), def);
    for (const alias of def.aliases ?? []) names.set(alias.toUpperCase(), def);
  }
  return names;
}

/** Environment names that are accepted but have no effect (installer flags from HarperDB). */
export const IGNORED_ENV_NAMES = ['TC_AGREEMENT', 'RUN_IN_FOREGROUND', 'REINSTALL', 'DEFAULTS_MODE', 'HDB_CONFIG'] as const;
