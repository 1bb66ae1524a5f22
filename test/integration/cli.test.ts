import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/main.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function capture(argv: string[]) {
  let out = '', err = '';
  return run(argv, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env: {}, cwd: process.cwd() }).then((code) => ({ code, out, err }));
}

test('--version and --help answer without starting anything', async () => {
  assert.deepEqual(await capture(['--version']), { code: 0, out: `${pkg.version}\n`, err: '' });
  const help = await capture(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: ferrydb/);
  const startHelp = await capture(['start', '--help']);
  assert.match(startHelp.out, /ferrydb start/);
  const unknown = await capture(['fly']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'fly'/);
});

test('the bin script runs the CLI', () => {
  const bin = fileURLToPath(new URL('../../../bin/ferrydb.js', import.meta.url));
  const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});
