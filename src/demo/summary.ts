/**
 * The demo's proof: fetch every sensor row from both nodes sorted by id, hash them in a
 * canonical form and compare with what the fleet had acknowledged. Nothing lost means every
 * acknowledged id is on both nodes; nothing duplicated means no id appears twice and no row
 * exists that the fleet never wrote.
 */
import { createHash } from 'node:crypto';
import { canonicalRow, type SensorRow } from './fleet.js';
import type { OpsClient } from './ops-client.js';

export interface SideDigest {
  node: string;
  /** Rows returned. */
  count: number;
  /** Distinct ids among them. */
  distinct: number;
  /** Acknowledged ids (1..written) that are absent. */
  missing: number;
  /** Rows whose id is not one the fleet wrote, plus repeated ids. */
  extra: number;
  /** sha256 over the canonical rows with ids 1..written, in id order. */
  checksum: string;
}

export interface DemoSummary {
  written: number;
  fleetChecksum: string;
  edge: SideDigest;
  hq: SideDigest;
  lost: number;
  duplicated: number;
  checksumsMatch: boolean;
  ok: boolean;
}

const PAGE_ROWS = 50_000;

/** Every row of the table, sorted by id (paged so that huge tables stay bounded per request). */
export async function fetchAllRows(client: OpsClient, database: string, table: string): Promise<SensorRow[]> {
  const rows: SensorRow[] = [];
  for (let offset = 0; ; offset += PAGE_ROWS) {
    const page = await client.call<SensorRow[]>({
      operation: 'search_by_conditions', schema: database, table,
      conditions: [{ search_attribute: 'id', search_type: 'greater_than', search_value: 0 }],
      sort: { attribute: 'id' }, offset, limit: PAGE_ROWS,
      get_attributes: ['id', 'machine_id', 'pressure', 'temperature', 'weight', 'ts'],
    }, 120_000);
    rows.push(...page);
    if (page.length < PAGE_ROWS) break;
  }
  rows.sort((a, b) => a.id - b.id);
  return rows;
}

/** Digests one node's rows against the `written` ids the fleet had acknowledged. */
export function digestRows(node: string, rows: readonly SensorRow[], written: number): SideDigest {
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  const hash = createHash('sha256');
  const seen = new Set<number>();
  let extra = 0;
  for (const row of sorted) {
    const isOurs = Number.isInteger(row.id) && row.id >= 1 && row.id <= written;
    if (!isOurs || seen.has(row.id)) { extra++; continue; }
    seen.add(row.id);
    hash.update(canonicalRow(row)).update('\n');
  }
  const distinct = new Set(sorted.map((r) => r.id)).size;
  return { node, count: rows.length, distinct, missing: written - seen.size, extra, checksum: hash.digest('hex') };
}

/** Compares both nodes with the fleet's own record. */
export function summarize(input: { written: number; fleetChecksum: string; edge: SideDigest; hq: SideDigest }): DemoSummary {
  const { written, fleetChecksum, edge, hq } = input;
  // An id missing on either node is lost; the larger count of the two is what was lost.
  const lost = Math.max(edge.missing, hq.missing);
  const duplicated = Math.max(edge.extra, hq.extra);
  const checksumsMatch = edge.checksum === fleetChecksum && hq.checksum === fleetChecksum;
  return { written, fleetChecksum, edge, hq, lost, duplicated, checksumsMatch, ok: lost === 0 && duplicated === 0 && checksumsMatch };
}

/** The summary as printed at the end of the demo. */
export function formatSummary(s: DemoSummary): string[] {
  const side = (d: SideDigest) => `  ${d.node.padEnd(5)} rows ${String(d.count).padStart(9)}  distinct ${String(d.distinct).padStart(9)}  sha256 ${d.checksum.slice(0, 16)}`;
  return [
    `written by the fleet: ${s.written} rows  sha256 ${s.fleetChecksum.slice(0, 16)}`,
    side(s.edge),
    side(s.hq),
    `lost: ${s.lost}`,
    `duplicated: ${s.duplicated}`,
    `checksums: ${s.checksumsMatch ? 'match' : 'DIFFER'}`,
    s.ok ? 'result: OK, every row written at the edge is at hq exactly once' : 'result: FAILED',
  ];
}
