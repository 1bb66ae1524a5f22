/**
 * Load generation for the operations API: sensor rows, keep-alive HTTP client, closed-loop
 * concurrency with latency percentiles. Only loopback targets.
 */
import http from 'node:http';
import type { SensorRow } from '../src/demo/fleet.js';

export type { SensorRow };

export function sensorRow(id: number): SensorRow {
  return {
    id,
    machine_id: `m${id % 100}`,
    pressure: Math.round(Math.random() * 10000) / 100,
    temperature: Math.round((15 + Math.random() * 30) * 100) / 100,
    weight: Math.round(Math.random() * 500000) / 100,
    ts: Date.now(),
  };
}

export interface OpsTarget {
  url: string;
  user: string;
  password: string;
  /** A ready Authorization header (e.g. `Bearer <token>`) instead of Basic user:password. */
  authorization?: string;
}

export class OpsLoad {
  readonly #agent: http.Agent;
  readonly #url: URL;
  readonly #auth: string;

  constructor(target: OpsTarget, sockets = 32) {
    this.#url = new URL(target.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(this.#url.hostname) && !this.#url.hostname.startsWith('127.')) {
      throw new Error(`benchmarks only target loopback addresses, not ${this.#url.hostname}`);
    }
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
    this.#auth = target.authorization ?? `Basic ${Buffer.from(`${target.user}:${target.password}`).toString('base64')}`;
  }

  /** POSTs one operation; resolves with status, body text and latency in ms (never rejects). */
  op(body: unknown): Promise<{ status: number; body: string; ms: number }> {
    const payload = Buffer.from(JSON.stringify(body));
    const t0 = performance.now();
    return new Promise((resolve) => {
      const req = http.request(this.#url, {
        method: 'POST', agent: this.#agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, authorization: this.#auth },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
      });
      req.on('error', (e) => resolve({ status: 0, body: String(e), ms: performance.now() - t0 }));
      req.end(payload);
    });
  }

  async must(body: Record<string, unknown>, ok = [200]): Promise<string> {
    const r = await this.op(body);
    if (!ok.includes(r.status)) throw new Error(`${String(body.operation)} -> ${r.status} ${r.body.slice(0, 200)}`);
    return r.body;
  }

  close(): void {
    this.#agent.destroy();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs `clients` concurrent request loops for durationMs; reports throughput and latency. */
export async function closedLoop(load: OpsLoad, clients: number, durationMs: number, makeBody: () => unknown) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      const r = await load.op(makeBody());
      if (r.status === 200) latencies.push(r.ms); else errors++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, errors, ops_per_s: round(latencies.length / seconds), p50_ms: round(percentile(latencies, 50), 2), p99_ms: round(percentile(latencies, 99), 2), max_ms: round(latencies[latencies.length - 1] ?? NaN, 2) };
}

/** Resident memory of a process in MB (Linux /proc). */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return round(kb / 1024);
}
