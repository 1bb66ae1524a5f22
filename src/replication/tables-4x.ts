/**
 * HarperDB 4.x creates a subscribed database and table on the side that lacks them when the
 * other side has them (add_node, update_node, set_node_replication with 4.x bodies). One
 * request to the peer does both directions: it sends the tables this node has (with their
 * primary keys) so the peer creates the ones it lacks, and answers which it has, so this node
 * creates its missing ones. Tables neither side has are kept as subscriptions anyway (FerryDB
 * keeps 3.x behaviour: they are created when the first row arrives; see docs/clustering-4x.md).
 */
import type { Services } from '../operations/context.js';
import { describeTables, peerRequest, TABLES_PATH, type TableInfo } from './cluster-http.js';
import type { Subscription } from './peers.js';
import type { Address } from './peer-directory.js';
import type { Replication } from './replication.js';

export interface TableReview {
  /** database.table created on this node / on the peer. */
  createdHere: string[];
  createdThere: string[];
  /** Why the peer could not be asked (null when it answered). */
  peerError: string | null;
}

export async function createMissingTables(services: Services, rep: Replication, peer: Address, subs: Subscription[]): Promise<TableReview> {
  const review: TableReview = { createdHere: [], createdThere: [], peerError: null };
  if (!subs.length) return review;
  const mine = subs.map((s) => ({ database: s.database, table: s.table, hash_attribute: services.catalog.findTable(s.database, s.table)?.hashAttribute }));
  const r = await peerRequest<{ tables: TableInfo[] }>(rep.peerClient(), peer, TABLES_PATH, { tables: mine, create: true }, 2000);
  if (!r.ok) { review.peerError = r.error; return review; }
  const theirs = r.body.tables ?? [];
  for (const t of theirs) if (t.created) review.createdThere.push(`${t.database}.${t.table}`);
  const wanted = theirs.filter((t) => t.exists && t.hash_attribute && !services.catalog.findTable(t.database, t.table))
    .map((t) => ({ database: t.database, table: t.table, hash_attribute: t.hash_attribute }));
  for (const t of describeTables(services, wanted, true)) if (t.created) review.createdHere.push(`${t.database}.${t.table}`);
  return review;
}
