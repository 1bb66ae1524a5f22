/**
 * Table-driven SELECT cases over the dogs/breeds/owners fixture and sensor rows: every
 * construct of the dialect, NULL semantics, joins with missing partners, ORDER BY with NULLs
 * and LIMIT/OFFSET at the edges.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { DOGS, loadFixture, sensorRows, sql } from './fixture.js';

let s: TestServer;
before(async () => { s = await startTestServer(); await loadFixture(s.op); });
after(async () => { await s.close(); });

const ids = async (statement: string) => (await sql(s.op, statement)).map((r: { id: unknown }) => r.id);

/** WHERE clause -> ids of the matching dogs, in id order. */
const WHERE_CASES: [string, number[]][] = [
  ['id = 1', [1]],
  ['id IN (1, 3, 99)', [1, 3]],
  ['`id` = 2', [2]],
  ['age <> 7', [4, 5, 6, 7, 8, 9, 11, 12, 15]],
  ['age != 7', [4, 5, 6, 7, 8, 9, 11, 12, 15]],
  ['age < 5', [7, 12, 15]],
  ['age <= 5', [7, 8, 9, 12, 15]],
  ['age > 7', [5, 11]],
  ['age >= 7', [1, 2, 3, 5, 10, 11, 13]],
  ['7 <= age', [1, 2, 3, 5, 10, 11, 13]],
  ['age BETWEEN 5 AND 6', [4, 6, 8, 9]],
  ['age NOT BETWEEN 3 AND 7', [5, 11, 12]],
  ["dog_name LIKE 'B%'", [4, 11]],
  ["dog_name LIKE '%e%'", [1, 2, 5, 8, 9, 10, 11, 12, 13, 14]],
  ["dog_name NOT LIKE '%e%'", [3, 4, 6, 7, 15]],
  ["dog_name LIKE '_ato'", [6]],
  ["dog_name LIKE 'b%'", [4, 11]],
  ['id = /* a comment */ 1', [1]],
  ['owner_name IS NULL', [14]],
  ['weight_lbs IS NULL', [14]],
  ['owner_name IS NOT NULL', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]],
  ["age = 7 AND (owner_name = 'Kyle' OR owner_name = 'Margo')", [1, 13]],
  ['NOT (age = 7)', [4, 5, 6, 7, 8, 9, 11, 12, 15]],
  ['age IN (2, 3)', [7, 12]],
  ['age NOT IN (7, 8)', [4, 6, 7, 8, 9, 12, 15]],
  ['age NOT IN (7, 8, NULL)', []],
  ['age = NULL', []],
  ['weight_lbs > 50 OR age IS NULL', [2, 3, 4, 8, 9, 11, 12, 14]],
  ['adorable = false', [15]],
  ['adorable = true AND breed_id = 154', [1, 9, 13]],
  ['breed_id = 154 AND age > 5', [1, 13]],
  ["age = '7' AND id < 3", [1, 2]],
  ['weight_lbs / 5 = 11', [2, 8, 9]],
  ['__createdtime__ > 0 AND id = 15', [15]],
  ["UPPER(owner_name) = 'ZACH'", [4, 5]],
  ['id = 1 OR id = 2 OR id = 3', [1, 2, 3]],
  ['1 = 0', []],
];

test('WHERE: every comparison, logic operator, LIKE, IN, BETWEEN and IS NULL', async () => {
  for (const [where, expected] of WHERE_CASES) {
    assert.deepEqual(await ids(`SELECT id FROM dev.dog WHERE ${where} ORDER BY id`), expected, where);
  }
});

