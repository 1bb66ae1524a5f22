import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Which top-level folders of src/ each folder may import (the architecture, enforced). */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  config: ['errors'],
  log: [],
  storage: ['errors'],
  catalog: ['storage', 'errors'],
  changelog: ['storage', 'errors'],
  auth: ['storage', 'errors'],
  records: ['catalog', 'changelog', 'storage', 'errors'],
  operations: ['records', 'catalog', 'changelog', 'auth', 'storage', 'errors', 'config', 'log'],
  http: ['operations', 'auth', 'errors', 'log', 'config'],
  replication: ['operations', 'records', 'catalog', 'changelog', 'auth', 'storage', 'errors', 'config', 'log'],
  sql: ['operations', 'records', 'catalog', 'changelog', 'auth', 'errors', 'config'],
  realtime: ['changelog'],
  rest: ['realtime', 'http', 'operations', 'records', 'catalog', 'changelog', 'auth', 'errors', 'log', 'config'],
  mqtt: ['rest', 'realtime', 'operations', 'records', 'catalog', 'changelog', 'auth', 'errors', 'log', 'config'],
  metrics: ['rest', 'http', 'operations', 'auth', 'errors', 'log', 'config'],
  sinks: ['operations', 'records', 'catalog', 'changelog', 'errors', 'config', 'log'],
  cli: ['*'],
  demo: ['*'],
};

/** Heavy dependencies and the only module allowed to import each. */
const OWNERS: Record<string, RegExp> = {
  lmdb: /^storage\/lmdb-engine\.ts$/,
  pino: /^log\/logger\.ts$/,
  ws: /^(replication\/|http\/websocket-upgrade\.ts$)/,
  jose: /^auth\/tokens\.ts$/,
  'node-sql-parser': /^sql\/sql-parser\.ts$/,
  'mqtt-packet': /^mqtt\/mqtt-session\.ts$/,
  'prom-client': /^metrics\//,
  'cbor-x': /^rest\/content\.ts$/,
  pg: /^sinks\/postgres\/postgres-target\.ts$/,
  'pg-copy-streams': /^sinks\/postgres\/postgres-target\.ts$/,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('modules import only from the layers below them, and heavy dependencies from one owner', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const layer = rel.includes('/') ? rel.split('/')[0]! : null;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const target = relative(SRC, join(file, '..', spec));
        const targetLayer = target.includes('/') ? target.split('/')[0]! : null;
        if (!layer || !targetLayer || targetLayer === layer) continue;
        const allowed = ALLOWED[layer];
        if (!allowed) problems.push(`${rel}: folder '${layer}' has no layering rule`);
        else if (!allowed.includes('*') && !allowed.includes(targetLayer)) problems.push(`${rel} imports ${target}`);
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        const owner = OWNERS[pkg];
        if (owner && !owner.test(rel)) problems.push(`${rel} imports '${pkg}', owned by another module`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
