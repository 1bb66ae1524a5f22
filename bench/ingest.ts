/**
 * Ingestion benchmarks (issue 12), each against fresh node processes with the clients in this
 * process: MQTT QoS 1 and QoS 0 from 50 connections into one table (publishers: the light
 * MQTT 3.1.1 frame writer in mqtt-raw.ts, not the `mqtt` client, whose CPU per message capped
 * the figure on the two shared cores; the idle-connection test uses the `mqtt` client), REST PUT and GET against
 * the operations API in the same run, 10,000 readings/s over MQTT on an edge replicating to hq
 * (visibility lag), and the memory of 1,000 idle MQTT connections.
 */
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { launchNode, type DemoNode } from '../src/demo/node-launcher.js';
import { closedLoop, median, OpsLoad, percentile, round, rssMb, sensorRow } from './load.js';
import { startPair, stopPair } from './replication.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { rawConnect, type RawPublisher } from './mqtt-raw.js';

const ADMIN = { user: 'admin', password: 'bench-pw' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `INGEST_NODE_OPTIONS=--cpu-prof` profiles the node under load (written to its working directory). */
function profileEnv(): Record<string, string> {
  const o = process.env.INGEST_NODE_OPTIONS;
  return o ? { NODE_OPTIONS: o } : {};
}

export async function withNode<T>(fn: (node: DemoNode, load: OpsLoad) => Promise<T>): Promise<T> {
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-bench-ingest-'));
  const node = await launchNode({ nodeName: 'bench', rootPath, admin: ADMIN, cluster: { user: 'cluster_user', password: 'unused' }, env: { CLUSTERING: 'false', LOG_LEVEL: 'warn', LOG_TO_STDSTREAMS: 'false', ...profileEnv() } });
  const load = new OpsLoad({ url: node.url, ...ADMIN });
  try {
    await waitFor(async () => (await load.op({ operation: 'describe_all' })).status === 200, { what: 'node answers' });
    await load.must({ operation: 'create_database', database: 'bench' }, [200, 400]);
    return await fn(node, load);
  } finally {
    load.close();
    await node.stop();
    rmSync(rootPath, { recursive: true, force: true });
  }
}

async function count(load: OpsLoad, table: string): Promise<number> {
  const r = await load.op({ operation: 'describe_table', database: 'bench', table });
  return r.status === 200 ? (JSON.parse(r.body).record_count as number) : -1;
}

function connectAll(port: number, n: number): Promise<MqttClient[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: ADMIN.user, password: ADMIN.password, clientId: `bench-${i}-${Math.random().toString(36).slice(2, 8)}`, reconnectPeriod: 0, keepalive: 60 })));
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function connectRaw(port: number, n: number, prefix: string, user = ADMIN.user, password = ADMIN.password): Promise<RawPublisher[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => rawConnect(port, user, password, `${prefix}-${i}-${Math.random().toString(36).slice(2, 8)}`)));
}

/** QoS 1: each connection keeps `window` publishes in flight; counts PUBACKs (sent after the durable commit). */
export async function mqttQos1(port: number, table: string, connections: number, durationMs: number, window = 64, pid?: number): Promise<Record<string, number>> {
  const clients = await connectRaw(port, connections, 'bench-q1');
  const cpu0 = cpuSeconds(pid);
  let id = 0, acked = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
    let inflight = 0;
    const send = () => {
      if (performance.now() >= deadline) { if (inflight === 0) resolve(); return; }
      const row = sensorRow(++id);
      const at = performance.now();
      inflight++;
      c.publish(`bench/${table}/${row.id}`, JSON.stringify(row), 1, () => {
        inflight--;
        acked++;
        if (latencies.length < 200_000) latencies.push(performance.now() - at);
        send();
      });
    };
    for (let i = 0; i < window; i++) send();
  })));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  await Promise.all(clients.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  return { msgs_per_s: Math.round(acked / seconds), acked, node_cpu_us_per_msg: round((cpu * 1e6) / acked, 1), puback_p50_ms: round(percentile(latencies, 50), 2), puback_p99_ms: round(percentile(latencies, 99), 2) };
}

