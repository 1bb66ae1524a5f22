/**
 * Worker thread of the stalls bench: a search_by_id every 5 ms on a small table, so the slowest
 * answer shows how long other requests waited. In its own thread, so the bench's main thread
 * parsing a large response is not counted as the node's stall. Each 'mark' message is answered
 * with the slowest answer since the previous one ({ worst_ms }); the bench terminates the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { url, authorization } = workerData as { url: string; authorization: string };
const body = JSON.stringify({ operation: 'search_by_id', database: 'data', table: 'small', ids: [1] });
let worst = 0;
parentPort!.on('message', (m) => {
  if (m === 'mark') { parentPort!.postMessage({ worst_ms: Math.round(worst) }); worst = 0; }
});
for (;;) {
  const t = performance.now();
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  await r.text();
  if (r.status !== 200) throw new Error(`probe answered ${r.status}`);
  worst = Math.max(worst, performance.now() - t);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
