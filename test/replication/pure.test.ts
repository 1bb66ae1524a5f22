import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChangeEntry } from '../../src/changelog/entry.js';
import { backoffDelay } from '../../src/replication/backoff.js';
import { incomingWins, selectFresh } from '../../src/replication/conflict.js';
import { mirrorOf, parseSubscriptions, toWire } from '../../src/replication/peers.js';
import { closeCodeName, CLOSE_CODES } from '../../src/replication/protocol/close-codes.js';

test('back-off grows exponentially, is jittered, and stays within [min/2, max]', () => {
  const opts = { minMs: 100, maxMs: 5000 };
  assert.equal(backoffDelay(0, opts, () => 0), 50);
  assert.equal(backoffDelay(0, opts, () => 0.999999), 100);
  assert.equal(backoffDelay(3, opts, () => 0), 400);
  assert.equal(backoffDelay(3, opts, () => 0.5), 600);
  assert.equal(backoffDelay(50, opts, () => 0.999999), 5000);
  assert.equal(backoffDelay(50, opts, () => 0), 2500);
  for (let a = 0; a < 40; a++) {
    const d = backoffDelay(a, opts);
    assert.ok(d >= 50 && d <= 5000, String(d));
  }
});

test('conflict rule: greater hlc wins, then greater origin; equal versions do not re-apply', () => {
  assert.equal(incomingWins({ hlc: 2, origin: 'a' }, { hlc: 1, origin: 'z' }), true);
  assert.equal(incomingWins({ hlc: 1, origin: 'z' }, { hlc: 2, origin: 'a' }), false);
  assert.equal(incomingWins({ hlc: 5, origin: 'hq' }, { hlc: 5, origin: 'edge' }), true);
  assert.equal(incomingWins({ hlc: 5, origin: 'edge' }, { hlc: 5, origin: 'hq' }), false);
  assert.equal(incomingWins({ hlc: 5, origin: 'edge' }, { hlc: 5, origin: 'edge' }), false);
  assert.equal(incomingWins({ hlc: 1, origin: 'a' }, undefined), true);
});

const e = (origin: string, originSeq: number): ChangeEntry => ({ seq: 1, hlc: 1, origin, originSeq, database: 'd', table: 't', op: 'upsert', key: 1, record: {}, user: null });

test('receiver skips its own entries and entries at or below the applied origin sequence', () => {
  const applied: Record<string, number> = { edge: 10, region: 5 };
  const r = selectFresh([e('edge', 9), e('edge', 10), e('edge', 11), e('hq', 3), e('region', 4), e('region', 6), e('region', 6), e('edge', 12), e('x', 0), e('x', 0)], 'hq', 'edge', (o) => applied[o] ?? 0);
  assert.deepEqual(r.fresh.map((x) => `${x.origin}:${x.originSeq}`), ['edge:11', 'region:6', 'region:6', 'edge:12', 'x:0', 'x:0']);
  assert.equal(r.duplicates, 4);
  // Only the peer's own entries raise its mark: entries it relays from others are checked against theirs (region:4
  // is skipped) but leave them alone, and go to the last-writer-wins check.
  assert.deepEqual([...r.highest], [['edge', 12]]);
});

test('a relayed entry with a large origin sequence never raises the origin\'s mark (issue 8: rows skipped after a resync)', () => {
  const applied: Record<string, number> = { edge2: 40 };
  // From edge1: a row of edge2 carrying a big sequence that did not come from edge2's log.
  const relayed = selectFresh([e('edge2', 3001)], 'hq', 'edge1', (o) => applied[o] ?? 0);
  assert.equal(relayed.fresh.length, 1);
  assert.equal(relayed.highest.size, 0);
  // edge2's next rows, straight from edge2, are fresh.
  const direct = selectFresh([e('edge2', 41), e('edge2', 42)], 'hq', 'edge2', (o) => applied[o] ?? 0);
  assert.equal(direct.fresh.length, 2);
  assert.deepEqual([...direct.highest], [['edge2', 42]]);
});

test('subscriptions parse in the 3.x and 4.x shapes and reject bad input', () => {
  assert.deepEqual(parseSubscriptions([{ channel: 'dev:dog', publish: true, subscribe: false }]), [{ database: 'dev', table: 'dog', publish: true, subscribe: false }]);
  assert.deepEqual(parseSubscriptions([{ schema: 'dev', table: 'dog', publish: false, subscribe: true, start_time: '2024-01-01T00:00:00Z' }]), [{ database: 'dev', table: 'dog', publish: false, subscribe: true, startTime: Date.parse('2024-01-01T00:00:00Z') }]);
  assert.deepEqual(parseSubscriptions(undefined), []);
  for (const bad of ['x', [{ channel: 'system:users', publish: true, subscribe: true }], [{ channel: 'hdb_internal:x', publish: true, subscribe: true }], [{ channel: 'nocolon', publish: true, subscribe: true }], [{ channel: 'a:b', publish: 'yes', subscribe: true }], [{ channel: 'a:b', publish: true }], [{ database: 'a', publish: true, subscribe: true }], [{ channel: 'a:b', publish: true, subscribe: true, start_time: 'not a date' }]]) {
    assert.throws(() => parseSubscriptions(bad), /./, JSON.stringify(bad));
  }
  const s = { database: 'd', table: 't', publish: true, subscribe: false, startTime: 7 };
  assert.deepEqual(mirrorOf(toWire(s)), { database: 'd', table: 't', publish: false, subscribe: true, startTime: 7 });
});

test('close codes are application codes with names', () => {
  for (const c of Object.values(CLOSE_CODES)) { assert.ok(c >= 4000 && c <= 4999); assert.notEqual(closeCodeName(c), `code ${c}`); }
});
