/**
 * The node's sinks: definitions from the configuration file (read-only at run time) and from
 * add_sink/update_sink/remove_sink (kept in the definitions file), one SinkRunner each, and the
 * change-log hold that keeps retention from trimming what a sink has not delivered.
 */
import { DbError } from '../errors/db-error.js';
import { redactUrl, type SinkDefinition } from '../config/sink-settings.js';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Records } from '../records/records.js';
import { DefinitionsFile } from './definitions-file.js';
import { SinkRunner } from './sink-runner.js';
import { TARGET_TYPES } from './target-types.js';

export interface SinksOptions {
  config: Config;
  records: Records;
  logger: Logger;
  nodeName: string;
}

interface Entry {
  definition: SinkDefinition;
  source: 'config' | 'operation';
  runner: SinkRunner | null;
}

const HOLDER = 'sinks';

export class Sinks {
  readonly #o: SinksOptions;
  readonly #file: DefinitionsFile;
  readonly #entries = new Map<string, Entry>();
  #started = false;

  constructor(options: SinksOptions) {
    this.#o = options;
    this.#file = new DefinitionsFile(options.config.rootPath);
  }

  /** Loads the definitions and starts every sink; registers the retention hold. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const d of this.#o.config.sinks) this.#entries.set(d.name, { definition: d, source: 'config', runner: null });
    for (const d of this.#file.read()) {
      if (this.#entries.has(d.name)) {
        this.#o.logger.warn({ sink: d.name }, 'a sink added by add_sink has the name of one in the configuration file; the file\'s wins');
        continue;
      }
      this.#entries.set(d.name, { definition: d, source: 'operation', runner: null });
    }
    this.#o.records.changelog.holders.set(HOLDER, (db, table) => {
      let low: number | undefined;
      for (const e of this.#entries.values()) {
        const h = e.runner?.hold(db, table);
        if (h !== undefined) low = low === undefined ? h : Math.min(low, h);
      }
      return low;
    });
    for (const e of this.#entries.values()) this.#startRunner(e);
  }

  async stop(): Promise<void> {
    this.#o.records.changelog.holders.delete(HOLDER);
    await Promise.all([...this.#entries.values()].map(async (e) => { await e.runner?.stop(); e.runner = null; }));
    this.#started = false;
    this.#entries.clear();
  }

  list(): Record<string, unknown>[] {
    return [...this.#entries.values()].map((e) => describe(e));
  }

  status(name?: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const e of this.#entries.values()) {
      if (name !== undefined && e.definition.name !== name) continue;
      out.push({ ...(e.runner?.status() ?? { name: e.definition.name, state: 'stopped' }), target: redactUrl(e.definition.url), source: e.source });
    }
    if (name !== undefined && !out.length) throw new DbError('NOT_FOUND', `sink '${name}' does not exist`);
    return out;
  }

  /** The sinks section of system_information. */
  summary(): Record<string, unknown> {
    return { sinks: this.status().map((s) => ({ name: s.name, state: s.state, backlog_rows: s.backlog_rows, lag_ms: s.lag_ms, last_error: s.last_error ?? null })) };
  }

  async add(definition: SinkDefinition): Promise<void> {
    if (this.#entries.has(definition.name)) throw new DbError('ALREADY_EXISTS', `sink '${definition.name}' already exists`);
    const entry: Entry = { definition, source: 'operation', runner: null };
    this.#entries.set(definition.name, entry);
    this.#persist();
    this.#startRunner(entry);
  }

  async update(definition: SinkDefinition): Promise<void> {
    const entry = this.#editable(definition.name);
    await entry.runner?.stop();
    entry.runner = null;
    entry.definition = definition;
    this.#persist();
    this.#startRunner(entry);
  }

  async remove(name: string): Promise<void> {
    const entry = this.#editable(name);
    await entry.runner?.stop();
    this.#entries.delete(name);
    this.#persist();
  }

  /** The stored definition of an operation-managed sink (update_sink merges into it). */
  definition(name: string): SinkDefinition {
    return this.#editable(name).definition;
  }

  #editable(name: string): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new DbError('NOT_FOUND', `sink '${name}' does not exist`);
    if (entry.source === 'config') throw new DbError('VALIDATION_FAILED', `sink '${name}' is defined in the configuration file; change it there`);
    return entry;
  }

  #persist(): void {
    this.#file.write([...this.#entries.values()].filter((e) => e.source === 'operation').map((e) => e.definition));
  }

  #startRunner(entry: Entry): void {
    if (!this.#started) return;
    const { config, records, logger, nodeName } = this.#o;
    const d = entry.definition;
    entry.runner = new SinkRunner({
      definition: d, records, logger, sourceNode: nodeName,
      target: TARGET_TYPES[d.type]({ url: d.url, timeoutMs: config.sink.timeoutMs }),
      batchRows: d.batchRows ?? config.sink.batch.maxRows,
      retry: config.sink.retry,
    });
    entry.runner.start();
    logger.info({ sink: d.name, target: redactUrl(d.url), tables: d.tables.map((t) => `${t.database}.${t.table}`) }, 'sink started');
  }
}

function describe(e: Entry): Record<string, unknown> {
  const d = e.definition;
  return {
    name: d.name, type: d.type, url: redactUrl(d.url), source: e.source, create_tables: d.createTables, batch_rows: d.batchRows,
    tables: d.tables.map((t) => ({ database: t.database, table: t.table, target: t.target ?? `${t.database}.${t.table}`, columns: t.columns })),
  };
}
