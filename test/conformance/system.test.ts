/**
 * system_information, get_/set_configuration, restart_service, registration_info,
 * get_fingerprint, get_components, read_log, and the HarperDB operations FerryDB does not have.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { createNode } from '../../src/server.js';
import { error, message, runCases } from '../helpers/conformance.js';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ CLUSTERING_PASSWORD: 'very-secret-cluster-pw' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1 }, { id: 2 }] });
});
after(async () => { await s.close(); });

test('system_information and get_configuration', async (t) => {
  await runCases(t, s.op, [
    { name: 'every section with HarperDB fields', request: { operation: 'system_information' }, status: 200, check: (b) => {
      for (const k of ['system', 'time', 'cpu', 'memory', 'disk', 'network', 'harperdb_processes', 'table_size']) assert.ok(k in b, k);
      for (const k of ['total', 'free', 'used', 'active', 'available', 'swaptotal', 'swapused', 'swapfree']) assert.equal(typeof b.memory[k], 'number', `memory.${k}`);
      assert.ok(b.memory.total > 0 && b.memory.available > 0 && b.memory.process_rss > 0);
      assert.equal(typeof b.time.timezoneName, 'string'); assert.match(b.time.timezone, /^GMT[+-]\d{4}$/); assert.ok(b.time.current > 0);
      assert.ok(b.cpu.cores >= 1 && typeof b.cpu.brand === 'string');
      assert.ok(b.disk.size[0].size > 0);
      assert.equal(b.system.node_version, process.version.slice(1));
      assert.equal(b.harperdb_processes.core[0].pid, process.pid);
      const dog = b.table_size.find((x: { table: string }) => x.table === 'dog');
      assert.equal(dog.record_count, 2); assert.equal(dog.schema, 'dev');
    } },
    { name: 'attributes pick sections', request: { operation: 'system_information', attributes: ['memory', 'time'] }, status: 200, check: (b) => assert.deepEqual(Object.keys(b).sort(), ['memory', 'time']) },
    { name: 'attributes must be strings', request: { operation: 'system_information', attributes: 'memory' }, status: 400, body: error("'attributes' must be an array of strings") },
    { name: 'get_configuration: HarperDB sections, no secrets', request: { operation: 'get_configuration' }, status: 200, check: (b) => {
      assert.deepEqual(Object.keys(b.authentication).sort(), ['authorizeLocal', 'enableSessions', 'operationTokenTimeout', 'refreshTokenTimeout']);
      assert.equal(b.authentication.authorizeLocal, false);
      assert.ok('componentsRoot' in b);
      assert.deepEqual(b.threads, { count: 1 });
      assert.equal(b.operationsApi.network.host, '127.0.0.1');
      assert.equal(b.rootPath, s.rootPath);
      assert.equal(b.logging.level, 'silent');
      const text = JSON.stringify(b);
      assert.ok(!text.includes('very-secret-cluster-pw') && !text.includes('secret-pw'));
    } },
  ]);
});

test('set_configuration validates, persists to the YAML file and never echoes secrets', async (t) => {
  const file = join(s.rootPath, 'ferrydb-config.yaml');
  await runCases(t, s.op, [
    { name: 'HarperDB flattened names', request: { operation: 'set_configuration', logging_level: 'warn', operationsApi_network_port: 9931, CLUSTERING_PASSWORD: 'new-secret-pw' }, status: 200,
      body: message('Configuration successfully set. You must restart FerryDB for new config settings to take effect.') },
    { name: 'a bad value writes nothing', request: { operation: 'set_configuration', logging_level: 'loud', http_port: 9999 }, status: 400, body: error("invalid configuration: setting 'logging.level': must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'") },
    { name: 'an unknown setting', request: { operation: 'set_configuration', nonsense_key: 1 }, status: 400, body: error("unknown configuration setting 'nonsense_key' (see docs/config.md)") },
    { name: 'no setting at all', request: { operation: 'set_configuration' }, status: 400, body: error('set_configuration needs at least one setting, e.g. "logging_level": "warn"') },
    { name: 'the running configuration is unchanged until restart', request: { operation: 'get_configuration' }, status: 200, check: (b) => { assert.equal(b.logging.level, 'silent'); assert.ok(!JSON.stringify(b).includes('new-secret-pw')); } },
  ]);
  const yaml = readFileSync(file, 'utf8');
  assert.match(yaml, /level: warn/);
  assert.doesNotMatch(yaml, /9999/);
  // the file is what the next start reads: valid against the schema, values applied
  const { parse } = await import('yaml');
  const next = loadConfig({ file: parse(yaml), env: { CLUSTERING_PASSWORD: 'x' } });
  assert.equal(next.logging.level, 'warn');
  assert.equal(next.operationsApi.network.port, 9931);
});

test('restart_service, registration, fingerprint, components, unsupported operations', async (t) => {
  let restarted = 0;
  s.node.services.restarters.set('test_service', async () => { restarted++; });
  await runCases(t, s.op, [
    { name: 'restart_service of a registered service', request: { operation: 'restart_service', service: 'test_service' }, status: 200, body: message('Restarting test_service') },
    { name: 'restart_service of an unknown service', request: { operation: 'restart_service', service: 'nope' }, status: 400, check: (b) => assert.match(b.error, /^'service' must be one of .*test_service/) },
    { name: 'restart_service without a service', request: { operation: 'restart_service' }, status: 400, body: error("'service' is required") },
    { name: 'restart of an embedded node', request: { operation: 'restart' }, status: 400, body: error('restart is only available when the node runs as a process (ferrydb start / npm start)') },
    { name: 'registration_info', request: { operation: 'registration_info' }, status: 200, check: (b) => { assert.equal(b.registered, true); assert.equal(b.version, s.node.services.node.version); assert.ok(b.ram_allocation > 0); assert.equal(b.license_expiration_date, null); } },
    { name: 'get_fingerprint is stable', request: { operation: 'get_fingerprint' }, status: 200, check: async (b) => { assert.match(b.message, /^[0-9a-f]{64}$/); assert.deepEqual((await s.op({ operation: 'get_fingerprint' })).body, b); } },
    { name: 'get_components: none', request: { operation: 'get_components' }, status: 200, body: { name: 'components', entries: [] } },
    { name: 'S3 is not supported', request: { operation: 'import_from_s3', table: 'dog', s3: {} }, status: 400, body: error("Operation 'import_from_s3' is not supported: FerryDB does not support Amazon S3 import/export; use csv_url_load, or export_local and copy the file") },
    { name: 'component deployment is not supported', request: { operation: 'deploy_component', project: 'x' }, status: 400, body: error("Operation 'deploy_component' is not supported: FerryDB does not support HarperDB components or custom functions (no application code runs inside the database)") },
    { name: 'licensing is not supported', request: { operation: 'set_license', key: 'k' }, status: 400, body: error("Operation 'set_license' is not supported: FerryDB does not support HarperDB licensing: it needs no licence (Apache-2.0)") },
    { name: 'an unknown operation', request: { operation: 'fly' }, status: 400, body: error("Operation 'fly' not found") },
    { name: 'no operation', request: { table: 'dog' }, status: 400, body: error("Request body must include an 'operation' property.") },
    { name: 'not JSON', request: '{nope', status: 400, body: error('Invalid JSON.') },
    { name: 'user_info', request: { operation: 'user_info' }, status: 200, check: (b) => { assert.equal(b.username, 'admin'); assert.equal(b.role.permission.super_user, true); assert.equal(b.password, undefined); } },
  ]);
  assert.equal(restarted, 1);
  s.node.services.restarters.delete('test_service');
});

test('read_log has the start-up lines at any level, with HarperDB fields', async (t) => {
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-log-'));
  const logDir = join(rootPath, 'log');
  const log = createLogger({ level: 'warn', stdStreams: false, dir: logDir, maxBytes: 1 << 20, files: 2 });
  const config = loadConfig({ env: { ROOTPATH: rootPath, HDB_ADMIN_USERNAME: 'admin', HDB_ADMIN_PASSWORD: 'pw', OPERATIONSAPI_NETWORK_PORT: '0', LOG_LEVEL: 'warn' } });
  const node = await createNode(config, { logger: log.logger, logDir });
  const { operations } = await node.listen();
  t.after(async () => { await node.close(); await log.close(); rmSync(rootPath, { recursive: true, force: true }); });
  const op = opsClient(`http://127.0.0.1:${operations.port}/`, 'admin', 'pw');
  log.logger.warn('a warning');
  log.logger.info('not written at warn');
  const { waitFor } = await import('../helpers/wait-for.js');
  await waitFor(() => existsSync(join(logDir, 'ferrydb.log')) && readFileSync(join(logDir, 'ferrydb.log'), 'utf8').includes('a warning'));
  await runCases(t, op, [
    { name: 'newest first by default; the start-up lines are there at warn', request: { operation: 'read_log' }, status: 200, check: (b) => {
      assert.equal(b[0].message, 'a warning');
      assert.equal(b.at(-1).message, 'operations API listening');
      assert.ok(b.slice(1).every((e: { level: string }) => e.level === 'notify'), JSON.stringify(b));
      assert.ok(!b.some((e: { message: string }) => e.message === 'not written at warn'));
      assert.equal(b[1].thread, 'main'); assert.ok(Date.parse(b[1].timestamp) > 0);
    } },
    { name: 'order asc, limit, start', request: { operation: 'read_log', order: 'asc', limit: 1, start: 0 }, status: 200, check: (b) => assert.deepEqual(b.map((e: { message: string }) => e.message), ['operations API listening']) },
    { name: 'level filter', request: { operation: 'read_log', level: 'notify' }, status: 200, check: (b) => {
      assert.ok(b.length >= 1 && b.every((e: { level: string }) => e.level === 'notify'));
      assert.ok(b.some((e: { message: string }) => e.message === 'operations API listening'));
    } },
    { name: 'from/until window', request: { operation: 'read_log', from: new Date(Date.now() + 60_000).toISOString() }, status: 200, body: [] },
    { name: 'a bad order', request: { operation: 'read_log', order: 'up' }, status: 400, body: error("'order' must be one of asc, desc") },
    { name: 'a bad level', request: { operation: 'read_log', level: 'loud' }, status: 400, body: error("'level' must be one of trace, debug, info, warn, error, fatal, notify") },
  ]);
});