test('column lists, aliases, backticks, nested records and time stamps', async () => {
  assert.deepEqual(await sql(s.op, 'SELECT id, dog_name AS name FROM dev.dog WHERE id IN (1, 3) ORDER BY id'), [{ id: 1, name: 'Penny' }, { id: 3, name: 'Alby' }]);
  assert.deepEqual(await sql(s.op, 'SELECT `d`.`dog_name` `n` FROM `dev`.`dog` `d` WHERE `d`.`id` = 2'), [{ n: 'Harper' }]);
  assert.deepEqual(await sql(s.op, 'SELECT meta FROM dev.dog WHERE id = 1'), [{ meta: { vet: 'Dr X', shots: [1, 2] } }]);
  assert.deepEqual(await sql(s.op, 'SELECT weight_lbs, owner_name FROM dev.dog WHERE id = 14'), [{ weight_lbs: null, owner_name: null }]);
  const [star] = await sql(s.op, 'SELECT * FROM dev.dog WHERE id = 2');
  assert.equal(star.dog_name, 'Harper');
  assert.equal(typeof star.__createdtime__, 'number');
  assert.equal(typeof star.__updatedtime__, 'number');
  const [times] = await sql(s.op, 'SELECT __createdtime__, __updatedtime__ FROM dev.dog WHERE id = 2');
  assert.deepEqual(times, { __createdtime__: star.__createdtime__, __updatedtime__: star.__updatedtime__ });
  const missing = await s.op({ operation: 'sql', sql: 'SELECT id FROM dev.no_such_table' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error, "Table 'dev.no_such_table' does not exist");
  assert.deepEqual(await sql(s.op, 'SELECT id, weight_lbs / 2 AS half, age * 12 AS months, age - 1 AS younger, age % 4 AS m, -age AS neg FROM dev.dog WHERE id = 2'), [{ id: 2, half: 27.5, months: 84, younger: 6, m: 3, neg: -7 }]);
});

test('ORDER BY several keys, NULLs first ascending and last descending, aliases and positions', async () => {
  assert.deepEqual(await ids('SELECT id FROM dev.dog WHERE age IS NOT NULL ORDER BY age DESC, id ASC'), [5, 11, 1, 2, 3, 10, 13, 4, 6, 8, 9, 15, 7, 12]);
  assert.deepEqual(await ids('SELECT id FROM dev.dog ORDER BY age, id LIMIT 3'), [14, 12, 7]);
  assert.deepEqual(await ids('SELECT id FROM dev.dog ORDER BY age DESC, id LIMIT 3'), [5, 11, 1]);
  assert.equal((await ids('SELECT id FROM dev.dog ORDER BY age DESC, id')).at(-1), 14);
  assert.equal((await ids('SELECT id FROM dev.dog ORDER BY weight_lbs'))[0], 14);
  assert.deepEqual((await sql(s.op, 'SELECT dog_name AS n FROM dev.dog WHERE age = 8 ORDER BY n DESC')).map((r: { n: string }) => r.n), ['Rose Merry', 'Bode']);
  assert.deepEqual((await sql(s.op, 'SELECT dog_name, age FROM dev.dog WHERE age = 8 ORDER BY 1')).map((r: { dog_name: string }) => r.dog_name), ['Bode', 'Rose Merry']);
  assert.deepEqual(await ids('SELECT id FROM dev.dog ORDER BY owner_name DESC, id DESC LIMIT 3'), [5, 4, 8]);
});

test('LIMIT and OFFSET at the edges', async () => {
  const cases: [string, number[]][] = [
    ['LIMIT 0', []], ['LIMIT 1', [1]], ['LIMIT 2 OFFSET 13', [14, 15]], ['LIMIT 5 OFFSET 15', []], ['LIMIT 5 OFFSET 14', [15]],
    ['LIMIT 2, 3', [3, 4, 5]], ['LIMIT 100', DOGS.map((d) => d.id)], ['LIMIT 3 OFFSET 0', [1, 2, 3]],
  ];
  for (const [clause, expected] of cases) {
    assert.deepEqual(await ids(`SELECT id FROM dev.dog ORDER BY id ${clause}`), expected, clause);
    assert.deepEqual(await ids(`SELECT id FROM dev.dog ORDER BY weight_lbs, id ${clause}`), (await ids('SELECT id FROM dev.dog ORDER BY weight_lbs, id')).slice(...sliceOf(clause)), `sorted ${clause}`);
  }
  assert.equal((await ids('SELECT id FROM dev.dog LIMIT 4')).length, 4);
  const bad = await s.op({ operation: 'sql', sql: 'SELECT id FROM dev.dog LIMIT -1' });
  assert.equal(bad.status, 400);
});

function sliceOf(clause: string): [number, number] {
  const m = /LIMIT (\d+)(?:, (\d+))?(?: OFFSET (\d+))?/.exec(clause)!;
  if (m[2] !== undefined) return [Number(m[1]), Number(m[1]) + Number(m[2])];
  const off = Number(m[3] ?? 0);
  return [off, off + Number(m[1])];
}

test('DISTINCT, GROUP BY, HAVING and every aggregate, with NULLs ignored', async () => {
  assert.deepEqual((await sql(s.op, 'SELECT DISTINCT owner_name FROM dev.dog ORDER BY owner_name')).map((r: { owner_name: unknown }) => r.owner_name),
    [null, 'Aron', 'David', 'Fred', 'Jaxon', 'Kaylan', 'Kyle', 'Margo', 'Nobody', 'Stephen', 'Zach']);
  assert.deepEqual(await sql(s.op, 'SELECT owner_name, COUNT(*) AS dogs FROM dev.dog GROUP BY owner_name HAVING COUNT(*) > 1 ORDER BY owner_name'),
    [{ owner_name: 'Kyle', dogs: 2 }, { owner_name: 'Margo', dogs: 2 }, { owner_name: 'Stephen', dogs: 2 }, { owner_name: 'Zach', dogs: 2 }]);
  const weights = DOGS.flatMap((d) => (typeof d.weight_lbs === 'number' ? [d.weight_lbs] : []));
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n, COUNT(age) AS with_age, SUM(age) AS total, AVG(weight_lbs) AS w, MIN(age) AS lo, MAX(dog_name) AS last, COUNT(DISTINCT breed_id) AS breeds FROM dev.dog'),
    [{ n: 15, with_age: 14, total: 82, w: weights.reduce((a, b) => a + b, 0) / weights.length, lo: 2, last: 'Yeti', breeds: 9 }]);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n, MAX(age) AS m, SUM(age) AS s FROM dev.dog WHERE age > 100'), [{ n: 0, m: null, s: null }]);
  assert.deepEqual(await sql(s.op, 'SELECT age, COUNT(*) AS n FROM dev.dog WHERE age > 100 GROUP BY age'), []);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) FROM dev.dog'), [{ 'COUNT(*)': 15 }]);
  assert.deepEqual(await sql(s.op, 'SELECT age, COUNT(*) AS n, MAX(weight_lbs) AS heaviest FROM dev.dog GROUP BY age ORDER BY n DESC, age LIMIT 2'),
    [{ age: 7, n: 5, heaviest: 84 }, { age: 5, n: 2, heaviest: 55 }]);
  assert.deepEqual(await sql(s.op, 'SELECT breed_id, COUNT(*) AS n FROM dev.dog WHERE breed_id IS NULL OR breed_id = 999 GROUP BY breed_id ORDER BY breed_id'),
    [{ breed_id: null, n: 1 }, { breed_id: 999, n: 1 }]);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.dog GROUP BY adorable HAVING MIN(age) < 5 ORDER BY n'), [{ n: 1 }, { n: 13 }]);
  // over mixed types: numeric strings add up, other values are skipped; MIN/MAX follow the ORDER BY order
  // (booleans < numbers < strings < arrays); NULL and missing values are ignored
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(v) AS c, SUM(v) AS s, AVG(v) AS a, MIN(v) AS lo, MAX(v) AS hi FROM dev.mixed_plain'),
    [{ c: 10, s: 35, a: 7, lo: true, hi: [5, 6] }]);
  assert.deepEqual(await sql(s.op, "SELECT MIN(v) AS lo, MAX(v) AS hi, SUM(v) AS s FROM dev.mixed_plain WHERE id IN (1, 8, 9, 4)"),
    [{ lo: 5, hi: 'abc', s: 25 }]);
});

