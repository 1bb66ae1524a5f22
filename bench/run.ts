/**
 * `npm run --silent bench`: runs the benchmarks and prints one JSON summary on stdout (progress
 * on stderr). Options: --only node|replication|auth, --quick (fewer rows, shorter runs), --runs N.
 */
import { parseArgs } from 'node:util';
import { runAuthBench } from './auth.js';
import { runNodeBench } from './node.js';
import { runReplicationBench } from './replication.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, runs: { type: 'string' } } });
if (values.only !== undefined && !['node', 'replication', 'auth'].includes(values.only)) {
  process.stderr.write(`--only takes node, replication or auth, not '${values.only}'\n`);
  process.exit(2);
}
const quick = values.quick ?? false;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const summary: Record<string, unknown> = { started: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };

if (!values.only || values.only === 'node') {
  summary.node = await runNodeBench({ runs, records: quick ? 20_000 : 100_000, batch: 1000, clients: 16, durationMs: quick ? 3000 : 10_000 });
}
if (!values.only || values.only === 'auth') summary.auth = await runAuthBench({ runs, clients: 16, durationMs: quick ? 2000 : 5000, fill: quick ? 20_000 : 50_000 });
if (!values.only || values.only === 'replication') summary.replication = await runReplicationBench({ quick, runs });
summary.finished = new Date().toISOString();
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
