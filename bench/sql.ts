/**
 * SQL benchmarks (issue 11) on sensor rows {id, machine_id (100 values, indexed), pressure,
 * temperature, weight, ts (indexed)}: primary-key SELECT against search_by_id from 16 clients,
 * a grouped aggregate over 10% of the rows against PostgreSQL 15 on the same data (when its
 * server is installed), ORDER BY ts DESC LIMIT 100, and a full-table aggregate with the node's
 * peak resident memory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchNode } from '../src/demo/node-launcher.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { closedLoop, median, OpsLoad, round, rssMb } from './load.js';
import { startPostgres, type TempPostgres } from './postgres.js';

export interface SqlBenchOptions { rows: number; clients: number; durationMs: number; runs: number }

const T0 = 1_700_000_000_000;

/** Untimed runs of the grouped aggregate before the timed ones, for FerryDB and PostgreSQL alike. */
const GROUP_WARMUP_RUNS = 2;

/** The row generator, written so PostgreSQL's generate_series can produce the same rows. */
function row(id: number) {
  return { id, machine_id: `m${id % 100}`, pressure: (id * 37 % 10000) / 100, temperature: (1500 + id * 13 % 3000) / 100, weight: (id * 7919 % 500000) / 100, ts: T0 + id * 10 };
}

const PG_LOAD = `INSERT INTO sensor_data SELECT g, 'm' || (g % 100), (g * 37 % 10000) / 100.0, (1500 + g * 13 % 3000) / 100.0, (g::bigint * 7919 % 500000) / 100.0, ${T0} + g::bigint * 10 FROM generate_series(1, $1) g`;

async function timeMs(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await fn(); out.push(performance.now() - t); }
  return out;
}

