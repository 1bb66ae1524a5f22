/**
 * The PostgreSQL target: the only module that imports `pg` and `pg-copy-streams`. One client,
 * one transaction per batch: lock the sink's cursor row, check it is the expected one, create or
 * widen the target table, write the rows (COPY for new rows, multi-row upsert otherwise, deletes
 * with tombstones) and move the cursor, then commit. Errors are classified into TargetError
 * kinds with messages that never contain the URL's password.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { from as CopyFrom } from 'pg-copy-streams';
import type { PrepareRequest, Progress, SinkRow, SinkTarget, TargetFactoryOptions, TargetTable, WriteRequest, WriteResult } from '../target.js';
import { TargetError } from '../target.js';
import { BinaryCopyBuffer, binaryEncoder, type BinaryFieldEncoder } from './copy-binary.js';
import {
  addColumnSql, copyEncoder, copyField, copySql, createTableSql, deleteSql, encodeValue, inferType, keyText, MISMATCH, ORIGIN_COLUMN,
  PROGRESS_TABLE, qualified, quoteIdent, SETUP_SQL, STAGE_TABLE, stageCopySql, stageSql, TOMBSTONE_TABLE, upsertSql, VERSION_COLUMN, type ColumnSet,
} from './sql.js';

/**
 * `pg` and `pg-copy-streams`, loaded when the first target connects: a node without sinks
 * does not pay for them at start-up (about 60-190 ms of module evaluation).
 */
let drivers: { Client: typeof pg.Client; copyFrom: typeof CopyFrom } | null = null;
function pgDrivers(): { Client: typeof pg.Client; copyFrom: typeof CopyFrom } {
  if (!drivers) {
    const require = createRequire(import.meta.url);
    drivers = { Client: (require('pg') as typeof pg).Client, copyFrom: (require('pg-copy-streams') as { from: typeof CopyFrom }).from };
  }
  return drivers;
}

const AUTH_CODES = new Set(['28P01', '28000']);
const RETRY_CODES = new Set(['40001', '40P01']);
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

interface Mapped {
  /** Target columns that carry attributes, with their types and source attribute. */
  cols: ColumnSet;
  attrs: string[];
  keyColumn: string;
  keyType: string;
}

interface Payload {
  data: Buffer | string;
  binary: boolean;
  mismatches: number;
}

/** A batch encoded by prepare(): valid while the table's known columns are the same object and size. */
interface Prepared {
  rows: SinkRow[];
  known: Map<string, string>;
  knownSize: number;
  mapped: Mapped;
  /** Encoded for the upsert path (staging table with key text, rows in key order), else for COPY. */
  withKeyText: boolean;
  payload: Payload;
}

