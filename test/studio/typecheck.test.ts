/** Type-checks the whole Studio (pages included) with its own DOM/JSX tsconfig. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('studio/tsconfig.json type-checks without errors', () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'studio', 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(res.status, 0, `tsc reported:\n${res.stdout}${res.stderr}`);
});
