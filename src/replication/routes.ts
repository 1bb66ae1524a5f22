/**
 * Cluster routes (HarperDB 4.x): peer replication addresses this node may dial. Three lists,
 * as HarperDB's config has them: hub (clustering.hubServer.cluster.network.routes), leaf
 * (clustering.leafServer.network.routes) and the 4.4+ replication.routes; FerryDB treats them
 * alike. Loaded from the configuration; cluster_set_routes / cluster_delete_routes change the
 * running list and write it back to the config file, so a restart keeps it. add_node by
 * node_name asks every route who it is (see cluster-http.ts) and dials the one that answers.
 */
import type { Config, Route } from '../config/load-config.js';
import { parseRoute } from '../config/load-config.js';
import { writeSetting } from '../config/write-config.js';
import { DbError, invalid } from '../errors/db-error.js';

export type RouteServer = 'hub' | 'leaf' | 'replication';

export const ROUTE_SETTINGS: Record<RouteServer, string> = {
  hub: 'clustering.hubServer.cluster.network.routes',
  leaf: 'clustering.leafServer.network.routes',
  replication: 'replication.routes',
};

const same = (a: Route, b: Route) => a.host === b.host && a.port === b.port;

/** Parses an operation's `routes` array; a 400 naming the first bad entry. */
export function parseRouteList(v: unknown, requirePort: boolean): Route[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid(`'routes' must be a non-empty array of {host, port}`);
  return v.map((raw: unknown, i) => {
    const r = parseRoute(raw);
    if (typeof r === 'string') throw invalid(`routes[${i}]: ${r}`);
    if (requirePort && r.port === null) throw invalid(`routes[${i}]: 'port' is required (the clustering port of the remote node)`);
    return r;
  });
}

export class RouteTable {
  readonly #lists: Record<RouteServer, Route[]>;
  readonly #file: string | null;

  /** `file`: the config file to write changes to (null: in memory only). */
  constructor(config: Config, file: string | null) {
    this.#file = file;
    this.#lists = {
      hub: config.clustering.hubServer.cluster.network.routes.map((r) => ({ ...r })),
      leaf: config.clustering.leafServer.network.routes.map((r) => ({ ...r })),
      replication: config.replication.routes.map((r) => ({ ...r })),
    };
  }

  list(server: RouteServer): Route[] {
    return this.#lists[server].map((r) => ({ ...r }));
  }

  /** Every distinct address to try, with host-only routes on `ownPort`. */
  addresses(ownPort: number): { host: string; port: number }[] {
    const out: { host: string; port: number }[] = [];
    for (const server of ['hub', 'leaf', 'replication'] as const) {
      for (const r of this.#lists[server]) {
        const a = { host: r.host, port: r.port ?? ownPort };
        if (!out.some((x) => x.host === a.host && x.port === a.port)) out.push(a);
      }
    }
    return out;
  }

  /** Adds routes (PATCH); those already present are skipped. */
  set(server: RouteServer, routes: Route[]): { set: Route[]; skipped: Route[] } {
    const list = this.#lists[server];
    const set: Route[] = [], skipped: Route[] = [];
    for (const r of routes) {
      if (list.some((x) => same(x, r)) || set.some((x) => same(x, r))) skipped.push(r);
      else set.push(r);
    }
    if (set.length) this.#save({ [server]: [...list, ...set] });
    return { set, skipped };
  }

  /** Removes routes from every list; those found nowhere are skipped. */
  delete(routes: Route[]): { deleted: Route[]; skipped: Route[] } {
    const deleted: Route[] = [], skipped: Route[] = [];
    const next: Partial<Record<RouteServer, Route[]>> = {};
    for (const r of routes) {
      let found = false;
      for (const server of ['hub', 'leaf', 'replication'] as const) {
        const list = next[server] ?? this.#lists[server];
        if (list.some((x) => same(x, r))) { next[server] = list.filter((x) => !same(x, r)); found = true; }
      }
      (found ? deleted : skipped).push(r);
    }
    if (deleted.length) this.#save(next);
    return { deleted, skipped };
  }

  /** Writes the changed lists to the config file first, then makes them live. */
  #save(next: Partial<Record<RouteServer, Route[]>>): void {
    for (const [server, list] of Object.entries(next) as [RouteServer, Route[]][]) {
      if (this.#file) {
        try {
          writeSetting(this.#file, ROUTE_SETTINGS[server], list.map((r) => (r.port === null ? r.host : { host: r.host, port: r.port })));
        } catch (err) {
          if (err instanceof DbError) throw err;
          throw new DbError('INTERNAL', `could not write the routes to ${this.#file}: ${(err as Error).message}`, { cause: err });
        }
      }
      this.#lists[server] = list;
    }
  }
}
