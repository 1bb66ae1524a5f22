/**
 * The impure half of configuration: finds the root path, reads the YAML file in it and turns
 * argv settings into a flags record. loadConfig() does the merging and validation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { DbError } from '../errors/db-error.js';
import { loadConfig, type Config } from './load-config.js';

export const CONFIG_FILE_NAME = 'ferrydb-config.yaml';

/** The YAML library, loaded only when there is a file to read (it costs start-up time otherwise). */
export function yamlLibrary(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/** Parses `--NAME value`, `--NAME=value` and `--dotted.path=value` into a record. */
export function parseSettingFlags(argv: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new DbError('VALIDATION_FAILED', `unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) flags[arg.slice(2)] = 'true';
      else { flags[arg.slice(2)] = next; i++; }
    }
  }
  return flags;
}

/** Loads the configuration for a process: defaults < <rootPath>/ferrydb-config.yaml < env < flags. */
export function readConfig(env: Record<string, string | undefined>, flags: Record<string, string>, cwd = process.cwd()): Config {
  // The root path decides where the file is, so resolve it from env and flags first.
  const early = loadConfig({ env, flags });
  const rootPath = isAbsolute(early.rootPath) ? early.rootPath : resolve(cwd, early.rootPath);
  const filePath = env.HDB_CONFIG ? resolve(cwd, env.HDB_CONFIG) : join(rootPath, CONFIG_FILE_NAME);
  let file: Record<string, unknown> | null = null;
  if (existsSync(filePath)) {
    let parsed: unknown;
    try {
      parsed = yamlLibrary().parse(readFileSync(filePath, 'utf8'));
    } catch (err) {
      throw new DbError('VALIDATION_FAILED', `invalid configuration: ${filePath} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new DbError('VALIDATION_FAILED', `invalid configuration: ${filePath} must hold a mapping of settings`);
    }
    file = parsed as Record<string, unknown> | null;
  }
  const config = loadConfig({ file, env, flags, fileName: filePath });
  return { ...config, rootPath: isAbsolute(config.rootPath) ? config.rootPath : resolve(cwd, config.rootPath) };
}
