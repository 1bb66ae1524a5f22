/**
 * A simulated fleet of factory machines. Each machine takes a reading every sample interval;
 * the fleet writes the readings to the edge node in batches and reads its configuration
 * (the `configs` table on the edge, filled by replication from headquarters) to change how
 * often the machines sample.
 */
import { createHash, type Hash } from 'node:crypto';
import type { OpsClient } from './ops-client.js';

export interface SensorRow {
  id: number;
  machine_id: string;
  pressure: number;
  temperature: number;
  weight: number;
  ts: number;
}

/** The configuration row the fleet obeys, by primary key `fleet`. */
export interface FleetConfigRow {
  id: 'fleet';
  sample_interval_ms: number;
  version: number;
}

export interface FleetOptions {
  /** Client for the edge node. */
  edge: OpsClient;
  database: string;
  table: string;
  configTable: string;
  /** Total readings per second at the start. */
  rate: number;
  machines?: number;
  /** Most rows in one insert. */
  batchRows?: number;
  /** How often the configuration is read from the edge. */
  configPollMs?: number;
  seed?: number;
  /**
   * How a batch reaches the edge (default: one operations-API insert). The demo sends over
   * MQTT. Sending the same rows again must be harmless (insert skips, upsert rewrites).
   */
  send?: ((rows: SensorRow[]) => Promise<void>) | null;
}

export interface FleetStats {
  /** Rows the edge acknowledged. */
  written: number;
  batches: number;
  failedBatches: number;
  /** Bytes of the acknowledged rows as JSON (what a plain JSON feed would carry). */
  jsonBytes: number;
  machines: number;
  sampleIntervalMs: number;
  /** Rows per second the fleet aims for with the current interval. */
  targetRate: number;
  configVersion: number;
  /** When the latest configuration change was picked up (epoch ms), or null. */
  configPickedUpAt: number | null;
  lastError: string | null;
}

/** The canonical text of a row for checksums (fixed field order, no metadata). */
export function canonicalRow(row: SensorRow): string {
  return JSON.stringify([row.id, row.machine_id, row.pressure, row.temperature, row.weight, row.ts]);
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fleet {
  readonly #options: Required<FleetOptions>;
  readonly #random: () => number;
  readonly #hash: Hash = createHash('sha256');
  readonly #stats: FleetStats;
  #nextId = 1;
  #owed = 0;
  #running = false;
  #loop: Promise<void> | null = null;
  #configLoop: Promise<void> | null = null;
  readonly #wakers = new Set<() => void>();

  constructor(options: FleetOptions) {
    this.#options = { machines: 20, batchRows: 500, configPollMs: 250, seed: 42, send: null, ...options };
    if (!(options.rate > 0)) throw new Error(`the fleet rate must be positive, got ${options.rate}`);
    this.#random = randomSource(this.#options.seed);
    const interval = (this.#options.machines * 1000) / options.rate;
    this.#stats = {
      written: 0, batches: 0, failedBatches: 0, jsonBytes: 0, machines: this.#options.machines,
      sampleIntervalMs: interval, targetRate: options.rate, configVersion: 0, configPickedUpAt: null, lastError: null,
    };
  }

  stats(): FleetStats {
    return { ...this.#stats };
  }

  /** sha256 over the canonical rows the edge acknowledged, in id order. */
  checksum(): string {
    return this.#hash.copy().digest('hex');
  }

  get isRunning(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#writeLoop();
    this.#configLoop = this.#readConfigLoop();
  }

  /** Stops writing; resolves once the batch in flight is acknowledged or given up. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const wake of this.#wakers) wake();
    await Promise.all([this.#loop, this.#configLoop]);
  }

  /** Reads the configuration row from the edge once and applies it; true when it changed. */
  async refreshConfig(): Promise<boolean> {
    const { edge, database, configTable } = this.#options;
    const rows = await edge.call<FleetConfigRow[]>({ operation: 'search_by_hash', schema: database, table: configTable, hash_values: ['fleet'], get_attributes: ['*'] }, 5000);
    const row = rows[0];
    if (!row || typeof row.sample_interval_ms !== 'number' || row.sample_interval_ms <= 0) return false;
    if (row.version === this.#stats.configVersion && row.sample_interval_ms === this.#stats.sampleIntervalMs) return false;
    this.#stats.sampleIntervalMs = row.sample_interval_ms;
    this.#stats.targetRate = (this.#stats.machines * 1000) / row.sample_interval_ms;
    this.#stats.configVersion = typeof row.version === 'number' ? row.version : this.#stats.configVersion + 1;
    this.#stats.configPickedUpAt = Date.now();
    return true;
  }

  #makeRows(n: number): SensorRow[] {
    const rows: SensorRow[] = [];
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const id = this.#nextId + i;
      const machine = (id - 1) % this.#stats.machines;
      const r = this.#random;
      rows.push({
        id,
        machine_id: `press-${String(machine + 1).padStart(2, '0')}`,
        pressure: Math.round((180 + machine * 0.5 + r() * 8) * 100) / 100,
        temperature: Math.round((62 + r() * 6) * 100) / 100,
        weight: Math.round((24.5 + r() * 1.2) * 1000) / 1000,
        ts: now,
      });
    }
    return rows;
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = () => { clearTimeout(timer); this.#wakers.delete(wake); resolve(); };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  async #writeLoop(): Promise<void> {
    const { edge, database, table, batchRows, send: deliver } = this.#options;
    let last = Date.now();
    let pending: SensorRow[] | null = null;
    const send = async (rows: SensorRow[]) => {
      if (deliver) await deliver(rows);
      else await edge.call({ operation: 'insert', schema: database, table, records: rows }, 15_000);
      // Acknowledged: these ids are now the edge's responsibility.
      for (const row of rows) {
        this.#hash.update(canonicalRow(row)).update('\n');
        this.#stats.jsonBytes += Buffer.byteLength(JSON.stringify(row));
      }
      this.#nextId += rows.length;
      this.#owed -= rows.length;
      this.#stats.written += rows.length;
      this.#stats.batches++;
    };
    while (this.#running) {
      const now = Date.now();
      this.#owed += ((now - last) / 1000) * this.#stats.targetRate;
      last = now;
      if (!pending) {
        const n = Math.min(Math.floor(this.#owed), batchRows);
        if (n < 1) { await this.#sleep(20); continue; }
        pending = this.#makeRows(n);
      }
      try {
        await send(pending);
        pending = null;
      } catch (err) {
        // The same batch is sent again: insert skips ids the edge already holds.
        this.#stats.failedBatches++;
        this.#stats.lastError = (err as Error).message;
        await this.#sleep(200);
      }
    }
    // A batch that failed last may still have landed: send it once more so that it is
    // either acknowledged (insert skips the ids already there) or reported by the summary.
    if (pending) {
      try { await send(pending); } catch (err) { this.#stats.lastError = (err as Error).message; }
    }
  }

  async #readConfigLoop(): Promise<void> {
    while (this.#running) {
      try {
        await this.refreshConfig();
      } catch {
        // The table may not exist yet or the edge may be busy: try again next poll.
      }
      await this.#sleep(this.#options.configPollMs);
    }
  }
}
