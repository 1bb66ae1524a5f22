import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRecords, tempDir } from '../helpers/local-records.js';
import { ChangeLog } from '../../src/changelog/changelog.js';

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, v: `r${from + i}` }));
const keysAfter = (log: ChangeLog, db: string, table: string) => [...log.readAfter(db, table, 0)].map((e) => e.key);

async function filled(dir: string) {
  const o = openRecords(dir);
  // 'a' sorts before 't' and 'z' after it in the log: neither may lose an entry to the purge.
  for (const name of ['a', 't', 'z']) o.records.createTable('dev', name, 'id');
  await o.records.insert(o.records.catalog.getTable('dev', 'a'), rows(1, 10), 'u');
  // 12,000 entries: more than two purge transactions' worth.
  for (let i = 0; i < 12_000; i += 3000) await o.records.insert(o.records.catalog.getTable('dev', 't'), rows(i + 1, 3000), 'u');
  await o.records.insert(o.records.catalog.getTable('dev', 'z'), rows(1, 10), 'u');
  return o;
}

test('a dropped table\'s change log is removed after the drop in small transactions; the table created again sees only its own entries', async (t) => {
  const dir = tempDir(t, 'droplog');
  const { engine, changelog, records } = await filled(dir);
  const oldLast = changelog.lastSeq('dev', 't');
  await records.dropTable('dev', 't');
  // Created again at once, before the old entries are gone.
  const again = records.createTable('dev', 't', 'id');
  await records.insert(again, rows(500_000, 3), 'u');
  assert.deepEqual(keysAfter(changelog, 'dev', 't'), [500_000, 500_001, 500_002]);
  assert.equal(changelog.countAfter('dev', 't', 0), 3);
  assert.equal(changelog.countAfter('dev', 't', changelog.firstSeq('dev', 't')), 2);
  assert.ok(changelog.firstSeq('dev', 't') > oldLast);
  assert.deepEqual([...changelog.readTable('dev', 't', { reverse: true })].map((e) => e.key), [500_002, 500_001, 500_000]);
  assert.equal(changelog.lastSeq('dev', 't'), [...changelog.readAfter('dev', 't', 0)][2]!.seq);
  assert.equal(changelog.trimmedThrough('dev', 't'), oldLast, 'the drop counts as a trim through the old incarnation\'s last entry');

  // Other writes are not held up by the purge: one queued right after it starts commits first.
  let purged = false;
  const purge = changelog.purgeDropped().then(() => { purged = true; });
  await records.insert(records.catalog.getTable('dev', 'a'), rows(100, 1), 'u');
  assert.equal(purged, false, 'the purge takes several transactions, and other writes commit between them');
  await purge;

  // With the purge done no position hides anything: only the new incarnation's entries are left.
  assert.deepEqual(keysAfter(changelog, 'dev', 't'), [500_000, 500_001, 500_002]);
  assert.equal(keysAfter(changelog, 'dev', 'a').length, 11);
  assert.equal(keysAfter(changelog, 'dev', 'z').length, 10);
  // Trimming the new incarnation counts its own entries only.
  await engine.transaction(() => changelog.trimThrough('dev', 't', changelog.firstSeq('dev', 't')));
  assert.equal(changelog.countAfter('dev', 't', 0), 2);
  await engine.close();

  // After a restart, the counts and entries are the same.
  const o2 = openRecords(dir);
  assert.deepEqual(keysAfter(o2.changelog, 'dev', 't'), [500_001, 500_002]);
  assert.equal(o2.changelog.countAfter('dev', 't', 0), 2);
  await o2.engine.close();
});

test('a purge cut short by a stop continues after the restart, and the old entries stay hidden meanwhile', async (t) => {
  const dir = tempDir(t, 'droplog');
  const { engine, changelog, records } = await filled(dir);
  await records.dropTable('dev', 't');
  await changelog.stopPurge(); // after its first transaction at most
  await engine.close();

  const o = openRecords(dir);
  assert.deepEqual(keysAfter(o.changelog, 'dev', 't'), [], 'nothing of the dropped table is visible after the restart');
  assert.equal(o.changelog.countAfter('dev', 't', 0), 0);
  assert.equal(o.changelog.lastSeq('dev', 't'), 0);
  const again = o.records.createTable('dev', 't', 'id');
  await o.records.insert(again, rows(1, 2), 'u');
  assert.deepEqual(keysAfter(o.changelog, 'dev', 't'), [1, 2]);
  assert.equal(o.changelog.countAfter('dev', 't', 0), 2);
  await o.changelog.purgeDropped();
  await o.engine.close();

  const o2 = openRecords(dir);
  assert.deepEqual(keysAfter(o2.changelog, 'dev', 't'), [1, 2], 'no entry of the dropped incarnation is left');
  assert.equal(keysAfter(o2.changelog, 'dev', 'z').length, 10);
  await o2.engine.close();
});

test('dropping the same name again before the first purge ends, and dropping a database, leave no old entry behind', async (t) => {
  const dir = tempDir(t, 'droplog');
  const { engine, changelog, records } = await filled(dir);
  await records.dropTable('dev', 't');
  const second = records.createTable('dev', 't', 'id');
  await records.insert(second, rows(1, 6000), 'u');
  await records.dropTable('dev', 't');
  const third = records.createTable('dev', 't', 'id');
  await records.insert(third, rows(7, 1), 'u');
  assert.deepEqual(keysAfter(changelog, 'dev', 't'), [7]);
  await changelog.purgeDropped();
  assert.deepEqual(keysAfter(changelog, 'dev', 't'), [7]);

  await records.dropDatabase('dev');
  await changelog.purgeDropped();
  for (const name of ['a', 't', 'z']) assert.deepEqual(keysAfter(changelog, 'dev', name), [], `dev.${name}`);
  records.createTable('dev', 'z', 'id');
  assert.equal(changelog.countAfter('dev', 'z', 0), 0);
  await engine.close();
});
