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
import { countEntries, estimateIndexRows, indexKeysOfPath, keySpanOf, readPath, type AccessPath, type Probe } from '../../src/sql/access.js';
import type { IndexKey } from '../../src/records/index-keys.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

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

  // 1..400: 400 entries (id 300 three times), all in the span [1, 400] guessed from the lowest and highest values
  const clustered = keySpanOf(records, def, 'v', range(1, 400));
  assert.ok(clustered && clustered.start === 1 && clustered.end > 400 && clustered.end < 400.001 && clustered.entries === 402, JSON.stringify(clustered));
  assert.deepEqual(ids(range(1, 400)), Array.from({ length: 400 }, (_, k) => k + 1), 'each record once, in key order');
  // a number literal also probes the (here empty) string section: the span still comes from the number range
  const withStrings: Probe[] = [...range(1, 400), { kind: 'range', section: 'string' }, { kind: 'range', section: 'boolean' }];
  assert.deepEqual(keySpanOf(records, def, 'v', withStrings), clustered);
  // 500..1000 matches the even ids only: 251 entries in a span of 501 records -> fetched by key
  assert.equal(keySpanOf(records, def, 'v', range(500, 1000)), null);
  assert.deepEqual(ids(range(500, 1000)), Array.from({ length: 251 }, (_, k) => 500 + 2 * k));
  // fewer than 64 entries: by key
  assert.equal(keySpanOf(records, def, 'v', range(10, 50)), null);
  assert.equal(ids(range(10, 50)).length, 41);
  // a guess that misses a key: g holds v = id for ids 1..200 and id 5000 with v = 50.5. The span [1, 200] comes
  // from the lowest and highest values; reading it meets 200 of the 201 entries, so the index is read again and
  // id 5000, outside the span, is fetched by key (and no key inside the span a second time)
  const gt = records.createTable('dev', 'g', 'id', ['v']);
  await records.insert(gt, [...Array.from({ length: 200 }, (_, k) => ({ id: k + 1, v: k + 1 })), { id: 5000, v: 50.5 }, { id: 6000, v: 999 }], 'u');
  const gs = keySpanOf(records, gt, 'v', range(1, 200));
  assert.ok(gs && gs.start === 1 && gs.end > 200 && gs.end < 200.001 && gs.entries === 201, JSON.stringify(gs));
  const read = [...readPath(records, gt, path(range(1, 200)))].filter((r): r is RecordData => r !== null).map((r) => r.id as number);
  assert.deepEqual(read, [...Array.from({ length: 200 }, (_, k) => k + 1), 5000]);

  // string primary keys are never read as a span
  const named = records.createTable('dev', 'named', 'name', ['v']);
  await records.insert(named, Array.from({ length: 100 }, (_, k) => ({ name: `n${String(k).padStart(3, '0')}`, v: k })), 'u');
  assert.equal(keySpanOf(records, named, 'v', range(0, 99)), null);

  // native counts agree with reading the entries, for every probe shape and type section
  const mixed = records.createTable('dev', 'mixed', 'id', ['w']);
  const values: unknown[] = [false, true, true, -Number.MAX_VALUE, -1.5, 0, 0, 2, 2, 3.25, Number.MAX_VALUE, '', 'a', 'a', 'a\u0000', 'ab', 'b', 'x'.repeat(250), '\uffff', [1, 2, 'a'], null];
  await records.insert(mixed, values.map((w, id) => ({ id, w })), 'u');
  const b = (value: IndexKey, inclusive: boolean) => ({ value, inclusive });
  const shapes: Probe[] = [
    { kind: 'range', section: 'boolean' }, { kind: 'range', section: 'number' }, { kind: 'range', section: 'string' },
    { kind: 'range', section: 'number', low: b(0, false) }, { kind: 'range', section: 'number', low: b(0, true), high: b(2, true) },
    { kind: 'range', section: 'number', high: b(2, false) }, { kind: 'range', section: 'string', low: b('a', false), high: b('b', true) },
    { kind: 'range', section: 'string', low: b('a', true), high: b('b', false) }, { kind: 'range', section: 'boolean', low: b(false, false) },
    { kind: 'key', value: 'a' }, { kind: 'key', value: 2 }, { kind: 'key', value: true }, { kind: 'key', value: false }, { kind: 'key', value: 'x'.repeat(200) },
  ];
  for (const p of shapes) assert.equal(countEntries(records, mixed, 'w', [p]), [...indexKeysOfPath(records, mixed, 'w', [p], false)].length, JSON.stringify(p));

  // estimates: interpolated number ranges, counted keys
  assert.equal(estimateIndexRows(records, def, 'v', range(1, 400)) > 0, true);
  assert.equal(estimateIndexRows(records, def, 'v', [{ kind: 'key', value: 300 }]), 1);
  assert.equal(estimateIndexRows(records, def, 'v', [{ kind: 'key', value: 299.5 }]), 1);
  assert.equal(estimateIndexRows(records, def, 'v', [{ kind: 'range', section: 'string' }]), 0);
});
