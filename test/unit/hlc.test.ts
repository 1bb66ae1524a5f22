import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HybridClock, hlcToMillis, isNewer } from '../../src/changelog/hlc.js';

test('ticks always increase, even when the wall clock stands still or goes back', () => {
  let now = 1_000;
  const clock = new HybridClock(() => now);
  const a = clock.tick(), b = clock.tick();
  now = 900;
  const c = clock.tick();
  now = 2_000;
  const d = clock.tick();
  assert.ok(a < b && b < c && c < d);
  assert.equal(hlcToMillis(a), 1_000);
  assert.equal(hlcToMillis(d), 2_000);
});

test('observing a peer timestamp moves the clock past it', () => {
  const clock = new HybridClock(() => 1_000);
  clock.observe(5_000_123);
  assert.ok(clock.tick() > 5_000_123);
  clock.observe(Number.NaN);
  assert.ok(clock.tick() > 5_000_124);
});

test('the conflict rule orders by timestamp, then origin name, the same everywhere', () => {
  assert.equal(isNewer(2, 'a', 1, 'z'), true);
  assert.equal(isNewer(1, 'z', 2, 'a'), false);
  assert.equal(isNewer(5, 'hq', 5, 'edge'), true);
  assert.equal(isNewer(5, 'edge', 5, 'hq'), false);
  assert.equal(isNewer(5, 'edge', 5, 'edge'), false);
});
