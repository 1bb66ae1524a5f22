/**
 * The ceiling for the node benchmarks: a bare node:http + LMDB server that answers the few
 * operations the reference client sends (insert, search_by_id, describe_table, create_*,
 * drop_table) with no validation, no change log, no catalog, no indexes. It uses FerryDB's
 * storage engine, so durability is the same (each insert is acknowledged after its sync).
 * Run as a child process: `node dist/bench/bare-server.js <dir> <port> <user> <password>`.
 */
import { createServer } from 'node:http';
import { openLmdbEngine } from '../src/storage/lmdb-engine.js';
import type { KvStore } from '../src/storage/engine.js';

const [dir, portArg, user, password] = process.argv.slice(2);
if (!dir || !portArg || !user || !password) throw new Error('usage: bare-server <dir> <port> <user> <password>');
const engine = openLmdbEngine({ path: dir });
const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
// drop_table switches a table to a fresh store (stores cannot be re-created after a drop here).
const generation = new Map<string, number>();
const stores = new Map<string, KvStore<Record<string, unknown>>>();
const storeOf = (db: string, table: string) => {
  const name = `${db}.${table}.${generation.get(`${db}.${table}`) ?? 0}`;
  let s = stores.get(name);
  if (!s) stores.set(name, (s = engine.openStore<Record<string, unknown>>(name, { structures: true })));
  return s;
};
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

type Body = { operation?: string; database?: string; table?: string; records?: Record<string, unknown>[]; ids?: (string | number)[] };

function handle(body: Body): unknown {
  const db = body.database ?? 'data', table = body.table ?? '';
  switch (body.operation) {
    case 'create_database': case 'create_table': return { message: 'ok' };
    case 'drop_table': generation.set(`${db}.${table}`, (generation.get(`${db}.${table}`) ?? 0) + 1); return { message: 'ok' };
    case 'describe_table': return { record_count: storeOf(db, table).getCount() };
    case 'search_by_id': case 'search_by_hash': {
      const s = storeOf(db, table);
      const out = [];
      for (const id of body.ids ?? []) { const r = s.get(id); if (r) out.push(r); }
      return out;
    }
    case 'insert': {
      const s = storeOf(db, table);
      const records = body.records ?? [];
      return engine.transaction(() => {
        const written = [];
        for (const r of records) { s.put(r.id as number, r); written.push(r.id); }
        return written;
      }).then((written) => ({ message: `inserted ${written.length} of ${records.length} records`, inserted_hashes: written, skipped_hashes: [] }));
    }
    default: return { message: 'ok' };
  }
}

const server = createServer((req, res) => {
  if (req.headers.authorization !== auth) { res.writeHead(401, JSON_HEADERS); res.end('{"error":"Login failed"}'); req.resume(); return; }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const result = handle(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body);
    const reply = (v: unknown) => { res.writeHead(200, JSON_HEADERS); res.end(JSON.stringify(v)); };
    if (result instanceof Promise) result.then(reply, () => { res.writeHead(500, JSON_HEADERS); res.end('{"error":"failed"}'); });
    else reply(result);
  });
});
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => void engine.close().then(() => process.exit(0))));
