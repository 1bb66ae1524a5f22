/**
 * The planner's choices, asserted through EXPLAIN (and the `explain` field), and coercion:
 * every WHERE gives the same rows on an indexed column as on an unindexed copy, whatever
 * access path the planner picks.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { loadFixture, sql } from './fixture.js';

let s: TestServer;
before(async () => { s = await startTestServer(); await loadFixture(s.op); });
after(async () => { await s.close(); });

const plan = (statement: string) => sql(s.op, `EXPLAIN ${statement}`);
const first = async (statement: string) => (await plan(statement)).tables[0];

test('primary-key equality and IN are point lookups', async () => {
  assert.deepEqual(await first('SELECT * FROM dev.sensor WHERE id = 7'), { table: 'dev.sensor', alias: 'sensor', access: 'primary_key_lookup', attribute: 'id', keys: ['= 7', '= "7"'] });
  const inList = await first('SELECT * FROM dev.sensor WHERE id IN (1, 2, 3)');
  assert.equal(inList.access, 'primary_key_lookup');
  assert.equal(inList.keys.length, 6);
  assert.equal((await first('SELECT * FROM dev.sensor WHERE id > 190')).access, 'primary_key_range');
});

test('indexed equality and ranges use the secondary index; unindexed ones scan', async () => {
  assert.deepEqual(await first("SELECT * FROM dev.sensor WHERE machine_id = 'm3'"), { table: 'dev.sensor', alias: 'sensor', access: 'index_lookup', attribute: 'machine_id', keys: ['= "m3"'] });
  const range = await first('SELECT * FROM dev.sensor WHERE ts BETWEEN 1700000010000 AND 1700000020000');
  assert.equal(range.access, 'index_range');
  assert.equal(range.attribute, 'ts');
  assert.equal(range.keys[0], '>= 1700000010000 and <= 1700000020000');
  assert.equal((await first('SELECT * FROM dev.sensor WHERE ts >= 1700000010000 AND ts < 1700000020000')).keys[0], '>= 1700000010000 and < 1700000020000');
  assert.equal((await first('SELECT * FROM dev.sensor WHERE temperature > 20')).access, 'full_scan');
  assert.equal((await first("SELECT * FROM dev.sensor WHERE machine_id = 'm1' OR machine_id = 'm2'")).access, 'full_scan');
  // the key lookup wins over a range
  assert.equal((await first("SELECT * FROM dev.sensor WHERE ts > 0 AND machine_id = 'm1'")).access, 'index_lookup');
  assert.equal((await first("SELECT * FROM dev.sensor WHERE ts > 0 AND id = 3")).access, 'primary_key_lookup');
  // an index cannot find empty strings, which satisfy an upper bound on strings
  assert.equal((await first("SELECT * FROM dev.mixed WHERE v < 'b'")).access, 'full_scan');
  assert.equal((await first("SELECT * FROM dev.mixed WHERE v BETWEEN 'a' AND 'b'")).access, 'index_range');
});

test('ORDER BY an indexed attribute with LIMIT reads the index in order and stops', async () => {
  const p = await plan('SELECT * FROM dev.sensor ORDER BY ts DESC LIMIT 100');
  assert.equal(p.tables[0].access, 'index_order');
  assert.equal(p.tables[0].order, 'descending');
  assert.equal(p.sort, 'index_order');
  const ranged = await plan('SELECT * FROM dev.sensor WHERE ts > 1700000100000 ORDER BY ts LIMIT 5');
  assert.deepEqual([ranged.tables[0].access, ranged.tables[0].order, ranged.sort], ['index_range', 'ascending', 'index_order']);
  assert.equal((await plan('SELECT * FROM dev.sensor ORDER BY id DESC LIMIT 3')).sort, 'index_order');
  assert.equal((await plan('SELECT * FROM dev.sensor ORDER BY temperature LIMIT 3')).sort, 'top_n');
  assert.equal((await plan('SELECT * FROM dev.sensor ORDER BY ts')).sort, 'full_sort');
  // dev.dog has a dog without an age: the index misses it, so ORDER BY age sorts (NULL first)
  assert.equal((await plan('SELECT * FROM dev.dog ORDER BY age LIMIT 2')).sort, 'top_n');
  assert.deepEqual((await sql(s.op, 'SELECT id FROM dev.dog ORDER BY age LIMIT 2')).map((r: { id: number }) => r.id), [14, 12]);
});

test('an ordered index read that meets an array value falls back to a sort and stays correct', async () => {
  await sql(s.op, 'INSERT INTO dev.sensor (id, machine_id, ts) VALUES (1000, \'m0\', 1)');
  await s.op({ operation: 'upsert', database: 'dev', table: 'sensor', records: [{ id: 1000, ts: [1, 1700000999000] }] });
  assert.deepEqual((await sql(s.op, 'SELECT id FROM dev.sensor ORDER BY ts DESC LIMIT 2')).map((r: { id: number }) => r.id), [1000, 200]);
  await s.op({ operation: 'delete', database: 'dev', table: 'sensor', ids: [1000] });
  assert.deepEqual((await sql(s.op, 'SELECT id FROM dev.sensor ORDER BY ts DESC LIMIT 2')).map((r: { id: number }) => r.id), [200, 199]);
});

test('COUNT(*) without WHERE is the O(1) table count; aggregates stream', async () => {
  const p = await plan('SELECT COUNT(*) FROM dev.sensor');
  assert.equal(p.tables[0].access, 'table_count');
  assert.equal(p.aggregate, 'table_count');
  assert.equal((await plan('SELECT COUNT(*) FROM dev.sensor WHERE ts > 5')).aggregate, 'streaming_aggregate');
  assert.equal((await plan('SELECT machine_id, COUNT(*) FROM dev.sensor GROUP BY machine_id')).aggregate, 'streaming_hash_aggregate');
});

test('joins: index nested loop on a key or indexed attribute, hash join otherwise', async () => {
  const p = await plan('SELECT d.id, b.name FROM dev.dog d INNER JOIN dev.breed b ON d.breed_id = b.id');
  assert.deepEqual(p.tables[1], { table: 'dev.breed', alias: 'b', join: 'inner', method: 'index_nested_loop', attribute: 'id', on: 'b.id = d.breed_id' });
  const rev = await plan('SELECT b.name FROM dev.breed b LEFT JOIN dev.dog d ON d.breed_id = b.id');
  assert.deepEqual([rev.tables[1].method, rev.tables[1].attribute, rev.tables[1].join], ['index_nested_loop', 'breed_id', 'left']);
  const hash = await plan('SELECT o.name FROM dev.owner o LEFT JOIN dev.dog d ON d.owner_name = o.name');
  assert.equal(hash.tables[1].method, 'hash_join');
});

test('the explain field gives the same plan as the EXPLAIN keyword, for writes too', async () => {
  const a = await sql(s.op, 'SELECT * FROM dev.sensor WHERE id = 7', { explain: true });
  assert.deepEqual(a, await plan('SELECT * FROM dev.sensor WHERE id = 7'));
  const upd = await sql(s.op, "UPDATE dev.sensor SET pressure = 0 WHERE machine_id = 'm1'", { explain: true });
  assert.equal(upd.statement, 'update');
  assert.equal(upd.tables[0].access, 'index_lookup');
  assert.equal((await plan('DELETE FROM dev.sensor WHERE id = 3')).tables[0].access, 'primary_key_lookup');
  // explaining changed nothing
  assert.equal((await sql(s.op, "SELECT COUNT(*) AS n FROM dev.sensor WHERE machine_id = 'm1' AND pressure = 0"))[0].n, 0);
});

/** WHERE on the mixed-type column -> expected ids (HarperDB-style loose comparison). */
const COERCION: [string, number[]][] = [
  ['v = 5', [1, 2, 3, 6]],
  ["v = '5'", [1, 2, 6]],
  ["v = '5.0'", [1, 3, 6]],
  ['v > 5', [6, 8, 9]],
  ["v > '5'", [3, 4, 6, 8, 12]],
  ["v IN (10, 'abc')", [4, 8, 9]],
  ['v < 6', [1, 2, 3, 6]],
  ['v BETWEEN 5 AND 10', [1, 2, 3, 6, 8, 9]],
  ['v IS NULL', [5, 7]],
  ["v = 'abc'", [4]],
  ["v <= 'b'", [2, 3, 4, 9, 11]],
  ["v LIKE '5%'", [1, 2, 3, 6]],
  ['v = true', [10]],
  ["v = ''", [11]],
  [`v = '${'x'.repeat(250)}'`, [12]],
  ["v > 'x'", [12]],
  ["v >= ''", [2, 3, 4, 9, 11, 12]],
  ['v <> 5', [4, 8, 9, 10, 11, 12]],
  ["v NOT IN ('5', 'abc')", [3, 8, 9, 10, 11, 12]],
];

