import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { operationsDoc, registeredOperations } from '../../src/cli/operations-docs.js';
import { CATALOGUE } from '../../src/operations/catalogue.js';

test('docs/operations.md is the one generated from the registry (npm run docs:operations)', async () => {
  const file = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
  assert.equal(file, await operationsDoc(), 'docs/operations.md is out of date: run npm run docs:operations');
});

test('the catalogue lists each HarperDB name once, and every unsupported one says why', async () => {
  const names = CATALOGUE.map((e) => e.name);
  assert.equal(new Set(names).size, names.length);
  const registered = new Set(await registeredOperations());
  for (const e of CATALOGUE) if (e.unsupported) assert.ok(!registered.has(e.name), `${e.name} is registered but marked unsupported`);
  // the operations of the reference catalogue that FerryDB must answer
  for (const n of ['export_local', 'delete_records_before', 'delete_files_before', 'delete_audit_logs_before', 'delete_transaction_logs_before', 'set_configuration',
    'restart', 'restart_service', 'get_components', 'get_fingerprint', 'registration_info', 'read_transaction_log', 'read_audit_log']) assert.ok(registered.has(n), n);
});
