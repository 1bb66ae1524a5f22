/**
 * `ferrydb demo`: a factory in one command. Starts an edge node and a headquarters node,
 * connects them through a fault proxy with the walkthrough's subscriptions, lets a simulated
 * fleet write sensor rows to the edge, pushes a configuration change from headquarters, cuts
 * the link for a while, and proves at the end that every row arrived exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli/io.js';
import { readClusterFigures, type ClusterFigures } from './cluster-figures.js';
import { FaultProxy } from './fault-proxy.js';
import { Fleet } from './fleet.js';
import { launchNode, type DemoNode } from './node-launcher.js';
import { OpsClient, OpsError } from './ops-client.js';
import { digestRows, fetchAllRows, formatSummary, summarize, type DemoSummary } from './summary.js';
import { compressionRatio, createView, formatBytes, type DemoSnapshot, type DemoView, type Phase, type ViewSink } from './view.js';

export const DEMO_HELP = `Usage: ferrydb demo [options]

Runs a live factory demo on this machine: an edge node and a headquarters (hq) node,
replicating through a built-in fault proxy. A simulated fleet of machines writes sensor
rows to the edge; hq pushes a configuration change the fleet picks up; the link is cut
for a while and restored; at the end both nodes are compared row by row.

Options:
  --rate ROWS_PER_S    readings per second written by the fleet (default 2000)
  --outage SECONDS     how long the link is cut (default 10; 0 for no outage)
  --duration SECONDS   run unattended for this long, then verify and exit
                       (exit code 0 only when nothing was lost or duplicated);
                       without it the demo runs until Ctrl-C
  --machines N         machines in the fleet (default 20)
  --batch ROWS         most rows per insert (default 500)
  --plain              print plain lines even on a terminal
  --help, -h           show this help

Nodes listen on free ports on 127.0.0.1 and keep their data in a temporary directory
that is removed at the end. Ctrl-C stops the fleet, verifies and cleans up; a second
Ctrl-C stops at once.
`;

export const DEMO_DATABASE = 'default';
export const SENSOR_TABLE = 'sensor_data';
export const CONFIG_TABLE = 'configs';

export interface DemoOptions {
  rate: number;
  outageS: number;
  durationS: number | null;
  machines: number;
  batchRows: number;
  plain: boolean;
}

/** Parses the demo's flags; throws an Error naming the bad one. */
export function parseDemoArgs(args: readonly string[]): DemoOptions {
  const o: DemoOptions = { rate: 2000, outageS: 10, durationS: null, machines: 20, batchRows: 500, plain: false };
  let outageGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${v}'`);
      return n;
    };
    switch (name) {
      case '--rate': o.rate = value(); break;
      case '--outage': o.outageS = value(); outageGiven = true; break;
      case '--duration': o.durationS = value(); break;
      case '--machines': o.machines = Math.floor(value()); break;
      case '--batch': o.batchRows = Math.floor(value()); break;
      case '--plain': o.plain = true; break;
      default: throw new Error(`unknown option '${arg}'`);
    }
  }
  if (o.rate <= 0) throw new Error('--rate must be positive');
  if (o.machines < 1) throw new Error('--machines must be at least 1');
  if (o.batchRows < 1) throw new Error('--batch must be at least 1');
  if (o.durationS !== null) {
    if (o.durationS < 4) throw new Error('--duration must be at least 4 seconds');
    if (!outageGiven) o.outageS = Math.min(10, Math.floor(o.durationS / 4));
    if (o.outageS > 0 && timeline(o).restoreS! > o.durationS - 1) throw new Error(`--outage ${o.outageS} does not fit in --duration ${o.durationS}`);
  }
  return o;
}

/** When things happen, in seconds after the fleet starts. */
export function timeline(o: Pick<DemoOptions, 'durationS' | 'outageS'>): { configS: number; cutS: number | null; restoreS: number | null } {
  const configS = o.durationS !== null ? Math.max(1, o.durationS * 0.15) : 5;
  if (o.outageS <= 0) return { configS, cutS: null, restoreS: null };
  const cutS = o.durationS !== null ? Math.max(configS + 1, o.durationS * 0.3) : 15;
  return { configS, cutS, restoreS: cutS + o.outageS };
}

