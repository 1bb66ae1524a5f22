/**
 * Pure configuration loading: defaults < config file < environment < command-line flags.
 * Never reads process.env or the disk itself; returns a deep-frozen Config or throws one
 * VALIDATION_FAILED error that names every bad setting.
 */
import { DbError } from '../errors/db-error.js';
import { parseDuration } from './duration.js';
import { LOG_LEVELS, SETTINGS, envNameOf, settingNames, type SettingDef } from './schema.js';
import { parseSinkList, redactUrl, SinkSettingError, type SinkDefinition } from './sink-settings.js';

export interface Config {
  rootPath: string;
  operationsApi: { network: { host: string; port: number; bodyLimit: number; cors: boolean; corsAccessList: string[]; keepAliveTimeout: number } };
  http: { host: string; port: number; keepAliveTimeout: number; bodyLimit: number; maxSubscriberBufferBytes: number; maxInitialRecords: number };
  tls: { certificate: string | null; privateKey: string | null; certificateAuthority: string | null };
  localStudio: { enabled: boolean };
  clustering: {
    enabled: boolean; host: string; port: number; nodeName: string | null; user: string; password: string | null;
    tls: { certificate: string | null; privateKey: string | null; certificateAuthority: string | null; insecure: boolean };
    batch: { maxRows: number; maxBytes: number; lingerMs: number; maxInFlight: number };
    heartbeatMs: number;
    reconnect: { minMs: number; maxMs: number };
    retention: { maxAgeMs: number; maxEntries: number; intervalMs: number; firstPassMs: number };
    recreateDroppedTables: boolean;
    hubServer: { cluster: { network: { routes: Route[] } } };
    leafServer: { network: { routes: Route[] } };
  };
  replication: { routes: Route[] };
  sql: { maxRows: number; sliceMs: number; parallelMinRows: number };
  mqtt: {
    network: { host: string; port: number; securePort: number };
    webSocket: boolean; requireAuthentication: boolean; maxPacketBytes: number;
    ingest: { lingerMs: number; maxBatchRows: number };
  };
  metrics: { enabled: boolean; requireAuthentication: boolean };
  sinks: SinkDefinition[];
  sink: { batch: { maxRows: number }; retry: { minMs: number; maxMs: number }; timeoutMs: number };
  logging: { level: (typeof LOG_LEVELS)[number]; stdStreams: boolean; file: boolean; rotation: { maxBytes: number; files: number }; auditLog: boolean };
  authentication: { operationTokenTimeout: string; refreshTokenTimeout: string };
  admin: { username: string | null; password: string | null };
}

export interface ConfigSources {
  /** Parsed YAML config file (nested object), or null when there is none. */
  file?: Record<string, unknown> | null;
  /** Environment variables; only recognised names are read. */
  env?: Record<string, string | undefined>;
  /** Command-line settings as name -> value (names: env names or dotted paths, any case). */
  flags?: Record<string, string>;
  /** Name used for the file in error messages. */
  fileName?: string;
}

/** A peer address to dial; port null means "this node's own clustering port" (4.4+ host-name routes). */
export interface Route {
  host: string;
  port: number | null;
}

type Raw = string | number | boolean | null | readonly string[] | unknown;