test('INNER and LEFT JOIN on equality, with missing partners on either side', async () => {
  assert.deepEqual(await sql(s.op, "SELECT d.dog_name, b.name AS breed FROM dev.dog AS d INNER JOIN dev.breed AS b ON d.breed_id = b.id WHERE d.owner_name = 'Kyle' ORDER BY d.dog_name"),
    [{ dog_name: 'Kato', breed: 'Pug' }, { dog_name: 'Penny', breed: 'Australian Shepherd' }]);
  assert.deepEqual(await sql(s.op, 'SELECT d.id, b.name FROM dev.dog d LEFT JOIN dev.breed b ON d.breed_id = b.id WHERE d.id >= 14 ORDER BY d.id'),
    [{ id: 14, name: null }, { id: 15, name: null }]);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.dog d INNER JOIN dev.breed b ON d.breed_id = b.id'), [{ n: 13 }]);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.dog d LEFT JOIN dev.breed b ON d.breed_id = b.id'), [{ n: 15 }]);
  assert.deepEqual(await sql(s.op, 'SELECT b.name FROM dev.breed b LEFT JOIN dev.dog d ON d.breed_id = b.id WHERE d.id IS NULL'), [{ name: 'Unused' }]);
  // owner_name is not indexed: a hash join
  assert.deepEqual(await sql(s.op, 'SELECT o.name, COUNT(d.id) AS dogs FROM dev.owner o LEFT JOIN dev.dog d ON d.owner_name = o.name GROUP BY o.name ORDER BY o.name'),
    [{ name: 'Kyle', dogs: 2 }, { name: 'Lonely', dogs: 0 }, { name: 'Margo', dogs: 2 }, { name: 'Stephen', dogs: 2 }, { name: 'Zach', dogs: 2 }]);
  assert.deepEqual(await sql(s.op, "SELECT d.dog_name, o.id AS owner_id FROM dev.dog d INNER JOIN dev.owner o ON o.name = d.owner_name AND d.age > 6 ORDER BY d.dog_name"),
    [{ dog_name: 'Bode', owner_id: 4 }, { dog_name: 'Harper', owner_id: 3 }, { dog_name: 'Jagger', owner_id: 4 }, { dog_name: 'Penny', owner_id: 1 }, { dog_name: 'Rose Merry', owner_id: 2 }]);
  // three tables, a star per table and the right table's condition in WHERE
  // columns are set in select-list order: b.* overwrites d.id, so the dog's id gets an alias
  const rows = await sql(s.op, "SELECT d.id AS dog_id, b.*, o.name AS owner FROM dev.dog d INNER JOIN dev.breed b ON b.id = d.breed_id LEFT JOIN dev.owner o ON o.name = d.owner_name WHERE b.country = 'DE' ORDER BY d.id");
  assert.deepEqual(rows.map((r: Record<string, unknown>) => [r.dog_id, r.id, r.name, r.owner]), [[7, 349, 'Boxer', null], [11, 104, 'Great Dane', 'Margo']]);
  const ambiguous = await s.op({ operation: 'sql', sql: 'SELECT id FROM dev.dog d INNER JOIN dev.breed b ON d.breed_id = b.id' });
  assert.equal(ambiguous.status, 400);
  assert.match(ambiguous.body.error, /ambiguous/);
});

