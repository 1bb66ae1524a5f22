/**
 * A durable PostgreSQL 15 as the node benchmarks' yardstick (bench/postgres.ts is the SQL bench's fsync-off one): started in a temp directory on a free port
 * (as an unprivileged user when we are root, since initdb refuses root), fsync and
 * synchronous_commit on, driven with its own protocol by the `pg` client, and by `pgbench`
 * (a client that does not fill a core). Absent binaries mean no comparison (null).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePorts } from '../src/demo/node-launcher.js';
import { median, percentile, round, sensorRow } from './load.js';

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const COLUMNS = 'id, machine_id, pressure, temperature, weight, ts';
const TABLE_DDL = '(id bigint primary key, machine_id text, pressure double precision, temperature double precision, weight double precision, ts bigint)';

export interface Postgres {
  port: number;
  dir: string;
  client(): Promise<pg.Client>;
  /** Runs pgbench with a custom script; returns transactions/s and average latency (ms). */
  pgbench(script: string, clients: number, seconds: number): { tps: number; latency_avg_ms: number };
  stop(): Promise<void>;
}

/** The uid/gid to run the server as: ourselves, or the postgres (else nobody) user when root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:')) ?? 'nobody:x:65534:65534';
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgres(): Promise<Postgres | null> {
  if (!existsSync(join(BIN, 'postgres')) || !existsSync(join(BIN, 'initdb'))) return null;
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-bench-pg-'));
  const ids = serverUser();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-U', 'bench', '-A', 'trust', '-E', 'UTF8', '--no-sync'], { ...ids, encoding: 'utf8', cwd: dir });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const [port] = await freePorts(1) as [number];
  const server: ChildProcess = spawn(join(BIN, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'shared_buffers=128MB', '-c', 'max_connections=64'], { ...ids, cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const client = async () => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'bench', database: 'postgres' });
    await c.connect();
    return c;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const c = await client();
      await c.end();
      break;
    } catch (err) {
      if (Date.now() > deadline || server.exitCode !== null) { server.kill('SIGKILL'); throw new Error(`PostgreSQL did not start: ${String(err)}`); }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    port, dir, client,
    pgbench(script, clients, seconds) {
      const file = join(dir, `script-${Date.now()}.sql`);
      writeFileSync(file, script);
      const r = spawnSync(join(BIN, 'pgbench'), ['-n', '-M', 'prepared', '-f', file, '-c', String(clients), '-j', '1', '-T', String(seconds), '-h', '127.0.0.1', '-p', String(port), '-U', 'bench', 'postgres'], { encoding: 'utf8' });
      const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
      const lat = Number(/latency average = ([\d.]+) ms/.exec(r.stdout)?.[1] ?? NaN);
      return { tps: round(tps), latency_avg_ms: round(lat, 2) };
    },
    async stop() {
      server.kill('SIGTERM');
      const t = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const rowValues = (id: number) => { const r = sensorRow(id); return [r.id, r.machine_id, r.pressure, r.temperature, r.weight, r.ts]; };

export async function freshPgTable(p: Postgres, table: string): Promise<void> {
  const c = await p.client();
  await c.query(`DROP TABLE IF EXISTS ${table}`);
  await c.query(`CREATE TABLE ${table} ${TABLE_DDL}`);
  await c.end();
}

/** Multi-row INSERT of `batch` rows per statement, one statement in flight; rows/s. */
export async function pgBulk(p: Postgres, table: string, records: number, batch: number): Promise<number> {
  await freshPgTable(p, table);
  const c = await p.client();
  const t0 = performance.now();
  for (let start = 0; start < records; start += batch) {
    const n = Math.min(batch, records - start);
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let i = 0; i < n; i++) {
      values.push(...rowValues(start + i + 1));
      const b = i * 6;
      tuples.push(`($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6})`);
    }
    await c.query({ name: `bulk${n}`, text: `INSERT INTO ${table} (${COLUMNS}) VALUES ${tuples.join(',')}`, values });
  }
  const secs = (performance.now() - t0) / 1000;
  await c.end();
  return Math.round(records / secs);
}

/** `clients` connections in closed loops for durationMs; throughput and latency. */
export async function pgClosedLoop(p: Postgres, clients: number, durationMs: number, query: (i: number) => pg.QueryConfig) {
  const conns = await Promise.all(Array.from({ length: clients }, () => p.client()));
  const latencies: number[] = [];
  let n = 0;
  const deadline = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(conns.map(async (c) => {
    while (performance.now() < deadline) {
      const s = performance.now();
      await c.query(query(++n));
      latencies.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(conns.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, ops_per_s: round(latencies.length / seconds), p50_ms: round(percentile(latencies, 50), 2), p99_ms: round(percentile(latencies, 99), 2) };
}

export const pgSingleInsert = (table: string) => (i: number): pg.QueryConfig => ({ name: 'single', text: `INSERT INTO ${table} (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6)`, values: rowValues(i) });
export const pgPointRead = (table: string, fill: number) => (): pg.QueryConfig => ({ name: 'read', text: `SELECT ${COLUMNS} FROM ${table} WHERE id = $1`, values: [1 + Math.floor(Math.random() * fill)] });