test('numbers and strings compare loosely, and an index gives the same rows as a scan', async () => {
  for (const [where, expected] of COERCION) {
    const indexed = (await sql(s.op, `SELECT id FROM dev.mixed WHERE ${where} ORDER BY id`)).map((r: { id: number }) => r.id);
    const plain = (await sql(s.op, `SELECT id FROM dev.mixed_plain WHERE ${where} ORDER BY id`)).map((r: { id: number }) => r.id);
    assert.deepEqual(plain, expected, `scan: ${where}`);
    assert.deepEqual(indexed, expected, `index (${(await first(`SELECT id FROM dev.mixed WHERE ${where}`)).access}): ${where}`);
  }
  // ORDER BY a mixed column: NULL first, then booleans, numbers, strings, then arrays and objects
  assert.deepEqual((await sql(s.op, 'SELECT id FROM dev.mixed_plain ORDER BY v, id')).map((r: { id: number }) => r.id), [5, 7, 10, 1, 8, 11, 9, 2, 3, 4, 12, 6]);
});

/** dev.readings: ts = id * 10, except every fifth id, whose ts lies far outside (1e9). */
async function loadReadings(): Promise<void> {
  if ((await s.op({ operation: 'describe_table', database: 'dev', table: 'readings' })).status === 200) return;
  await s.op({ operation: 'create_table', database: 'dev', table: 'readings', primary_key: 'id', attributes: [{ name: 'ts', indexed: true }] });
  const records = Array.from({ length: 200 }, (_, k) => ({ id: k + 1, m: `m${(k + 1) % 3}`, ts: (k + 1) % 5 === 0 ? 1e9 : (k + 1) * 10 }));
  const r = await s.op({ operation: 'insert', database: 'dev', table: 'readings', records });
  assert.equal(r.status, 200);
}