test('scalar functions: string, math, date, COALESCE', async () => {
  assert.deepEqual(await sql(s.op, "SELECT UPPER(dog_name) AS u, LOWER(owner_name) AS l, CONCAT(dog_name, '-', owner_name) AS c, LENGTH(dog_name) AS n, SUBSTRING(dog_name, 2, 3) AS s, TRIM('  x  ') AS t, ABS(-3) AS a, ROUND(2.567, 2) AS r, FLOOR(2.7) AS f, CEIL(2.1) AS ce, COALESCE(NULL, owner_name) AS co FROM dev.dog WHERE id = 1"),
    [{ u: 'PENNY', l: 'kyle', c: 'Penny-Kyle', n: 5, s: 'enn', t: 'x', a: 3, r: 2.57, f: 2, ce: 3, co: 'Kyle' }]);
  assert.deepEqual(await sql(s.op, "SELECT UPPER(owner_name) AS u, COALESCE(owner_name, 'none') AS c, CONCAT(dog_name, owner_name) AS j FROM dev.dog WHERE id = 14"), [{ u: null, c: 'none', j: 'Nameless' }]);
  assert.deepEqual(await sql(s.op, "SELECT DATE_FORMAT(0, 'YYYY-MM-DD HH:mm:ss') AS d, DATE_ADD(0, 1, 'days') AS a, DATE_DIFF(86400000, 0, 'hours') AS h, DATE_SUB(86400000, 1, 'd') AS s, DATE_ADD('2024-01-31T00:00:00Z', 1, 'months') AS m FROM dev.dog WHERE id = 1"),
    [{ d: '1970-01-01 00:00:00', a: 86_400_000, h: 24, s: 0, m: Date.parse('2024-03-02T00:00:00Z') }]);
  const before = Date.now();
  const [now] = await sql(s.op, 'SELECT NOW() AS n, CURRENT_DATE AS d, CURRENT_TIMESTAMP AS t FROM dev.dog WHERE id = 1');
  assert.ok(now.n >= before && now.n <= Date.now(), 'NOW() is the current epoch ms');
  assert.match(now.d, /^\d{4}-\d\d-\d\d$/);
  assert.ok(now.t >= before);
  assert.deepEqual(await sql(s.op, "SELECT UCASE(dog_name) AS u, LCASE(dog_name) AS l, CHAR_LENGTH(dog_name) AS n, SUBSTR(dog_name, -2) AS s, LTRIM('  x ') AS lt, RTRIM(' x  ') AS rt, CEILING(1.2) AS c, IFNULL(owner_name, 'none') AS o, DATE_FORMAT(86400000, '[day] D, h:mm A') AS f FROM dev.dog WHERE id = 14"),
    [{ u: 'NAMELESS', l: 'nameless', n: 8, s: 'ss', lt: 'x ', rt: ' x', c: 2, o: 'none', f: 'day 2, 12:00 AM' }]);
  assert.match((await sql(s.op, 'SELECT CURRENT_TIME AS t FROM dev.dog WHERE id = 1'))[0].t, /^\d\d:\d\d:\d\d\.\d{3}$/);
  const arity = await s.op({ operation: 'sql', sql: 'SELECT UPPER(dog_name, 1) FROM dev.dog' });
  assert.equal(arity.status, 400);
  assert.match(arity.body.error, /UPPER/);
});