/** Loads and validates the configuration from its sources. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const problems: string[] = [];
  const values = new Map<SettingDef, unknown>();
  const hostOverrides = new Map<string, string>();
  const byName = settingNames();
  const byPath = new Map(SETTINGS.map((d) => [d.path.toLowerCase(), d]));

  const assign = (def: SettingDef, raw: Raw, from: string) => {
    const parsed = parseValue(def, raw);
    if (typeof parsed === 'string' && parsed.startsWith('\u0000')) {
      problems.push(`${from}: ${parsed.slice(1)}`);
      return;
    }
    if (def.type === 'port' && typeof parsed === 'object' && parsed !== null) {
      const { host, port } = parsed as { host?: string; port: number };
      values.set(def, port);
      if (host) hostOverrides.set(def.path, host);
      return;
    }
    values.set(def, parsed);
  };

  for (const def of SETTINGS) values.set(def, def.default);

  if (sources.file) {
    for (const [path, raw] of flatten(sources.file)) {
      const def = byPath.get(path.toLowerCase());
      if (!def) problems.push(`${sources.fileName ?? 'config file'}: unknown setting '${path}'`);
      else assign(def, raw, `setting '${def.path}' (${sources.fileName ?? 'config file'})`);
    }
  }
  // Environment: when several names of one setting are set, the first in the schema's order wins
  // (the name derived from the path, then the aliases as listed), whatever the order of env.
  const env = sources.env ?? {};
  for (const def of SETTINGS) {
    for (const name of [envNameOf(def.path), ...(def.aliases ?? [])]) {
      const raw = env[name];
      if (raw === undefined) continue;
      assign(def, raw, `environment variable ${name}`);
      break;
    }
  }
  for (const [name, raw] of Object.entries(sources.flags ?? {})) {
    const def = byName.get(name.toUpperCase()) ?? byPath.get(name.toLowerCase());
    if (!def) problems.push(`unknown command-line setting '--${name}'`);
    else assign(def, raw, `command-line setting '--${name}'`);
  }

  const tree: Record<string, unknown> = {};
  for (const [def, value] of values) setPath(tree, def.path, value);
  for (const [portPath, host] of hostOverrides) setPath(tree, portPath.replace(/port$/, 'host'), host);

  const config = tree as unknown as Config;
  if (config.clustering.enabled && !config.clustering.password) {
    problems.push(`setting 'clustering.password' (CLUSTERING_PASSWORD) is required when clustering is enabled`);
  }
  if (config.clustering.enabled && config.clustering.nodeName !== null && !/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(config.clustering.nodeName)) {
    problems.push(`setting 'clustering.nodeName' (NODE_NAME) must be 1-64 letters, digits, '-', '_' or '.'`);
  }
  if (Boolean(config.clustering.tls.certificate) !== Boolean(config.clustering.tls.privateKey)) {
    problems.push(`settings 'clustering.tls.certificate' and 'clustering.tls.privateKey' must be given together`);
  }
  if (Boolean(config.tls.certificate) !== Boolean(config.tls.privateKey)) {
    problems.push(`settings 'tls.certificate' and 'tls.privateKey' must be given together`);
  }
  if (config.sink.retry.minMs > config.sink.retry.maxMs) {
    problems.push(`setting 'sink.retry.minMs' must not exceed 'sink.retry.maxMs'`);
  }
  if (config.clustering.reconnect.minMs > config.clustering.reconnect.maxMs) {
    problems.push(`setting 'clustering.reconnect.minMs' must not exceed 'clustering.reconnect.maxMs'`);
  }
  for (const [key, env] of [['operationTokenTimeout', 'OPERATION_TOKEN_TIMEOUT'], ['refreshTokenTimeout', 'REFRESH_TOKEN_TIMEOUT']] as const) {
    if (parseDuration(config.authentication[key]) === null) problems.push(`setting 'authentication.${key}' (${env}) must be a duration like '1d', '12h', '30m' or seconds, got '${config.authentication[key]}'`);
  }
  if (problems.length) throw new DbError('VALIDATION_FAILED', `invalid configuration: ${problems.join('; ')}`);
  return deepFreeze(config);
}

/** Checks one setting's value alone (set_configuration): null when valid, else the problem. */
export function settingProblem(def: SettingDef, raw: unknown): string | null {
  const parsed = parseValue(def, raw);
  return typeof parsed === 'string' && parsed.startsWith('\u0000') ? parsed.slice(1) : null;
}

