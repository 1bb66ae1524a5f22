/**
 * docker-compose.postgres.yml, checked without a Docker engine: it extends the two-node file,
 * hq's SINKS value is a valid sink definition that targets the warehouse service with the
 * warehouse's own credentials, and the table it delivers is the tutorial's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { composeEnvironment, REPO_ROOT } from '../release/docker-files.js';

type Service = { environment?: string[]; ports?: string[]; image?: string; depends_on?: Record<string, unknown> };
const overlay = parseYaml(readFileSync(`${REPO_ROOT}/docker-compose.postgres.yml`, 'utf8')) as { services: Record<string, Service> };
const base = parseYaml(readFileSync(`${REPO_ROOT}/docker-compose.yml`, 'utf8')) as { services: Record<string, Service> };

test('the PostgreSQL overlay adds a warehouse and a sink on hq that loadConfig accepts', () => {
  assert.ok(base.services['ferry-hq'], 'it extends the two-node file');
  const wh = composeEnvironment(overlay.services.warehouse!.environment);
  assert.match(overlay.services.warehouse!.image!, /^postgres:/);
  const hqEnv = { ...composeEnvironment(base.services['ferry-hq']!.environment), ...composeEnvironment(overlay.services['ferry-hq']!.environment) };
  const config = loadConfig({ env: hqEnv });
  assert.equal(config.sinks.length, 1);
  const url = new URL(config.sinks[0]!.url);
  assert.equal(url.hostname, 'warehouse');
  assert.equal(url.username, wh.POSTGRES_USER);
  assert.equal(url.password, wh.POSTGRES_PASSWORD);
  assert.equal(url.pathname, `/${wh.POSTGRES_DB}`);
  assert.deepEqual(config.sinks[0]!.tables.map((t) => `${t.database}.${t.table}`), ['default.sensor_data']);
  assert.ok(overlay.services['ferry-hq']!.depends_on?.warehouse);
});
