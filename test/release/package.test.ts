/**
 * What `npm pack` would ship (listed with --dry-run, install scripts skipped): the bin entry
 * and what it imports, the compiled sources, the Studio and the docs, and no tests.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ensureStudioBuilt } from '../helpers/studio-build.js';
import { REPO_ROOT } from './docker-files.js';

test('the npm package holds the bin entry, the node, the Studio and the docs, and no tests', () => {
  // npm install builds the Studio (prepare); a checkout without that build gets it here, as the browser tests do.
  ensureStudioBuilt();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const listing = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
  const files = new Set(listing[0]!.files.map((f) => f.path));
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.ferrydb, 'bin/ferrydb.js');
  const bin = readFileSync(`${REPO_ROOT}/bin/ferrydb.js`, 'utf8');
  assert.match(bin, /^#!\/usr\/bin\/env node/);
  const imported = /from '\.\.\/(dist\/src\/[^']+)'/.exec(bin)?.[1];
  assert.equal(imported, 'dist/src/cli/main.js');
  for (const path of ['bin/ferrydb.js', imported, 'dist/src/main.js', 'dist/src/demo/demo.js', 'studio/dist/index.html', 'docs/tutorial.md', 'package.json']) {
    assert.ok(files.has(path!), `the package lacks ${path}`);
  }
  assert.deepEqual([...files].filter((f) => f.startsWith('dist/test/') || f.startsWith('test/')), []);
});
