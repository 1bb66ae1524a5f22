import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeJsonRows } from '../../src/operations/handlers/export.js';
import { RowStream, type Row } from '../../src/operations/row-stream.js';

async function* batches(list: Row[][], failAt = -1): AsyncGenerator<Row[]> {
  for (let i = 0; i < list.length; i++) {
    if (i === failAt) throw new Error('the table was dropped');
    yield list[i]!;
  }
}

test('a RowStream skips empty batches, maps rows, settles finished, and can be read once', async () => {
  const rows = new RowStream(batches([[{ id: 1 }], [], [{ id: 2 }, { id: 3 }]]));
  const mapped = rows.map((r) => ({ id: (r.id as number) * 10 }));
  const seen: Row[][] = [];
  for await (const b of mapped) seen.push(b);
  assert.deepEqual(seen, [[{ id: 10 }], [{ id: 20 }, { id: 30 }]]);
  await mapped.finished;
  await rows.finished;
  await assert.rejects(mapped.toArray(), /read once/);
});

test('export to JSON writes the bytes of JSON.stringify, and a read that fails part-way leaves no file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const list = [[{ id: 1, s: 'a"b' }], [{ id: 2, n: null }], [{ id: 3, o: { k: [1] } }]];
  assert.equal(await writeJsonRows(join(dir, 'ok.json'), new RowStream(batches(list))), 3);
  assert.equal(readFileSync(join(dir, 'ok.json'), 'utf8'), JSON.stringify(list.flat()));
  assert.equal(await writeJsonRows(join(dir, 'empty.json'), new RowStream(batches([]))), 0);
  assert.equal(readFileSync(join(dir, 'empty.json'), 'utf8'), '[]');
  await assert.rejects(writeJsonRows(join(dir, 'cut.json'), new RowStream(batches(list, 2))), /dropped/);
  assert.equal(existsSync(join(dir, 'cut.json')), false);
});
