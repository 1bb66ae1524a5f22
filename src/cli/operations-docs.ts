/** Writes docs/operations.md from the registry of a real (temporary, never listening) node. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { renderOperationsDoc } from '../operations/docs.js';
import { createNode } from '../server.js';

/** Every operation name a node registers (core and subsystems). */
export async function registeredOperations(): Promise<string[]> {
  const rootPath = mkdtempSync(join(tmpdir(), 'ferrydb-ops-doc-'));
  try {
    const node = await createNode(loadConfig({ env: { ROOTPATH: rootPath, HDB_ADMIN_PASSWORD: 'docs-only', LOG_LEVEL: 'silent' } }));
    const names = node.registry.names();
    await node.close();
    return names;
  } finally {
    rmSync(rootPath, { recursive: true, force: true });
  }
}

export async function operationsDoc(): Promise<string> {
  return renderOperationsDoc(await registeredOperations());
}

export async function writeOperationsDocs(path: string): Promise<void> {
  writeFileSync(path, await operationsDoc());
}
