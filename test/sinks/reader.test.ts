import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChangeLog } from '../../src/changelog/changelog.js';
import { BatchCollector, collapseEntries, isInsertOnly } from '../../src/sinks/rows.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

test('ChangeLog.scanAfter visits what readAfter yields (stored values, same limits); a batch collected from it equals the collapsed entries', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-sink-reader-'));
  const engine = openLmdbEngine({ path: dir });
  t.after(async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); });
  const log = new ChangeLog(engine, 'n1');
  const ops = ['insert', 'update', 'upsert', 'delete'] as const;
  engine.transactionSync(() => {
    for (let i = 0; i < 300; i++) {
      // Two tables interleaved (gaps in positions); keys repeat so batches collapse.
      log.append('d', 't', 1000 + i, i % 3 ? 'n1' : 'n2', 0, i < 100 ? 'insert' : ops[i % 4]!, i % 40, i % 4 === 3 && i >= 100 ? null : { id: i % 40, v: i }, 'admin');
      if (i % 7 === 0) log.append('d', 'u', 5000 + i, 'n1', 0, 'insert', i, { id: i }, null);
    }
    log.savePosition();
  });
  const seqs = [...log.readAfter('d', 't', 0)].map((e) => e.seq);
  for (const [after, limit] of [[0, 50], [0, 100], [seqs[60]!, 100], [seqs[150]!, 500], [seqs.at(-1)!, 10]] as const) {
    const entries = [...log.readAfter('d', 't', after, limit)];
    const visited: number[] = [];
    const c = new BatchCollector();
    const n = log.scanAfter('d', 't', after, limit, (seq, v) => { visited.push(seq); c.add(seq, v); });
    assert.equal(n, entries.length);
    assert.deepEqual(visited, entries.map((e) => e.seq));
    assert.equal(c.entries, entries.length);
    assert.deepEqual(c.rows(), collapseEntries(entries));
    assert.equal(c.insertOnly, isInsertOnly(entries));
    if (entries.length) assert.deepEqual([c.lastSeq, c.lastHlc], [entries.at(-1)!.seq, entries.at(-1)!.hlc]);
  }
  // The first 100 entries are inserts of 40 keys: insert-only, collapsed to the 40 last changes.
  const c = new BatchCollector();
  log.scanAfter('d', 't', 0, 100, (seq, v) => c.add(seq, v));
  assert.equal(c.insertOnly, true);
  assert.equal(c.rows().length, 40);
  assert.ok(c.rows().some((r) => r.origin === 'n2'));
});