/** QoS 0: each connection writes as fast as its socket drains; the rate is rows stored per second. */
export async function mqttQos0(port: number, load: OpsLoad, table: string, connections: number, durationMs: number, pid?: number): Promise<Record<string, number>> {
  const clients = await connectRaw(port, connections, 'bench-q0');
  const cpu0 = cpuSeconds(pid);
  let id = 0, sent = 0;
  const before = await count(load, table);
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(clients.map(async (c) => {
    while (performance.now() < deadline) {
      for (let i = 0; i < 200; i++) {
        const row = sensorRow(++id);
        c.publish(`bench/${table}/${row.id}`, JSON.stringify(row), 0);
        sent++;
      }
      // Let the socket drain: a QoS 0 sender must not buffer without bound either.
      await new Promise((r) => setImmediate(r));
      while (c.buffered > 256 * 1024 && performance.now() < deadline) await sleep(1);
    }
  }));
  const sendSeconds = (performance.now() - t0) / 1000;
  // Rows sent before the deadline are counted once stored (bounded wait).
  let stored = 0;
  const waitUntil = performance.now() + 30_000;
  for (;;) {
    stored = (await count(load, table)) - before;
    if (stored >= sent || performance.now() > waitUntil) break;
    await sleep(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  await Promise.all(clients.map((c) => c.end()));
  return { msgs_per_s: Math.round(stored / seconds), node_cpu_us_per_msg: round((cpu * 1e6) / stored, 1), sent, stored, send_seconds: round(sendSeconds, 2), until_stored_seconds: round(seconds, 2) };
}

/** A keep-alive HTTP client for REST paths. */
export function restClient(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const auth = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
  const call = (method: string, path: string, body?: string) => new Promise<{ status: number; ms: number }>((resolve) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: { authorization: auth, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(body);
  });
  return { call, close: () => agent.destroy() };
}

export async function restLoop(rest: ReturnType<typeof restClient>, clients: number, durationMs: number, next: () => [string, string, string | undefined], okStatus: number) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      const [m, p, b] = next();
      const r = await rest.call(m, p, b);
      if (r.status === okStatus) latencies.push(r.ms); else errors++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, errors, ops_per_s: round(latencies.length / seconds), p50_ms: round(percentile(latencies, 50), 2), p99_ms: round(percentile(latencies, 99), 2) };
}

/**
 * 10,000 readings/s over MQTT QoS 1 on edge; lag until each is visible at hq. The first
 * `warmupSeconds` at the same rate are not measured (the first seconds of load on fresh nodes
 * ran seconds behind on a busy machine: edge commits and the code still cold); their lag is
 * reported on its own (warmup_*), and measuring starts once hq has caught up with them.
 */
export async function replicatedLag(rate: number, seconds: number, warmupSeconds = 3): Promise<Record<string, number>> {
  const pair = await startPair(profileEnv());
  try {
    const clients = await connectRaw(pair.edge.mqttPort, 10, 'lag', pair.edge.user, pair.edge.password);
    const sentAt: number[] = [];
    const lags: number[] = [];
    // PUBACK latency at the edge (durable there): the part of the lag that is not replication.
    const ackLags: number[] = [];
    let id = 0, seen = 0, stop = false, acked = 0, stopAt = 0, measureFrom = Infinity;
    const warmLags: number[] = [];
    const hqCount = async () => {
      const r = await pair.hqOp({ operation: 'describe_table', database: 'default', table: 'sensor_data' });
      return r.status === 200 ? (r.body.record_count as number) : 0;
    };
    const poller = (async () => {
      while (!stop || seen < sentAt.length) {
        const c = await hqCount();
        const now = performance.now();
        // Rows are counted, not matched: count c means c rows are visible, so the c oldest sends are charged.
        for (; seen < c && seen < sentAt.length; seen++) (seen >= measureFrom ? lags : warmLags).push(now - sentAt[seen]!);
        if (stop && performance.now() - stopAt > 30_000) break;
        await sleep(5);
      }
    })();
    const tickMs = 10;
    const perTick = Math.round((rate * tickMs) / 1000);
    const drive = async (s: number, measured: boolean) => {
      const t0 = performance.now();
      for (let tick = 0; performance.now() - t0 < s * 1000; tick++) {
        const wait = t0 + tick * tickMs - performance.now();
        if (wait > 0) await sleep(wait);
        const at = performance.now();
        for (let i = 0; i < perTick; i++) {
          const row = sensorRow(++id);
          sentAt.push(at);
          clients[i % clients.length]!.publish(`default/sensor_data/${row.id}`, JSON.stringify(row), 1, measured ? () => { acked++; ackLags.push(performance.now() - at); } : undefined);
        }
      }
      return (performance.now() - t0) / 1000;
    };
    await drive(warmupSeconds, false);
    const warmRows = sentAt.length;
    const caughtUpBy = performance.now() + 30_000;
    while (seen < warmRows && performance.now() < caughtUpBy) await sleep(5);
    measureFrom = sentAt.length;
    const elapsed = await drive(seconds, true);
    const sent = sentAt.length - measureFrom;
    stop = true;
    stopAt = performance.now();
    await poller;
    await Promise.all(clients.map((c) => c.end()));
    lags.sort((a, b) => a - b);
    ackLags.sort((a, b) => a - b);
    warmLags.sort((a, b) => a - b);
    return {
      sent, acked, edge_puback_p50_ms: Math.round(percentile(ackLags, 50)), edge_puback_p99_ms: Math.round(percentile(ackLags, 99)),
      achieved_rows_per_s: Math.round(sent / elapsed), visible_at_hq: lags.length,
      lag_p50_ms: Math.round(percentile(lags, 50)), lag_p99_ms: Math.round(percentile(lags, 99)), lag_max_ms: Math.round(lags[lags.length - 1] ?? NaN),
      warmup_s: warmupSeconds, warmup_rows: warmRows, warmup_lag_p99_ms: Math.round(percentile(warmLags, 99)), warmup_lag_max_ms: Math.round(warmLags[warmLags.length - 1] ?? NaN),
    };
  } finally {
    await stopPair(pair);
  }
}

