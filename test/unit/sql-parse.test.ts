/** The SQL pre-pass (literal lifting, positions) and the parser cache and worker. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DbError } from '../../src/errors/db-error.js';
import { normalise } from '../../src/sql/lexer.js';
import { SqlParser } from '../../src/sql/parse.js';

test('literals become parameters, so statements differing only in literals share a text', () => {
  const a = normalise("SELECT * FROM default.sensor_data WHERE id = 5 AND name = 'it''s' -- note");
  const b = normalise('SELECT * FROM default.sensor_data WHERE id = 6 AND name = "x" /* c */');
  assert.equal(a.text, b.text);
  assert.equal(a.text, 'SELECT * FROM `default`.`sensor_data` WHERE id = :p0 AND name = :p1');
  assert.deepEqual(a.params, [5, "it's"]);
  assert.deepEqual(b.params, [6, 'x']);
  assert.deepEqual(normalise("SELECT 'a\\'b', '\\n' # hash comment\nFROM t").params, ["a'b", '\n']);
  // ORDER BY / GROUP BY positions stay in the text; LIMIT values are parameters
  assert.equal(normalise('SELECT a, b FROM t GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10').text, 'SELECT a , b FROM t GROUP BY 1 ORDER BY 2 DESC , 1 LIMIT :p0');
  assert.equal(normalise('SELECT * FROM t WHERE a >= 1 AND b <> 2').text, 'SELECT * FROM t WHERE a >= :p0 AND b <> :p1');
});

test('an offset in the normalised text maps back to the original', () => {
  const sql = "SELECT *\n  FROM dev.dog WHERE name = 'Penny' AND";
  const n = normalise(sql);
  assert.equal(sql.slice(n.originalOffset(n.text.indexOf('AND'))), 'AND');
  assert.equal(sql.slice(n.originalOffset(n.text.indexOf(':p0'))), "'Penny' AND");
  assert.equal(n.originalOffset(n.text.length), sql.length);
});

test('the parser caches by normalised text and answers a cache hit synchronously', async () => {
  const p = new SqlParser();
  const first = await p.parse('SELECT id FROM dev.dog WHERE id = 1');
  const second = p.parse('SELECT id FROM dev.dog WHERE id = 2');
  assert.ok(!(second instanceof Promise), 'a cache hit is not a promise');
  assert.equal((second as { statement: unknown }).statement, first.statement);
  assert.deepEqual((second as { params: unknown[] }).params, [2]);
  await p.close();
});

test('long statements parse in a worker; a parse past its time limit is refused and the worker replaced', async () => {
  const slow = new SqlParser({ workerThresholdChars: 10, parseTimeoutMs: 1 });
  const list = Array.from({ length: 20_000 }, (_, i) => i).join(',');
  await assert.rejects(Promise.resolve(slow.parse(`SELECT id FROM dev.dog WHERE id IN (${list})`)), (err: unknown) => err instanceof DbError && err.status === 400 && /too complex to parse/.test(err.message));
  await slow.close();
  const p = new SqlParser({ workerThresholdChars: 10 });
  const parsed = await p.parse('SELECT id FROM dev.dog WHERE id IN (1, 2, 3)');
  assert.equal(parsed.statement.type, 'select');
  assert.deepEqual(parsed.params, [1, 2, 3]);
  await assert.rejects(Promise.resolve(p.parse('SELECT id FROM dev.dog WHERE id IN (1, 2,')), /syntax error at line 1, column 42, at the end of the statement/);
  await p.close();
});
