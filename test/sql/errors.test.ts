/**
 * Malformed, unsupported and hostile SQL gets a 400 naming the problem (never a stack trace)
 * and the node keeps answering; limits refuse oversized results; non-super users get 403 from
 * the table-access rule; long statements give the event loop back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { DOGS, loadFixture, sql } from './fixture.js';

let s: TestServer;
before(async () => { s = await startTestServer(); await loadFixture(s.op); });
after(async () => { await s.close(); });

const bad = async (statement: string, pattern: RegExp, status = 400) => {
  const r = await s.op({ operation: 'sql', sql: statement });
  assert.equal(r.status, status, `${statement} -> ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body), ['error'], statement);
  assert.match(r.body.error, pattern, statement);
  assert.doesNotMatch(r.body.error, /\n\s+at |node_modules|\.js:\d+/, `no stack trace: ${statement}`);
};

test('syntax errors name the line, column and token', async () => {
  await bad('SELECT * FROM dev.dog WHERE', /syntax error at line 1, column 28, at the end of the statement/);
  await bad('SELECT * FROM dev.dog WHERE id = = 1', /syntax error at line 1, column 34, near '= 1'|near '='/);
  await bad('SELECT *\nFROM dev.dog\nWHERE id IN (1,', /line 3/);
  await bad("SELECT * FROM dev.dog WHERE dog_name = 'unterminated", /unterminated string at line 1, column 40/);
  await bad('SELEKT * FROM dev.dog', /syntax error at line 1, column 8, near '\*/);
  await bad('', /'sql' must be a non-empty string/);
  const missing = await s.op({ operation: 'sql' });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error, /'sql' is required/);
});

test('unsupported SQL gets a 400 naming the construct', async () => {
  await bad('DROP TABLE dev.dog', /unsupported SQL: DROP statements/);
  await bad('CREATE TABLE dev.x (id INT)', /unsupported SQL: CREATE statements/);
  await bad('SELECT * FROM dev.dog UNION SELECT * FROM dev.breed', /unsupported SQL: UNION/);
  await bad('SELECT CASE WHEN age > 5 THEN 1 ELSE 0 END FROM dev.dog', /unsupported SQL: CASE/);
  await bad('SELECT * FROM dev.dog WHERE id IN (SELECT id FROM dev.breed)', /unsupported SQL: IN \(subquery\)|subqueries/);
  await bad('SELECT FOO(id) FROM dev.dog', /unsupported SQL: function 'FOO'/);
  await bad('SELECT * FROM dev.dog, dev.breed', /comma-separated tables/);
  await bad('SELECT * FROM dev.dog d INNER JOIN dev.breed b ON d.age > b.id', /needs an equality/);
  await bad('SELECT * FROM dev.dog WHERE id = ?', /statement parameters are not supported/);
  await bad('SELECT COUNT(*), * FROM dev.dog', /'\*' cannot be selected together with GROUP BY or aggregates/);
  await bad('SELECT id FROM dev.dog WHERE COUNT(*) > 1', /aggregates are not allowed in WHERE/);
  await bad('SELECT SUM(*) FROM dev.dog', /SUM\(\*\) is not valid/);
  await bad('SELECT owner_name, SUM(DISTINCT age) FROM dev.dog GROUP BY owner_name', /syntax error at line 1, column 33, near .age\).*SUM\(DISTINCT \.\.\.\) is not supported \(COUNT\(DISTINCT \.\.\.\) is\)/);
  await bad('SELECT avg ( distinct\n`age`) FROM dev.dog', /AVG\(DISTINCT \.\.\.\) is not supported/);
  await bad('SELECT id FROM dev.dog WHERE id IS TRUE', /only IS \[NOT\] NULL/);
  await bad('SELECT id FROM dev.dog WHERE age IN (SELECT 1)', /subquer/);
});

