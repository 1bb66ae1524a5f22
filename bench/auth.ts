/**
 * Authentication on the hot path (issue 9): 16-client point reads and single inserts (the
 * shapes of ../shared/bench/bench-ops.mjs's read and single modes) as the admin with Basic
 * auth, as a table-restricted non-super user with Basic auth, and as the admin with a Bearer
 * operation token, all against ONE node in the same run, in rotating order so drift and load
 * from other processes spread evenly. Reports medians and each variant's ratio to the admin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import { launchNode } from '../src/demo/node-launcher.js';
import { createNode } from '../src/server.js';
import { closedLoop, median, OpsLoad, round, sensorRow } from './load.js';
import { waitFor } from '../test/helpers/wait-for.js';

export interface AuthBenchOptions {
  runs: number;
  clients: number;
  durationMs: number;
  fill: number;
}

type Variant = 'admin_basic' | 'restricted_basic' | 'admin_token';
const VARIANTS: Variant[] = ['admin_basic', 'restricted_basic', 'admin_token'];

/**
 * The same three callers without HTTP: the request path's credential lookup (users.cached) and
 * registry.dispatch of a point read and of a single insert, in-process, in rotating blocks.
 * This isolates what authentication and permission checks cost per request from network and
 * machine noise.
 */
async function inProcess(blocks: number, perBlock: number): Promise<Record<string, unknown>> {
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-bench-auth-ip-'));
  const node = await createNode(loadConfig({ env: { ROOTPATH: rootPath, HDB_ADMIN_USERNAME: 'admin', HDB_ADMIN_PASSWORD: 'bench-pw', LOG_LEVEL: 'silent' } }));
  try {
    const { services, registry } = node;
    const admin = services.users.get('admin')!;
    const ctxOf = (user: typeof admin) => ({ ...services, user });
    await registry.dispatch({ operation: 'create_database', database: 'bench' }, ctxOf(admin));
    await registry.dispatch({ operation: 'create_table', database: 'bench', table: 'auth', primary_key: 'id' }, ctxOf(admin));
    const rows = Array.from({ length: 10_000 }, (_, i) => sensorRow(i + 1));
    await registry.dispatch({ operation: 'insert', database: 'bench', table: 'auth', records: rows }, ctxOf(admin));
    await registry.dispatch({ operation: 'add_role', role: 'sensor_writer', permission: { bench: { tables: { auth: { read: true, insert: true } } } } }, ctxOf(admin));
    await registry.dispatch({ operation: 'add_user', role: 'sensor_writer', username: 'writer', password: 'writer-pw', active: true }, ctxOf(admin));
    const token = (await services.users.createTokens('admin', 'bench-pw', 'local')).operation_token;
    const headers: Record<Variant, string> = {
      admin_basic: `Basic ${Buffer.from('admin:bench-pw').toString('base64')}`,
      restricted_basic: `Basic ${Buffer.from('writer:writer-pw').toString('base64')}`,
      admin_token: `Bearer ${token}`,
    };
    for (const h of Object.values(headers)) await services.users.authenticate(h);
    const contexts = new Map<unknown, ReturnType<typeof ctxOf>>();
    const ctx = (h: string) => { const u = services.users.cached(h)!; let c = contexts.get(u); if (!c) contexts.set(u, (c = ctxOf(u))); return c; };
    const ns: Record<'read' | 'insert', Record<Variant, number[]>> = { read: { admin_basic: [], restricted_basic: [], admin_token: [] }, insert: { admin_basic: [], restricted_basic: [], admin_token: [] } };
    let id = 20_000;
    for (let b = 0; b < blocks; b++) {
      for (const v of VARIANTS.map((_, i) => VARIANTS[(i + b) % VARIANTS.length]!)) {
        const h = headers[v];
        let t0 = process.hrtime.bigint();
        for (let i = 0; i < perBlock; i++) registry.dispatch({ operation: 'search_by_id', database: 'bench', table: 'auth', ids: [1 + (i % 10_000)], get_attributes: ['*'] }, ctx(h));
        ns.read[v].push(Number(process.hrtime.bigint() - t0) / perBlock);
        const pending: unknown[] = [];
        t0 = process.hrtime.bigint();
        for (let i = 0; i < perBlock / 10; i++) pending.push(registry.dispatch({ operation: 'insert', database: 'bench', table: 'auth', records: [sensorRow(id++)] }, ctx(h)));
        await Promise.all(pending);
        ns.insert[v].push(Number(process.hrtime.bigint() - t0) / (perBlock / 10));
      }
    }
    // Best-of-blocks is the least disturbed by other processes on a shared machine; medians are shown too.
    const out = (m: Record<Variant, number[]>) => Object.fromEntries(VARIANTS.map((v) => [v, {
      min_ns_per_op: round(Math.min(...m[v]), 0), median_ns_per_op: round(median(m[v]), 0),
      ratio_to_admin_basic: round(Math.min(...m.admin_basic) / Math.min(...m[v]), 3),
    }]));
    const read = out(ns.read), insert = out(ns.insert);
    const ok = [read, insert].every((x) => VARIANTS.every((v) => (x[v] as { ratio_to_admin_basic: number }).ratio_to_admin_basic >= 0.95));
    return { blocks, per_block: perBlock, note: 'ratio = admin best time / variant best time (>= 0.95: within 5%)', search_by_id: read, single_insert: insert, ok };
  } finally {
    await node.close();
    rmSync(rootPath, { recursive: true, force: true });
  }
}

