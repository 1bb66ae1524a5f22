/**
 * Pipelined group commit: with 16 concurrent single-row writers and the node killed with
 * SIGKILL the moment an acknowledgement arrives (writes still in flight), every write the node acknowledged is there after a
 * restart (with its change-log entry), and nothing unacknowledged is half there.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { opsClient, type Op } from '../helpers/http-client.js';
import { startNode } from '../helpers/node-process.js';

const WRITERS = 16;
const TARGET = 2000;

test('kill -9 under 16 concurrent writers loses no acknowledged write', async (t) => {
  const first = await startNode({ cleanup: false });
  t.after(() => rmSync(first.rootPath, { recursive: true, force: true }));
  const op = opsClient(first.url, first.user, first.password);
  assert.equal((await op({ operation: 'create_table', database: 'dev', table: 'reading', primary_key: 'id' })).status, 200);

  const acked: number[] = [];
  let inFlight = 0, maxInFlight = 0, inFlightAtKill = 0, killed = false;
  const writer = async (w: number, write: Op) => {
    for (let i = 0; !killed; i++) {
      const id = w * 1_000_000 + i;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const r = await write({ operation: 'insert', database: 'dev', table: 'reading', records: [{ id, writer: w, n: i }] });
        if (r.status === 200 && !killed) {
          assert.deepEqual(r.body.inserted_hashes, [id]);
          acked.push(id);
          // Kill the moment an acknowledgement arrives: an ack sent before its commit was
          // durable would be lost with the commit still running.
          if (acked.length === TARGET) {
            killed = true;
            inFlightAtKill = inFlight - 1;
            process.kill(first.pid, 'SIGKILL');
          }
        }
      } catch {
        return; // the node is gone
      } finally {
        inFlight--;
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w + 1, opsClient(first.url, first.user, first.password)));
  const deadline = Date.now() + 90_000;
  while (!killed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(killed, `only ${acked.length} writes were acknowledged in 90 s`);
  await first.kill();
  await Promise.all(writers);
  assert.ok(inFlightAtKill > 0 && maxInFlight >= WRITERS / 2, `writes were in flight at the kill (${inFlightAtKill}, at most ${maxInFlight})`);

  const second = await startNode({ rootPath: first.rootPath, cleanup: false });
  t.after(() => second.stop());
  const op2 = opsClient(second.url, second.user, second.password);
  const count = (await op2({ operation: 'describe_table', database: 'dev', table: 'reading' })).body.record_count as number;
  assert.ok(count >= acked.length, `${count} records stored, ${acked.length} acknowledged`);
  for (let i = 0; i < acked.length; i += 1000) {
    const ids = acked.slice(i, i + 1000);
    const rows = (await op2({ operation: 'search_by_id', database: 'dev', table: 'reading', ids, get_attributes: ['id', 'writer', 'n'] })).body as { id: number; writer: number; n: number }[];
    const found = new Set(rows.map((r) => r.id));
    const lost = ids.filter((id) => !found.has(id));
    assert.deepEqual(lost, [], 'acknowledged writes missing after kill -9');
    for (const r of rows) assert.deepEqual([r.writer, r.n], [Math.floor(r.id / 1_000_000), r.id % 1_000_000]);
  }
  // every stored row, acknowledged or not, has its change-log entry (same transaction)
  const log = (await op2({ operation: 'read_audit_log', database: 'dev', table: 'reading', limit: count + 100 })).body as unknown[];
  assert.equal(log.length, count);
});
