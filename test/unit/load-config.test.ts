import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, redactConfig } from '../../src/config/load-config.js';
import { parseSettingFlags } from '../../src/config/read-sources.js';
import { DbError } from '../../src/errors/db-error.js';

test('defaults are complete and frozen', () => {
  const c = loadConfig();
  assert.equal(c.operationsApi.network.port, 9925);
  assert.equal(c.operationsApi.network.host, '127.0.0.1');
  assert.equal(c.http.port, 9926);
  assert.equal(c.clustering.enabled, false);
  assert.equal(c.logging.level, 'info');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.operationsApi.network));
});

test('precedence is defaults < file < environment < flags', () => {
  const file = { operationsApi: { network: { port: 1001 } }, logging: { level: 'warn' }, clustering: { port: 2001 } };
  assert.equal(loadConfig({ file }).operationsApi.network.port, 1001);
  const env = { SERVER_PORT: '1002', LOG_LEVEL: 'debug' };
  const withEnv = loadConfig({ file, env });
  assert.equal(withEnv.operationsApi.network.port, 1002);
  assert.equal(withEnv.logging.level, 'debug');
  assert.equal(withEnv.clustering.port, 2001);
  const withFlags = loadConfig({ file, env, flags: { OPERATIONSAPI_NETWORK_PORT: '1003', 'logging.level': 'error' } });
  assert.equal(withFlags.operationsApi.network.port, 1003);
  assert.equal(withFlags.logging.level, 'error');
});

test("HarperDB's environment names are honoured", () => {
  const c = loadConfig({ env: {
    HDB_ROOT: '/srv/hdb', HDB_ADMIN_USERNAME: 'HDB_ADMIN', HDB_ADMIN_PASSWORD: 'pw', SERVER_PORT: '9000', CUSTOM_FUNCTIONS_PORT: '9001',
    CLUSTERING: 'true', CLUSTERING_PORT: '62344', CLUSTERING_USER: 'cu', CLUSTERING_PASSWORD: 'cpw', NODE_NAME: 'edge', LOG_LEVEL: 'warn',
  } });
  assert.equal(c.rootPath, '/srv/hdb');
  assert.deepEqual(c.admin, { username: 'HDB_ADMIN', password: 'pw' });
  assert.equal(c.operationsApi.network.port, 9000);
  assert.equal(c.http.port, 9001);
  assert.deepEqual([c.clustering.enabled, c.clustering.port, c.clustering.user, c.clustering.password, c.clustering.nodeName], [true, 62344, 'cu', 'cpw', 'edge']);
  assert.equal(loadConfig({ env: { ROOTPATH: '/a', HTTP_PORT: '7000', OPERATIONSAPI_NETWORK_PORT: '7001' } }).http.port, 7000);
  assert.equal(loadConfig({ env: { ROOTPATH: '/a', OPERATIONSAPI_NETWORK_PORT: '7001' } }).operationsApi.network.port, 7001);
});

test('a port setting accepts host:port', () => {
  const c = loadConfig({ env: { OPERATIONSAPI_NETWORK_PORT: '0.0.0.0:9925', CLUSTERING_PORT: '[::1]:12345' } });
  assert.equal(c.operationsApi.network.host, '0.0.0.0');
  assert.equal(c.operationsApi.network.port, 9925);
  assert.equal(c.clustering.host, '::1');
  assert.equal(c.clustering.port, 12345);
});

test('invalid settings stop start-up with a message naming each setting', () => {
  const err = (() => { try { loadConfig({ env: { SERVER_PORT: "99999", LOG_LEVEL: "loud", CLUSTERING: "maybe" } }); } catch (e) { return e as DbError; } return null; })();
  assert.ok(err instanceof DbError);
  if (!err) return;
  assert.match(err.message, /SERVER_PORT/);
  assert.match(err.message, /LOG_LEVEL/);
  assert.match(err.message, /CLUSTERING/);
  assert.throws(() => loadConfig({ file: { operationsApi: { network: { prot: 1 } } }, fileName: 'f.yaml' }), /unknown setting 'operationsApi.network.prot'/);
  assert.throws(() => loadConfig({ flags: { NOPE: '1' } }), /unknown command-line setting '--NOPE'/);
  assert.throws(() => loadConfig({ env: { CLUSTERING: 'true' } }), /clustering.password/);
  assert.throws(() => loadConfig({ env: { CLUSTERING: 'true', CLUSTERING_PASSWORD: 'x', NODE_NAME: 'bad name' } }), /nodeName/);
});

test('unknown environment variables are ignored, lower-case names are not settings', () => {
  const c = loadConfig({ env: { HOME: '/root', server_port: '1', TC_AGREEMENT: 'yes' } });
  assert.equal(c.operationsApi.network.port, 9925);
});

test('secrets are redacted from the exposed configuration', () => {
  const c = loadConfig({ env: { CLUSTERING: 'true', CLUSTERING_PASSWORD: 'topsecret', HDB_ADMIN_PASSWORD: 'adminsecret' } });
  const text = JSON.stringify(redactConfig(c));
  assert.ok(!text.includes('topsecret') && !text.includes('adminsecret'));
  assert.match(text, /\*\*\*\*/);
});

test('command-line settings parse in both forms', () => {
  assert.deepEqual(parseSettingFlags(['--SERVER_PORT', '1', '--logging.level=debug', '--CLUSTERING']), { SERVER_PORT: '1', 'logging.level': 'debug', CLUSTERING: 'true' });
  assert.throws(() => parseSettingFlags(['stray']), /unexpected argument/);
});

test('when two names of one setting are set, the canonical name wins whatever the environment order', () => {
  assert.equal(loadConfig({ env: { HDB_ROOT: '/b', ROOTPATH: '/a' } }).rootPath, '/a');
  assert.equal(loadConfig({ env: { ROOTPATH: '/a', HDB_ROOT: '/b' } }).rootPath, '/a');
  assert.equal(loadConfig({ env: { SERVER_PORT: '2', OPERATIONSAPI_NETWORK_PORT: '1' } }).operationsApi.network.port, 1);
  assert.equal(loadConfig({ env: { OPERATIONSAPI_NETWORK_PORT: '1', SERVER_PORT: '2' } }).operationsApi.network.port, 1);
});