export async function runAuthBench(o: AuthBenchOptions): Promise<Record<string, unknown>> {
  const in_process = await inProcess(o.runs * 6, 20_000);
  process.stderr.write(`[auth bench] in-process: ${JSON.stringify(in_process)}\n`);
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-bench-auth-'));
  const admin = { user: 'admin', password: 'bench-pw' };
  const node = await launchNode({
    nodeName: 'bench-auth', rootPath, admin, cluster: { user: 'cluster_user', password: 'unused' },
    env: { CLUSTERING: 'false', LOG_LEVEL: 'warn', LOG_TO_STDSTREAMS: 'false' },
  });
  const loads = new Map<Variant, OpsLoad>();
  try {
    const setup = new OpsLoad({ url: node.url, ...admin });
    loads.set('admin_basic', setup);
    await waitFor(async () => (await setup.op({ operation: 'describe_all' })).status === 200, { what: 'node answers' });
    await setup.must({ operation: 'create_database', database: 'bench' });
    await setup.must({ operation: 'create_table', database: 'bench', table: 'auth', primary_key: 'id' });
    for (let start = 1; start <= o.fill; start += 1000) {
      const rows = [];
      for (let i = start; i < Math.min(o.fill + 1, start + 1000); i++) rows.push(sensorRow(i));
      await setup.must({ operation: 'insert', database: 'bench', table: 'auth', records: rows });
    }
    await setup.must({ operation: 'add_role', role: 'sensor_writer', permission: { super_user: false, bench: { tables: { auth: { read: true, insert: true, update: false, delete: false } } } } });
    await setup.must({ operation: 'add_user', role: 'sensor_writer', username: 'writer', password: 'writer-pw', active: true });
    loads.set('restricted_basic', new OpsLoad({ url: node.url, user: 'writer', password: 'writer-pw' }));
    const tokens = JSON.parse(await setup.must({ operation: 'create_authentication_tokens', username: admin.user, password: admin.password })) as { operation_token: string };
    loads.set('admin_token', new OpsLoad({ url: node.url, ...admin, authorization: `Bearer ${tokens.operation_token}` }));

    const read: Record<Variant, number[]> = { admin_basic: [], restricted_basic: [], admin_token: [] };
    const insert: Record<Variant, number[]> = { admin_basic: [], restricted_basic: [], admin_token: [] };
    let id = o.fill + 1;
    // Short slices, variants rotated within each round: a burst of load from elsewhere on the
    // machine hits all three alike instead of one variant's whole run.
    const slices = o.runs * 5;
    for (let slice = 0; slice < slices; slice++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + slice) % VARIANTS.length]!);
      for (const v of order) {
        const load = loads.get(v)!;
        const r = await closedLoop(load, o.clients, o.durationMs / 5, () => ({ operation: 'search_by_id', database: 'bench', table: 'auth', ids: [1 + Math.floor(Math.random() * o.fill)], get_attributes: ['*'] }));
        if (r.errors) throw new Error(`${v}: ${r.errors} read errors`);
        read[v].push(r.ops_per_s);
      }
      for (const v of order) {
        const load = loads.get(v)!;
        const w = await closedLoop(load, o.clients, o.durationMs / 5, () => ({ operation: 'insert', database: 'bench', table: 'auth', records: [sensorRow(id++)] }));
        if (w.errors) throw new Error(`${v}: ${w.errors} insert errors`);
        insert[v].push(w.ops_per_s);
      }
      if ((slice + 1) % 5 === 0) process.stderr.write(`[auth bench] round ${(slice + 1) / 5}/${o.runs}: read ${VARIANTS.map((v) => `${v} ${read[v].at(-1)}`).join(', ')} ops/s; insert ${VARIANTS.map((v) => `${v} ${insert[v].at(-1)}`).join(', ')} ops/s\n`);
    }
    // Ratios are taken slice by slice (each variant against the admin slice next to it), then the median.
    const summarise = (m: Record<Variant, number[]>) => Object.fromEntries(VARIANTS.map((v) => [v, {
      ops_per_s: round(median(m[v])),
      ratio_to_admin_basic: round(median(m[v].map((x, i) => x / m.admin_basic[i]!)), 3),
      slices: m[v].length,
    }]));
    const readSummary = summarise(read), insertSummary = summarise(insert);
    const within = (s: Record<string, { ratio_to_admin_basic: number }>, v: Variant) => s[v]!.ratio_to_admin_basic >= 0.95;
    return {
      params: o,
      in_process,
      search_by_id: readSummary,
      single_insert: insertSummary,
      target: 'restricted user and token auth within 5% of the admin with Basic auth (ratio >= 0.95), same node, same run',
      ok: within(readSummary, 'restricted_basic') && within(readSummary, 'admin_token') && within(insertSummary, 'restricted_basic') && within(insertSummary, 'admin_token'),
    };
  } finally {
    for (const l of loads.values()) l.close();
    await node.stop();
    rmSync(rootPath, { recursive: true, force: true });
  }
}