test('injection-looking strings are values, and a second statement is refused before anything runs', async () => {
  assert.deepEqual(await sql(s.op, "SELECT id FROM dev.dog WHERE dog_name = 'x'' OR ''1''=''1'"), []);
  assert.deepEqual(await sql(s.op, "SELECT id FROM dev.dog WHERE dog_name = 'Penny' -- ' OR 1=1"), [{ id: 1 }]);
  assert.deepEqual(await sql(s.op, "SELECT id FROM dev.dog WHERE dog_name = 'Robert\\'); DROP TABLE dev.dog; --'"), []);
  await bad('SELECT * FROM dev.dog WHERE id = 1; DROP TABLE dev.dog', /only one statement per request/);
  await bad("SELECT * FROM dev.dog WHERE id = 1; DELETE FROM dev.dog", /only one statement per request/);
  assert.equal((await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.dog'))[0].n, 15);
  assert.deepEqual(await sql(s.op, 'SELECT id FROM dev.dog WHERE id = 1;'), [{ id: 1 }]);
});

test('huge IN lists are parsed off the event loop; past the literal bound they are refused', async () => {
  const list = Array.from({ length: 5_000 }, (_, i) => i + 1).join(",");
  const pending = s.op({ operation: 'sql', sql: `SELECT COUNT(*) AS n FROM dev.sensor WHERE id IN (${list})` });
  // the node answers other requests while the statement is parsed
  const probe = await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['id'] });
  assert.deepEqual(probe.body, [{ id: 1 }]);
  const r = await pending;
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, [{ n: 200 }]);
  await bad(`SELECT id FROM dev.dog WHERE id IN (${Array.from({ length: 100_001 }, () => '1').join(',')})`, /more than 100000 literal values/);
});

test('deep nesting and long NOT chains get 400 or an answer, never a crash', async () => {
  await bad(`SELECT id FROM dev.dog WHERE ${'('.repeat(500)}id = 1${')'.repeat(500)}`, /nesting deeper than 64 levels/);
  assert.deepEqual(await sql(s.op, `SELECT id FROM dev.dog WHERE ${'('.repeat(20)}id = 1${')'.repeat(20)}`), [{ id: 1 }]);
  await bad(`SELECT id FROM dev.dog WHERE ${'NOT '.repeat(3000)}id = 1`, /more than 64 NOTs in a row/);
  await bad(`SELECT id FROM dev.dog WHERE id = ${'- '.repeat(3000)}1`, /more than 64 prefix operators in a row/);
  assert.deepEqual(await sql(s.op, 'SELECT id FROM dev.dog WHERE NOT NOT id = 1'), [{ id: 1 }]);
  assert.equal((await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).status, 200);
});