test('sensor rows: grouped aggregates over a time range and the latest rows by ts', async () => {
  const rows = sensorRows(200);
  const lo = 1_700_000_000_000 + 50_000, hi = 1_700_000_000_000 + 120_000;
  const inRange = rows.filter((r) => (r.ts as number) >= lo && (r.ts as number) <= hi);
  const expected = new Map<string, { n: number; t: number; p: number }>();
  for (const r of inRange) {
    const e = expected.get(r.machine_id as string) ?? { n: 0, t: 0, p: -Infinity };
    e.n++; e.t += r.temperature as number; e.p = Math.max(e.p, r.pressure as number);
    expected.set(r.machine_id as string, e);
  }
  const got = await sql(s.op, `SELECT machine_id, COUNT(*) AS n, AVG(temperature) AS t, MAX(pressure) AS p FROM dev.sensor WHERE ts BETWEEN ${lo} AND ${hi} GROUP BY machine_id ORDER BY machine_id`);
  assert.deepEqual(got, [...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([m, e]) => ({ machine_id: m, n: e.n, t: e.t / e.n, p: e.p })));
  assert.deepEqual(await ids('SELECT * FROM dev.sensor ORDER BY ts DESC LIMIT 5'), [200, 199, 198, 197, 196]);
  assert.deepEqual(await ids('SELECT id FROM dev.sensor ORDER BY ts LIMIT 3 OFFSET 2'), [3, 4, 5]);
  assert.deepEqual(await ids("SELECT id FROM dev.sensor WHERE machine_id = 'm3' AND ts > 1700000150000 ORDER BY id"), [153, 163, 173, 183, 193]);
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.sensor'), [{ n: 200 }]);
});

