/** A real process: restart (same ports, same data, configuration re-read) and a port already in use. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { MAIN_JS, startNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait-for.js';

test('restart answers HarperDB-style, then the node comes back on the same port with its data and the new configuration', async (t) => {
  const n = await startNode();
  t.after(() => n.stop());
  const op = opsClient(n.url, n.user, n.password);
  await op({ operation: 'create_table', table: 'dog', primary_key: 'id' });
  await op({ operation: 'insert', table: 'dog', records: [{ id: 1, name: 'Penny' }] });
  assert.equal((await op({ operation: 'get_configuration' })).body.logging.rotation.files, 5);
  // a setting the launcher does not also set in the environment (environment variables win over the file)
  assert.equal((await op({ operation: 'set_configuration', logging_rotation_files: 7 })).status, 200);
  const r = await op({ operation: 'restart' });
  assert.deepEqual(r, { status: 200, body: { message: 'Restarting FerryDB. This may take up to 60 seconds.' } });
  await waitFor(async () => (await op({ operation: 'get_configuration' }).catch(() => ({ body: {} as any }))).body?.logging?.rotation?.files === 7, { timeoutMs: 30_000, intervalMs: 100, what: 'the restarted node with the new setting' });
  assert.deepEqual((await op({ operation: 'search_by_id', table: 'dog', ids: [1], get_attributes: ['name'] })).body, [{ name: 'Penny' }]);
  assert.match(n.output(), /restarting/);
  assert.equal(n.output().match(/ready: operations API/g)?.length, 2);
});

test('a port already in use stops start-up with one line naming the setting and the port', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-port-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const child = spawn(process.execPath, [MAIN_JS], { env: { PATH: process.env.PATH, ROOTPATH: root, HDB_ADMIN_PASSWORD: 'pw', OPERATIONSAPI_NETWORK_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.equal(err, `ferrydb: invalid configuration: port ${port} on 127.0.0.1 is already in use (setting 'operationsApi.network.port', OPERATIONSAPI_NETWORK_PORT)\n`);
  assert.doesNotMatch(out, /\n\s+at |"stack"/);
});
