/** Navigation and instance actions shared by pages (kept out of app.tsx to avoid import cycles). */

import type { Instance, InstanceInput } from './lib/instances.js';
import { routeHref, type Route } from './lib/route.js';

export function navigate(route: Route): void {
  location.hash = routeHref(route);
}

/** Actions on the instance list, passed down to pages that manage instances. */
export interface InstanceActions {
  save(input: InstanceInput): Instance;
  remove(id: string): void;
  signOut(id: string): void;
  select(id: string): void;
}
