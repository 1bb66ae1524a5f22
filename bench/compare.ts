/**
 * Side by side, interleaved in one run (issue 14): FerryDB, a bare node:http + LMDB server
 * (the ceiling for the same client) and PostgreSQL 15 (when installed). Each round runs every
 * system once, in turn, on fresh data:
 *  - the reference client (shared/bench/bench-ops.mjs): bulk, 16-client single inserts and
 *    16-client point reads, against FerryDB and the bare server;
 *  - a client that does not fill a core: autocannon (HTTP) against FerryDB and the bare server,
 *    pgbench against PostgreSQL;
 *  - PostgreSQL with the `pg` client: multi-row INSERT bulk, single inserts, point reads.
 * Figures are medians over rounds, with the counterpart and the ratio.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePorts, launchNode } from '../src/demo/node-launcher.js';
import { median, round } from './load.js';
import { pgBulk, pgClosedLoop, pgPointRead, pgSingleInsert, startPostgres, type Postgres } from './pg-durable.js';

export interface CompareOptions {
  rounds: number;
  records: number;
  clients: number;
  durationS: number;
}

const ADMIN = { user: 'admin', password: 'bench-pw' };
const here = fileURLToPath(new URL('.', import.meta.url));
const log = (msg: string) => process.stderr.write(`[compare] ${msg}\n`);

/** The reference client: shared/ beside the repository (CI and developers), or /work/shared. */
function referenceClient(): string | null {
  for (const p of [join(here, '../../../shared/bench/bench-ops.mjs'), join(here, '../../shared/bench/bench-ops.mjs'), '/work/shared/bench/bench-ops.mjs']) if (existsSync(p)) return p;
  return null;
}

interface Target { url: string; stop(): Promise<void> }

async function startFerry(): Promise<Target> {
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-bench-'));
  const node = await launchNode({ nodeName: 'bench', rootPath, admin: ADMIN, cluster: { user: 'cluster_user', password: 'unused' }, env: { CLUSTERING: 'false', LOG_LEVEL: 'warn', LOG_TO_STDSTREAMS: 'false' } });
  return { url: node.url, async stop() { await node.stop(); rmSync(rootPath, { recursive: true, force: true }); } };
}

async function startBare(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-bench-bare-'));
  const [port] = await freePorts(1) as [number];
  const child = spawn(process.execPath, [join(here, 'bare-server.js'), dir, String(port), ADMIN.user, ADMIN.password], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { url: `http://127.0.0.1:${port}/`, async stop() { child.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); } };
}

/** bench-ops.mjs bulk,single,read for one run; its JSON medians per mode. */
function referenceRun(client: string, url: string, o: CompareOptions): Record<string, Record<string, number>> {
  const out = join(mkdtempSync(join(tmpdir(), 'ferrydb-bench-json-')), 'out.json');
  const r = spawnSync(process.execPath, [client, '--url', url, '--user', ADMIN.user, '--pass', ADMIN.password, '--mode', 'bulk,single,read', '--runs', '1',
    '--records', String(o.records), '--concurrency', String(o.clients), '--duration', String(o.durationS), '--keep', '--json', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench-ops failed: ${r.stderr}`);
  const res = JSON.parse(readFileSync(out, 'utf8')) as { modes: Record<string, { median: Record<string, number> }> };
  rmSync(join(out, '..'), { recursive: true, force: true });
  return Object.fromEntries(Object.entries(res.modes).map(([k, v]) => [k, v.median]));
}

/** autocannon: 16 connections, a fresh body per request (inserts get increasing ids). */
async function lightHttp(url: string, o: CompareOptions, body: (i: number) => string) {
  let i = 0;
  const r = await autocannon({
    url, connections: o.clients, duration: o.durationS, method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: body(++i) }) }],
  });
  return { ops_per_s: round(r.requests.average), p99_ms: round(r.latency.p99, 2), errors: r.errors + r.non2xx };
}

const sensorJson = (table: string, id: number) => `{"operation":"insert","database":"bench","table":"${table}","records":[{"id":${id},"machine_id":"m${id % 100}","pressure":${(id % 10000) / 100},"temperature":${15 + (id % 3000) / 100},"weight":${(id % 500000) / 100},"ts":${Date.now()}}]}`;
const readJson = (fill: number) => `{"operation":"search_by_id","database":"bench","table":"read_table","ids":[${1 + Math.floor(Math.random() * fill)}],"get_attributes":["*"]}`;

async function httpRound(t: Target, client: string | null, o: CompareOptions, fill: number): Promise<Record<string, number>> {
  const f: Record<string, number> = {};
  if (client) {
    const ref = referenceRun(client, t.url, o);
    f.bulk_rows_per_s = ref.bulk!.records_per_s!;
    f.single_ops_per_s = ref.single!.ops_per_s!; f.single_p99_ms = ref.single!.p99_ms!;
    f.read_ops_per_s = ref.read!.ops_per_s!; f.read_p99_ms = ref.read!.p99_ms!;
  }
  const read = await lightHttp(t.url, o, () => readJson(fill));
  f.light_read_ops_per_s = read.ops_per_s; f.light_read_p99_ms = read.p99_ms;
  const base = 1_000_000_000 + Math.floor(Math.random() * 1e6) * 1000;
  await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` }, body: '{"operation":"create_table","database":"bench","table":"light_single","primary_key":"id"}' });
  const single = await lightHttp(t.url, o, (i) => sensorJson('light_single', base + i));
  f.light_single_ops_per_s = single.ops_per_s; f.light_single_p99_ms = single.p99_ms;
  return f;
}

