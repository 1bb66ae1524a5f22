import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (p: string) => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');

test('the Grafana dashboard is valid JSON and queries only metrics docs/metrics.md documents', () => {
  const dash = JSON.parse(read('docs/grafana-dashboard.json'));
  assert.equal(typeof dash.title, 'string');
  assert.ok(Array.isArray(dash.panels) && dash.panels.length > 10);
  const documented = new Set([...read('docs/metrics.md').matchAll(/^\| `(ferrydb_[a-z_]+)` \|/gm)].map((m) => m[1]!));
  const exprs: string[] = dash.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => String(t.expr)));
  const used = new Set(exprs.flatMap((e: string) => [...e.matchAll(/ferrydb_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''))));
  assert.deepEqual([...used].filter((m) => !documented.has(m)), []);
  // Every panel has a unique id and a place on the grid.
  const ids = dash.panels.map((p: any) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(dash.panels.every((p: any) => p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0));
});
