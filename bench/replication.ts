/**
 * Replication benchmark: two FerryDB nodes as child processes (edge -> hq, table
 * default.sensor_data) with a byte-counting TCP proxy on the replication link. Measures
 * (a) bulk visibility, (b) steady-rate lag, (c) catch-up after an outage with RSS sampling,
 * (d) bytes on the wire per row. Run alone: `node dist/bench/replication.js [--quick]`.
 */
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, sensorRow, type SensorRow } from './load.js';
import { opsClient, type Op } from '../test/helpers/http-client.js';
import { startNode, type TestNode } from '../test/helpers/node-process.js';
import { FaultProxy } from '../src/demo/fault-proxy.js';

interface Pair {
  edge: TestNode;
  hq: TestNode;
  proxy: FaultProxy;
  edgeOp: Op;
  hqOp: Op;
}

let nextId = 1;
function rows(n: number): SensorRow[] {
  const out = [];
  for (let i = 0; i < n; i++) out.push(sensorRow(nextId++));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r2 = (x: number) => Math.round(x * 100) / 100;
const log = (...a: unknown[]) => process.stderr.write(`[replication bench] ${a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}\n`);

/** VmRSS and its parts (MB): anonymous memory (heap, buffers) vs file pages (LMDB's memory map). */
function rssMb(pid: number): { rss: number; anon: number; file: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Math.round(Number(new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(text)?.[1] ?? 0) / 1024);
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}

/** User + system CPU time of a process in milliseconds (from /proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function recordCount(op: Op): Promise<number> {
  const r = await op({ operation: 'describe_table', database: 'default', table: 'sensor_data' });
  return r.status === 200 ? (r.body.record_count as number) : -1;
}

async function insert(op: Op, records: readonly object[]): Promise<void> {
  const r = await op({ operation: 'insert', database: 'default', table: 'sensor_data', records });
  if (r.status !== 200) throw new Error(`insert failed: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
}

async function waitCount(op: Op, n: number, timeoutMs: number, intervalMs = 50): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const c = await recordCount(op);
    if (c >= n) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${n} rows at hq (last ${c})`);
    await sleep(intervalMs);
  }
}

export async function startPair(env: Record<string, string> = {}): Promise<Pair> {
  const common = { clustering: true, env: { LOG_LEVEL: 'warn', ...env } };
  const edge = await startNode({ ...common, nodeName: 'edge' });
  const hq = await startNode({ ...common, nodeName: 'hq' });
  const proxy = await FaultProxy.start({ targetPort: edge.clusteringPort });
  const edgeOp = opsClient(edge.url, edge.user, edge.password);
  const hqOp = opsClient(hq.url, hq.user, hq.password);
  for (const op of [edgeOp, hqOp]) {
    await op({ operation: 'create_database', database: 'default' });
    await op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  }
  const r = await hqOp({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: proxy.port, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  if (r.status !== 200) throw new Error(`add_node failed: ${JSON.stringify(r.body)}`);
  for (let i = 0; i < 200; i++) {
    const st = await hqOp({ operation: 'cluster_status' });
    if (st.body.status?.outbound_connections?.[0]?.subscriptions?.[0]?.state === 'streaming') break;
    await sleep(50);
  }
  return { edge, hq, proxy, edgeOp, hqOp };
}

/** Bytes the proxy forwarded both ways since the last resetCounters(). */
function wireBytes(p: Pair): number {
  const c = p.proxy.counters();
  return c.bytesToTarget + c.bytesFromTarget;
}

export async function stopPair(p: Pair): Promise<void> {
  await p.proxy.close();
  await p.edge.stop();
  await p.hq.stop();
}

/** (a) bulk insert in batches of 1000; time until all visible at hq. */
export async function bulk(p: Pair, n: number): Promise<Record<string, number>> {
  const base = await recordCount(p.hqOp);
  p.proxy.resetCounters();
  const t0 = performance.now();
  const poll = waitCount(p.hqOp, base + n, 300_000);
  for (let i = 0; i < n; i += 1000) await insert(p.edgeOp, rows(Math.min(1000, n - i)));
  const insertsDone = performance.now();
  const visible = await poll;
  const b = wireBytes(p);
  return {
    rows: n, insert_seconds: r2((insertsDone - t0) / 1000), all_visible_seconds: r2((visible - t0) / 1000),
    visible_over_insert: r2((visible - t0) / (insertsDone - t0)), lag_after_last_ack_ms: Math.round(visible - insertsDone),
    bytes_per_row: r2(b / n),
  };
}

/** (b) steady rate; per-row lag = visible at hq minus the send time of its insert. */
export async function steady(p: Pair, rowsPerSecond: number, seconds: number): Promise<Record<string, number>> {
  const base = await recordCount(p.hqOp);
  const tickMs = 20;
  const perTick = Math.round((rowsPerSecond * tickMs) / 1000);
  const sentAt: number[] = []; // per row index
  const lags: number[] = [];
  let seen = 0, stop = false;
  p.proxy.resetCounters();
  const poller = (async () => {
    while (!stop || seen < sentAt.length) {
      const c = (await recordCount(p.hqOp)) - base;
      const now = performance.now();
      // rows arrive in log order, so the first c rows are visible now
      for (; seen < c && seen < sentAt.length; seen++) lags.push(now - sentAt[seen]!);
      await sleep(5);
    }
  })();
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let tick = 0; performance.now() - t0 < seconds * 1000; tick++) {
    const due = t0 + tick * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const batch = rows(perTick);
    const at = performance.now();
    for (let i = 0; i < batch.length; i++) sentAt.push(at);
    // one request at a time keeps log order equal to send order
    await insert(p.edgeOp, batch);
  }
  await Promise.all(inflight);
  stop = true;
  await poller;
  lags.sort((a, b) => a - b);
  const pct = (q: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!);
  const b = wireBytes(p);
  const elapsed = (performance.now() - t0) / 1000;
  return { rows: sentAt.length, achieved_rows_per_s: Math.round(sentAt.length / elapsed), lag_p50_ms: pct(0.5), lag_p90_ms: pct(0.9), lag_p99_ms: pct(0.99), lag_max_ms: Math.round(lags[lags.length - 1]!), bytes_per_row: r2(b / sentAt.length) };
}

