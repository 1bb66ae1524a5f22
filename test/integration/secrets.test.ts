import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger, logFilePath } from '../../src/log/logger.js';
import { createNode } from '../../src/server.js';

test('passwords, hashes, tokens and the token key never appear in logs or responses', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-secrets-'));
  const logDir = join(root, 'log');
  const log = createLogger({ level: 'trace', stdStreams: false, dir: logDir, maxBytes: 10 * 1024 * 1024, files: 2 });
  const config = loadConfig({ env: { ROOTPATH: root, HDB_ADMIN_USERNAME: 'admin', HDB_ADMIN_PASSWORD: 'Admin-Secret-1', OPERATIONSAPI_NETWORK_PORT: '0', CLUSTERING: 'true', CLUSTERING_PORT: '0', CLUSTERING_PASSWORD: 'Cluster-Secret-2', NODE_NAME: 'sec' } });
  const node = await createNode(config, { logger: log.logger, logDir });
  const { operations } = await node.listen();
  const url = `http://127.0.0.1:${operations.port}/`;
  const responses: { op: string; text: string }[] = [];
  const call = async (body: Record<string, unknown>, auth: string | null = `Basic ${Buffer.from('admin:Admin-Secret-1').toString('base64')}`) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
    const text = await res.text();
    responses.push({ op: String(body.operation), text });
    return JSON.parse(text);
  };
  try {
    await call({ operation: 'create_database', database: 'dev' });
    await call({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await call({ operation: 'add_role', role: 'reader', permission: { dev: { tables: { dog: { read: true } } } } });
    await call({ operation: 'add_user', role: 'reader', username: 'reader', password: 'Reader-Secret-3', active: true });
    await call({ operation: 'add_user', role: 'reader', username: 'reader', password: 'Reader-Secret-3', active: true });
    await call({ operation: 'alter_user', username: 'reader', password: 'Reader-Secret-4' });
    await call({ operation: 'user_info' }, `Basic ${Buffer.from('reader:Reader-Secret-3').toString('base64')}`);
    const tokens = await call({ operation: 'create_authentication_tokens', username: 'reader', password: 'Reader-Secret-4' }, null);
    await call({ operation: 'create_authentication_tokens', username: 'reader', password: 'Wrong-Secret-5' }, null);
    const refreshed = await call({ operation: 'refresh_operation_token', refresh_token: tokens.refresh_token }, null);
    await call({ operation: 'user_info' }, `Bearer ${tokens.operation_token}`);
    await call({ operation: 'list_users' }, `Bearer ${tokens.operation_token}`);
    await call({ operation: 'list_users' });
    await call({ operation: 'list_roles' });
    await call({ operation: 'get_configuration' });
    await call({ operation: 'cluster_status' });
    await call({ operation: 'system_information' });
    await call({ operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*' });
    await call({ operation: 'search_by_conditions', database: 'system', table: 'hdb_user', conditions: [{ attribute: 'active', comparator: 'equals', value: true }] });
    await call({ operation: 'describe_database', database: 'system' });
    await call({ operation: 'insert', database: 'system', table: 'hdb_user', records: [{ username: 'evil', password: 'Evil-Secret-6' }] });
    await call({ operation: 'read_log', limit: 1000 });
    await node.close();
    await log.close();

    const secrets = ['Admin-Secret-1', 'Cluster-Secret-2', 'Reader-Secret-3', 'Reader-Secret-4', 'Wrong-Secret-5', 'Evil-Secret-6', 'scrypt$', 'PRIVATE KEY', tokens.refresh_token, tokens.operation_token, refreshed.operation_token];
    const publicKeyBody = readFileSync(join(root, 'keys', '.jwtPrivate.key'), 'utf8').split('\n')[1]!;
    secrets.push(publicKeyBody);
    const logText = readFileSync(logFilePath(logDir), 'utf8');
    assert.ok(logText.length > 200 && logText.includes('operations API listening'), 'the log was written');
    for (const secret of secrets) assert.ok(!logText.includes(secret), `log contains ${secret.slice(0, 16)}...`);
    for (const { op, text } of responses) {
      for (const secret of secrets) {
        // The token operations answer with the tokens they create, and only those (two operation tokens issued
        // for one user within the same second are identical JWTs, so compare by value).
        const own = op === 'create_authentication_tokens' ? [tokens.refresh_token, tokens.operation_token] : op === 'refresh_operation_token' ? [refreshed.operation_token] : [];
        if (own.includes(secret)) continue;
        assert.ok(!text.includes(secret), `${op} response contains ${secret.slice(0, 16)}...`);
      }
    }
    assert.ok(responses.find((r) => r.op === 'insert')!.text.includes("cannot be updated or removed"));
  } finally {
    await node.close();
    rmSync(root, { recursive: true, force: true });
  }
});