/** Parts of one closed-loop measurement: total rate, worst p99 and errors. */
function combine(parts: { ops: number; errors: number; ops_per_s: number; p50_ms: number; p99_ms: number }[]): Record<string, number> {
  const ops = parts.reduce((a, p) => a + p.ops, 0);
  const seconds = parts.reduce((a, p) => a + (p.ops_per_s > 0 ? p.ops / p.ops_per_s : 0), 0);
  return { ops, errors: parts.reduce((a, p) => a + p.errors, 0), ops_per_s: round(ops / seconds), p50_ms: median(parts.map((p) => p.p50_ms)), p99_ms: Math.max(...parts.map((p) => p.p99_ms)), parts: parts.length };
}

export interface IngestBenchOptions {
  runs: number;
  quick: boolean;
}

export async function runIngestBench(o: IngestBenchOptions): Promise<Record<string, unknown>> {
  const durationMs = o.quick ? 3000 : 10_000;
  const q1: Record<string, number>[] = [], q0: Record<string, number>[] = [], idle: Record<string, number>[] = [];
  const put: Record<string, number>[] = [], opsInsert: Record<string, number>[] = [], get: Record<string, number>[] = [], byId: Record<string, number>[] = [];
  for (let run = 0; run < o.runs; run++) {
    await withNode(async (node, load) => {
      await load.must({ operation: 'create_table', database: 'bench', table: 'q1', primary_key: 'id' });
      q1.push(await mqttQos1(node.mqttPort, 'q1', 50, durationMs, 64, node.pid));
      await load.must({ operation: 'create_table', database: 'bench', table: 'q0', primary_key: 'id' });
      q0.push(await mqttQos0(node.mqttPort, load, 'q0', 50, durationMs, node.pid));
      // REST PUT vs the operations API's single insert, then REST GET vs search_by_id, same node, same run.
      await load.must({ operation: 'create_table', database: 'bench', table: 'rest', primary_key: 'id' });
      await load.must({ operation: 'create_table', database: 'bench', table: 'ops', primary_key: 'id' });
      const rest = restClient(node.httpPort);
      let rid = 0, oid = 0;
      // Both rates are bound by the durable commit (fsync) and the disk is still writing back the
      // QoS 0 phase's rows at first, so the two alternate in quarters (PUT, insert, insert, PUT)
      // and each sees the same conditions.
      const putParts: Awaited<ReturnType<typeof restLoop>>[] = [], insertParts: Awaited<ReturnType<typeof closedLoop>>[] = [];
      const quarter = durationMs / 4;
      const putQuarter = async () => { putParts.push(await restLoop(rest, 16, quarter, () => { const r = sensorRow(++rid); return ['PUT', `/bench/rest/${r.id}`, JSON.stringify(r)]; }, 204)); };
      const insertQuarter = async () => { insertParts.push(await closedLoop(load, 16, quarter, () => ({ operation: 'insert', database: 'bench', table: 'ops', records: [sensorRow(++oid)] }))); };
      await putQuarter(); await insertQuarter(); await insertQuarter(); await putQuarter();
      put.push(combine(putParts));
      opsInsert.push(combine(insertParts));
      const filled = Math.min(rid, oid);
      get.push(await restLoop(rest, 16, durationMs, () => ['GET', `/bench/rest/${1 + Math.floor(Math.random() * filled)}`, undefined], 200));
      byId.push(await closedLoop(load, 16, durationMs, () => ({ operation: 'search_by_id', database: 'bench', table: 'rest', ids: [1 + Math.floor(Math.random() * filled)], get_attributes: ['*'] })));
      rest.close();
      // Idle connections: RSS before and after 1,000 MQTT clients connect and sit.
      const rssBefore = await rssMb(node.pid);
      const idleClients: MqttClient[] = [];
      for (let i = 0; i < 1000; i += 100) idleClients.push(...(await connectAll(node.mqttPort, 100)));
      await sleep(2000);
      const rssAfter = await rssMb(node.pid);
      await Promise.all(idleClients.map((c) => c.endAsync(true)));
      idle.push({ connections: idleClients.length, rss_before_mb: rssBefore, rss_after_mb: rssAfter, increase_mb: round(rssAfter - rssBefore) });
    });
    process.stderr.write(`[ingest bench] run ${run + 1}/${o.runs}: qos1 ${q1.at(-1)!.msgs_per_s}/s, qos0 ${q0.at(-1)!.msgs_per_s}/s, REST PUT ${put.at(-1)!.ops_per_s} vs insert ${opsInsert.at(-1)!.ops_per_s}, GET ${get.at(-1)!.ops_per_s} vs search_by_id ${byId.at(-1)!.ops_per_s}, idle +${idle.at(-1)!.increase_mb} MB\n`);
  }
  const lagRuns: Record<string, number>[] = [];
  for (let run = 0; run < o.runs; run++) {
    lagRuns.push(await replicatedLag(10_000, o.quick ? 5 : 20));
    process.stderr.write(`[ingest bench] replicated lag run ${run + 1}/${o.runs}: p99 ${lagRuns.at(-1)!.lag_p99_ms} ms at ${lagRuns.at(-1)!.achieved_rows_per_s} rows/s\n`);
  }
  const med = (xs: Record<string, number>[], k: string) => median(xs.map((x) => x[k]!));
  const ratio = (a: number, b: number) => round(a / b, 3);
  return {
    mqtt_qos1_50_connections: { msgs_per_s: med(q1, 'msgs_per_s'), node_cpu_us_per_msg: med(q1, 'node_cpu_us_per_msg'), puback_p99_ms: med(q1, 'puback_p99_ms'), runs: q1, target: '>= 30000 msgs/s', ok: med(q1, 'msgs_per_s') >= 30_000 },
    mqtt_qos0_50_connections: { msgs_per_s: med(q0, 'msgs_per_s'), node_cpu_us_per_msg: med(q0, 'node_cpu_us_per_msg'), runs: q0, target: '>= 60000 msgs/s', ok: med(q0, 'msgs_per_s') >= 60_000 },
    rest_put_vs_insert_16_clients: { rest_ops_per_s: med(put, 'ops_per_s'), insert_ops_per_s: med(opsInsert, 'ops_per_s'), ratio: ratio(med(put, 'ops_per_s'), med(opsInsert, 'ops_per_s')), runs: { rest: put, insert: opsInsert }, target: 'ratio >= 0.9', ok: med(put, 'ops_per_s') >= 0.9 * med(opsInsert, 'ops_per_s') },
    rest_get_vs_search_by_id_16_clients: { rest_ops_per_s: med(get, 'ops_per_s'), search_by_id_ops_per_s: med(byId, 'ops_per_s'), ratio: ratio(med(get, 'ops_per_s'), med(byId, 'ops_per_s')), runs: { rest: get, search_by_id: byId }, target: 'ratio >= 0.9', ok: med(get, 'ops_per_s') >= 0.9 * med(byId, 'ops_per_s') },
    mqtt_10k_per_s_replicated_lag: { lag_p99_ms: med(lagRuns, 'lag_p99_ms'), lag_p50_ms: med(lagRuns, 'lag_p50_ms'), edge_puback_p99_ms: med(lagRuns, 'edge_puback_p99_ms'), warmup_lag_p99_ms: med(lagRuns, 'warmup_lag_p99_ms'), achieved_rows_per_s: med(lagRuns, 'achieved_rows_per_s'), runs: lagRuns, target: 'p99 < 250 ms at 10000 rows/s (after a 3 s warm-up at the same rate)', ok: med(lagRuns, 'lag_p99_ms') < 250 && med(lagRuns, 'achieved_rows_per_s') >= 9000 },
    mqtt_1000_idle_connections: { increase_mb: med(idle, 'increase_mb'), runs: idle, target: '< 50 MB', ok: med(idle, 'increase_mb') < 50 },
  };
}
