/**
 * set_configuration's half in the config layer: maps HarperDB's flattened names
 * (`logging_level`, `operationsApi_network_port`, `CLUSTERING_ENABLED`, ...) to settings,
 * validates the result against the schema and writes the YAML file, keeping its comments.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DbError } from '../errors/db-error.js';
import { settingProblem } from './load-config.js';
import { yamlLibrary } from './read-sources.js';
import { settingNames, type SettingDef } from './schema.js';

/** Resolves request keys to settings; throws one 400 naming every unknown key. */
export function resolveSettings(updates: Record<string, unknown>): [SettingDef, unknown][] {
  const byName = settingNames();
  const byPath = new Map([...byName.values()].map((d) => [d.path.toLowerCase(), d]));
  const out: [SettingDef, unknown][] = [];
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(updates)) {
    const def = byName.get(key.toUpperCase()) ?? byPath.get(key.toLowerCase());
    if (!def) unknown.push(key);
    else out.push([def, value]);
  }
  if (unknown.length) throw new DbError('VALIDATION_FAILED', `unknown configuration setting${unknown.length > 1 ? 's' : ''} '${unknown.join("', '")}' (see docs/config.md)`);
  if (!out.length) throw new DbError('VALIDATION_FAILED', 'set_configuration needs at least one setting, e.g. "logging_level": "warn"');
  return out;
}

/**
 * Applies updates to the YAML file: every value must pass its setting's validation, or nothing is
 * written (rules between settings, e.g. a cluster password, are checked at the next start, where
 * the environment is known too). Returns the setting paths written.
 */
export function writeSettings(file: string, updates: [SettingDef, unknown][]): string[] {
  const doc = yamlLibrary().parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : '');
  if (doc.errors.length) throw new DbError('VALIDATION_FAILED', `invalid configuration: ${file} is not valid YAML: ${doc.errors[0]!.message}`);
  const problems: string[] = [];
  for (const [def, value] of updates) {
    const problem = settingProblem(def, value);
    if (problem) problems.push(`setting '${def.path}': ${problem}`);
    else doc.setIn(def.path.split('.'), value);
  }
  if (problems.length) throw new DbError('VALIDATION_FAILED', `invalid configuration: ${problems.join('; ')}`);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, doc.toString(), { mode: 0o600 });
  renameSync(tmp, file);
  return updates.map(([def]) => def.path);
}
