/**
 * Writes one setting into the node's YAML config file (used by operations that HarperDB
 * documents as editing harperdb-config.yaml, e.g. cluster_set_routes). Comments and the other
 * keys of the file are kept; the write is atomic (temp file + rename). The value takes effect
 * in the running node through the caller; after a restart it is read back like any setting.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from 'yaml';
import { DbError } from '../errors/db-error.js';
import { CONFIG_FILE_NAME, yamlLibrary } from './read-sources.js';
import { SETTINGS } from './schema.js';

/** The config file a node started from its root path reads (HDB_CONFIG aside). */
export function configFileOf(rootPath: string): string {
  return join(rootPath, CONFIG_FILE_NAME);
}

/** Sets `path` (a dotted setting path from the schema) to `value` in the YAML file at `file`. */
export function writeSetting(file: string, path: string, value: unknown): void {
  if (!SETTINGS.some((d) => d.path === path)) throw new DbError('INTERNAL', `unknown setting '${path}'`);
  const { Document: YamlDocument, parseDocument } = yamlLibrary();
  const parsed = parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : '');
  if (parsed.errors.length) throw new DbError('VALIDATION_FAILED', `${file} is not valid YAML: ${parsed.errors[0]!.message}`);
  const doc: Document = parsed.contents === null ? new YamlDocument({}) : parsed;
  doc.setIn(path.split('.'), doc.createNode(value));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString());
  renameSync(tmp, file);
}