/** (c) catch-up: write while the link is cut, then restore. */
export async function catchUp(p: Pair, n: number): Promise<Record<string, number>> {
  const base = await recordCount(p.hqOp);
  p.proxy.cut();
  const max = { edge: { rss: 0, anon: 0, file: 0 }, hq: { rss: 0, anon: 0, file: 0 } };
  const sample = () => {
    for (const [k, pid] of [['edge', p.edge.pid], ['hq', p.hq.pid]] as const) {
      const m = rssMb(pid);
      for (const f of ['rss', 'anon', 'file'] as const) max[k][f] = Math.max(max[k][f], m[f]);
    }
  };
  const sampler = setInterval(sample, 100);
  const w0 = performance.now();
  const batch = 5000;
  for (let i = 0; i < n; i += batch) await insert(p.edgeOp, rows(Math.min(batch, n - i)));
  const writeSeconds = (performance.now() - w0) / 1000;
  const edgeAfterWrite = rssMb(p.edge.pid).rss;
  p.proxy.resetCounters();
  const connectionsBefore = p.proxy.counters().connections;
  const cpu0 = { edge: cpuMs(p.edge.pid), hq: cpuMs(p.hq.pid) };
  const t0 = performance.now();
  p.proxy.restore();
  const done = await waitCount(p.hqOp, base + n, 600_000, 25);
  clearInterval(sampler);
  const cpu = { edge: cpuMs(p.edge.pid) - cpu0.edge, hq: cpuMs(p.hq.pid) - cpu0.hq };
  // The dialler was backing off while the link was refused; measure from the first connection after
  // the restore, not the last one: the nodes' identity probes (short HTTP requests on the clustering port) also
  // pass through the proxy, and one of them mid catch-up used to shorten the measured span.
  const linked = p.proxy.firstAcceptSinceRestore;
  const secs = (done - linked) / 1000;
  const b = wireBytes(p);
  return {
    rows: n, write_seconds: r2(writeSeconds), reconnect_wait_seconds: r2((linked - t0) / 1000), catch_up_seconds: r2(secs), catch_up_rows_per_s: Math.round(n / secs),
    proxy_connections_during_catch_up: p.proxy.counters().connections - connectionsBefore,
    cpu_ms_per_1k_rows_edge: r2((cpu.edge / n) * 1000), cpu_ms_per_1k_rows_hq: r2((cpu.hq / n) * 1000),
    max_rss_mb_edge: max.edge.rss, max_rss_mb_hq: max.hq.rss, max_rss_anon_mb_edge: max.edge.anon, max_rss_anon_mb_hq: max.hq.anon,
    max_rss_file_mb_edge: max.edge.file, max_rss_file_mb_hq: max.hq.file, edge_rss_mb_after_write: edgeAfterWrite, bytes_per_row: r2(b / n),
  };
}

export async function runReplicationBench(opts: { quick?: boolean; runs?: number } = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const runs = opts.runs ?? (quick ? 1 : 3);
  const out: Record<string, unknown> = { targets: { visible_over_insert: '<= 1.1', lag_after_last_ack_ms: '<= 100', steady_lag_p99_ms: '< 250', catch_up_rows_per_s: '>= 250000', max_rss_mb: '<= 300', bytes_per_row: '<= 20' } };
  const pair = await startPair();
  try {
    const bulkRuns = [];
    for (let i = 0; i < runs; i++) { bulkRuns.push(await bulk(pair, quick ? 20_000 : 100_000)); log('bulk', bulkRuns.at(-1)); }
    out.bulk = { median: medianOf(bulkRuns), runs: bulkRuns };
    const steadyRuns = [];
    for (let i = 0; i < (quick ? 1 : Math.min(runs, 2)); i++) { steadyRuns.push(await steady(pair, 5000, quick ? 5 : 30)); log('steady', steadyRuns.at(-1)); }
    out.steady = { median: medianOf(steadyRuns), runs: steadyRuns };
    const catchRuns = [];
    for (let i = 0; i < (quick ? 1 : Math.min(runs, 2)); i++) { catchRuns.push(await catchUp(pair, quick ? 100_000 : 1_000_000)); log('catch-up', catchRuns.at(-1)); }
    out.catch_up = { median: medianOf(catchRuns), runs: catchRuns };
    const st = await pair.hqOp({ operation: 'cluster_status' });
    out.hq_status = st.body.status?.outbound_connections?.[0]?.subscriptions?.[0];
  } finally {
    const roots = [pair.edge.rootPath, pair.hq.rootPath];
    await stopPair(pair);
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  }
  return out;
}

function medianOf(runs: Record<string, number>[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const k of Object.keys(runs[0] ?? {})) m[k] = median(runs.map((r) => r[k]!));
  return m;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const runsArg = process.argv.indexOf('--runs');
  const result = await runReplicationBench({ quick, ...(runsArg > 0 ? { runs: Number(process.argv[runsArg + 1]) } : {}) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
