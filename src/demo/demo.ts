/**
 * `ferrydb demo`: a factory in one command. Starts an edge node and a headquarters node,
 * connects them through a fault proxy with the walkthrough's subscriptions, lets a simulated
 * fleet write sensor rows to the edge, pushes a configuration change from headquarters, cuts
 * the link for a while, and proves at the end that every row arrived exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli/io.js';
import { startCluster, type Owned } from './cluster.js';
import { parseDemoArgs, type DemoOptions } from './options.js';
import { runScenario } from './scenario.js';
import { formatSummary } from './summary.js';
import { compressionRatio, createView, formatBytes, type ViewSink } from './view.js';

export { parseDemoArgs, timeline, walkthroughSubscriptions, type DemoOptions } from './options.js';

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
  --via mqtt|operations  how the fleet sends: MQTT QoS 1 retained publishes to the
                       edge's MQTT port, one per reading (default), or operations-API inserts
  --plain              print plain lines even on a terminal
  --help, -h           show this help

Nodes listen on free ports on 127.0.0.1 and keep their data in a temporary directory
that is removed at the end. Ctrl-C stops the fleet, verifies and cleans up; a second
Ctrl-C stops at once.
`;

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
