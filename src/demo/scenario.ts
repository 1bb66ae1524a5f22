/**
 * The demo's story once both nodes run: the fleet writes, hq pushes a configuration change,
 * the link is cut and restored on schedule, and at the end both nodes are compared.
 */
import { readClusterFigures, type ClusterFigures } from './cluster-figures.js';
import type { Cluster } from './cluster.js';
import { Fleet } from './fleet.js';
import { MqttSender } from './mqtt-sender.js';
import type { OpsClient } from './ops-client.js';
import { CONFIG_TABLE, DEMO_DATABASE, SENSOR_TABLE, timeline, type DemoOptions } from './options.js';
import { digestRows, fetchAllRows, summarize, type DemoSummary } from './summary.js';
import type { DemoSnapshot, DemoView, Phase } from './view.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

async function recordCount(ops: OpsClient, table: string): Promise<number> {
  const d = await ops.call<{ record_count?: number }>({ operation: 'describe_table', schema: DEMO_DATABASE, table }, 5000);
  return d.record_count ?? 0;
}

export async function runScenario(c: Cluster, o: DemoOptions, view: DemoView, onStop: (stop: () => void) => void): Promise<{ summary: DemoSummary; jsonBytes: number }> {
  const plan = timeline(o);
  const events: string[] = [];
  const event = (e: string, elapsedS: number) => { events.push(`${elapsedS.toFixed(1).padStart(5)}s  ${e}`); if (events.length > 20) events.shift(); };

  // Configuration v1 from hq; its arrival at the edge proves the link works before the fleet starts.
  const sender = o.via === 'mqtt'
    ? await MqttSender.connect({ url: `mqtt://127.0.0.1:${c.edge.mqttPort}`, username: c.admin.user, password: c.admin.password, database: DEMO_DATABASE, table: SENSOR_TABLE })
    : null;
  const fleet = new Fleet({ edge: c.edgeOps, database: DEMO_DATABASE, table: SENSOR_TABLE, configTable: CONFIG_TABLE, rate: o.rate, machines: o.machines, batchRows: o.batchRows, send: sender ? (rows) => sender.send(rows) : null });
  const initialInterval = fleet.stats().sampleIntervalMs;
  await c.hqOps.call({ operation: 'upsert', schema: DEMO_DATABASE, table: CONFIG_TABLE, records: [{ id: 'fleet', sample_interval_ms: initialInterval, version: 1 }] });
  await waitUntil('the configuration row to reach the edge from hq', 30_000, async () => {
    const rows = await c.edgeOps.call<unknown[]>({ operation: 'search_by_hash', schema: DEMO_DATABASE, table: CONFIG_TABLE, hash_values: ['fleet'], get_attributes: ['*'] }, 5000);
    return rows.length === 1;
  });
  await fleet.refreshConfig();

  let stopping = false;
  let wakeMain: (() => void) | null = null;
  onStop(() => { stopping = true; wakeMain?.(); });

  const start = Date.now();
  const elapsed = () => (Date.now() - start) / 1000;
  fleet.start();
  event(`fleet of ${o.machines} machines started, ${o.rate} rows/s ${sender ? `over MQTT (QoS 1) to edge:${c.edge.mqttPort}` : 'via operations-API inserts'}`, 0);

  let phase: Phase = 'streaming';
  let hqRows = 0;
  let edgeRows = 0;
  let figures: ClusterFigures = { backlogRows: null, lagMs: null };
  const history: { t: number; written: number }[] = [];
  let catchUpFrom: { hq: number; target: number } | null = null;
  let configPushedAt: number | null = null;
  let configDone = false;
  let cutDone = false;
  let restoreDone = false;

  const snapshot = (): DemoSnapshot => {
    const fs = fleet.stats();
    const now = Date.now();
    history.push({ t: now, written: fs.written });
    while (history.length > 2 && history[0]!.t < now - 600_000) history.shift();
    const windowStart = history.find((h) => h.t >= now - 2000) ?? history[0]!;
    const writeRate = now > windowStart.t ? ((fs.written - windowStart.written) * 1000) / (now - windowStart.t) : 0;
    // Lag: how long ago the edge acknowledged the newest row hq holds (or the node's own figure).
    const firstAt = history.find((h) => h.written >= hqRows);
    // The nodes' own figures may be stale while the link is down, so the larger one is shown.
    const ownLag = hqRows >= fs.written ? 0 : firstAt ? now - firstAt.t : null;
    const lagMs = figures.lagMs === null ? ownLag : Math.max(figures.lagMs, ownLag ?? 0);
    const p = c.proxy.counters();
    const jsonPerRow = fs.written > 0 ? fs.jsonBytes / fs.written : 0;
    const catchUp = catchUpFrom ? Math.min(1, (hqRows - catchUpFrom.hq) / Math.max(1, catchUpFrom.target - catchUpFrom.hq)) : null;
    return {
      elapsedS: elapsed(), durationS: o.durationS, phase, linkUp: !c.proxy.isCut,
      written: fs.written, writeRate, edgeRows, hqRows,
      backlog: Math.max(figures.backlogRows ?? 0, fs.written - hqRows, 0), lagMs,
      wireBytes: p.bytesToTarget + p.bytesFromTarget, jsonBytes: Math.round(jsonPerRow * hqRows),
      sampleIntervalMs: fs.sampleIntervalMs, configVersion: fs.configVersion, catchUp, events: [...events],
    };
  };

  const poll = async () => {
    const [h, e, hs, es] = await Promise.allSettled([
      recordCount(c.hqOps, SENSOR_TABLE), recordCount(c.edgeOps, SENSOR_TABLE),
      c.hqOps.call({ operation: 'cluster_status' }, 5000), c.edgeOps.call({ operation: 'cluster_status' }, 5000),
    ]);
    if (h.status === 'fulfilled') hqRows = h.value;
    if (e.status === 'fulfilled') edgeRows = e.value;
    figures = readClusterFigures([hs.status === 'fulfilled' ? hs.value : null, es.status === 'fulfilled' ? es.value : null]);
  };

  // The main loop: about four updates a second until the duration ends or Ctrl-C.
  while (!stopping && (o.durationS === null || elapsed() < o.durationS)) {
    const t = elapsed();
    if (!configDone && t >= plan.configS) {
      configDone = true;
      const next = fleet.stats().sampleIntervalMs * 2;
      await c.hqOps.call({ operation: 'upsert', schema: DEMO_DATABASE, table: CONFIG_TABLE, records: [{ id: 'fleet', sample_interval_ms: next, version: 2 }] });
      configPushedAt = Date.now();
      event(`hq pushed config v2: sample every ${next.toFixed(1)} ms instead of ${(next / 2).toFixed(1)} ms`, t);
    }
    if (configPushedAt !== null && fleet.stats().configVersion >= 2) {
      event(`fleet picked up config v2 from the edge ${fleet.stats().configPickedUpAt! - configPushedAt} ms after hq wrote it`, t);
      configPushedAt = null;
    }
    if (!cutDone && plan.cutS !== null && t >= plan.cutS) {
      cutDone = true;
      c.proxy.cut();
      phase = 'outage';
      event(`link cut for ${o.outageS}s; the edge keeps taking writes`, t);
    }
    if (cutDone && !restoreDone && plan.restoreS !== null && t >= plan.restoreS) {
      restoreDone = true;
      c.proxy.restore();
      await poll().catch(() => undefined);
      catchUpFrom = { hq: hqRows, target: fleet.stats().written };
      phase = 'catching up';
      event(`link restored; ${Math.max(0, catchUpFrom.target - hqRows).toLocaleString('en-US')} rows to catch up`, t);
    }
    await poll().catch(() => undefined);
    if (catchUpFrom && hqRows >= catchUpFrom.target) {
      event(`caught up ${(elapsed() - plan.restoreS!).toFixed(1)}s after the link came back`, elapsed());
      catchUpFrom = null;
      phase = 'streaming';
    }
    view.update(snapshot());
    await new Promise<void>((resolve) => { const timer = setTimeout(resolve, 250); wakeMain = () => { clearTimeout(timer); resolve(); }; });
    wakeMain = null;
  }

  // Stop writing, bring the link back if it is still cut, and wait for hq to hold every row.
  phase = 'draining';
  await fleet.stop();
  await sender?.close();
  if (c.proxy.isCut) { c.proxy.restore(); event('link restored for the final drain', elapsed()); }
  const written = fleet.stats().written;
  event(`fleet stopped after ${written.toLocaleString('en-US')} rows; waiting for hq to hold them all`, elapsed());
  let lastProgress = Date.now();
  let lastHq = -1;
  while (hqRows < written || (figures.backlogRows ?? 0) > 0) {
    await poll().catch(() => undefined);
    if (hqRows !== lastHq) { lastHq = hqRows; lastProgress = Date.now(); }
    if (Date.now() - lastProgress > 20_000) { event('hq made no progress for 20 s; verifying what is there', elapsed()); break; }
    if (!catchUpFrom) catchUpFrom = { hq: hqRows, target: written };
    view.update(snapshot());
    await sleep(250);
  }
  catchUpFrom = null;
  phase = 'verifying';
  view.update(snapshot());

  const [edgeAll, hqAll] = await Promise.all([
    fetchAllRows(c.edgeOps, DEMO_DATABASE, SENSOR_TABLE), fetchAllRows(c.hqOps, DEMO_DATABASE, SENSOR_TABLE),
  ]);
  const summary = summarize({ written, fleetChecksum: fleet.checksum(), edge: digestRows('edge', edgeAll, written), hq: digestRows('hq', hqAll, written) });
  phase = 'done';
  hqRows = hqAll.length;
  edgeRows = edgeAll.length;
  view.update(snapshot());
  return { summary, jsonBytes: fleet.stats().jsonBytes };
}
