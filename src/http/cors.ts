/** Pure CORS decision for the operations port. */

export interface CorsPolicy {
  enabled: boolean;
  accessList: readonly string[];
}

/**
 * True when a browser page from `origin` may call this node. The node's own origin and pages
 * served from the same host (any port: other FerryDB Studios on this machine) are always
 * allowed; anything else must be in the access list ('*' allows all).
 */
export function isOriginAllowed(policy: CorsPolicy, origin: string, hostHeader: string | undefined): boolean {
  if (!policy.enabled) return false;
  if (policy.accessList.includes('*') || policy.accessList.includes(origin)) return true;
  let url: URL;
  try { url = new URL(origin); } catch { return false; }
  if (!hostHeader) return false;
  const requestHost = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return url.hostname.replace(/^\[|\]$/g, '') === requestHost;
}

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-headers': 'Authorization, Content-Type',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}
