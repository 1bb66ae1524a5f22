/**
 * Typed client for a node's operations API (POST / with a JSON body, HTTP Basic auth).
 * Pure of DOM and Preact so Node tests can run it with a fake fetch; it never touches storage.
 */

/** Where a node lives and who we are on it. */
export interface Endpoint {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/** The slice of `fetch` the client needs; both the browser and Node 20 satisfy it. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * How a call failed. `network`: no HTTP answer (node down, DNS, CORS refused);
 * `timeout`: no answer in time; `auth`: 401; `http`: any other non-2xx; `parse`: 2xx with a
 * body that is not JSON.
 */
export type ApiErrorKind = 'network' | 'timeout' | 'auth' | 'http' | 'parse';

/** An operations-API failure carrying the server's own `error` message when there is one. */
export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  /** HTTP status; 0 when there was no HTTP answer. */
  readonly status: number;
  /** The parsed response body, if any (403 bodies carry `unauthorized_access`). */
  readonly body: unknown;
  readonly operation: string;

  constructor(message: string, opts: { kind: ApiErrorKind; status: number; operation: string; body?: unknown; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ApiError';
    this.kind = opts.kind;
    this.status = opts.status;
    this.operation = opts.operation;
    this.body = opts.body;
  }

  /** True when the node says this operation does not exist (an older or different server). */
  get isUnknownOperation(): boolean {
    return this.status === 400 && /^Operation '.*' not found/.test(this.message);
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of the UTF-8 bytes of `text` (btoa alone rejects non-Latin-1 passwords). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += B64[a >> 2];
    out += B64[((a & 3) << 4) | ((b ?? 0) >> 4)];
    out += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)];
    out += c === undefined ? '=' : B64[c & 63];
  }
  return out;
}

/** The `Authorization` header value for HTTP Basic auth. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${base64Utf8(`${username}:${password}`)}`;
}

/**
 * Canonical form of a node URL typed by a person: scheme added when missing (http), no
 * trailing slash, no query or fragment. Throws on something that is not an http(s) URL.
 */
export function normalizeNodeUrl(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') throw new Error('enter the node URL, e.g. http://localhost:9925');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new Error(`'${input}' is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`'${input}' must start with http:// or https://`);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** Builds the fetch arguments for one operation; exported so tests can check the wire format. */
export function buildRequest(endpoint: Endpoint, body: { operation: string }): { url: string; init: { method: string; headers: Record<string, string>; body: string } } {
  return {
    url: `${endpoint.url}/`,
    init: {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        Authorization: basicAuthHeader(endpoint.username, endpoint.password),
      },
      body: JSON.stringify(body),
    },
  };
}

/** Human text for an error body: `{error: "..."}`, `{error: {...}}` or a 403 permission body. */
export function errorMessageOf(body: unknown, status: number, rawText: string): string {
  if (body !== null && typeof body === 'object') {
    const rec = body as Record<string, unknown>;
    const err = rec['error'] ?? rec['message'];
    let text = typeof err === 'string' ? err : err !== undefined ? JSON.stringify(err) : '';
    const details = [rec['unauthorized_access'], rec['invalid_schema_items']]
      .flatMap((v) => (Array.isArray(v) ? v : []))
      .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    if (details.length > 0) text = `${text}${text ? ': ' : ''}${details.join('; ')}`;
    if (text) return text;
  }
  const snippet = rawText.trim().slice(0, 200);
  return snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
}

/** Turns an HTTP answer into the parsed result, or throws the matching ApiError. */
export function parseResponse<T>(operation: string, status: number, text: string): T {
  let body: unknown = undefined;
  let parsed = false;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
      parsed = true;
    } catch {
      parsed = false;
    }
  }
  if (status >= 200 && status < 300) {
    if (!parsed) {
      throw new ApiError(`'${operation}' answered with something that is not JSON: ${text.slice(0, 120)}`, {
        kind: 'parse',
        status,
        operation,
      });
    }
    return body as T;
  }
  const message = errorMessageOf(body, status, parsed ? '' : text);
  throw new ApiError(message, { kind: status === 401 ? 'auth' : 'http', status, operation, body });
}

export interface ApiClientOptions {
  fetch?: FetchLike;
  /** Give up after this long; 0 disables. */
  timeoutMs?: number;
}

/** One node's operations API. Cheap to create; holds no connection state. */
export class ApiClient {
  readonly endpoint: Endpoint;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(endpoint: Endpoint, opts: ApiClientOptions = {}) {
    this.endpoint = endpoint;
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    if (opts.fetch) {
      this.#fetch = opts.fetch;
    } else if (globalFetch) {
      // Call through globalThis so the browser's fetch keeps its receiver ("Illegal invocation").
      this.#fetch = (url, init) => globalFetch.call(globalThis, url, init);
    } else {
      throw new Error('no fetch implementation available');
    }
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Sends one operation and returns its parsed JSON answer; throws ApiError on any failure. */
  async call<T = unknown>(body: { operation: string; [key: string]: unknown }): Promise<T> {
    const { url, init } = buildRequest(this.endpoint, body);
    const controller = new AbortController();
    let timedOut = false;
    const timer: ReturnType<typeof setTimeout> | undefined =
      this.#timeoutMs > 0 ? setTimeout(() => { timedOut = true; controller.abort(); }, this.#timeoutMs) : undefined;
    try {
      let res: { status: number; text(): Promise<string> };
      try {
        res = await this.#fetch(url, { ...init, signal: controller.signal });
      } catch (cause) {
        if (timedOut) {
          throw new ApiError(`${this.endpoint.url} did not answer '${body.operation}' within ${Math.round(this.#timeoutMs / 1000)} s`, {
            kind: 'timeout', status: 0, operation: body.operation, cause,
          });
        }
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new ApiError(`cannot reach ${this.endpoint.url} (${reason}); the node may be down, or it does not allow requests from this page's origin`, {
          kind: 'network', status: 0, operation: body.operation, cause,
        });
      }
      const text = await res.text();
      return parseResponse<T>(body.operation, res.status, text);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

// ---- Wire shapes of the operations the Studio uses (fields other than these are ignored) ----

export interface AttributeDescription {
  attribute: string;
  indexed?: boolean;
  is_primary_key?: boolean;
}

export interface TableDescription {
  name: string;
  schema?: string;
  database?: string;
  hash_attribute: string;
  record_count?: number;
  attributes?: AttributeDescription[];
}

/** `describe_all`: database -> table -> description. */
export type DescribeAll = Record<string, Record<string, TableDescription>>;

export interface MessageResult {
  message: string;
}

export interface InsertResult extends MessageResult {
  inserted_hashes?: unknown[];
  skipped_hashes?: unknown[];
}

export interface UpdateResult extends MessageResult {
  update_hashes?: unknown[];
  skipped_hashes?: unknown[];
}

export interface DeleteResult extends MessageResult {
  deleted_hashes?: unknown[] | number;
  skipped_hashes?: unknown[] | number;
}

export interface JobStartResult extends MessageResult {
  job_id?: string;
}

export interface JobRecord {
  id: string;
  status?: string;
  message?: string;
  type?: string;
}

export type DataRecord = Record<string, unknown>;
