import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { CursorStore } from '../../src/replication/cursor-store.js';
import { decodeFrame } from '../../src/replication/protocol/frame-codec.js';
import { FRAME_TYPES } from '../../src/replication/protocol/messages.js';
import { Sender } from '../../src/replication/sender.js';
import { waitFor } from '../helpers/wait-for.js';
import { startClusterNode } from './helpers/cluster.js';

const LIMITS = { maxRows: 100, maxBytes: 1 << 20, lingerMs: 0, maxInFlight: 4 };

function sender(n: Awaited<ReturnType<typeof startClusterNode>>, trimmed: () => number, t: import('node:test').TestContext, onBatch?: (header: { last: number; snap?: { at: number; done: boolean } }) => void) {
  const cursors = {
    trimmed, acked: () => undefined, counters: () => ({}), setAcked: async () => undefined, putCounters: async () => undefined,
  } as unknown as CursorStore;
  const notices: [string, string][] = [];
  let sends = 0;
  const s: Sender = new Sender({
    records: n.node.services.records, cursors, logger: pino({ level: 'silent' }), limits: LIMITS, compression: 0, link: 'in:sub', peer: 'sub',
    stallMs: 30_000, isOpen: () => true, fail: () => assert.fail('the link must not be closed'),
    notice: (_db, _t, state, message) => notices.push([state, message]),
    send: (frame) => {
      sends++;
      const f = decodeFrame(frame);
      if (f.type === FRAME_TYPES.BATCH) onBatch?.(f.header as never);
      if (f.type === FRAME_TYPES.BATCH) queueMicrotask(() => s.onAck({ type: FRAME_TYPES.ACK, db: 'd', table: 't', id: f.header.id, last: f.header.last }));
    },
  }, { type: FRAME_TYPES.SUB, db: 'd', table: 't', after: null });
  t.after(() => s.close());
  return { s, notices, sends: () => sends };
}

async function table(t: import('node:test').TestContext) {
  const n = await startClusterNode(t, { name: 'pub', clustering: false });
  await n.op({ operation: 'create_database', database: 'd' });
  await n.op({ operation: 'create_table', database: 'd', table: 't', primary_key: 'id' });
  await n.op({ operation: 'insert', database: 'd', table: 't', records: [{ id: 1 }, { id: 2 }] });
  return n;
}

test('a resync that ends below a trim that did not move is detected, reported and not repeated', async (t) => {
  const n = await table(t);
  // Simulates the bug: the scan starts from a smaller trimmed position than the stream then sees.
  let calls = 0;
  const { s, notices, sends } = sender(n, () => (++calls >= 3 && calls % 2 === 1 ? 5000 : 0), t);
  s.start();
  await waitFor(() => s.state === 'error', { what: 'the stream to give up' });
  assert.equal(s.resyncs, 1);
  assert.match(String(s.error), /resync loop detected/);
  assert.ok(notices.some(([st, m]) => st === 'error' && /resync loop/.test(m)), JSON.stringify(notices));
  const sent = sends();
  s.kick();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sends(), sent, 'nothing more is sent once the loop was detected');
});

test('a trim that keeps moving ahead of the stream resyncs again each time, warns once retention is too small, and then streams', async (t) => {
  const n = await table(t);
  // Each time a resync (or the initial sync) finishes, retention has trimmed past its end again, four times.
  let trim = 0, moves = 0;
  const { s, notices } = sender(n, () => trim, t, (h) => {
    if (h.snap?.done && moves < 4) { moves++; trim = h.snap.at + 10 * moves; }
  });
  s.start();
  await waitFor(() => moves === 4 && s.state === 'streaming', { what: 'streaming once the trim stops moving' });
  assert.equal(s.resyncs, 4, 'one resync per move of the trim, none more');
  assert.equal(s.error ?? null, null, 'a moving trim is not a loop');
  assert.ok(notices.some(([st, m]) => st === 'resync_required' && /resyncs in a row/.test(m)), JSON.stringify(notices));
  assert.ok(!notices.some(([st]) => st === 'error'));
  // Once the trim stays put, nothing starts another resync.
  s.kick();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.resyncs, 4);
  assert.equal(s.state, 'streaming');
});
