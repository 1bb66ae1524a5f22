/**
 * `npm run --silent bench`: runs the benchmarks and prints one JSON summary on stdout (progress
 * on stderr). Options: --only <name> (one of BENCHES), --quick (fewer rows, shorter runs), --runs N.
 */
import { parseArgs } from 'node:util';
import { runApplyBench } from './apply-cost.js';
import { runAuthBench } from './auth.js';
import { runCompare } from './compare.js';
import { runIngestBench } from './ingest.js';
import { runNodeBench } from './node.js';
import { runReplicationBench } from './replication.js';
import { runSinkBench } from './sink.js';
import { runSqlBench } from './sql.js';
import { runStallsBench } from './stalls.js';
import { runStartBench } from './start.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, runs: { type: 'string' } } });
const quick = values.quick ?? false;
const runs = Number(values.runs ?? (quick ? 1 : 3));

/** Every benchmark, in the order a full run takes them (one line each). */
const BENCHES: Record<string, () => Promise<unknown>> = {
  node: () => runNodeBench({ runs, records: quick ? 20_000 : 100_000, batch: 1000, clients: 16, durationMs: quick ? 3000 : 10_000 }),
  auth: () => runAuthBench({ runs, clients: 16, durationMs: quick ? 2000 : 5000, fill: quick ? 20_000 : 50_000 }),
  replication: () => runReplicationBench({ quick, runs }),
  // the receiving half of catch-up alone (decode + apply), issue 14 target 3
  apply: () => runApplyBench({ rows: quick ? 50_000 : 200_000, runs }),
  ingest: () => runIngestBench({ quick, runs }),
  sink: () => runSinkBench({ quick, runs }),
  // FerryDB, the bare node:http + LMDB ceiling and a durable PostgreSQL 15, interleaved, with ratios (issue 14)
  compare: () => runCompare({ rounds: runs, records: quick ? 20_000 : 100_000, clients: 16, durationS: quick ? 3 : 10 }),
  // start-to-ready, empty and with 10 million rows (issue 14 target 4)
  start: () => runStartBench({ runs, rows: quick ? 200_000 : 10_000_000 }),
  // long operations on a big table (drop_table, drop_attribute, SQL UPDATE/DELETE, index build, a full search):
  // how long each took and other requests' worst latency meanwhile
  stalls: () => runStallsBench({ rows: quick ? 50_000 : 300_000, runs }),
  sql: () => runSqlBench({ rows: quick ? 100_000 : 1_000_000, clients: 16, durationMs: quick ? 3000 : 10_000, runs }),
};

if (values.only !== undefined && !(values.only in BENCHES)) {
  process.stderr.write(`--only takes ${Object.keys(BENCHES).join(', ')}, not '${values.only}'\n`);
  process.exit(2);
}
const summary: Record<string, unknown> = { started: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };
for (const [name, run] of Object.entries(BENCHES)) {
  if (!values.only || values.only === name) summary[name] = await run();
}
summary.finished = new Date().toISOString();
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