/** Returns the parsed value, or a string starting with NUL that describes the problem. */
function parseValue(def: SettingDef, raw: Raw): unknown {
  const bad = (why: string) => `\u0000${why}`;
  if (raw === null || raw === undefined || raw === '') {
    if (def.type === 'routes' || def.type === 'sinks') return [];
    return def.default === null ? null : bad(`a value is required`);
  }
  switch (def.type) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' && typeof raw !== 'number') return bad(`must be a string`);
      return String(raw);
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return bad(`must be true or false, got '${String(raw)}'`);
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(String(raw).trim()) : NaN;
      if (!Number.isSafeInteger(n)) return bad(`must be a whole number, got '${String(raw)}'`);
      if (def.min !== undefined && n < def.min) return bad(`must be at least ${def.min}, got ${n}`);
      if (def.max !== undefined && n > def.max) return bad(`must be at most ${def.max}, got ${n}`);
      return n;
    }
    case 'port': {
      const s = String(raw).trim();
      const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(s);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port > 65535) return bad(`must be a port (0-65535) or host:port, got '${s}'`);
      const host = m[1]?.replace(/^\[|\]$/g, '');
      return host ? { host, port } : port;
    }
    case 'level': {
      const s = String(raw).toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(s)) return bad(`must be one of ${LOG_LEVELS.join(', ')}, got '${String(raw)}'`);
      return s;
    }
    case 'routes':
      return parseRoutes(raw);
    case 'sinks': {
      try {
        return parseSinkList(raw);
      } catch (err) {
        if (err instanceof SinkSettingError) return bad(err.message);
        throw err;
      }
    }
    case 'list': {
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw).split(',').map((x) => x.trim()).filter(Boolean);
    }
  }
}

const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$/;

/** One route from {host|hostname, port}, "host", "host:port" or "ws(s)://host:port"; a string describing the problem otherwise. */
export function parseRoute(raw: unknown): Route | string {
  let host: unknown, port: unknown;
  if (typeof raw === 'string') {
    const s = raw.trim().replace(/^wss?:\/\//, '').replace(/\/+$/, '');
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(s);
    if (!m) return `'${raw}' is not host, host:port or ws(s)://host:port`;
    host = m[1];
    port = m[2] === undefined ? null : Number(m[2]);
  } else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    host = o.host ?? o.hostname;
    port = o.port ?? null;
    if (typeof port === 'string' && /^\d{1,5}$/.test(port)) port = Number(port);
  } else return `a route must be {host, port} or 'host:port'`;
  if (typeof host !== 'string' || !HOST_RE.test(host)) return `route host must be a host name or address, got ${JSON.stringify(host ?? null)}`;
  if (port !== null && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) return `route port must be an integer between 1 and 65535, got ${JSON.stringify(port)}`;
  return { host: host.replace(/^\[|\]$/g, ''), port: port as number | null };
}

function parseRoutes(raw: unknown): Route[] | string {
  let list: unknown[];
  if (Array.isArray(raw)) list = raw;
  else if (typeof raw === 'string') {
    const s = raw.trim();
    if (s.startsWith('[')) {
      try { list = JSON.parse(s) as unknown[]; } catch { return `\u0000must be a JSON array of routes or host:port,host:port`; }
      if (!Array.isArray(list)) return `\u0000must be a JSON array of routes or host:port,host:port`;
    } else list = s.split(',').map((x) => x.trim()).filter(Boolean);
  } else return `\u0000must be a list of routes`;
  const out: Route[] = [];
  for (const r of list) {
    const parsed = parseRoute(r);
    if (typeof parsed === 'string') return `\u0000${parsed}`;
    if (!out.some((x) => x.host === parsed.host && x.port === parsed.port)) out.push(parsed);
  }
  return out;
}

function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, path));
    else out.push([path, v]);
  }
  return out;
}

function setPath(tree: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/** The configuration with secrets replaced, as get_configuration returns it. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  copy.sinks = config.sinks.map((d) => ({ ...d, url: redactUrl(d.url) }));
  for (const def of SETTINGS) {
    if (!def.secret) continue;
    const parts = def.path.split('.');
    let node = copy as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
    const last = parts[parts.length - 1]!;
    if (node[last] != null) node[last] = '********';
  }
  return copy;
}

export { envNameOf };