/** The walkthrough's subscriptions, as hq declares them for the edge. */
export function walkthroughSubscriptions() {
  return [
    { channel: `${DEMO_DATABASE}:${SENSOR_TABLE}`, subscribe: true, publish: false },
    { channel: `${DEMO_DATABASE}:${CONFIG_TABLE}`, subscribe: false, publish: true },
  ];
}

interface Cluster {
  edge: DemoNode;
  hq: DemoNode;
  proxy: FaultProxy;
  edgeOps: OpsClient;
  hqOps: OpsClient;
  admin: { user: string; password: string };
}

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

interface Owned {
  nodes: DemoNode[];
  proxy: FaultProxy | null;
}

/** Starts both nodes and the proxy, recording each in `owned` as soon as it exists. */
async function startCluster(root: string, owned: Owned, note: (line: string) => void): Promise<Cluster> {
  const admin = { user: 'admin', password: randomBytes(9).toString('base64url') };
  const cluster = { user: 'cluster_user', password: randomBytes(12).toString('base64url') };
  // Quick reconnects, so the catch-up starts soon after the link comes back.
  const env = { CLUSTERING_RECONNECT_MINMS: '100', CLUSTERING_RECONNECT_MAXMS: '1000', CLUSTERING_HEARTBEATMS: '1000' };
  const launch = async (nodeName: string) => {
    const node = await launchNode({ nodeName, rootPath: join(root, nodeName), admin, cluster, env });
    owned.nodes.push(node);
    return node;
  };
  const [edge, hq] = await Promise.all([launch('edge'), launch('hq')]);
  const proxy = await FaultProxy.start({ targetPort: edge.clusteringPort });
  owned.proxy = proxy;
  note(`edge node: ${edge.url} (pid ${edge.pid})   hq node: ${hq.url} (pid ${hq.pid})   fault proxy: 127.0.0.1:${proxy.port} -> edge:${edge.clusteringPort}`);
  const edgeOps = new OpsClient(edge.url, admin.user, admin.password);
  const hqOps = new OpsClient(hq.url, admin.user, admin.password);
  for (const ops of [edgeOps, hqOps]) {
    for (const table of [SENSOR_TABLE, CONFIG_TABLE]) {
      try {
        await ops.call({ operation: 'create_table', schema: DEMO_DATABASE, table, hash_attribute: 'id' });
      } catch (err) {
        // Replication may already have created it from the other side.
        if (!(err instanceof OpsError && /already exists/i.test(err.message))) throw err;
      }
    }
  }
  const addNode = { operation: 'add_node', name: 'edge', host: '127.0.0.1', port: proxy.port, subscriptions: walkthroughSubscriptions() };
  try {
    await hqOps.call(addNode);
  } catch (err) {
    if (err instanceof OpsError && err.status === 400 && /not found/i.test(err.message)) {
      throw new Error(`this FerryDB build has no cluster operations yet (add_node: ${err.message})`);
    }
    throw err;
  }
  note(`hq: add_node edge via the proxy, subscribed to ${DEMO_DATABASE}:${SENSOR_TABLE}, publishing ${DEMO_DATABASE}:${CONFIG_TABLE}`);
  note(`Studio while the demo runs: edge ${edge.url}  hq ${hq.url}  (user ${admin.user}, password ${admin.password})`);
  return { edge, hq, proxy, edgeOps, hqOps, admin };
}

