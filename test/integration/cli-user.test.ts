import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { run } from '../../src/cli/main.js';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer } from '../helpers/test-server.js';

function cli(argv: string[], stdin = '') {
  let out = '', err = '';
  return run(argv, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env: {}, cwd: process.cwd(), stdin: async () => stdin }).then((code) => ({ code, out, err }));
}

test('ferrydb user passwd|add|list recover a stopped node; a running node is refused', async () => {
  const s = await startTestServer({}, { keepRoot: true });
  const root = s.rootPath;
  try {
    await s.op({ operation: 'add_role', role: 'viewer', permission: { super_user: false } });
    const busy = await cli(['user', 'passwd', 'admin', '--password', 'x', '--ROOTPATH', root]);
    assert.equal(busy.code, 1);
    assert.match(busy.err, /is running \(pid \d+\); stop it first/);
    await s.node.close();

    const passwd = await cli(['user', 'passwd', 'admin', '--password-stdin', '--ROOTPATH', root], 'Recovered-pw-1\n');
    assert.deepEqual([passwd.code, passwd.out.trim()], [0, 'password of admin changed']);
    const added = await cli(['user', 'add', 'ops', '--ROOTPATH', root]);
    assert.equal(added.code, 0, added.err);
    const generated = /shown only this once\):\n\n\s+(\S+)/.exec(added.out)?.[1];
    assert.ok(generated && generated.length >= 24);
    const viewer = await cli(['user', 'add', 'watcher', '--role', 'viewer', '--password', 'w-pw', '--inactive', '--ROOTPATH', root]);
    assert.equal(viewer.code, 0, viewer.err);
    assert.equal((await cli(['user', 'add', 'ops', '--password', 'y', '--ROOTPATH', root])).code, 1);
    assert.match((await cli(['user', 'add', 'z', '--role', 'nope', '--password', 'y', '--ROOTPATH', root])).err, /nope role not found/);
    assert.match((await cli(['user', 'passwd', 'ghost', '--password', 'y', '--ROOTPATH', root])).err, /User ghost does not exist/);
    const list = await cli(['user', 'list', '--ROOTPATH', root]);
    assert.equal(list.code, 0);
    assert.match(list.out, /^USERNAME\s+ROLE\s+STATUS\n/);
    assert.match(list.out, /\nadmin\s+super_user\s+active\n/);
    assert.match(list.out, /\nwatcher\s+viewer\s+inactive\n/);
    assert.ok(!list.out.includes('scrypt'));

    const again = await startTestServer({}, { rootPath: root, keepRoot: true });
    try {
      assert.equal((await opsClient(again.url, 'admin', 'secret-pw')({ operation: 'user_info' })).status, 401);
      assert.equal((await opsClient(again.url, 'admin', 'Recovered-pw-1')({ operation: 'user_info' })).status, 200);
      assert.equal((await opsClient(again.url, 'ops', generated!)({ operation: 'list_users' })).status, 200);
      assert.equal((await opsClient(again.url, 'watcher', 'w-pw')({ operation: 'user_info' })).status, 401);
    } finally {
      await again.close();
    }
  } finally {
    await s.node.close();
    rmSync(root, { recursive: true, force: true });
  }
});
