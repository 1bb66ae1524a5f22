/**
 * The publish/subscribe matrix (rows are `database:table` channels) and the add_node /
 * update_node bodies built from it. Pure.
 */

import type { DescribeAll } from './api.js';

export interface Subscription {
  readonly channel: string;
  readonly publish: boolean;
  readonly subscribe: boolean;
}

/** One matrix row. `local` is false for a channel this node lacks; `onPeer` when the peer announced it. */
export interface MatrixRow extends Subscription {
  readonly local: boolean;
  readonly onPeer?: boolean;
}

export function channelOf(database: string, table: string): string {
  return `${database}:${table}`;
}

/** Every `database:table` on this node, sorted; `system` is never replicated by hand. */
export function localChannels(describe: DescribeAll | null | undefined): string[] {
  const out: string[] = [];
  for (const [db, tables] of Object.entries(describe ?? {})) {
    if (db === 'system' || tables === null || typeof tables !== 'object') continue;
    for (const table of Object.keys(tables)) out.push(channelOf(db, table));
  }
  return out.sort((a, b) => a.localeCompare(b));
}

/**
 * Matrix rows for the local channels, then the peer's channels this node lacks (a table that
 * exists only on the other node can be subscribed to before it exists here), then any other
 * current subscription.
 */
export function buildMatrix(channels: readonly string[], current: readonly Subscription[], peerChannels: readonly string[] = []): MatrixRow[] {
  const byChannel = new Map(current.map((s) => [s.channel, s]));
  const onPeer = new Set(peerChannels);
  const row = (channel: string, local: boolean): MatrixRow => ({
    channel,
    publish: byChannel.get(channel)?.publish ?? false,
    subscribe: byChannel.get(channel)?.subscribe ?? false,
    local,
    ...(onPeer.has(channel) ? { onPeer: true } : {}),
  });
  const rows: MatrixRow[] = channels.map((channel) => row(channel, true));
  const known = new Set(channels);
  for (const channel of [...peerChannels].sort((a, b) => a.localeCompare(b))) {
    if (known.has(channel) || /^(system|hdb_internal)/i.test(channel)) continue;
    known.add(channel);
    rows.push(row(channel, false));
  }
  for (const s of current) {
    if (!known.has(s.channel)) { known.add(s.channel); rows.push(row(s.channel, false)); }
  }
  return rows;
}

/** Validates a typed `database:table` channel. */
export function parseChannelInput(text: string): { ok: true; channel: string } | { ok: false; error: string } {
  const t = text.trim();
  const parts = t.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, error: `enter the table as database:table (for example default:sensor_data)` };
  if (/\s/.test(t)) return { ok: false, error: 'database and table names contain no spaces' };
  if (/^(system|hdb_internal)/i.test(parts[0])) return { ok: false, error: `'${parts[0]}' tables are not replicated` };
  return { ok: true, channel: t };
}

/** Adds a typed channel to the matrix (no-op when it is already listed). */
export function addChannelRow(rows: readonly MatrixRow[], channel: string, local: boolean): MatrixRow[] {
  if (rows.some((r) => r.channel === channel)) return [...rows];
  return [...rows, { channel, publish: false, subscribe: false, local }];
}

export function toggleCell(rows: readonly MatrixRow[], channel: string, field: 'publish' | 'subscribe'): MatrixRow[] {
  return rows.map((r) => (r.channel === channel ? { ...r, [field]: !r[field] } : r));
}

/** Sets one direction for every row at once ("publish all"). */
export function setColumn(rows: readonly MatrixRow[], field: 'publish' | 'subscribe', value: boolean): MatrixRow[] {
  return rows.map((r) => ({ ...r, [field]: value }));
}

/** The subscription list to send: rows with both directions off are left out. */
export function toSubscriptions(rows: readonly MatrixRow[]): Subscription[] {
  return rows
    .filter((r) => r.publish || r.subscribe)
    .map((r) => ({ channel: r.channel, publish: r.publish, subscribe: r.subscribe }));
}

function describeDirections(s: { publish: boolean; subscribe: boolean }): string {
  if (s.publish && s.subscribe) return 'publish + subscribe';
  if (s.publish) return 'publish';
  if (s.subscribe) return 'subscribe';
  return 'nothing';
}

/** Human list of what saving would change, e.g. `dev:dog: nothing -> publish`. Empty if nothing. */
export function describeChanges(before: readonly Subscription[], after: readonly Subscription[]): string[] {
  const old = new Map(before.map((s) => [s.channel, s]));
  const next = new Map(after.map((s) => [s.channel, s]));
  const channels = [...new Set([...old.keys(), ...next.keys()])].sort((a, b) => a.localeCompare(b));
  const changes: string[] = [];
  for (const channel of channels) {
    const a = old.get(channel) ?? { publish: false, subscribe: false };
    const b = next.get(channel) ?? { publish: false, subscribe: false };
    if (a.publish !== b.publish || a.subscribe !== b.subscribe) {
      changes.push(`${channel}: ${describeDirections(a)} -> ${describeDirections(b)}`);
    }
  }
  return changes;
}

export interface NodeInput {
  name: string;
  host: string;
  port: string;
}

export interface NodeTarget {
  name: string;
  host: string;
  port: number;
}

/** Validates the "connect a node" form. */
export function validateNodeInput(input: NodeInput): { ok: true; value: NodeTarget } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const name = input.name.trim();
  const host = input.host.trim();
  const portText = input.port.trim();
  if (name === '') errors.push('enter the node name (its clustering node name)');
  if (host === '') errors.push('enter the host (name or IP address) of the node');
  if (/[\s/]/.test(host) || /^[a-z]+:/i.test(host)) errors.push('the host is a name or address only, without http:// or a path');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) errors.push('the port must be a number from 1 to 65535');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { name, host, port } };
}

export function buildAddNode(target: NodeTarget, rows: readonly MatrixRow[]): { operation: 'add_node'; name: string; host: string; port: number; subscriptions: Subscription[] } {
  return { operation: 'add_node', name: target.name, host: target.host, port: target.port, subscriptions: toSubscriptions(rows) };
}

/**
 * update_node for a peer that dialled this node: only the list (the link exists; the dialler
 * learns the edit over it), never the peer's ephemeral source port.
 */
export function buildUpdateInbound(name: string, rows: readonly MatrixRow[]): { operation: 'update_node'; name: string; subscriptions: Subscription[] } {
  return { operation: 'update_node', name, subscriptions: toSubscriptions(rows) };
}

export function buildUpdateNode(target: NodeTarget, rows: readonly MatrixRow[]): { operation: 'update_node'; name: string; host: string; port: number; subscriptions: Subscription[] } {
  return { operation: 'update_node', name: target.name, host: target.host, port: target.port, subscriptions: toSubscriptions(rows) };
}
