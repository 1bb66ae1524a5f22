/**
 * Parallel aggregates: a one-table aggregate over a large key range reads half of it in the
 * scan worker. The rows, groups, group order and first-row columns must be those of the single
 * pass; a node that never splits (sql.parallelMinRows 0) answers the same statements as the
 * reference. Sums may differ in the last bits (addition order), so numbers are compared with a
 * relative tolerance.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { internalSuperUser } from '../../src/auth/permissions.js';
import { ScanWorker } from '../../src/sql/parallel-scan.js';
import { SqlParser } from '../../src/sql/parse.js';
import { runSelect } from '../../src/sql/select.js';
import type { SelectStatement } from '../../src/sql/ast.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { sql } from './fixture.js';

let par: TestServer;
let seq: TestServer;

const T0 = 1_700_000_000_000;
function rows(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let id = 1; id <= 3000; id++) {
    out.push({
      id, ts: T0 + id * 10,
      // 'late' first appears in the upper half of the key range
      machine_id: id > 2500 ? 'late' : `m${id % 7}`,
      temperature: id % 11 === 0 ? null : (1500 + id * 13 % 3000) / 100,
      label: `L${(id * 7919) % 1000}`,
    });
  }
  // Keys far outside the span whose ts is inside the queried range: the span meets fewer index
  // entries than it counted and the keys outside it are fetched as well.
  for (let k = 0; k < 5; k++) out.push({ id: 1_000_000 + k, ts: T0 + 15_000 + k, machine_id: 'outlier', temperature: 50, label: 'Z' });
  return out;
}

async function load(s: TestServer): Promise<void> {
  await s.op({ operation: 'create_database', database: 'dev' });
  const t = await s.op({ operation: 'create_table', database: 'dev', table: 'readings', primary_key: 'id', attributes: [{ name: 'ts', indexed: true }] });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  const r = await s.op({ operation: 'insert', database: 'dev', table: 'readings', records: rows() });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

before(async () => {
  par = await startTestServer({ SQL_PARALLELMINROWS: '100' });
  seq = await startTestServer({ SQL_PARALLELMINROWS: '0' });
  await load(par);
  await load(seq);
});
after(async () => { await par.close(); await seq.close(); });

function close(a: unknown, b: unknown, where: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)), `${where}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length`);
    a.forEach((x, i) => close(x, b[i], `${where}[${i}]`));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${where}: columns`);
    for (const k of Object.keys(a)) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
    return;
  }
  assert.deepEqual(a, b, where);
}

const lo = T0 + 5_000, hi = T0 + 25_000;
const SPLIT: string[] = [
  // full scans
  'SELECT machine_id, COUNT(*) AS n, COUNT(temperature) AS with_t, SUM(temperature) AS s, AVG(temperature) AS a, MIN(label) AS lo, MAX(label) AS hi, MIN(ts) AS first_ts, MAX(id) AS last_id FROM dev.readings GROUP BY machine_id ORDER BY machine_id',
  'SELECT COUNT(*) AS n, AVG(temperature) AS a, MAX(ts) AS m FROM dev.readings',
  "SELECT machine_id, COUNT(*) AS n FROM dev.readings WHERE label >= 'L5' GROUP BY machine_id HAVING COUNT(*) > 100 ORDER BY n DESC, machine_id",
  // no ORDER BY: groups come in the order their first rows are met, and label is the group's first row's
  'SELECT machine_id, label, COUNT(*) AS n FROM dev.readings GROUP BY machine_id',
  // primary-key spans of a ts range (with the outliers fetched outside the span)
  `SELECT machine_id, COUNT(*) AS n, AVG(temperature) AS a, MAX(ts) AS m FROM dev.readings WHERE ts BETWEEN ${lo} AND ${hi} GROUP BY machine_id`,
  `SELECT COUNT(*) AS n, SUM(temperature) AS s FROM dev.readings WHERE ts >= ${lo} AND ts < ${hi} AND temperature > 20`,
  // nothing matches in either half
  "SELECT COUNT(*) AS n, MAX(temperature) AS m FROM dev.readings WHERE label = 'none'",
];

test('aggregates split with the scan worker answer what one pass answers', async () => {
  for (const statement of SPLIT) {
    const plan = await sql(par.op, statement, { explain: true });
    assert.equal(plan.parallel, 'scan_worker', `split: ${statement} -> ${JSON.stringify(plan)}`);
    assert.equal((await sql(seq.op, statement, { explain: true })).parallel, undefined, `not split with sql.parallelMinRows 0: ${statement}`);
    close(await sql(par.op, statement), await sql(seq.op, statement), statement);
  }
  // spot checks against the rows themselves
  const all = rows();
  const [n] = await sql(par.op, SPLIT[1]!);
  assert.equal(n.n, all.length);
  assert.equal(n.m, Math.max(...all.map((r) => r.ts as number)));
  const groups = await sql(par.op, SPLIT[3]!);
  assert.deepEqual(groups.map((g: { machine_id: string }) => g.machine_id), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm0', 'late', 'outlier']);
  const late = groups.find((g: { machine_id: string }) => g.machine_id === 'late');
  assert.deepEqual(late, { machine_id: 'late', label: all[2500]!.label, n: 500 });
  const span = await sql(par.op, SPLIT[4]!);
  assert.equal(span.find((g: { machine_id: string }) => g.machine_id === 'outlier')?.n, 5);
  assert.equal(span.reduce((a: number, g: { n: number }) => a + g.n, 0), all.filter((r) => (r.ts as number) >= lo && (r.ts as number) <= hi).length);
});

test('DISTINCT aggregates, joins, small tables and plain COUNT(*) are not split', async () => {
  const notSplit = [
    'SELECT machine_id, COUNT(DISTINCT label) AS d FROM dev.readings GROUP BY machine_id',
    'SELECT COUNT(*) FROM dev.readings',
    `SELECT COUNT(*) AS n FROM dev.readings WHERE ts BETWEEN ${T0 + 10} AND ${T0 + 500}`,
    'SELECT a.machine_id, COUNT(*) AS n FROM dev.readings a INNER JOIN dev.readings b ON a.id = b.id GROUP BY a.machine_id',
  ];
  for (const statement of notSplit) {
    assert.equal((await sql(par.op, statement, { explain: true })).parallel, undefined, statement);
    close(await sql(par.op, statement), await sql(seq.op, statement), statement);
  }
});

test('a scan worker that fails leaves its half to the main thread (same rows)', async () => {
  // A worker whose module ends at once: every job it was given answers null.
  const broken = new ScanWorker(new URL('data:text/javascript,process.exit(3)'));
  const parser = new SqlParser();
  try {
    const { records, catalog } = par.node.services;
    const svc = {
      records, catalog, user: internalSuperUser('test'), maxRows: 1_000_000, sliceMs: 5, parallelMinRows: 100,
      scan: { worker: broken, path: join(par.rootPath, 'database'), nodeName: records.changelog.nodeName },
    };
    for (const statement of [SPLIT[0]!, SPLIT[4]!]) {
      const parsed = await parser.parse(statement);
      const rows = await runSelect(svc, parsed.statement as SelectStatement, parsed.params, false);
      close(rows, await sql(seq.op, statement), `with a failed worker: ${statement}`);
    }
  } finally {
    await broken.close();
    await parser.close();
  }
});