/** Resident memory split as Linux reports it: anonymous (heap, buffers) and file-backed (LMDB's map), in MB. */
function memoryMb(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

async function peakMemoryDuring(pid: number, work: Promise<unknown>): Promise<{ rss: number; anon: number; file: number }> {
  const peak = memoryMb(pid);
  let done = false;
  void work.finally(() => { done = true; });
  while (!done) {
    try {
      const m = memoryMb(pid);
      peak.rss = Math.max(peak.rss, m.rss); peak.anon = Math.max(peak.anon, m.anon); peak.file = Math.max(peak.file, m.file);
    } catch { /* process gone */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  return peak;
}

/** 1, 5 and 15 minute load averages (wall-clock figures on a shared machine need them beside). */
function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

export async function runSqlBench(o: SqlBenchOptions): Promise<Record<string, unknown>> {
  const loadStart = loadAverage();
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-sqlbench-'));
  const admin = { user: 'admin', password: 'bench-pw' };
  const node = await launchNode({ nodeName: 'sqlbench', rootPath, admin, cluster: { user: 'cluster_user', password: 'unused' }, env: { CLUSTERING: 'false', LOG_LEVEL: 'warn', LOG_TO_STDSTREAMS: 'false' } });
  const load = new OpsLoad({ url: node.url, ...admin });
  let pgServer: TempPostgres | null = null;
  try {
    await waitFor(async () => (await load.op({ operation: 'describe_all' })).status === 200, { what: 'node answers' });
    await load.must({ operation: 'create_database', database: 'default' }, [200, 400]);
    await load.must({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id', attributes: [{ name: 'machine_id', indexed: true }, { name: 'ts', indexed: true }] });
    const tLoad = performance.now();
    for (let start = 1; start <= o.rows; start += 10_000) {
      const records = [];
      for (let id = start; id < Math.min(o.rows + 1, start + 10_000); id++) records.push(row(id));
      await load.must({ operation: 'insert', database: 'default', table: 'sensor_data', records });
    }
    process.stderr.write(`[sql bench] loaded ${o.rows} rows in ${round((performance.now() - tLoad) / 1000)} s\n`);
    const rssAfterLoad = await rssMb(node.pid);

    // 1. point SELECT vs search_by_id, alternating runs in the same process
    const byId: number[] = [], bySql: number[] = [], sqlP99: number[] = [];
    const pick = () => 1 + Math.floor(Math.random() * o.rows);
    for (let run = 0; run < o.runs; run++) {
      byId.push((await closedLoop(load, o.clients, o.durationMs, () => ({ operation: 'search_by_id', database: 'default', table: 'sensor_data', ids: [pick()], get_attributes: ['*'] }))).ops_per_s);
      const s = await closedLoop(load, o.clients, o.durationMs, () => ({ operation: 'sql', sql: `SELECT * FROM default.sensor_data WHERE id = ${pick()}` }));
      bySql.push(s.ops_per_s); sqlP99.push(s.p99_ms);
      process.stderr.write(`[sql bench] run ${run + 1}: search_by_id ${byId.at(-1)} ops/s, sql point ${bySql.at(-1)} ops/s\n`);
    }
    const pointRatio = median(bySql) / median(byId);

    // 2. grouped aggregate over 10% of the rows, FerryDB vs PostgreSQL
    const lo = T0 + Math.floor(o.rows * 0.45) * 10, hi = lo + Math.floor(o.rows * 0.1) * 10 - 1;
    const groupSql = `SELECT machine_id, COUNT(*), AVG(temperature), MAX(pressure) FROM default.sensor_data WHERE ts BETWEEN ${lo} AND ${hi} GROUP BY machine_id`;
    // Two untimed runs first, here and for PostgreSQL: both are compared warm (JIT-compiled, pages cached).
    await timeMs(GROUP_WARMUP_RUNS, () => load.must({ operation: 'sql', sql: groupSql }));
    const groupRuns = await timeMs(Math.max(5, o.runs * 2), () => load.must({ operation: 'sql', sql: groupSql }));
    const groups = JSON.parse(await load.must({ operation: 'sql', sql: groupSql })) as unknown[];

    // 3. latest rows by the ts index
    const latestSql = 'SELECT * FROM default.sensor_data ORDER BY ts DESC LIMIT 100';
    const latestRuns = await timeMs(50, () => load.must({ operation: 'sql', sql: latestSql }));

    // 4. full-table aggregate: rows/s and the node's peak RSS while it runs
    const fullSql = 'SELECT COUNT(*), AVG(temperature), MAX(pressure), MIN(weight) FROM default.sensor_data';
    const fullRuns: number[] = [];
    const peak = { rss: 0, anon: 0, file: 0 };
    for (let i = 0; i < Math.max(3, o.runs); i++) {
      const t = performance.now();
      const work = load.must({ operation: 'sql', sql: fullSql });
      const m = await peakMemoryDuring(node.pid, work);
      peak.rss = Math.max(peak.rss, m.rss); peak.anon = Math.max(peak.anon, m.anon); peak.file = Math.max(peak.file, m.file);
      await work;
      fullRuns.push(performance.now() - t);
    }
    const peakRss = peak.rss;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${node.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

    // PostgreSQL 15 on the same rows and queries
    let postgres: Record<string, unknown> = { available: false };
    pgServer = await startPostgres().catch((err: unknown) => { process.stderr.write(`[sql bench] PostgreSQL not started: ${String(err)}\n`); return null; });
    if (pgServer) {
      const c = pgServer.client;
      await c.query('CREATE TABLE sensor_data (id integer PRIMARY KEY, machine_id text, pressure float8, temperature float8, weight float8, ts bigint)');
      await c.query(PG_LOAD, [o.rows]);
      await c.query('CREATE INDEX ON sensor_data (machine_id)');
      await c.query('CREATE INDEX ON sensor_data (ts)');
      await c.query('VACUUM ANALYZE sensor_data');
      const pgGroupSql = groupSql.replace('default.sensor_data', 'sensor_data');
      await timeMs(GROUP_WARMUP_RUNS, () => c.query(pgGroupSql));
      const pgGroupRuns = await timeMs(Math.max(5, o.runs * 2), () => c.query(pgGroupSql));
      const pgLatest = await timeMs(50, () => c.query(latestSql.replace('default.sensor_data', 'sensor_data')));
      const pgFull = await timeMs(Math.max(3, o.runs), () => c.query(fullSql.replace('default.sensor_data', 'sensor_data')));
      const pgGroups = (await c.query(pgGroupSql)).rowCount;
      postgres = {
        available: true, version: pgServer.version, group_by_ms: round(median(pgGroupRuns), 2), group_rows: pgGroups,
        order_by_limit_ms: round(median(pgLatest), 2), full_aggregate_ms: round(median(pgFull), 2),
      };
    }
    const groupMs = median(groupRuns);
    return {
      params: o,
      load: { rows: o.rows, rss_after_load_mb: rssAfterLoad },
      load_average: { start: loadStart, end: loadAverage() },
      point_select: {
        sql_ops_per_s: round(median(bySql)), search_by_id_ops_per_s: round(median(byId)), ratio: round(pointRatio, 3), sql_p99_ms: round(median(sqlP99), 2),
        runs: { sql: bySql, search_by_id: byId }, target: 'sql >= 90% of search_by_id', ok: pointRatio >= 0.9,
      },
      group_by_10pct: {
        ms: round(groupMs, 2), runs: groupRuns.map((x) => round(x, 1)), warmup_runs_untimed: GROUP_WARMUP_RUNS, groups: groups.length, postgres_ms: postgres.group_by_ms ?? null,
        ratio_to_postgres: typeof postgres.group_by_ms === 'number' ? round(groupMs / postgres.group_by_ms, 2) : null,
        target: 'within 2x of PostgreSQL', ok: typeof postgres.group_by_ms === 'number' ? groupMs <= 2 * postgres.group_by_ms : null,
      },
      order_by_ts_desc_limit_100: {
        median_ms: round(median(latestRuns), 2), p99_ms: round([...latestRuns].sort((a, b) => a - b)[Math.floor(latestRuns.length * 0.99)]!, 2),
        postgres_ms: postgres.order_by_limit_ms ?? null, ratio_to_postgres: typeof postgres.order_by_limit_ms === 'number' ? round(median(latestRuns) / postgres.order_by_limit_ms, 2) : null,
        target: '< 5 ms', ok: median(latestRuns) < 5,
      },
      full_aggregate: {
        ms: round(median(fullRuns), 1), rows_per_s: Math.round(o.rows / (median(fullRuns) / 1000)),
        postgres_ms: postgres.full_aggregate_ms ?? null, ratio_to_postgres: typeof postgres.full_aggregate_ms === 'number' ? round(median(fullRuns) / postgres.full_aggregate_ms, 2) : null,
        peak_rss_mb: round(peakRss), rss_high_water_mb: round(hwm),
        peak_anon_mb: round(peak.anon), peak_file_backed_mb: round(peak.file),
        target: 'peak RSS < 300 MB', ok: peakRss < 300, anonymous_under_300_mb: peak.anon < 300,
        note: 'file-backed RSS is the node binary (about 41 MB) and the pages of LMDB\'s data file the node has read and the neighbours the kernel maps with them (reclaimable page cache); anonymous RSS is the process\'s own memory',
      },
      postgres,
    };
  } finally {
    load.close();
    await node.stop();
    if (pgServer) await pgServer.stop();
    rmSync(rootPath, { recursive: true, force: true });
  }
}
