/** Unit tests of the Studio's sink_status reader (studio/src/lib/sinks.ts). */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeSinkStatus, sinkHealth } from '../../studio/src/lib/sinks.js';

test('sink_status answers become rows; missing fields become null, junk becomes nothing', () => {
  const rows = normalizeSinkStatus({ sinks: [{ name: 'wh', state: 'stalled', target: 'postgres://u:********@h/db', backlog_rows: 12, lag_ms: 900, rows_written: 5, bytes_written: 100, last_error: 'connect ECONNREFUSED', tables: [{ database: 'd', table: 't', target: 'd.t', state: 'catching_up', backlog_rows: 12, lag_ms: 900 }] }, { state: 7 }] });
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0]!.tables, [{ table: 'd.t', target: 'd.t', state: 'catching_up', backlogRows: 12, lagMs: 900 }]);
  assert.equal(rows[0]!.lastError, 'connect ECONNREFUSED');
  assert.deepEqual(rows[1], { name: '(unnamed)', state: 'unknown', target: null, backlogRows: null, lagMs: null, rowsWritten: null, bytesWritten: null, lastError: null, tables: [] });
  assert.deepEqual(normalizeSinkStatus(null), []);
  assert.deepEqual(normalizeSinkStatus({ sinks: 'x' }), []);
});

test('sink states map to the badge colours of the Cluster page', () => {
  assert.equal(sinkHealth('streaming'), 'ok');
  assert.equal(sinkHealth('catching_up'), 'busy');
  assert.equal(sinkHealth('unauthorized'), 'bad');
  assert.equal(sinkHealth('stalled'), 'bad');
  assert.equal(sinkHealth('new-state'), 'unknown');
});
