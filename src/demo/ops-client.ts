/** A small operations-API client for the demo: POST / with Basic auth, JSON in and out. */

export class OpsError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const detail = body && typeof body === 'object' ? ((body as Record<string, unknown>).error ?? (body as Record<string, unknown>).message) : body;
    super(`operations API answered ${status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
    this.name = 'OpsError';
    this.status = status;
    this.body = body;
  }
}

export class OpsClient {
  readonly url: string;
  readonly #auth: string;

  constructor(url: string, user: string, password: string) {
    this.url = url;
    this.#auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  /** Sends one operation; resolves with the parsed body or rejects with an OpsError. */
  async call<T = unknown>(body: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: this.#auth },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    if (!res.ok) throw new OpsError(res.status, parsed);
    return parsed as T;
  }
}
