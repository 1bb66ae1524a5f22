/** search_by_hash/search_by_id, search_by_value, search_by_conditions: HarperDB's answers. */
import { after, before, test } from 'node:test';
import { error, runCases } from '../helpers/conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id', attributes: [{ name: 'name', indexed: true }] });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', nick: '' }, { id: 2, name: '', nick: 'x' }, { id: 3, name: 'Kato' }] });
});
after(async () => { await s.close(); });

const q = (extra: Record<string, unknown>) => ({ database: 'dev', table: 'dog', ...extra });

test('searches', async (t) => {
  await runCases(t, s.op, [
    { name: 'search_by_hash with 3.x names projects attributes and skips missing keys', request: { operation: 'search_by_hash', schema: 'dev', table: 'dog', hash_values: [1, 77], get_attributes: ['name'] }, status: 200, body: [{ name: 'Penny' }] },
    { name: 'search_by_id', request: { operation: 'search_by_id', ...q({ ids: [3], get_attributes: ['id', 'name'] }) }, status: 200, body: [{ id: 3, name: 'Kato' }] },
    { name: 'search_by_id with ids not an array', request: { operation: 'search_by_id', ...q({ ids: 'x' }) }, status: 400, body: error("'ids' (or 'hash_values') must be an array") },
    { name: 'search_by_value finds the empty string (indexed attribute)', request: { operation: 'search_by_value', ...q({ search_attribute: 'name', search_value: '', get_attributes: ['id'] }) }, status: 200, body: [{ id: 2 }] },
    { name: 'search_by_value finds the empty string (unindexed attribute)', request: { operation: 'search_by_value', ...q({ attribute: 'nick', value: '', get_attributes: ['id'] }) }, status: 200, body: [{ id: 1 }] },
    { name: 'search_by_value with a wildcard', request: { operation: 'search_by_value', ...q({ attribute: 'name', value: 'Pen*', get_attributes: ['id'] }) }, status: 200, body: [{ id: 1 }] },
    { name: 'search_by_value without a value', request: { operation: 'search_by_value', ...q({ attribute: 'name' }) }, status: 400, body: error("'value' (or 'search_value') is required") },
    { name: 'search_by_conditions equals the empty string', request: { operation: 'search_by_conditions', ...q({ get_attributes: ['id'], conditions: [{ search_attribute: 'name', search_type: 'equals', search_value: '' }] }) }, status: 200, body: [{ id: 2 }] },
    { name: 'search_by_conditions on a numeric table name', request: { operation: 'search_by_conditions', schema: 'dev', table: 7, conditions: [{ attribute: 'id', value: 1 }] }, status: 404, body: error("Table 'dev.7' does not exist") },
    { name: 'search in a missing table', request: { operation: 'search_by_value', ...q({ table: 'nope', attribute: 'id', value: 1 }) }, status: 404, body: error("Table 'dev.nope' does not exist") },
  ]);
});
