/** A node's storage, change log and records on a directory, without a server; and temp directories for them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.js';
import { ChangeLog } from '../../src/changelog/changelog.js';
import { Records } from '../../src/records/records.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

export function openRecords(path: string, nodeName = 'n1') {
  const engine = openLmdbEngine({ path });
  const changelog = new ChangeLog(engine, nodeName);
  return { engine, changelog, records: new Records(engine, new Catalog(engine), changelog) };
}

/** A fresh directory, removed when the test ends. */
export function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ferrydb-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
