/** Unit tests of the Studio's system_information / read_log readers and formatting. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, formatDuration } from '../../studio/src/lib/format.js';
import { flattenLeaves, normalizeLogs, systemFacts } from '../../studio/src/lib/system.js';

describe('studio system information', () => {
  test('systemFacts picks known fields wherever they are and skips absent ones', () => {
    const facts = systemFacts({
      system: { ferrydb_version: '0.1.0', node_name: 'edge', platform: 'linux' },
      time: { process_uptime: 3725 },
      memory: { total: 8 * 1024 ** 3, process_rss: 50 * 1024 ** 2 },
      cpu: { load_average: [0.5, 0.4, 0.3] },
    });
    const byLabel = Object.fromEntries(facts.map((f) => [f.label, f.value]));
    assert.equal(byLabel['Version'], '0.1.0');
    assert.equal(byLabel['Node name'], 'edge');
    assert.equal(byLabel['Process uptime'], '1 h 02 min');
    assert.equal(byLabel['Memory total'], '8.0 GiB');
    assert.equal(byLabel['Process RSS'], '50.0 MiB');
    assert.equal(byLabel['Load average (1 min)'], '0.50');
    assert.equal('Disk size' in byLabel, false);
    assert.deepEqual(systemFacts(null), []);
  });

  test('flattenLeaves lists every scalar with its path and respects the cap', () => {
    assert.deepEqual(flattenLeaves({ a: { b: 1, c: [true, { d: 'x' }] }, e: [] }), [
      { path: 'a.b', value: '1' },
      { path: 'a.c.0', value: 'true' },
      { path: 'a.c.1.d', value: 'x' },
      { path: 'e', value: '[]' },
    ]);
    assert.equal(flattenLeaves({ a: 1, b: 2, c: 3 }, 2).length, 2);
  });

  test('normalizeLogs accepts read_log entries, pino levels and details', () => {
    const lines = normalizeLogs([
      { level: 'warn', message: 'slow', timestamp: '2026-01-02T03:04:05.000Z', details: { ms: 900 } },
      { level: 50, msg: 'boom', time: 0 },
      'plain',
    ]);
    assert.equal(lines[0]!.level, 'warn');
    assert.equal(lines[0]!.message, 'slow {"ms":900}');
    assert.match(lines[0]!.timestamp, /^2026-01-0[12] \d\d:04:05$/);
    assert.equal(lines[1]!.level, 'error');
    assert.equal(lines[2]!.message, 'plain');
    assert.deepEqual(normalizeLogs({ nope: 1 }), []);
  });

  test('formatting helpers', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(null), '–');
    assert.equal(formatDuration(950), '950 ms');
    assert.equal(formatDuration(12_300), '12.3 s');
    assert.equal(formatDuration(245_000), '4 min 05 s');
    assert.equal(formatDuration(2 * 86_400_000 + 4 * 3_600_000), '2 d 04 h');
  });
});