test('an unordered index range over most of a table becomes a key-order full scan; a narrow one reads the index', async () => {
  await loadReadings();
  const narrow = await first('SELECT COUNT(*) FROM dev.readings WHERE ts BETWEEN 100 AND 300');
  assert.equal(narrow.access, 'index_range');
  assert.equal(narrow.fetch, 'primary_key_span_when_clustered');
  assert.equal(narrow.table_rows, 200);
  assert.ok(narrow.estimated_rows < 100, `estimate ${narrow.estimated_rows}`);
  // ts >= 10 holds every row: estimated from the index's lowest and highest number
  const wide = await first('SELECT COUNT(*) FROM dev.readings WHERE ts >= 10');
  assert.equal(wide.access, 'full_scan');
  assert.ok(wide.estimated_rows >= 100 && /reads about \d+ of 200 rows/.test(wide.reason), JSON.stringify(wide));
  // an ordered read with LIMIT keeps the index (it stops early), whatever the share
  const ordered = await first('SELECT id FROM dev.readings WHERE ts >= 10 ORDER BY ts LIMIT 3');
  assert.deepEqual([ordered.access, ordered.order, ordered.fetch], ['index_range', 'ascending', undefined]);
  // the same rows whichever path reads them
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.readings WHERE ts >= 10'), [{ n: 200 }]);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.readings WHERE ts >= 10 AND ts < 1000000'), [{ n: 160 }]);
  assert.deepEqual((await sql(s.op, 'SELECT id FROM dev.readings WHERE ts >= 10 ORDER BY ts LIMIT 3')).map((r: { id: number }) => r.id), [1, 2, 3]);
});

test('a clustered index range reads its primary-key span once; the WHERE drops the span\'s other rows', async () => {
  await loadReadings();
  // ts 100..1500: ids 10..150 except multiples of 5 (113 keys); their span [10, 150] holds 141 records
  const expected = new Map<string, number>();
  let n = 0;
  for (let id = 10; id <= 150; id++) if (id % 5 !== 0) { n++; expected.set(`m${id % 3}`, (expected.get(`m${id % 3}`) ?? 0) + 1); }
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM dev.readings WHERE ts BETWEEN 100 AND 1500'), [{ n, lo: 11, hi: 149 }]);
  const groups = await sql(s.op, 'SELECT m, COUNT(*) AS n FROM dev.readings WHERE ts BETWEEN 100 AND 1500 GROUP BY m ORDER BY m');
  assert.deepEqual(groups, [...expected].sort().map(([m, c]) => ({ m, n: c })));
  const ids = (await sql(s.op, 'SELECT id FROM dev.readings WHERE ts BETWEEN 100 AND 1500')).map((r: { id: number }) => r.id).sort((a: number, b: number) => a - b);
  assert.equal(ids.length, n);
  assert.ok(ids.every((id: number) => id % 5 !== 0));
  // writes planned the same way change only the matching rows
  const up = await sql(s.op, "UPDATE dev.readings SET m = 'x' WHERE ts BETWEEN 100 AND 1500");
  assert.equal(up.update_hashes.length, n);
  assert.deepEqual(await sql(s.op, "SELECT COUNT(*) AS n FROM dev.readings WHERE m = 'x'"), [{ n }]);
});
