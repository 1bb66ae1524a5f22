/**
 * Sinks added by operations, kept in <rootPath>/sinks/sinks.json (mode 0600: the URLs carry
 * credentials). Written whole to a temp file then renamed, so a crash leaves the old or the new
 * list, never half of one. Sinks from the configuration file are not stored here.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSinkList, type SinkDefinition } from '../config/sink-settings.js';

export class DefinitionsFile {
  readonly path: string;

  constructor(rootPath: string) {
    this.path = join(rootPath, 'sinks', 'sinks.json');
  }

  read(): SinkDefinition[] {
    if (!existsSync(this.path)) return [];
    return parseSinkList(JSON.parse(readFileSync(this.path, 'utf8')));
  }

  write(definitions: SinkDefinition[]): void {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    const body = definitions.map((d) => ({ name: d.name, type: d.type, url: d.url, tables: d.tables, create_tables: d.createTables, batch_rows: d.batchRows }));
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}
