/**
 * `npm run bench`: runs the benchmarks and prints one JSON summary on stdout (progress on
 * stderr). Options: --only node|replication, --quick (fewer rows, shorter runs), --runs N.
 */
import { parseArgs } from 'node:util';
import { runNodeBench } from './node.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, runs: { type: 'string' } } });
const quick = values.quick ?? false;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const summary: Record<string, unknown> = { started: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };

if (!values.only || values.only === 'node') {
  summary.node = await runNodeBench({ runs, records: quick ? 20_000 : 100_000, batch: 1000, clients: 16, durationMs: quick ? 3000 : 10_000 });
}
if (!values.only || values.only === 'replication') {
  const modulePath = './replication.js';
  const replication = await import(modulePath).catch(() => null) as { runReplicationBench?: (o: { quick?: boolean }) => Promise<Record<string, unknown>> } | null;
  summary.replication = replication?.runReplicationBench ? await replication.runReplicationBench({ quick }) : { skipped: 'bench/replication.ts not present' };
}
summary.finished = new Date().toISOString();
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
