import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('../../../scripts/test-summary.mjs', import.meta.url));

test("npm test's summary line counts and names a skipped suite", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-summary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fixture.test.mjs');
  writeFileSync(file, `import { describe, it, test } from 'node:test';
describe('studio in a browser', { skip: 'chromium is not installed' }, () => { it('opens', () => {}); });
test('one', () => {});
test('two', () => {});
`);
  // NODE_TEST_CONTEXT would make the inner run report to this runner instead of to its reporter
  const { NODE_TEST_CONTEXT: _inner, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', `--test-reporter=${REPORTER}`, '--test-reporter-destination=stdout', file], { encoding: 'utf8', timeout: 30_000, env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').at(-1), 'npm test summary: 2 passed, 0 failed, 1 skipped: studio in a browser (chromium is not installed)');
});
