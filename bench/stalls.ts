/**
 * Long operations on a large table while other requests run: for each, how long it took to
 * answer and the slowest search_by_id on another table from its start until 300 ms after it
 * answered (bench/stall-probe.ts, in a worker thread). One node process per run, rows written
 * through the operations API, change log included. In order on one table: the first search of an
 * unindexed attribute (it builds the index), a search returning every row, the same by a REST GET
 * of the collection, SQL SELECT of every row, a GROUP BY over every row, an ORDER BY of an
 * unindexed column with a LIMIT, a join of every row, SQL UPDATE of every row, drop_attribute,
 * SQL DELETE of every row (the rows are written again), drop_table.
 * Run alone: `node dist/bench/stalls.js [rows]`.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { opsClient } from '../test/helpers/http-client.js';
import { startNode } from '../test/helpers/node-process.js';
import { median, sensorRow } from './load.js';

const AFTER_MS = 300;

export interface Stall { op_ms: number; worst_probe_ms: number }

export async function runStallsOnce(rows: number): Promise<Record<string, Stall>> {
  const node = await startNode({ env: { LOG_LEVEL: 'warn' } });
  let probe: Worker | null = null;
  try {
    const op = opsClient(node.url, node.user, node.password);
    const must = async (body: Record<string, unknown>) => {
      const r = await op(body);
      if (r.status !== 200) throw new Error(`${String(body.operation)} failed: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    };
    const fill = async () => {
      for (let i = 1; i <= rows; i += 5000) {
        const records = [];
        for (let id = i; id < Math.min(rows + 1, i + 5000); id++) records.push(sensorRow(id));
        await must({ operation: 'insert', database: 'data', table: 'big', records });
      }
    };
    const mark = async (): Promise<number> => {
      checked();
      probe!.postMessage('mark');
      const [m] = (await once(probe!, 'message')) as [{ worst_ms: number }];
      return m.worst_ms;
    };
    const restGet = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${node.httpPort}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${node.user}:${node.password}`).toString('base64')}` } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path} failed: ${res.status} ${text.slice(0, 200)}`);
    };
    const measure = async (body: Record<string, unknown> | string): Promise<Stall> => {
      await new Promise((r) => setTimeout(r, 100));
      await mark();
      const t0 = performance.now();
      await (typeof body === 'string' ? restGet(body) : must(body));
      const opMs = Math.round(performance.now() - t0);
      await new Promise((r) => setTimeout(r, AFTER_MS));
      return { op_ms: opMs, worst_probe_ms: await mark() };
    };
    await must({ operation: 'create_table', database: 'data', table: 'big', primary_key: 'id' });
    await must({ operation: 'create_table', database: 'data', table: 'small', primary_key: 'id' });
    await must({ operation: 'insert', database: 'data', table: 'small', records: [{ id: 1 }] });
    await fill();
    probe = new Worker(new URL('./stall-probe.js', import.meta.url), {
      workerData: { url: node.url, authorization: `Basic ${Buffer.from(`${node.user}:${node.password}`).toString('base64')}` },
    });
    // A failed probe fails the run (at the next mark), and the node is still stopped.
    let probeError: unknown = null;
    probe.on('error', (err) => { probeError = err; });
    const checked = () => { if (probeError) throw probeError; };
    const out: Record<string, Stall> = {};
    out.first_search_builds_index = await measure({ operation: 'search_by_value', database: 'data', table: 'big', attribute: 'pressure', value: -1, get_attributes: ['id'] });
    out.search_every_row = await measure({ operation: 'search_by_value', database: 'data', table: 'big', attribute: 'id', value: '*', get_attributes: ['*'] });
    out.rest_get_every_row = await measure('/data/big/');
    // The first SQL statement loads the parser (once per process): not a long operation, kept out of the figures.
    await must({ operation: 'sql', sql: 'SELECT id FROM data.small WHERE id = 1' });
    out.sql_select_every_row = await measure({ operation: 'sql', sql: 'SELECT * FROM data.big' });
    out.sql_group_by_every_row = await measure({ operation: 'sql', sql: 'SELECT machine_id, COUNT(*), AVG(temperature), MAX(pressure) FROM data.big GROUP BY machine_id' });
    out.sql_order_by_unindexed_limit = await measure({ operation: 'sql', sql: 'SELECT * FROM data.big ORDER BY temperature DESC LIMIT 10' });
    out.sql_join = await measure({ operation: 'sql', sql: 'SELECT b.id, s.id AS s_id FROM data.big AS b LEFT JOIN data.small AS s ON b.machine_id = s.id WHERE b.id > 0' });
    out.sql_update_every_row = await measure({ operation: 'sql', sql: 'UPDATE data.big SET weight = 1 WHERE id > 0' });
    out.drop_attribute = await measure({ operation: 'drop_attribute', database: 'data', table: 'big', attribute: 'temperature' });
    out.sql_delete_every_row = await measure({ operation: 'sql', sql: 'DELETE FROM data.big WHERE id > 0' });
    await fill();
    out.drop_table = await measure({ operation: 'drop_table', database: 'data', table: 'big' });
    return out;
  } finally {
    await probe?.terminate();
    await node.stop();
  }
}

/** `npm run bench -- --only stalls`: medians of runs, per operation. */
export async function runStallsBench(o: { rows: number; runs: number }): Promise<Record<string, unknown>> {
  const runs: Record<string, Stall>[] = [];
  for (let i = 0; i < o.runs; i++) runs.push(await runStallsOnce(o.rows));
  const medians: Record<string, Stall> = {};
  for (const name of Object.keys(runs[0]!)) {
    medians[name] = { op_ms: median(runs.map((r) => r[name]!.op_ms)), worst_probe_ms: median(runs.map((r) => r[name]!.worst_probe_ms)) };
  }
  return {
    what: `operations on a ${o.rows}-row table: how long each took, and the slowest search_by_id on another table meanwhile (until ${AFTER_MS} ms after it answered)`,
    ...medians, runs,
  };
}

if (process.argv[1]?.endsWith('stalls.js')) {
  process.stdout.write(`${JSON.stringify(await runStallsOnce(Number(process.argv[2] ?? 300_000)), null, 1)}\n`);
}
