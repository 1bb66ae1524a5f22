/**
 * Finding peers by name, as HarperDB 4.0-4.3 does: a 4.x add_node names a node and gives no
 * address, so the name is looked up by asking every candidate address who it is (the identity
 * endpoint of cluster-http.ts). Candidates: the configured routes, the nodes already in the
 * manifest, and the addresses of peers that dialled this node (on this node's clustering
 * port, the 4.x convention of one port for the whole cluster). Answers are cached briefly and
 * also feed cluster_status's 4.x figures (ports, latency, uptime, system_info).
 */
import type { Services } from '../operations/context.js';
import { IDENTITY_PATH, peerRequest, routeLabel, type Identity, type PeerResult } from './cluster-http.js';
import type { Replication } from './replication.js';

export interface Address {
  host: string;
  port: number;
}

export interface Candidate extends Address {
  via: 'route' | 'manifest' | 'inbound peer';
}

export interface Seen extends Address {
  identity: Identity;
  latencyMs: number;
  at: number;
}

export type Lookup = { ok: true; address: Address; identity: Identity } | { ok: false; tried: { candidate: Candidate; answer: string }[] };

const FRESH_MS = 3000;

export class PeerDirectory {
  readonly #rep: Replication;
  readonly #services: Services;
  readonly #seen = new Map<string, Seen>();
  readonly #refreshing = new Set<string>();

  constructor(rep: Replication, services: Services) {
    this.#rep = rep;
    this.#services = services;
  }

  /** This node's identity, as served to peers. */
  identity(): Identity {
    const status = this.#rep.status() as { status?: { outbound_connections: Record<string, unknown>[]; inbound_connections: Record<string, unknown>[] } };
    const out = status.status?.outbound_connections ?? [], inb = status.status?.inbound_connections ?? [];
    const connected = new Set<string>();
    for (const c of [...out, ...inb]) if (c.state === 'open') connected.add(String(c.node_name));
    const { node } = this.#services;
    return {
      node_name: this.#rep.nodeName,
      ports: { clustering: node.ports.clustering, operations_api: node.ports.operations },
      system_info: { hdb_version: node.version, node_version: process.version.replace(/^v/, ''), platform: process.platform },
      uptime_ms: Date.now() - node.startedAt,
      connected_nodes: [...connected].sort(),
      routes: this.#rep.routes.addresses(this.#rep.clusteringPort),
      peers: this.#rep.peers.list().map((n) => ({ node_name: n.name, host: n.host, port: n.port })),
    };
  }

  candidates(): Candidate[] {
    const out: Candidate[] = [];
    const add = (c: Candidate) => { if (!out.some((x) => x.host === c.host && x.port === c.port)) out.push(c); };
    for (const a of this.#rep.routes.addresses(this.#rep.clusteringPort)) add({ ...a, via: 'route' });
    for (const n of this.#rep.peers.list()) add({ host: n.host, port: n.port, via: 'manifest' });
    const status = this.#rep.status() as { status?: { inbound_connections: Record<string, unknown>[] } };
    for (const c of status.status?.inbound_connections ?? []) {
      if (typeof c.host_address === 'string') add({ host: c.host_address.replace(/^::ffff:/, ''), port: this.#rep.clusteringPort, via: 'inbound peer' });
    }
    return out;
  }

  /** Asks one address who it is (and remembers the answer). */
  async probe(address: Address, timeoutMs = 1500): Promise<PeerResult<Identity>> {
    const r = await peerRequest<Identity>(this.#rep.peerClient(), address, IDENTITY_PATH, undefined, timeoutMs);
    if (r.ok && typeof r.body.node_name === 'string') this.#seen.set(r.body.node_name, { ...address, identity: r.body, latencyMs: r.ms, at: Date.now() });
    return r;
  }

  /**
   * The last identity answer of a node, without waiting: when it is missing or older than a few
   * seconds a refresh is started in the background (at `target`, else where it last answered,
   * else at `fallback`), so cluster_status never waits on the network.
   */
  cached(name: string, target: Address | null, fallback: Address | null = null): Seen | null {
    const s = this.#seen.get(name) ?? null;
    const to = target ?? s ?? fallback;
    if ((!s || Date.now() - s.at >= FRESH_MS) && to && !this.#refreshing.has(name)) {
      this.#refreshing.add(name);
      void this.probe({ host: to.host, port: to.port }, 700).finally(() => this.#refreshing.delete(name));
    }
    return s;
  }

  /** Resolves a node name to an address by asking every candidate (`fresh`: not from the last few seconds' answers). */
  async find(name: string, opts: { fresh?: boolean } = {}): Promise<Lookup> {
    const known = this.#seen.get(name);
    if (!opts.fresh && known && Date.now() - known.at < FRESH_MS) return { ok: true, address: { host: known.host, port: known.port }, identity: known.identity };
    const candidates = this.candidates();
    const answers = await Promise.all(candidates.map((c) => this.probe(c)));
    const tried: { candidate: Candidate; answer: string }[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const a = answers[i]!, c = candidates[i]!;
      if (a.ok && a.body.node_name === name) return { ok: true, address: { host: c.host, port: c.port }, identity: a.body };
      tried.push({ candidate: c, answer: a.ok ? `is '${a.body.node_name}'` : a.error });
    }
    return { ok: false, tried };
  }
}

/** The 400 message for a node name no route or known peer answers to. */
export function notFoundMessage(name: string, tried: { candidate: Candidate; answer: string }[]): string {
  const list = tried.length ? tried.map((t) => `${routeLabel(t.candidate)} (${t.candidate.via}): ${t.answer}`).join('; ') : 'none are configured';
  return `Node '${name}' could not be found: no cluster route or known peer answers as '${name}' (tried: ${list}). `
    + `Add a route to its clustering port with {"operation":"cluster_set_routes","server":"hub","routes":[{"host":"<address of ${name}>","port":<its clustering port>}]}, or pass 'host' and 'port' in add_node.`;
}
