import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sensorRows, startClusterNode } from './helpers/cluster.js';

test('countAfter (backlog_rows) stays exact through appends, trims, restarts and a drop, without a full scan', async (t) => {
  const n = await startClusterNode(t, { name: 'solo', clustering: false });
  await n.op({ operation: 'create_database', database: 'd' });
  await n.op({ operation: 'create_table', database: 'd', table: 't', primary_key: 'id' });
  await n.op({ operation: 'create_table', database: 'd', table: 'u', primary_key: 'id' });
  // Interleave two tables so positions have gaps.
  for (let i = 0; i < 6; i++) {
    await n.op({ operation: 'insert', database: 'd', table: 't', records: sensorRows(1 + i * 1000, 1000) });
    await n.op({ operation: 'insert', database: 'd', table: 'u', records: sensorRows(1 + i * 100, 100) });
  }
  await n.op({ operation: 'delete', database: 'd', table: 't', ids: [1, 2, 3] });
  const check = (label: string) => {
    const log = n.node.services.changelog;
    const seqs = [...log.readTable('d', 't')].map((e) => e.seq);
    const probes = [0, seqs[0]! - 1, seqs[0]!, seqs[1023]!, seqs[1024]!, seqs[2047]!, seqs[3000]!, seqs.at(-2)!, seqs.at(-1)!, seqs.at(-1)! + 5000].filter((x) => x !== undefined);
    for (const p of probes) assert.equal(log.countAfter('d', 't', p), seqs.filter((s) => s > p).length, `${label}: after ${p}`);
  };
  check('appended');
  const log = n.node.services.changelog;
  const seqs = [...log.readTable('d', 't')].map((e) => e.seq);
  await n.node.services.records.engine.transaction(() => log.trimThrough('d', 't', seqs[2500]!));
  check('trimmed');
  await n.op({ operation: 'insert', database: 'd', table: 't', records: sensorRows(10_001, 1500) });
  check('appended after a trim');
  const root = n.rootPath;
  await n.stop();
  t.after(() => n.close());
  const again = await startClusterNode(t, { name: 'solo', clustering: false, rootPath: root });
  const log2 = again.node.services.changelog;
  const all = [...log2.readTable('d', 't')].map((e) => e.seq);
  assert.equal(log2.countAfter('d', 't', 0), all.length, 'after a restart');
  assert.equal(log2.countAfter('d', 't', all[100]!), all.length - 101);
  await again.op({ operation: 'drop_table', database: 'd', table: 't' });
  await again.op({ operation: 'create_table', database: 'd', table: 't', primary_key: 'id' });
  await again.op({ operation: 'insert', database: 'd', table: 't', records: sensorRows(1, 10) });
  assert.equal(log2.countAfter('d', 't', 0), 10, 'a recreated table counts from zero');
  assert.equal(log2.countAfter('d', 'u', 0), 600, 'the other table is untouched');
});

test('countAfter visits at most about a thousand entries however long the backlog is', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openLmdbEngine } = await import('../../src/storage/lmdb-engine.js');
  const { ChangeLog } = await import('../../src/changelog/changelog.js');
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-count-'));
  const engine = openLmdbEngine({ path: dir });
  t.after(async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); });
  // Count the entries every range count spans (the cost of counting in LMDB is linear in them).
  let spanned = 0;
  const counting: typeof engine = Object.assign(Object.create(engine) as typeof engine, {
    openStore: <V>(name: string, opts?: Parameters<typeof engine.openStore>[1]) => {
      const store = engine.openStore<V>(name, opts);
      return new Proxy(store, {
        get(target, prop) {
          if (prop === 'getCount') return (o?: object) => { const n = target.getCount(o as never); if (o) spanned += n; return n; };
          const v = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  });
  const log = new ChangeLog(counting, 'solo');
  const N = 20_000;
  await engine.transaction(() => {
    for (let i = 1; i <= N; i++) log.append('d', 't', 1_700_000_000_000_000 + i, 'solo', 0, 'insert', i, { id: i }, null);
    log.savePosition();
  });
  for (const p of [0, 1, 5_000, 12_345, N - 1, N]) {
    spanned = 0;
    assert.equal(log.countAfter('d', 't', p), N - p);
    assert.ok(spanned <= 1100, `countAfter(${p}) spanned ${spanned} entries`);
  }
});
