/**
 * The clustered-span read of an unordered index range, on real stores: chosen only when the
 * matching primary keys are numbers in a span with few other records, and never losing or
 * repeating a record (array values sit in an index several times).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.js';
import { ChangeLog } from '../../src/changelog/changelog.js';
import type { RecordData } from '../../src/changelog/entry.js';
import { Records } from '../../src/records/records.js';
import { clusteredSpan, estimateIndexRows, readPath, type AccessPath, type Probe } from '../../src/sql/access.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

function drain<T, R>(g: Generator<T, R>): { values: T[]; result: R } {
  const values: T[] = [];
  for (;;) { const r = g.next(); if (r.done) return { values, result: r.value }; values.push(r.value); }
}

test('clustered index ranges read one primary-key span; scattered, string-keyed or small ones fetch by key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-span-'));
  const engine = openLmdbEngine({ path: dir });
  t.after(async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); });
  const records = new Records(engine, new Catalog(engine), new ChangeLog(engine, 'n1'));
  const def = records.createTable('dev', 't', 'id', ['v']);
  // v = id for ids 1..1000, except: odd ids above 500 get v = 5000 + id (scattered), id 300 holds an array
  const rows: RecordData[] = [];
  for (let id = 1; id <= 1000; id++) rows.push({ id, v: id === 300 ? [299.5, 300, 300.5] : id > 500 && id % 2 ? 5000 + id : id });
  await records.insert(def, rows, 'u');
  const range = (lo: number, hi: number): Probe[] => [{ kind: 'range', section: 'number', low: { value: lo, inclusive: true }, high: { value: hi, inclusive: true } }];
  const path = (probes: Probe[]): AccessPath => ({ method: 'index_range', attribute: 'v', probes, reverse: false, spanFetch: true });
  const ids = (probes: Probe[]) => [...readPath(records, def, path(probes))].filter((r): r is RecordData => r !== null).map((r) => r.id as number);

  // 1..400: 400 keys (id 300 three times), all in the span [1, 400]
  const clustered = drain(clusteredSpan(records, def, 'v', range(1, 400)));
  assert.ok(clustered.result && clustered.result.start === 1 && clustered.result.end > 400 && clustered.result.end < 400.001);
  assert.equal(clustered.values.length, 1, 'one pause per 256 keys read');
  const got = ids(range(1, 400));
  assert.deepEqual(got, Array.from({ length: 400 }, (_, k) => k + 1), 'each record once, in key order');

  // 500..1000 matches the even ids only: 251 keys in a span of 501 records -> fetched by key
  assert.equal(drain(clusteredSpan(records, def, 'v', range(500, 1000))).result, null);
  assert.deepEqual(ids(range(500, 1000)), Array.from({ length: 251 }, (_, k) => 500 + 2 * k));
  // fewer than 64 keys: by key
  assert.equal(drain(clusteredSpan(records, def, 'v', range(10, 50))).result, null);
  assert.equal(ids(range(10, 50)).length, 41);

  // string primary keys are never read as a span
  const named = records.createTable('dev', 'named', 'name', ['v']);
  await records.insert(named, Array.from({ length: 100 }, (_, k) => ({ name: `n${String(k).padStart(3, '0')}`, v: k })), 'u');
  assert.equal(drain(clusteredSpan(records, named, 'v', range(0, 99))).result, null);

  // estimates: interpolated number ranges, counted keys
  assert.equal(estimateIndexRows(records, def, 'v', range(1, 400)) > 0, true);
  assert.equal(estimateIndexRows(records, def, 'v', [{ kind: 'key', value: 300 }]), 1);
  assert.equal(estimateIndexRows(records, def, 'v', [{ kind: 'key', value: 299.5 }]), 1);
  assert.equal(estimateIndexRows(records, def, 'v', [{ kind: 'range', section: 'string' }]), 0);
});
