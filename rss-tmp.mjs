import { open } from 'lmdb';
import { readFileSync } from 'node:fs';
const root = open({ path: '/tmp/prof/data-BM4PQp/database', readOnly: true, maxDbs: 4096, noReadAhead: process.env.NRA === '1' });
const n = [...root.getKeys()].find(k => typeof k === 'string' && k.startsWith('d:'));
const db = root.openDB({ name: n, sharedStructuresKey: Symbol.for('ferrydb.structures') });
const rss = () => { const s = readFileSync('/proc/self/smaps', 'utf8'); let cur = null, t = 0; for (const line of s.split('\n')) { const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line); if (m) { cur = m[1]; continue; } const r = /^Rss:\s+(\d+)/.exec(line); if (r && cur && cur.endsWith('data.mdb')) t += Number(r[1]); } return Math.round(t / 1024); };
let x = 0; const t0 = performance.now(); for (const { value } of db.getRange({ snapshot: false })) x += value[2]?.temperature ?? 0;
console.log('NRA', process.env.NRA, 'data.mdb rss MB', rss(), 'ms', Math.round(performance.now() - t0));