const byKey = (a: SinkRow, b: SinkRow) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class PostgresTarget implements SinkTarget {
  readonly #url: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  #client: pg.Client | null = null;
  /** Known columns per target table (`schema.table` -> column -> type), dropped after any error. */
  readonly #columns = new Map<string, Map<string, string>>();

  constructor(options: TargetFactoryOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs;
    let secret = '';
    try { secret = decodeURIComponent(new URL(options.url).password); } catch { /* validated before; nothing to hide */ }
    this.#secret = secret;
  }

  async open(): Promise<void> {
    await this.close();
    const client = new (pgDrivers().Client)({ connectionString: this.#url, connectionTimeoutMillis: this.#timeoutMs, query_timeout: this.#timeoutMs, application_name: 'ferrydb-sink', keepAlive: true });
    // A dead connection also fails the query in flight; the sink reconnects from there.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('ferrydb_sink_setup'))`);
      for (const sql of SETUP_SQL) await client.query(sql);
      await client.query('COMMIT');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw this.#classify(err);
    }
    this.#client = client;
    this.#columns.clear();
  }

  async readProgress(sink: string, sourceNode: string, table: TargetTable): Promise<Progress | null> {
    try {
      const r = await this.#c().query<{ position: string; copy_state: string | null }>(
        `SELECT position, copy_state FROM ${PROGRESS_TABLE} WHERE sink = $1 AND source_node = $2 AND db = $3 AND "table" = $4`,
        [sink, sourceNode, table.database, table.table]);
      const row = r.rows[0];
      return row ? { position: Number(row.position), copy: row.copy_state ? JSON.parse(row.copy_state) : null } : null;
    } catch (err) {
      throw this.#classify(err);
    }
  }

  async write(req: WriteRequest): Promise<WriteResult> {
    const c = this.#c();
    const { table } = req;
    const targetKey = `${table.schema}.${table.name}`;
    const qname = qualified(table.schema, table.name);
    // The caller's work for its next batch runs once, while the biggest statement of this one is in flight.
    let hook = req.whileWaiting;
    const idle = () => { const h = hook; hook = undefined; h?.(); };
    try {
      const deletes: SinkRow[] = [], upserts: SinkRow[] = [];
      for (const r of req.rows) (r.record === null ? deletes : upserts).push(r);
      const bulk = req.likelyNew && !deletes.length && upserts.length > 0;
      // One round trip: begin, lock the cursor row, learn whether the bulk path is open, and
      // set the savepoint the bulk path falls back to (unused otherwise).
      const lit = (v: string) => c.escapeLiteral(v);
      const where = `sink = ${lit(req.sink)} AND source_node = ${lit(req.sourceNode)} AND db = ${lit(table.database)} AND "table" = ${lit(table.table)}`;
      const head = await c.query(`BEGIN; SELECT position, copy_state FROM ${PROGRESS_TABLE} WHERE ${where} FOR UPDATE; `
        + `SELECT EXISTS (SELECT 1 FROM ${TOMBSTONE_TABLE} WHERE target_table = ${lit(targetKey)}) AS tombstones${bulk ? '; SAVEPOINT ferrydb_bulk' : ''}`) as unknown as pg.QueryResult[];
      const row = head[1]!.rows[0] as { position: string; copy_state: string | null } | undefined;
      const hasTombstones = Boolean(head[2]!.rows[0]?.tombstones);
      const stored = row ? `${Number(row.position)}|${row.copy_state ?? ''}` : null;
      const expected = req.expected ? `${req.expected.position}|${req.expected.copy ? JSON.stringify(req.expected.copy) : ''}` : null;
      if (stored !== expected) throw new TargetError('conflict', `the cursor stored in ${PROGRESS_TABLE} moved (another writer for sink '${req.sink}'?); re-reading it`);
      // A batch encoded ahead (prepare) is used only while the table's known columns are unchanged.
      let prepared = req.prepared as Prepared | undefined;
      if (prepared && !(prepared.rows === req.rows && this.#columns.get(targetKey) === prepared.known && prepared.known.size === prepared.knownSize)) prepared = undefined;
      const mapped = prepared ? prepared.mapped : await this.#mapColumns(c, table, req.rows, req.attributes);
      let bytes = 0, mismatches = 0, path = 'upsert', format: string | undefined;
      if (deletes.length) bytes += await this.#delete(c, qname, targetKey, mapped, deletes);
      if (upserts.length) {
        let done = false;
        if (bulk && !hasTombstones) {
          try {
            const res = await this.#copy(c, qname, mapped, upserts, prepared && !prepared.withKeyText ? prepared.payload : null, idle);
            bytes += res.bytes; mismatches += res.mismatches; path = 'copy'; format = res.format; done = true;
          } catch (err) {
            // Some keys already exist (another HQ node, an earlier copy): fall back to the upsert.
            if ((err as { code?: string }).code !== '23505') throw err;
            await c.query('ROLLBACK TO SAVEPOINT ferrydb_bulk');
          }
        }
        if (!done) {
          const res = await this.#upsert(c, qname, targetKey, mapped, upserts, prepared?.withKeyText ? prepared.payload : null, idle);
          bytes += res.bytes; mismatches += res.mismatches; format = res.format;
        }
      }
      // One round trip: move the cursor and commit.
      const copyState = req.next.copy ? lit(JSON.stringify(req.next.copy)) : 'NULL';
      const commit = c.query(`INSERT INTO ${PROGRESS_TABLE} (sink, source_node, db, "table", position, copy_state, target_table, updated_at) `
        + `VALUES (${lit(req.sink)}, ${lit(req.sourceNode)}, ${lit(table.database)}, ${lit(table.table)}, ${Math.trunc(req.next.position)}, ${copyState}, ${lit(targetKey)}, now()) `
        + `ON CONFLICT (sink, source_node, db, "table") DO UPDATE SET position = EXCLUDED.position, copy_state = EXCLUDED.copy_state, target_table = EXCLUDED.target_table, updated_at = now(); COMMIT`);
      idle();
      await commit;
      return { bytes, typeMismatches: mismatches, path, ...(format ? { format } : {}) };
    } catch (err) {
      this.#columns.delete(targetKey);
      await c.query('ROLLBACK').catch(() => undefined);
      throw this.#classify(err);
    }
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = null;
    if (c) await c.end().catch(() => undefined);
  }

  #c(): pg.Client {
    if (!this.#client) throw new TargetError('unavailable', 'not connected');
    return this.#client;
  }

  /**
   * The attributes the rows carry and the columns they would need that the table lacks (pure,
   * over the known columns). A row whose attribute names are the previous row's (same order),
   * when every one of them had a column or a non-null value there, adds nothing and is skipped.
   */
  #scan(table: TargetTable, known: Map<string, string>, rows: SinkRow[], attributes: readonly string[]): { wanted: Map<string, string>; present: Set<string>; keyColumn: string } {
    const colOf = (attr: string) => (Object.hasOwn(table.columns, attr) ? table.columns[attr]! : attr);
    const keyColumn = colOf(table.keyAttribute);
    const wanted = new Map<string, string>();
    if (!known.has(keyColumn)) {
      const sample = rows.find((r) => r.key !== undefined)?.key;
      wanted.set(keyColumn, typeof sample === 'number' ? 'double precision' : 'text');
    }
    const present = new Set(attributes);
    let prev: string[] = [];
    let prevSettled = false;
    for (const r of rows) {
      const rec = r.record;
      if (!rec) continue;
      const names = Object.keys(rec);
      if (prevSettled && names.length === prev.length) {
        let same = true;
        for (let i = 0; i < names.length; i++) if (names[i] !== prev[i]) { same = false; break; }
        if (same) continue;
      }
      let settled = true;
      for (const attr of names) {
        present.add(attr);
        const col = colOf(attr);
        if (known.has(col) || wanted.has(col)) continue;
        const v = rec[attr];
        if (v === null || v === undefined) { settled = false; continue; }
        wanted.set(col, inferType(attr, v));
      }
      prev = names;
      prevSettled = settled;
    }
    present.add(table.keyAttribute);
    return { wanted, present, keyColumn };
  }

  /** Loads the table's columns; creates the table and missing columns when allowed. */
  async #mapColumns(c: pg.Client, table: TargetTable, rows: SinkRow[], attributes: readonly string[]): Promise<Mapped> {
    const targetKey = `${table.schema}.${table.name}`;
    const qname = qualified(table.schema, table.name);
    let known = this.#columns.get(targetKey);
    if (!known) {
      const r = await c.query<{ column_name: string; data_type: string }>(
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [table.schema, table.name]);
      known = new Map(r.rows.map((x) => [x.column_name, x.data_type]));
      this.#columns.set(targetKey, known);
    }
    const { wanted, present, keyColumn } = this.#scan(table, known, rows, attributes);
    if (wanted.size) {
      if (!table.createTables) {
        if (known.size === 0) throw new TargetError('rejected', `target table ${targetKey} does not exist (create_tables is off)`);
        wanted.clear(); // attributes without a column are not delivered
      } else {
        await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`ferrydb_sink_ddl:${targetKey}`]);
        if (known.size === 0) {
          await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.schema)}`);
          await c.query(createTableSql(qname, keyColumn, wanted.get(keyColumn) ?? 'text'));
          known.set(keyColumn, wanted.get(keyColumn) ?? 'text');
          known.set(VERSION_COLUMN, 'bigint');
          known.set(ORIGIN_COLUMN, 'text');
          wanted.delete(keyColumn);
        }
        for (const [col, type] of wanted) {
          await c.query(addColumnSql(qname, col, type));
          known.set(col, type);
        }
        // Another node may have added the column first with another type: read the truth back.
        if (wanted.size) {
          const r = await c.query<{ column_name: string; data_type: string }>(
            'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [table.schema, table.name]);
          for (const x of r.rows) known.set(x.column_name, x.data_type);
        }
      }
    }
    if (!known.has(keyColumn)) throw new TargetError('rejected', `target table ${targetKey} has no column '${keyColumn}' for the primary key`);
    if (!known.has(VERSION_COLUMN) || !known.has(ORIGIN_COLUMN)) throw new TargetError('rejected', `target table ${targetKey} needs the columns ${VERSION_COLUMN} bigint and ${ORIGIN_COLUMN} text`);
    return this.#mapped(table, known, present, keyColumn);
  }

  /** The mapped columns of the table for the attributes present (known columns only). */
  #mapped(table: TargetTable, known: Map<string, string>, present: Set<string>, keyColumn: string): Mapped {
    const reverse = new Map<string, string>();
    for (const [attr, col] of Object.entries(table.columns)) reverse.set(col, attr);
    const names: string[] = [], types: string[] = [], attrs: string[] = [];
    for (const [col, type] of known) {
      if (col === VERSION_COLUMN || col === ORIGIN_COLUMN) continue;
      const attr = reverse.get(col) ?? (Object.hasOwn(table.columns, col) ? null : col);
      if (attr === null || !present.has(attr)) continue;
      names.push(col); types.push(type); attrs.push(attr);
    }
    return { cols: { names, types }, attrs, keyColumn, keyType: known.get(keyColumn)! };
  }

  /**
   * Encodes a batch ahead of its write, while the previous batch is in flight, when the known
   * columns already cover it (no DDL needed, nothing to read from the target). `write` uses the
   * result only if the table's columns have not changed since; otherwise it encodes again.
   */
  prepare(req: PrepareRequest): unknown {
    const { table, rows } = req;
    const known = this.#columns.get(`${table.schema}.${table.name}`);
    if (!known || !this.#client || rows.length === 0) return null;
    for (const r of rows) if (r.record === null) return null;
    const { wanted, present, keyColumn } = this.#scan(table, known, rows, req.attributes);
    if (wanted.size && table.createTables) return null;
    if (!known.has(keyColumn) || !known.has(VERSION_COLUMN) || !known.has(ORIGIN_COLUMN)) return null;
    const mapped = this.#mapped(table, known, present, keyColumn);
    const withKeyText = !req.likelyNew;
    const ordered = withKeyText ? [...rows].sort(byKey) : rows;
    const prepared: Prepared = { rows, known, knownSize: known.size, mapped, withKeyText, payload: this.#payload(mapped, ordered, withKeyText) };
    return prepared;
  }

  /**
   * The COPY payload of the rows: the mapped columns, version and origin (and the key text when
   * staging). Binary format when every column type has a binary encoder (no number goes through
   * decimal text on either side), else text format.
   */
  #payload(m: Mapped, rows: SinkRow[], withKeyText: boolean): Payload {
    const attrs = m.attrs;
    const n = attrs.length;
    const binEncoders = m.cols.types.map(binaryEncoder);
    if (binEncoders.every((e) => e !== null)) {
      const enc = binEncoders as BinaryFieldEncoder[];
      let mismatches = 0;
      const out = new BinaryCopyBuffer(Math.max(64 * 1024, rows.length * (n + 3) * 16));
      const fields = n + (withKeyText ? 3 : 2);
      for (const r of rows) {
        const rec = r.record!;
        out.int16(fields);
        for (let i = 0; i < n; i++) if (!enc[i]!(out, rec[attrs[i]!])) mismatches++;
        out.intField(r.version, 8);
        out.textField(r.origin);
        if (withKeyText) out.textField(keyText(r.key));
      }
      return { data: out.finish(), binary: true, mismatches };
    }
    let mismatches = 0;
    const encoders = m.cols.types.map(copyEncoder);
    let text = '';
    for (const r of rows) {
      const rec = r.record!;
      let line = '';
      for (let i = 0; i < n; i++) {
        let v = encoders[i]!(rec[attrs[i]!]);
        if (v === MISMATCH) { mismatches++; v = '\\N'; }
        line += v + '\t';
      }
      line += String(r.version) + '\t' + copyField(r.origin);
      if (withKeyText) line += '\t' + copyField(keyText(r.key));
      text += line + '\n';
    }
    return { data: text, binary: false, mismatches };
  }

  /** Sends a COPY payload; `whileWaiting` runs once the data is on its way, before its completion is awaited. */
  async #copyIn(c: pg.Client, sql: string, data: Buffer | string, whileWaiting?: () => void): Promise<void> {
    const stream = c.query(pgDrivers().copyFrom(sql));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    stream.end(data);
    // A throw from the caller's work must not leave `done` unobserved.
    try { whileWaiting?.(); } finally { await done; }
  }

  async #copy(c: pg.Client, qname: string, m: Mapped, rows: SinkRow[], ready: Payload | null, whileWaiting: () => void): Promise<{ bytes: number; mismatches: number; format: string }> {
    const { data, binary, mismatches } = ready ?? this.#payload(m, rows, false);
    await this.#copyIn(c, copySql(qname, m.cols, binary), data, whileWaiting);
    return { bytes: Buffer.byteLength(data), mismatches, format: binary ? 'binary' : 'text' };
  }

  /** COPY into a transaction-scoped staging table, then one INSERT ... ON CONFLICT with the version rule. */
  async #upsert(c: pg.Client, qname: string, targetKey: string, m: Mapped, rows: SinkRow[], ready: Payload | null, whileWaiting: () => void): Promise<{ bytes: number; mismatches: number; format: string }> {
    // A stable key order makes concurrent writers (several HQ nodes) lock rows in the same order.
    const { data, binary, mismatches } = ready ?? this.#payload(m, rows.sort(byKey), true);
    await c.query(stageSql(m.cols));
    await this.#copyIn(c, stageCopySql(m.cols, binary), data);
    const upsert = c.query(`${upsertSql(qname, m.keyColumn, m.cols)}`, [targetKey]);
    try { whileWaiting(); } finally { await upsert; }
    await c.query(`DROP TABLE ${STAGE_TABLE}`);
    return { bytes: Buffer.byteLength(data), mismatches, format: binary ? 'binary' : 'text' };
  }

  async #delete(c: pg.Client, qname: string, targetKey: string, m: Mapped, rows: SinkRow[]): Promise<number> {
    rows.sort(byKey);
    let bytes = 0;
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const params: (string | null)[] = [targetKey];
      for (const r of chunk) {
        const k = encodeValue(m.keyType, r.key);
        params.push(k === MISMATCH ? String(r.key) : k, keyText(r.key), String(r.version), r.origin);
        bytes += keyText(r.key).length + 8;
      }
      await c.query(deleteSql(qname, m.keyColumn, m.keyType, chunk.length), params);
    }
    return bytes;
  }

  /** A TargetError for anything thrown by pg, with the password scrubbed from the message. */
  #classify(err: unknown): TargetError {
    if (err instanceof TargetError) return err;
    const e = err as { code?: string; message?: string };
    let message = String(e?.message ?? err);
    if (this.#secret) message = message.split(this.#secret).join('********');
    const code = typeof e?.code === 'string' ? e.code : null;
    if (code && AUTH_CODES.has(code)) return new TargetError('unauthorized', message, code);
    if (code && RETRY_CODES.has(code)) return new TargetError('conflict', message, code);
    if ((code && (NET_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) || /Connection terminated|timeout|not connected|ECONN|socket/i.test(message)) {
      return new TargetError('unavailable', message, code);
    }
    return new TargetError('rejected', message, code);
  }
}

/** The target factory registered for type `postgresql`. */
export function createPostgresTarget(options: TargetFactoryOptions): SinkTarget {
  return new PostgresTarget(options);
}
