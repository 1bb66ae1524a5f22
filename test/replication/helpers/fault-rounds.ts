/**
 * Seeded fault rounds on three real node processes: two edges publish sensor rows to hq, hq
 * publishes configs to both edges, and one table is written on every node (both ways, through
 * hq). Each round writes, injects one fault (link cut, blackhole, kill -9 or SIGTERM of a node
 * with restart on the same root, both links down), writes more, heals, and checks that every
 * acknowledged write is on every node that subscribes to it exactly once with its last
 * acknowledged value, deletes are absent and the both-ways table is identical everywhere.
 * Retention is small, so reconnects go through resyncs. Nothing here runs at import time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultProxy } from '../../../src/demo/fault-proxy.js';
import { randomSource } from '../../../src/demo/fleet.js';
import { launchNode, type DemoNode } from '../../../src/demo/node-launcher.js';
import { OpsClient } from '../../../src/demo/ops-client.js';

export interface FaultRoundsOptions {
  seed: number;
  rounds: number;
  /** Rows per edge per round (sensor table). */
  rowsPerRound?: number;
  /** Deadline for convergence after each heal. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface FaultRoundsReport {
  seed: number;
  rounds: number;
  acknowledgedWrites: number;
  lost: number;
  duplicated: number;
  divergent: number;
  faults: Record<string, number>;
  /** Resyncs the publishers started (cumulative counters of cluster_status). */
  resyncs: number;
  problems: string[];
}

const ADMIN = { user: 'admin', password: 'fault-rounds' };
const CLUSTER = { user: 'cluster_user', password: 'fault-rounds-cluster' };
const NODE_ENV = {
  LOG_LEVEL: 'warn', CLUSTERING_HEARTBEATMS: '200', CLUSTERING_RECONNECT_MINMS: '50', CLUSTERING_RECONNECT_MAXMS: '400',
  CLUSTERING_RETENTION_MAXENTRIES: '1000', CLUSTERING_RETENTION_INTERVALMS: '300', CLUSTERING_BATCH_MAXROWS: '500',
};

interface Member {
  name: string;
  root: string;
  /** Chosen at the first start; restarts reuse them. */
  ports?: [number, number, number, number];
  node: DemoNode | null;
  ops?: OpsClient;
}

type Model = Map<string, number | null>;

/** Starts a member: the first time on free ports (the launcher retries if one is taken meanwhile), then on the same ones. */
async function start(m: Member): Promise<void> {
  m.node = await launchNode({ nodeName: m.name, rootPath: m.root, admin: ADMIN, cluster: CLUSTER, ports: m.ports, env: NODE_ENV, startTimeoutMs: 60_000 });
  if (!m.ports) {
    const n = m.node;
    m.ports = [n.opsPort, n.clusteringPort, n.httpPort, n.mqttPort];
    m.ops = new OpsClient(n.url, ADMIN.user, ADMIN.password);
  }
}