/** Runs the demo; resolves with the exit code. */
export async function runDemo(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) { io.stdout(DEMO_HELP); return 0; }
  let options: DemoOptions;
  try {
    options = parseDemoArgs(args);
  } catch (err) {
    io.stderr(`ferrydb demo: ${(err as Error).message}\n\n${DEMO_HELP}`);
    return 2;
  }
  const sink: ViewSink = {
    write: (t) => io.stdout(t),
    isTTY: !options.plain && Boolean(process.stdout.isTTY) && io.env.TERM !== 'dumb',
    columns: process.stdout.columns,
  };
  const view = createView(sink);
  const owned: Owned = { nodes: [], proxy: null };
  const nodes = owned.nodes;
  let root: string | null = null;
  // Whatever happens, the children die with us and the temp dir goes.
  const hardCleanup = () => {
    for (const n of nodes) n.killNow();
    if (root) rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', hardCleanup);
  let interrupts = 0;
  let stopRequested: (() => void) | null = null;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      view.note('Ctrl-C: stopping the fleet, then verifying (Ctrl-C again to quit at once)');
      stopRequested?.();
    } else {
      view.close();
      io.stderr('ferrydb demo: interrupted\n');
      hardCleanup();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  try {
    view.note(`FerryDB demo: rate ${options.rate} rows/s, outage ${options.outageS}s, ${options.durationS === null ? 'until Ctrl-C' : `duration ${options.durationS}s`}`);
    root = mkdtempSync(join(tmpdir(), 'ferrydb-demo-'));
    const cluster = await startCluster(root, owned, (l) => view.note(l));
    const { summary, jsonBytes } = await runScenario(cluster, options, view, (fn) => { stopRequested = fn; if (interrupts > 0) fn(); });
    view.close();
    for (const line of formatSummary(summary)) io.stdout(`${line}\n`);
    const p = cluster.proxy.counters();
    const wire = p.bytesToTarget + p.bytesFromTarget;
    const ratio = compressionRatio(jsonBytes, wire);
    io.stdout(`bytes on the wire: ${wire} (${formatBytes(wire)}; edge->hq ${p.bytesFromTarget}, hq->edge ${p.bytesToTarget}), rows as JSON: ${jsonBytes} (${formatBytes(jsonBytes)}), compression: ${ratio === null ? '-' : `${ratio.toFixed(1)}x`}\n`);
    io.stdout(`Studio: edge http://127.0.0.1:${cluster.edge.opsPort}/  hq http://127.0.0.1:${cluster.hq.opsPort}/  (user ${cluster.admin.user}, password ${cluster.admin.password}; the nodes stop now)\n`);
    return summary.ok ? 0 : 1;
  } catch (err) {
    view.close();
    io.stderr(`ferrydb demo: ${(err as Error).message}\n`);
    for (const n of nodes) {
      const tail = n.output().trim().split('\n').slice(-15).join('\n');
      if (tail) io.stderr(`--- last output of node '${n.nodeName}' ---\n${tail}\n`);
    }
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await owned.proxy?.close().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.stop(5000)));
    if (root) rmSync(root, { recursive: true, force: true });
    process.off('exit', hardCleanup);
  }
}

async function runScenario(c: Cluster, o: DemoOptions, view: DemoView, onStop: (stop: () => void) => void): Promise<{ summary: DemoSummary; jsonBytes: number }> {
  const plan = timeline(o);
  const events: string[] = [];
  const event = (e: string, elapsedS: number) => { events.push(`${elapsedS.toFixed(1).padStart(5)}s  ${e}`); if (events.length > 20) events.shift(); };

  // Configuration v1 from hq; its arrival at the edge proves the link works before the fleet starts.
  const fleet = new Fleet({ edge: c.edgeOps, database: DEMO_DATABASE, table: SENSOR_TABLE, configTable: CONFIG_TABLE, rate: o.rate, machines: o.machines, batchRows: o.batchRows });
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
  event(`fleet of ${o.machines} machines started, ${o.rate} rows/s`, 0);

  let phase: Phase = 'streaming';
  let hqRows = 0;
  let edgeRows = 0;
  let figures: ClusterFigures = { backlogRows: null, lagMs: null, bytes: null };
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
    while (history.length > 2 && history[0]!.t < now - 60_000) history.shift();
    const windowStart = history.find((h) => h.t >= now - 2000) ?? history[0]!;
    const writeRate = now > windowStart.t ? ((fs.written - windowStart.written) * 1000) / (now - windowStart.t) : 0;
    // Lag: how long ago the edge acknowledged the newest row hq holds (or the node's own figure).
    const firstAt = history.find((h) => h.written >= hqRows);
    const lagMs = figures.lagMs ?? (hqRows >= fs.written ? 0 : firstAt ? now - firstAt.t : null);
    const p = c.proxy.counters();
    const jsonPerRow = fs.written > 0 ? fs.jsonBytes / fs.written : 0;
    const catchUp = catchUpFrom ? Math.min(1, (hqRows - catchUpFrom.hq) / Math.max(1, catchUpFrom.target - catchUpFrom.hq)) : null;
    return {
      elapsedS: elapsed(), durationS: o.durationS, phase, linkUp: !c.proxy.isCut,
      written: fs.written, writeRate, edgeRows, hqRows,
      backlog: figures.backlogRows ?? Math.max(0, fs.written - hqRows), lagMs,
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
