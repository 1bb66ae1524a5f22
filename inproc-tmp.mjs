import { openLmdbEngine } from './dist/src/storage/lmdb-engine.js';
import { Catalog } from './dist/src/catalog/catalog.js';
import { ChangeLog } from './dist/src/changelog/changelog.js';
import { Records } from './dist/src/records/records.js';
import { SqlParser } from './dist/src/sql/parse.js';
import { runSelect } from './dist/src/sql/select.js';
const engine = openLmdbEngine({ path: '/tmp/prof/data-BM4PQp/database' });
const catalog = new Catalog(engine); const changelog = new ChangeLog(engine, 'p'); const records = new Records(engine, catalog, changelog);
const user = { username: 'admin', role: { role: 'super_user', permission: { super_user: true } } };
const svc = { records, catalog, user, maxRows: 1e6, sliceMs: 5 };
const T0 = 1_700_000_000_000, N = 1e6; const lo = T0 + Math.floor(N * 0.45) * 10, hi = lo + Math.floor(N * 0.1) * 10 - 1;
const q = process.env.Q === 'full' ? 'SELECT COUNT(*), AVG(temperature), MAX(pressure), MIN(weight) FROM default.sensor_data' : `SELECT machine_id, COUNT(*), AVG(temperature), MAX(pressure) FROM default.sensor_data WHERE ts BETWEEN ${lo} AND ${hi} GROUP BY machine_id`;
const parser = new SqlParser();
const times = []; let out;
for (let i = 0; i < Number(process.env.REPS ?? 15); i++) { const p = parser.parse(q); const t = performance.now(); out = await runSelect(svc, p.statement.type === 'select' ? p.statement : null, p.params, false); times.push(+(performance.now() - t).toFixed(1)); }
console.log(JSON.stringify({ times, median: times.slice().sort((a, b) => a - b)[times.length >> 1], rows: out.length, first: out[0] }));
await parser.close(); process.exit(0);
