/** Hash routes (`#/browse/dev/dog`): they work whether the Studio is served at / or /studio/. Pure. */

export type Route =
  | { readonly page: 'sign-in' }
  | { readonly page: 'instances' }
  | { readonly page: 'browse'; readonly database: string | null; readonly table: string | null }
  | { readonly page: 'cluster' }
  | { readonly page: 'status' }
  | { readonly page: 'users' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  switch (parts[0]) {
    case 'sign-in': return { page: 'sign-in' };
    case 'instances': return { page: 'instances' };
    case 'cluster': return { page: 'cluster' };
    case 'status': return { page: 'status' };
    case 'users': return { page: 'users' };
    case 'browse': return { page: 'browse', database: parts[1] ?? null, table: parts[2] ?? null };
    default: return { page: 'browse', database: null, table: null };
  }
}

export function routeHref(route: Route): string {
  if (route.page !== 'browse') return `#/${route.page}`;
  const segs = ['browse'];
  if (route.database !== null) {
    segs.push(encodeURIComponent(route.database));
    if (route.table !== null) segs.push(encodeURIComponent(route.table));
  }
  return `#/${segs.join('/')}`;
}

export function browseHref(database: string | null = null, table: string | null = null): string {
  return routeHref({ page: 'browse', database, table });
}
