/**
 * Every FerryDB setting, declared once: path in the YAML file, type, default, environment
 * names (HarperDB's names first-class) and a doc line. docs/config.md is checked against it.
 */

export type SettingType = 'string' | 'int' | 'bool' | 'port' | 'level' | 'list' | 'path' | 'routes' | 'sinks';

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
  { path: 'clustering.hubServer.cluster.network.routes', type: 'routes', default: [], doc: 'Peer replication addresses to dial, HarperDB 4.0-4.3 style: a YAML list of {host, port}, or host:port,host:port. add_node by node_name finds the node among them; cluster_set_routes edits this list.' },
  { path: 'clustering.leafServer.network.routes', type: 'routes', default: [], doc: 'HarperDB 4.x leaf routes (cluster_set_routes with server: leaf); FerryDB treats them exactly like the hub routes.' },
  { path: 'replication.routes', type: 'routes', default: [], doc: 'HarperDB 4.4+ routes: host names (this node\'s clustering port is assumed), host:port, ws(s)://host:port or {hostname, port}; used like the hub routes.' },
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
  { path: 'sql.maxRows', type: 'int', default: 1_000_000, min: 1, doc: 'Most rows one SQL statement may hold (sort, group, join, distinct) or write; a statement past it is refused with a 400. A SELECT with nothing to hold is sent as it is read and not bounded.' },
  { path: 'sql.parallelMinRows', type: 'int', default: 50_000, min: 0, doc: 'A one-table aggregate (GROUP BY, COUNT, SUM, ...) reading at least this many rows by a full scan or a primary-key span reads half of its key range in a worker thread at the same time; 0 turns it off.' },
  { path: 'sql.sliceMs', type: 'int', default: 5, min: 1, max: 1000, doc: 'A long SQL statement yields to the event loop after running this many ms, so other requests keep their latency.' },
  { path: 'http.keepAliveTimeout', type: 'int', default: 30000, min: 1000, doc: 'Idle keep-alive timeout for connections to the HTTP port, in ms.' },
  { path: 'http.bodyLimit', type: 'int', default: 10 * 1024 * 1024, min: 1024, doc: 'Largest accepted REST request body in bytes; larger bodies get 413.' },
  { path: 'http.maxSubscriberBufferBytes', type: 'int', default: 4 * 1024 * 1024, min: 1024, doc: 'Bytes queued for one real-time subscriber (WebSocket, SSE, MQTT) before it is disconnected as too slow.' },
  { path: 'http.maxInitialRecords', type: 'int', default: 10000, min: 0, doc: 'Most current records sent when a subscription to a whole table starts (WebSocket, SSE, MQTT retained messages).' },
  { path: 'tls.certificate', type: 'path', default: null, doc: 'PEM certificate of the node, used by MQTT over TLS (mqtt.network.securePort); falls back to clustering.tls.certificate.' },
  { path: 'tls.privateKey', type: 'path', default: null, doc: 'PEM private key matching tls.certificate; falls back to clustering.tls.privateKey.' },
  { path: 'tls.certificateAuthority', type: 'path', default: null, doc: 'PEM CA bundle sent with the node certificate (optional).' },
  { path: 'mqtt.network.host', type: 'string', default: '127.0.0.1', doc: 'Interface of the MQTT ports (0.0.0.0 for all).' },
  { path: 'mqtt.network.port', type: 'port', default: 1883, doc: 'MQTT port (plain TCP; MQTT 3.1.1 and 5); also accepts host:port. 0 picks a free port.' },
  { path: 'mqtt.network.securePort', type: 'int', default: 8883, min: 0, max: 65535, doc: 'MQTT over TLS port; opened only when a node certificate is configured (tls.* or clustering.tls.*). 0 picks a free port.' },
  { path: 'mqtt.webSocket', type: 'bool', default: true, doc: 'Accept MQTT over WebSocket (sub-protocol mqtt) on the HTTP port.' },
  { path: 'mqtt.requireAuthentication', type: 'bool', default: true, doc: 'MQTT clients must log in with a FerryDB user; when false, clients without a username act as a super user named mqtt-anonymous.' },
  { path: 'mqtt.ingest.lingerMs', type: 'int', default: 2, min: 0, max: 1000, doc: 'Publishes to one table arriving within this many ms are committed in one transaction.' },
  { path: 'mqtt.ingest.maxBatchRows', type: 'int', default: 5000, min: 1, doc: 'Most publishes committed in one ingestion transaction.' },
  { path: 'mqtt.maxPacketBytes', type: 'int', default: 1024 * 1024, min: 1024, doc: 'Largest MQTT packet accepted; larger ones close the connection.' },
  { path: 'metrics.enabled', type: 'bool', default: true, doc: 'Serve GET /metrics (Prometheus text format) on the HTTP port.' },
  { path: 'metrics.requireAuthentication', type: 'bool', default: true, doc: 'GET /metrics needs a super user\'s credentials; set false for an unauthenticated scrape endpoint.' },
  { path: 'sinks', type: 'sinks', default: [], doc: 'Sinks delivering tables to PostgreSQL-compatible targets: a list of {name, url, tables, create_tables, batch_rows} (JSON in the environment; see docs/scale-out.md). Sinks added by add_sink are kept in <rootPath>/sinks/sinks.json instead. Target URLs are shown with the password masked.' },
  { path: 'sink.batch.maxRows', type: 'int', default: 5000, min: 1, max: 100_000, doc: 'Most change-log entries a sink writes in one target transaction.' },
  { path: 'sink.retry.minMs', type: 'int', default: 500, min: 10, doc: 'First delay before a sink retries an unreachable or failing target (jittered, doubled up to the maximum).' },
  { path: 'sink.retry.maxMs', type: 'int', default: 30_000, min: 100, doc: 'Largest delay between a sink\'s retries.' },
  { path: 'sink.timeoutMs', type: 'int', default: 30_000, min: 100, doc: 'A sink gives up a connection attempt or a statement to its target after this long (a silent network counts as down).' },
  { path: 'logging.level', type: 'level', default: 'info', aliases: ['LOG_LEVEL'], doc: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { path: 'logging.stdStreams', type: 'bool', default: true, aliases: ['LOG_TO_STDSTREAMS'], doc: 'Write logs to standard output.' },
  { path: 'logging.file', type: 'bool', default: true, aliases: ['LOG_TO_FILE'], doc: 'Write logs to <rootPath>/log/ferrydb.log, rotated by size.' },
  { path: 'logging.rotation.maxBytes', type: 'int', default: 10 * 1024 * 1024, min: 1024, doc: 'Rotate the log file when it exceeds this size.' },
  { path: 'logging.rotation.files', type: 'int', default: 5, min: 1, max: 100, doc: 'Rotated log files kept.' },
  { path: 'logging.auditLog', type: 'bool', default: true, doc: 'Keep the change log readable through read_audit_log/read_transaction_log (replication always uses it).' },
  { path: 'authentication.operationTokenTimeout', type: 'string', default: '1d', aliases: ['OPERATION_TOKEN_TIMEOUT'], doc: "Lifetime of operation tokens from create_authentication_tokens / refresh_operation_token ('1d', '12h', '30m', or seconds)." },
  { path: 'authentication.refreshTokenTimeout', type: 'string', default: '30d', aliases: ['REFRESH_TOKEN_TIMEOUT'], doc: "Lifetime of refresh tokens ('30d', '12h', or seconds); changing a user's password revokes them." },
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
