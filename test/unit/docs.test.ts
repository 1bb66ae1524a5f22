import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderConfigDocs } from '../../src/config/docs.js';
import { ERROR_STATUS } from '../../src/errors/db-error.js';

const read = (p: string) => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');

test('docs/config.md is generated from the current settings schema (npm run docs:config)', () => {
  assert.equal(read('docs/config.md'), renderConfigDocs());
});

test('docs/errors.md lists every error code with its status, and no stale ones', () => {
  const doc = read('docs/errors.md');
  const listed = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(Object.fromEntries(listed), { ...ERROR_STATUS });
});
