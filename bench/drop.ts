/**
 * drop_table of a large table while other requests run: how long the drop takes to answer and
 * the slowest `search_by_id` on another table from the drop until its change log is gone (the
 * entries are removed after the drop, in small transactions; see src/changelog/DESIGN.md).
 * A node process per run; rows written through the operations API, change log included.
 * Run alone: `node dist/bench/drop.js [rows]`.
 */
import { opsClient } from '../test/helpers/http-client.js';
import { startNode } from '../test/helpers/node-process.js';
import { median, sensorRow } from './load.js';

/** How long the probe keeps going after the drop answered: past the end of the purge. */
const PROBE_AFTER_MS = 3000;

export async function runDropOnce(rows: number): Promise<{ rows: number; drop_ms: number; worst_probe_ms: number; probes: number }> {
  const node = await startNode({ env: { LOG_LEVEL: 'warn' } });
  try {
    const op = opsClient(node.url, node.user, node.password);
    const must = async (body: Record<string, unknown>) => {
      const r = await op(body);
      if (r.status !== 200) throw new Error(`${String(body.operation)} failed: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    };
    await must({ operation: 'create_table', database: 'data', table: 'big', primary_key: 'id' });
    await must({ operation: 'create_table', database: 'data', table: 'small', primary_key: 'id' });
    await must({ operation: 'insert', database: 'data', table: 'small', records: [{ id: 1 }] });
    for (let i = 1; i <= rows; i += 5000) {
      const records = [];
      for (let id = i; id < Math.min(rows + 1, i + 5000); id++) records.push(sensorRow(id));
      await must({ operation: 'insert', database: 'data', table: 'big', records });
    }
    let stop = false, worst = 0, probes = 0;
    const probe = (async () => {
      while (!stop) {
        const t = performance.now();
        await must({ operation: 'search_by_id', database: 'data', table: 'small', ids: [1] });
        worst = Math.max(worst, performance.now() - t);
        probes++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await must({ operation: 'drop_table', database: 'data', table: 'big' });
    const dropMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, PROBE_AFTER_MS));
    stop = true;
    await probe;
    return { rows, drop_ms: Math.round(dropMs), worst_probe_ms: Math.round(worst), probes };
  } finally {
    await node.stop();
  }
}

/** `npm run bench -- --only drop`: medians of runs. */
export async function runDropBench(o: { rows: number; runs: number }): Promise<Record<string, unknown>> {
  const runs = [];
  for (let i = 0; i < o.runs; i++) runs.push(await runDropOnce(o.rows));
  return {
    what: `drop_table of a ${o.rows}-row table; the slowest search_by_id on another table from the drop until ${PROBE_AFTER_MS} ms after it answered`,
    drop_ms: median(runs.map((r) => r.drop_ms)), worst_probe_ms: median(runs.map((r) => r.worst_probe_ms)), runs,
  };
}

if (process.argv[1]?.endsWith('drop.js')) {
  process.stdout.write(`${JSON.stringify(await runDropOnce(Number(process.argv[2] ?? 1_000_000)))}\n`);
}
