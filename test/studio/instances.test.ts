/** Unit tests of the Studio's instance store (studio/src/lib/instances.ts). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EMPTY_STATE,
  STORAGE_KEY,
  currentInstance,
  defaultInstanceName,
  isSignedIn,
  loadState,
  newInstanceId,
  removeInstance,
  saveState,
  selectInstance,
  signOutInstance,
  upsertInstance,
  validateInstanceInput,
  type KeyValueStore,
} from '../../studio/src/lib/instances.js';

function memoryStore(initial: Record<string, string> = {}): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

let n = 0;
const ids = () => `id${++n}`;
const a = { name: 'edge', url: 'http://127.0.0.1:9925', username: 'admin', password: 'pw' };
const b = { name: 'hq', url: 'http://10.0.0.2:9925', username: 'admin', password: 'pw2' };

describe('studio instance store', () => {
  test('an empty or corrupt store loads as no instances', () => {
    assert.deepEqual(loadState(memoryStore()), EMPTY_STATE);
    assert.deepEqual(loadState(memoryStore({ [STORAGE_KEY]: '{not json' })), EMPTY_STATE);
    assert.deepEqual(loadState(memoryStore({ [STORAGE_KEY]: '{"instances":[{"id":1}],"currentId":"x"}' })), EMPTY_STATE);
    const throwing: KeyValueStore = { getItem: () => { throw new Error('denied'); }, setItem: () => undefined, removeItem: () => undefined };
    assert.deepEqual(loadState(throwing), EMPTY_STATE);
  });

  test('save then load round-trips and keeps the current instance', () => {
    const store = memoryStore();
    let s = upsertInstance(EMPTY_STATE, a, ids).state;
    s = upsertInstance(s, b, ids).state;
    s = selectInstance(s, s.instances[0]!.id);
    saveState(store, s);
    assert.deepEqual(loadState(store), s);
    assert.equal(currentInstance(loadState(store))?.name, 'edge');
  });

  test('a stale currentId falls back to the first instance', () => {
    const store = memoryStore({ [STORAGE_KEY]: JSON.stringify({ instances: [{ id: 'x', ...a }], currentId: 'gone' }) });
    assert.equal(loadState(store).currentId, 'x');
  });

  test('signing in again to the same URL and user updates instead of duplicating', () => {
    const first = upsertInstance(EMPTY_STATE, a, ids);
    const again = upsertInstance(first.state, { ...a, name: 'renamed', password: 'new' }, ids);
    assert.equal(again.state.instances.length, 1);
    assert.equal(again.instance.id, first.instance.id);
    assert.equal(again.state.instances[0]!.password, 'new');
    assert.equal(again.state.instances[0]!.name, 'renamed');
  });

  test('sign out forgets only the password; remove forgets the instance and moves current', () => {
    let s = upsertInstance(EMPTY_STATE, a, ids).state;
    s = upsertInstance(s, b, ids).state;
    const hq = s.instances[1]!;
    const out = signOutInstance(s, hq.id);
    assert.equal(isSignedIn(out.instances[1]!), false);
    assert.equal(out.instances[1]!.url, hq.url);
    const removed = removeInstance(s, hq.id);
    assert.equal(removed.instances.length, 1);
    assert.equal(removed.currentId, s.instances[0]!.id);
    const store = memoryStore();
    saveState(store, removeInstance(removed, removed.instances[0]!.id));
    assert.equal(store.data.has(STORAGE_KEY), false, 'no credentials are left behind');
  });

  test('validateInstanceInput normalises the URL, defaults the name and lists problems', () => {
    const ok = validateInstanceInput({ name: ' ', url: '127.0.0.1:9925/', username: ' admin ', password: 'x' });
    assert.deepEqual(ok, { ok: true, value: { name: '127.0.0.1:9925', url: 'http://127.0.0.1:9925', username: 'admin', password: 'x' } });
    const bad = validateInstanceInput({ name: '', url: '', username: '', password: '' });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.errors.length, 3);
  });

  test('helpers: default names and ids', () => {
    assert.equal(defaultInstanceName('http://db.local:9925'), 'db.local:9925');
    assert.match(newInstanceId(0, () => 0.5), /^0[0-9a-z]{6}$/);
  });
});