async function pgRound(p: Postgres, o: CompareOptions, fill: number): Promise<Record<string, number>> {
  const f: Record<string, number> = {};
  f.bulk_rows_per_s = await pgBulk(p, 'read_table', fill, 1000);
  const c = await p.client();
  await c.query('DROP TABLE IF EXISTS single');
  await c.query('CREATE TABLE single (LIKE read_table INCLUDING ALL)');
  await c.end();
  const single = await pgClosedLoop(p, o.clients, o.durationS * 1000, pgSingleInsert('single'));
  f.single_ops_per_s = single.ops_per_s; f.single_p99_ms = single.p99_ms;
  const read = await pgClosedLoop(p, o.clients, o.durationS * 1000, pgPointRead('read_table', fill));
  f.read_ops_per_s = read.ops_per_s; f.read_p99_ms = read.p99_ms;
  f.light_read_ops_per_s = p.pgbench(`\\set id random(1, ${fill})\nSELECT * FROM read_table WHERE id = :id;\n`, o.clients, o.durationS).tps;
  f.light_single_ops_per_s = p.pgbench(`\\set id random(1000000000, 900000000000000)\nINSERT INTO single VALUES (:id, 'm1', 1.5, 20.25, 3.5, 1700000000000) ON CONFLICT DO NOTHING;\n`, o.clients, o.durationS).tps;
  return f;
}

function medians(rounds: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(rounds[0] ?? {})) out[k] = round(median(rounds.map((r) => r[k]!).filter((x) => Number.isFinite(x))), 2);
  return out;
}

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 2) : null);

export async function runCompare(o: CompareOptions): Promise<Record<string, unknown>> {
  const client = referenceClient();
  if (!client) log('reference client bench-ops.mjs not found: only the light-client figures are measured');
  const fill = Math.max(Math.min(o.records, 100_000), 20_000);
  const ferry: Record<string, number>[] = [], bare: Record<string, number>[] = [], pgRounds: Record<string, number>[] = [];
  let pgAbsent = false;
  for (let r = 0; r < o.rounds; r++) {
    for (const [name, start, into] of [['ferrydb', startFerry, ferry], ['bare', startBare, bare]] as const) {
      const t = await start();
      try { into.push(await httpRound(t, client, o, fill)); } finally { await t.stop(); }
      log(`round ${r + 1} ${name}: ${JSON.stringify(into.at(-1))}`);
    }
    const p = pgAbsent ? null : await startPostgres();
    if (!p) { pgAbsent = true; continue; }
    try { pgRounds.push(await pgRound(p, o, fill)); } finally { await p.stop(); }
    log(`round ${r + 1} postgres: ${JSON.stringify(pgRounds.at(-1))}`);
  }
  const F = medians(ferry), B = medians(bare), P = pgAbsent ? {} : medians(pgRounds);
  const fig = (key: string, target: string, vs: 'postgres' | 'bare', goal: number) => {
    const other = vs === 'postgres' ? P[key] : B[key];
    const x = ratio(F[key], other);
    return { ferrydb: F[key] ?? null, [vs]: other ?? null, ratio: x, target, ok: x === null ? null : x >= goal };
  };
  return {
    params: { ...o, read_table_rows: fill, reference_client: client },
    postgres: pgAbsent ? 'not installed: comparison skipped' : 'PostgreSQL 15, fsync on, synchronous_commit on, pg client / pgbench',
    single_insert: (() => {
      const f = fig('single_ops_per_s', '>= 1.0x PostgreSQL, p99 <= PostgreSQL', 'postgres', 1);
      const p99 = { ferrydb: F.single_p99_ms ?? null, postgres: P.single_p99_ms ?? null };
      return { ...f, p99_ms: p99, ok: f.ok === null || p99.ferrydb === null || p99.postgres === null ? f.ok : f.ok && p99.ferrydb <= p99.postgres };
    })(),
    single_insert_light_client: fig('light_single_ops_per_s', 'autocannon vs pgbench (report)', 'postgres', 1),
    point_read_vs_bare: fig('read_ops_per_s', '>= 0.95x the bare server, reference client', 'bare', 0.95),
    point_read_light_client: fig('light_read_ops_per_s', '>= 1.0x PostgreSQL, autocannon vs pgbench', 'postgres', 1),
    point_read_pg_client: fig('read_ops_per_s', 'reference client vs pg client (report)', 'postgres', 1),
    bulk_vs_postgres: fig('bulk_rows_per_s', '>= 2x PostgreSQL multi-row INSERT', 'postgres', 2),
    bulk_vs_bare: fig('bulk_rows_per_s', '>= 0.9x the bare server', 'bare', 0.9),
    rounds: { ferrydb: ferry, bare, postgres: pgRounds },
  };
}
