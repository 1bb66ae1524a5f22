/** A tiny operations-API client for tests. */

export interface OpResult<T = any> {
  status: number;
  body: T;
}

export function opsClient(url: string, user: string, password: string) {
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return async function op<T = any>(body: unknown, headers: Record<string, string> = {}): Promise<OpResult<T>> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* leave as text */ }
    return { status: res.status, body: parsed as T };
  };
}

export type Op = ReturnType<typeof opsClient>;