test('primary-key point reads (the synchronous shortcut) answer exactly what the general planner answers', async () => {
  await s.op({ operation: 'create_table', database: 'dev', table: 'keys', primary_key: 'k' });
  const rows = [{ k: 5, v: 'number' }, { k: '5', v: 'string' }, { k: '5.0', v: 'decimal string' }, { k: 'abc', v: 'word' }, { k: 0, v: 'zero' }, { k: -3.5, v: 'negative' }];
  assert.equal((await s.op({ operation: 'insert', database: 'dev', table: 'keys', records: rows })).status, 200);
  const vals = (body: { v: string }[]) => body.map((r) => r.v).sort();
  for (const lit of ['5', "'5'", "'5.0'", "'abc'", "'ABC'", '0', '-3.5', "'-3.5'", '99', "''", 'NULL', '5.0']) {
    const point = await sql(s.op, `SELECT * FROM dev.keys WHERE k = ${lit}`);
    // AND k IS NOT NULL keeps the same rows but takes the planner's path
    const general = await sql(s.op, `SELECT * FROM dev.keys WHERE k = ${lit} AND k IS NOT NULL`);
    assert.deepEqual(vals(point), vals(general), `k = ${lit}`);
    assert.deepEqual((await sql(s.op, `SELECT * FROM dev.keys WHERE ${lit} = k`)).map((r: { v: string }) => r.v).sort(), vals(point), `${lit} = k`);
  }
  assert.deepEqual(vals(await sql(s.op, 'SELECT * FROM dev.keys WHERE k = 5')), ['number', 'string']);
  assert.deepEqual(vals(await sql(s.op, "SELECT t.* FROM dev.keys AS t WHERE t.k = 'abc'")), ['word']);
  assert.deepEqual(vals(await sql(s.op, "SELECT * FROM `dev`.`keys` WHERE keys.k = 'abc'")), ['word']);
  // the whole stored record, time stamps included, as search_by_id returns it
  const [one] = await sql(s.op, "SELECT * FROM dev.keys WHERE k = 'abc'");
  const [byId] = (await s.op({ operation: 'search_by_id', database: 'dev', table: 'keys', ids: ['abc'], get_attributes: ['*'] })).body;
  assert.deepEqual(one, byId);
  // a non-key column with the same shape takes the planner (and answers)
  assert.deepEqual(vals(await sql(s.op, "SELECT * FROM dev.keys WHERE v = 'zero'")), ['zero']);
  // the table is looked up on every run: after a drop the cached statement answers the planner's 404
  assert.equal((await s.op({ operation: 'drop_table', database: 'dev', table: 'keys' })).status, 200);
  const gone = await s.op({ operation: 'sql', sql: 'SELECT * FROM dev.keys WHERE k = 5' });
  const goneGeneral = await s.op({ operation: 'sql', sql: 'SELECT * FROM dev.keys WHERE k = 5 AND k IS NOT NULL' });
  assert.equal(gone.status, goneGeneral.status);
  assert.deepEqual(gone.body, goneGeneral.body);
  assert.match(gone.body.error, /does not exist/);
  // re-created with another primary key: the same text now reads a non-key column through the planner
  await s.op({ operation: 'create_table', database: 'dev', table: 'keys', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'keys', records: [{ id: 1, k: 5, v: 'again' }] });
  assert.deepEqual(vals(await sql(s.op, 'SELECT * FROM dev.keys WHERE k = 5')), ['again']);
});