test('unknown tables and columns', async () => {
  await bad('SELECT * FROM dev.nope', /Table 'dev.nope' does not exist/, 404);
  await bad('SELECT * FROM nodb.dog', /database 'nodb' does not exist/, 404);
  await bad('SELECT x.id FROM dev.dog d', /unknown table 'x'/);
  await bad('INSERT INTO dev.nope (id) VALUES (1)', /Table 'dev.nope' does not exist/);
  await bad('INSERT INTO dev.dog (id, id) VALUES (1, 2)', /names a column twice/);
  await bad('INSERT INTO dev.dog (id, dog_name) VALUES (1)', /column count doesn't match value count at row 1/);
  await bad('UPDATE dev.dog SET id = 5 WHERE id = 1', /primary key 'id' cannot be changed/);
});

test('table and attribute permissions apply to every table and column a statement touches (403)', async () => {
  await s.op({ operation: 'add_role', role: 'breed_reader', permission: { dev: { tables: { breed: { read: true, insert: false, update: false, delete: false, attribute_permissions: [] }, dog: { read: true, insert: false, update: true, delete: false, attribute_permissions: [{ attribute_name: 'dog_name', read: true, insert: false, update: true }] } } } } });
  assert.equal((await s.op({ operation: 'add_user', role: 'breed_reader', username: 'analyst', password: 'analyst-pw', active: true })).status, 200);
  const analyst = opsClient(s.url, 'analyst', 'analyst-pw');
  const refused = async (statement: string, what: RegExp) => {
    const r = await analyst({ operation: 'sql', sql: statement });
    assert.equal(r.status, 403, `${statement} -> ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, /not authorized due to role restrictions/);
    assert.match(JSON.stringify([r.body.unauthorized_access, r.body.invalid_schema_items]), what, statement);
  };
  assert.deepEqual((await analyst({ operation: 'sql', sql: 'SELECT name FROM dev.breed WHERE id = 154' })).body, [{ name: 'Australian Shepherd' }]);
  await refused("INSERT INTO dev.breed (id, name) VALUES (1, 'x')", /"required_table_permissions":\["insert"\]/);
  await refused('DELETE FROM dev.breed WHERE id = 154', /"delete"/);
  await refused('SELECT * FROM dev.owner', /Table 'dev.owner' does not exist/);
  await refused('SELECT * FROM dev.owner WHERE id = 1', /Table 'dev.owner' does not exist/);
  await refused('SELECT b.name FROM dev.breed b INNER JOIN dev.owner o ON o.id = b.id', /Table 'dev.owner' does not exist/);
  // attribute-level: only dog_name (and the key and time stamps) of dev.dog may be read
  await refused('SELECT age FROM dev.dog', /Attribute 'age' does not exist on 'dev.dog'/);
  await refused('SELECT dog_name FROM dev.dog WHERE age > 5', /Attribute 'age'/);
  const star = await analyst({ operation: 'sql', sql: 'SELECT * FROM dev.dog WHERE id = 1' });
  assert.equal(star.status, 200, JSON.stringify(star.body));
  assert.deepEqual(Object.keys(star.body[0]).sort(), ['__createdtime__', '__updatedtime__', 'dog_name', 'id']);
  assert.deepEqual((await analyst({ operation: 'sql', sql: "UPDATE dev.dog SET dog_name = 'Penny' WHERE id = 1" })).body.update_hashes, [1]);
  await refused('UPDATE dev.dog SET age = 1 WHERE id = 1', /"attribute_name":"age"|Attribute 'age'/);
  // the node still answers, and nothing was written
  assert.equal((await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.breed'))[0].n, 9);
  assert.deepEqual(await sql(s.op, 'SELECT age FROM dev.dog WHERE id = 1'), [{ age: 7 }]);
});

test('a statement that would hold more than sql.maxRows is refused; plain SELECTs (sent as read), LIMIT, COUNT and small groups answer', async (t) => {
  const small = await startTestServer({ SQL_MAXROWS: '10' });
  t.after(() => small.close());
  await loadFixture(small.op);
  const r = await small.op({ operation: 'sql', sql: 'SELECT * FROM dev.dog ORDER BY weight_lbs' });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /would sort more than 10 rows \(setting sql\.maxRows\)/);
  assert.equal((await small.op({ operation: 'sql', sql: 'SELECT DISTINCT id FROM dev.sensor' })).status, 400);
  // Nothing to sort, group or de-duplicate: the rows are never held, so the bound does not apply.
  assert.equal((await sql(small.op, 'SELECT id FROM dev.sensor WHERE id > 0')).length, 200);
  assert.equal((await sql(small.op, 'SELECT s.id FROM dev.sensor AS s INNER JOIN dev.dog AS d ON s.id = d.id')).length, DOGS.length);
  assert.equal((await small.op({ operation: 'sql', sql: 'SELECT id, machine_id FROM dev.sensor GROUP BY id' })).status, 400);
  assert.equal((await small.op({ operation: 'sql', sql: 'DELETE FROM dev.sensor WHERE id > 0' })).status, 400);
  assert.equal((await sql(small.op, 'SELECT COUNT(*) AS n FROM dev.sensor'))[0].n, 200, 'the refused DELETE deleted nothing');
  assert.equal((await sql(small.op, 'SELECT * FROM dev.dog ORDER BY weight_lbs LIMIT 5')).length, 5);
  assert.equal((await sql(small.op, 'SELECT * FROM dev.sensor ORDER BY ts DESC LIMIT 10')).length, 10);
  assert.equal((await sql(small.op, 'SELECT machine_id, COUNT(*) AS n FROM dev.sensor GROUP BY machine_id')).length, 10);
});

test('a long statement yields to the event loop, so a point read answers before it finishes', async (t) => {
  const busy = await startTestServer({ SQL_SLICEMS: '1' });
  t.after(() => busy.close());
  await busy.op({ operation: 'create_table', database: 'data', table: 'big', primary_key: 'id' });
  const rows = Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `n${i}`, v: i % 97 }));
  for (let i = 0; i < rows.length; i += 10_000) await busy.op({ operation: 'insert', table: 'big', records: rows.slice(i, i + 10_000) });
  let sqlDone = 0, readDone = 0;
  const long = busy.op({ operation: 'sql', sql: "SELECT a.v, COUNT(*) AS n FROM data.big a INNER JOIN data.big b ON b.name = a.name WHERE a.name LIKE '%1%' GROUP BY a.v" }).then((r) => { sqlDone = performance.now(); return r; });
  await new Promise((r) => setTimeout(r, 20));
  const read = await busy.op({ operation: 'search_by_id', table: 'big', ids: [5], get_attributes: ['id'] });
  readDone = performance.now();
  const res = await long;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.length, 97);
  assert.deepEqual(read.body, [{ id: 5 }]);
  assert.ok(readDone < sqlDone, `the point read (${readDone.toFixed(1)}) finished before the long SQL statement (${sqlDone.toFixed(1)})`);
});