/** First start of every node. Every start is awaited before a failure is reported, so the caller's cleanup sees every node that did start. */
async function startAll(members: Member[]): Promise<void> {
  const failed = (await Promise.allSettled(members.map(start))).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function call(m: Member, body: Record<string, unknown>): Promise<any> {
  try {
    if (!m.ops) throw new Error('not started yet');
    return await m.ops.call(body, 60_000);
  } catch (err) {
    // Say which node and operation failed, with the node's last log lines.
    const e = err as { status?: number; message?: string };
    const wrapped = new Error(`${m.name}: ${String(body.operation)} ${String(body.table ?? '')} failed: ${e.message ?? String(err)}\n${m.node?.output().slice(-3000) ?? ''}`) as Error & { status?: number };
    if (e.status !== undefined) wrapped.status = e.status;
    throw wrapped;
  }
}

async function rows(m: Member, table: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const list = await call(m, { operation: 'search_by_value', database: 'default', table, search_attribute: 'id', search_value: '*', get_attributes: ['id', 'v'] }).catch((err: any) => {
    if (err?.status === 404) return [];
    throw err;
  });
  for (const r of list as { id: string; v: number }[]) out.set(String(r.id), r.v);
  return out;
}

function compare(model: Model, actual: Map<string, number>): { lost: string[]; extra: string[] } {
  const lost: string[] = [], extra: string[] = [];
  for (const [k, v] of model) {
    if (v === null) { if (actual.has(k)) extra.push(k); }
    else if (actual.get(k) !== v) lost.push(k);
  }
  for (const k of actual.keys()) if (!model.has(k)) extra.push(k);
  return { lost, extra };
}

/** Runs the rounds; always stops its processes and removes its data. */
export async function runFaultRounds(opts: FaultRoundsOptions): Promise<FaultRoundsReport> {
  const rnd = randomSource(opts.seed);
  const log = opts.log ?? (() => undefined);
  const perRound = opts.rowsPerRound ?? 400;
  const settleMs = opts.settleMs ?? 90_000;
  const base = mkdtempSync(join(tmpdir(), `ferrydb-fault-rounds-${opts.seed}-`));
  const members: Member[] = [];
  for (const name of ['edge1', 'edge2', 'hq']) members.push({ name, root: join(base, name), node: null });
  const [e1, e2, hq] = members as [Member, Member, Member];
  const edges = [e1, e2];
  const proxies: FaultProxy[] = [];
  const report: FaultRoundsReport = { seed: opts.seed, rounds: 0, acknowledgedWrites: 0, lost: 0, duplicated: 0, divergent: 0, faults: {}, resyncs: 0, problems: [] };
  const sensor: Model = new Map(), configs: Model = new Map(), shared: Model = new Map();
  let seq = 0;
  try {
    await startAll(members);
    for (const e of edges) proxies.push(await FaultProxy.start({ targetPort: e.ports![1] }));
    for (const m of members) {
      await call(m, { operation: 'create_database', database: 'default' }).catch(() => undefined);
      for (const table of ['sensor_data', 'configs', 'shared']) await call(m, { operation: 'create_table', database: 'default', table, primary_key: 'id' }).catch(() => undefined);
    }
    for (const [i, e] of edges.entries()) {
      await call(hq, { operation: 'add_node', name: e.name, host: '127.0.0.1', port: proxies[i]!.port, subscriptions: [
        { channel: 'default:sensor_data', subscribe: true, publish: false },
        { channel: 'default:configs', subscribe: false, publish: true },
        { channel: 'default:shared', subscribe: true, publish: true },
      ] });
    }
    const up = (m: Member) => m.node !== null && !m.node.exited;
    /** One round of writes on every live node; every write is awaited (acknowledged) before the next. */
    const writes = async () => {
      for (const e of edges) {
        if (!up(e)) continue;
        const batch = Array.from({ length: perRound }, () => ({ id: `${e.name}-${++seq}`, v: seq }));
        for (let i = 0; i < batch.length; i += 100) {
          await call(e, { operation: 'insert', database: 'default', table: 'sensor_data', records: batch.slice(i, i + 100) });
          for (const r of batch.slice(i, i + 100)) sensor.set(r.id, r.v);
          report.acknowledgedWrites += Math.min(100, batch.length - i);
        }
        // Updates and deletes of this edge's earlier rows.
        const mine = [...sensor.keys()].filter((k) => k.startsWith(`${e.name}-`) && sensor.get(k) !== null);
        const upd = Array.from({ length: 20 }, () => mine[Math.floor(rnd() * mine.length)]!).filter((k, i, a) => a.indexOf(k) === i);
        const recs = upd.map((id) => ({ id, v: ++seq }));
        await call(e, { operation: 'update', database: 'default', table: 'sensor_data', records: recs });
        for (const r of recs) sensor.set(r.id, r.v);
        report.acknowledgedWrites += recs.length;
        const del = mine.filter((k) => !upd.includes(k)).slice(0, 5);
        if (del.length) {
          await call(e, { operation: 'delete', database: 'default', table: 'sensor_data', ids: del });
          for (const k of del) sensor.set(k, null);
          report.acknowledgedWrites += del.length;
        }
      }
      if (up(hq)) {
        const recs = Array.from({ length: 10 }, () => ({ id: `cfg-${Math.floor(rnd() * 30)}`, v: ++seq })).filter((r, i, a) => a.findIndex((x) => x.id === r.id) === i);
        await call(hq, { operation: 'upsert', database: 'default', table: 'configs', records: recs });
        for (const r of recs) configs.set(r.id, r.v);
        report.acknowledgedWrites += recs.length;
        const gone = [...configs.keys()].filter((k) => configs.get(k) !== null && !recs.some((r) => r.id === k));
        if (gone.length && rnd() < 0.5) {
          const k = gone[Math.floor(rnd() * gone.length)]!;
          await call(hq, { operation: 'delete', database: 'default', table: 'configs', ids: [k] });
          configs.set(k, null);
          report.acknowledgedWrites++;
        }
      }
      // The both-ways table: each node writes its own keys (so the expected value is exact).
      for (const m of members) {
        if (!up(m)) continue;
        const recs = Array.from({ length: 15 }, () => ({ id: `${m.name}-s${Math.floor(rnd() * 60)}`, v: ++seq })).filter((r, i, a) => a.findIndex((x) => x.id === r.id) === i);
        await call(m, { operation: 'upsert', database: 'default', table: 'shared', records: recs });
        for (const r of recs) shared.set(r.id, r.v);
        report.acknowledgedWrites += recs.length;
        const own = [...shared.keys()].filter((k) => k.startsWith(`${m.name}-`) && shared.get(k) !== null && !recs.some((r) => r.id === k));
        if (own.length && rnd() < 0.5) {
          const k = own[Math.floor(rnd() * own.length)]!;
          await call(m, { operation: 'delete', database: 'default', table: 'shared', ids: [k] });
          shared.set(k, null);
          report.acknowledgedWrites++;
        }
      }
    };
    const FAULTS = ['cut', 'blackhole', 'kill9', 'sigterm', 'both_links_down', 'flap'] as const;
    for (let round = 1; round <= opts.rounds; round++) {
      await writes();
      const fault = FAULTS[Math.floor(rnd() * FAULTS.length)]!;
      const which = Math.floor(rnd() * 2);
      const victim = members[Math.floor(rnd() * 3)]!;
      report.faults[fault] = (report.faults[fault] ?? 0) + 1;
      const restart: Member[] = [];
      if (fault === 'cut') proxies[which]!.cut();
      else if (fault === 'blackhole') proxies[which]!.blackhole(true);
      else if (fault === 'both_links_down') { proxies[0]!.cut(); proxies[1]!.cut(); }
      else if (fault === 'kill9') { await victim.node!.kill(); victim.node = null; restart.push(victim); }
      else if (fault === 'sigterm') { await victim.node!.stop(); victim.node = null; restart.push(victim); }
      else if (fault === 'flap') {
        for (let i = 0; i < 4; i++) { proxies[which]!.cut(); await new Promise((r) => setTimeout(r, 60 + rnd() * 200)); proxies[which]!.restore(); await new Promise((r) => setTimeout(r, 60 + rnd() * 200)); }
      }
      // Writes during the fault (the log outgrows retention, so the way back is a resync).
      await writes();
      await writes();
      await writes();
      // Heal.
      for (const p of proxies) { p.blackhole(false); p.restore(); }
      if (fault === 'blackhole') proxies[which]!.disconnectAll();
      for (const m of restart) await start(m);
      const deadline = Date.now() + settleMs;
      let last = '';
      for (;;) {
        const [s1, s2, c1, c2, h1, h2, h3] = await Promise.all([
          rows(hq, 'sensor_data'), Promise.resolve(null), rows(e1, 'configs'), rows(e2, 'configs'),
          rows(e1, 'shared'), rows(e2, 'shared'), rows(hq, 'shared'),
        ]);
        void s2;
        const checks = [
          ['hq sensor_data', compare(sensor, s1)], ['edge1 configs', compare(configs, c1)], ['edge2 configs', compare(configs, c2)],
          ['edge1 shared', compare(shared, h1)], ['edge2 shared', compare(shared, h2)], ['hq shared', compare(shared, h3)],
        ] as const;
        const bad = checks.filter(([, c]) => c.lost.length || c.extra.length);
        const identical = JSON.stringify([...h1].sort()) === JSON.stringify([...h3].sort()) && JSON.stringify([...h2].sort()) === JSON.stringify([...h3].sort());
        if (!bad.length && identical) break;
        last = bad.map(([n, c]) => `${n}: ${c.lost.length} lost/stale (e.g. ${c.lost.slice(0, 3).join(',')}), ${c.extra.length} extra (e.g. ${c.extra.slice(0, 3).join(',')})`).join('; ') + (identical ? '' : '; shared differs between nodes');
        if (Date.now() > deadline) {
          for (const [, c] of checks) { report.lost += c.lost.length; report.duplicated += c.extra.length; }
          if (!identical) report.divergent++;
          report.problems.push(`round ${round} (${fault}): ${last}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      report.rounds = round;
      log(`round ${round}/${opts.rounds} seed ${opts.seed}: ${fault}${fault === 'kill9' || fault === 'sigterm' ? ` ${victim.name}` : fault === 'both_links_down' ? '' : ` link ${edges[which]!.name}`}; acknowledged writes ${report.acknowledgedWrites}${report.problems.length ? `; PROBLEM ${report.problems.at(-1)}` : ''}`);
      if (report.problems.length) break;
    }
    for (const m of members) {
      const st = await call(m, { operation: 'cluster_status' });
      for (const c of [...st.status.outbound_connections, ...st.status.inbound_connections]) for (const x of c.subscriptions) report.resyncs += x.resyncs ?? 0;
    }
    return report;
  } finally {
    for (const p of proxies) await p.close().catch(() => undefined);
    for (const m of members) await m.node?.stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  }
}

/** The summary line the issue asks for. */
export function summaryLine(r: FaultRoundsReport): string {
  return `seed ${r.seed}: rounds ${r.rounds}, acknowledged writes ${r.acknowledgedWrites}, lost ${r.lost}, duplicated ${r.duplicated}, divergent ${r.divergent} (resyncs ${r.resyncs})`;
}
