/** Unit tests of the Studio's subscription matrix (studio/src/lib/subscriptions.ts). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addChannelRow,
  buildAddNode,
  buildMatrix,
  buildUpdateInbound,
  parseChannelInput,
  buildUpdateNode,
  describeChanges,
  localChannels,
  setColumn,
  toSubscriptions,
  toggleCell,
  validateNodeInput,
} from '../../studio/src/lib/subscriptions.js';

const describeAll = {
  dev: { dog: { name: 'dog', hash_attribute: 'id' }, cat: { name: 'cat', hash_attribute: 'id' } },
  system: { hdb_user: { name: 'hdb_user', hash_attribute: 'username' } },
  empty: {},
};

describe('studio subscription matrix', () => {
  test('localChannels lists database:table pairs sorted, without system', () => {
    assert.deepEqual(localChannels(describeAll), ['dev:cat', 'dev:dog']);
    assert.deepEqual(localChannels(null), []);
  });

  test('buildMatrix merges current subscriptions and keeps channels this node lacks', () => {
    const rows = buildMatrix(['dev:cat', 'dev:dog'], [{ channel: 'dev:dog', publish: true, subscribe: false }, { channel: 'far:away', publish: false, subscribe: true }]);
    assert.deepEqual(rows, [
      { channel: 'dev:cat', publish: false, subscribe: false, local: true },
      { channel: 'dev:dog', publish: true, subscribe: false, local: true },
      { channel: 'far:away', publish: false, subscribe: true, local: false },
    ]);
  });

  test('toggling and whole-column changes; rows with nothing ticked are not sent', () => {
    let rows = buildMatrix(['dev:cat', 'dev:dog'], []);
    rows = toggleCell(rows, 'dev:dog', 'subscribe');
    assert.deepEqual(toSubscriptions(rows), [{ channel: 'dev:dog', publish: false, subscribe: true }]);
    rows = setColumn(rows, 'publish', true);
    assert.deepEqual(toSubscriptions(rows), [
      { channel: 'dev:cat', publish: true, subscribe: false },
      { channel: 'dev:dog', publish: true, subscribe: true },
    ]);
  });

  test('describeChanges names each changed channel and nothing else', () => {
    const before = [{ channel: 'dev:dog', publish: true, subscribe: false }, { channel: 'dev:cat', publish: true, subscribe: true }];
    const after = [{ channel: 'dev:dog', publish: true, subscribe: true }, { channel: 'dev:bird', publish: true, subscribe: false }];
    assert.deepEqual(describeChanges(before, after), [
      'dev:bird: nothing -> publish',
      'dev:cat: publish + subscribe -> nothing',
      'dev:dog: publish -> publish + subscribe',
    ]);
    assert.deepEqual(describeChanges(before, before), []);
  });

  test('validateNodeInput checks name, host and port', () => {
    assert.deepEqual(validateNodeInput({ name: ' b ', host: ' 127.0.0.1 ', port: '12345' }), { ok: true, value: { name: 'b', host: '127.0.0.1', port: 12345 } });
    const bad = validateNodeInput({ name: '', host: 'http://x/', port: '99999' });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.errors.length, 3);
  });

  test('add_node and update_node bodies carry the subscription list', () => {
    const rows = toggleCell(buildMatrix(['dev:dog'], []), 'dev:dog', 'publish');
    const target = { name: 'b', host: '127.0.0.1', port: 12345 };
    assert.deepEqual(buildAddNode(target, rows), { operation: 'add_node', name: 'b', host: '127.0.0.1', port: 12345, subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: false }] });
    assert.equal(buildUpdateNode(target, rows).operation, 'update_node');
  });
});

describe('studio subscription matrix: tables of the other node and typed channels', () => {
  test('buildMatrix lists the peer\'s tables this node lacks (subscribable before they exist here)', () => {
    const rows = buildMatrix([], [], ['default:sensor_data', 'system:hdb_user']);
    assert.deepEqual(rows, [{ channel: 'default:sensor_data', publish: false, subscribe: false, local: false, onPeer: true }]);
    const both = buildMatrix(['default:configs'], [{ channel: 'default:configs', publish: true, subscribe: false }], ['default:configs', 'default:sensor_data']);
    assert.deepEqual(both.map((r) => [r.channel, r.local, r.onPeer ?? false, r.publish]), [['default:configs', true, true, true], ['default:sensor_data', false, true, false]]);
  });

  test('a typed database:table channel is validated and added once', () => {
    assert.deepEqual(parseChannelInput(' default:sensor_data '), { ok: true, channel: 'default:sensor_data' });
    assert.equal(parseChannelInput('sensor_data').ok, false);
    assert.equal(parseChannelInput('a:b:c').ok, false);
    assert.equal(parseChannelInput('system:hdb_user').ok, false);
    const rows = addChannelRow([], 'default:sensor_data', false);
    assert.deepEqual(rows, [{ channel: 'default:sensor_data', publish: false, subscribe: false, local: false }]);
    assert.equal(addChannelRow(rows, 'default:sensor_data', false).length, 1);
    const ticked = toggleCell(rows, 'default:sensor_data', 'subscribe');
    assert.deepEqual(buildAddNode({ name: 'edge', host: '10.0.0.7', port: 12345 }, ticked).subscriptions, [{ channel: 'default:sensor_data', publish: false, subscribe: true }]);
  });

  test('editing a peer that dialled this node sends only the list, never its source port', () => {
    const rows = buildMatrix(['default:configs'], [{ channel: 'default:configs', publish: true, subscribe: false }]);
    assert.deepEqual(buildUpdateInbound('hq', rows), { operation: 'update_node', name: 'hq', subscriptions: [{ channel: 'default:configs', publish: true, subscribe: false }] });
  });
});
