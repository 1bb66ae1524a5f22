/**
 * The PostgreSQL target: the only module that imports `pg` and `pg-copy-streams`. One client,
 * one transaction per batch: lock the sink's cursor row, check it is the expected one, create or
 * widen the target table, write the rows (COPY for new rows, multi-row upsert otherwise, deletes
 * with tombstones) and move the cursor, then commit. Errors are classified into TargetError
 * kinds with messages that never contain the URL's password.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Progress, SinkRow, SinkTarget, TargetFactoryOptions, TargetTable, WriteRequest, WriteResult } from '../target.js';
import { TargetError } from '../target.js';
import {
  addColumnSql, copyEncoder, copyField, copySql, createTableSql, deleteSql, encodeValue, inferType, keyText, MISMATCH, ORIGIN_COLUMN,
  PROGRESS_TABLE, qualified, quoteIdent, SETUP_SQL, STAGE_TABLE, stageCopySql, stageSql, TOMBSTONE_TABLE, upsertSql, VERSION_COLUMN, type ColumnSet,
} from './sql.js';

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
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: this.#timeoutMs, query_timeout: this.#timeoutMs, application_name: 'ferrydb-sink', keepAlive: true });
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
    try {
      // One round trip: begin, lock the cursor row, and learn whether the bulk path is open.
      const lit = (v: string) => c.escapeLiteral(v);
      const where = `sink = ${lit(req.sink)} AND source_node = ${lit(req.sourceNode)} AND db = ${lit(table.database)} AND "table" = ${lit(table.table)}`;
      const head = await c.query(`BEGIN; SELECT position, copy_state FROM ${PROGRESS_TABLE} WHERE ${where} FOR UPDATE; `
        + `SELECT EXISTS (SELECT 1 FROM ${TOMBSTONE_TABLE} WHERE target_table = ${lit(targetKey)}) AS tombstones`) as unknown as pg.QueryResult[];
      const row = head[1]!.rows[0] as { position: string; copy_state: string | null } | undefined;
      const hasTombstones = Boolean(head[2]!.rows[0]?.tombstones);
      const stored = row ? `${Number(row.position)}|${row.copy_state ?? ''}` : null;
      const expected = req.expected ? `${req.expected.position}|${req.expected.copy ? JSON.stringify(req.expected.copy) : ''}` : null;
      if (stored !== expected) throw new TargetError('conflict', `the cursor stored in ${PROGRESS_TABLE} moved (another writer for sink '${req.sink}'?); re-reading it`);
      const mapped = await this.#mapColumns(c, table, req.rows, req.attributes);
      let bytes = 0, mismatches = 0, path = 'upsert';
      const deletes: SinkRow[] = [], upserts: SinkRow[] = [];
      for (const r of req.rows) (r.record === null ? deletes : upserts).push(r);
      if (deletes.length) bytes += await this.#delete(c, qname, targetKey, mapped, deletes);
      if (upserts.length) {
        let done = false;
        if (req.likelyNew && !deletes.length) {
          if (!hasTombstones) {
            await c.query('SAVEPOINT ferrydb_bulk');
            try {
              const res = await this.#copy(c, qname, mapped, upserts);
              bytes += res.bytes; mismatches += res.mismatches; path = 'copy'; done = true;
            } catch (err) {
              // Some keys already exist (another HQ node, an earlier copy): fall back to the upsert.
              if ((err as { code?: string }).code !== '23505') throw err;
              await c.query('ROLLBACK TO SAVEPOINT ferrydb_bulk');
            }
          }
        }
        if (!done) {
          const res = await this.#upsert(c, qname, targetKey, mapped, upserts);
          bytes += res.bytes; mismatches += res.mismatches;
        }
      }
      // One round trip: move the cursor and commit.
      const copyState = req.next.copy ? lit(JSON.stringify(req.next.copy)) : 'NULL';
      await c.query(`INSERT INTO ${PROGRESS_TABLE} (sink, source_node, db, "table", position, copy_state, target_table, updated_at) `
        + `VALUES (${lit(req.sink)}, ${lit(req.sourceNode)}, ${lit(table.database)}, ${lit(table.table)}, ${Math.trunc(req.next.position)}, ${copyState}, ${lit(targetKey)}, now()) `
        + `ON CONFLICT (sink, source_node, db, "table") DO UPDATE SET position = EXCLUDED.position, copy_state = EXCLUDED.copy_state, target_table = EXCLUDED.target_table, updated_at = now(); COMMIT`);
      return { bytes, typeMismatches: mismatches, path };
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

  /** Loads the table's columns; creates the table and missing columns when allowed. */
  async #mapColumns(c: pg.Client, table: TargetTable, rows: SinkRow[], attributes: readonly string[]): Promise<Mapped> {
    const targetKey = `${table.schema}.${table.name}`;
    const qname = qualified(table.schema, table.name);
    const colOf = (attr: string) => table.columns[attr] ?? attr;
    let known = this.#columns.get(targetKey);
    if (!known) {
      const r = await c.query<{ column_name: string; data_type: string }>(
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [table.schema, table.name]);
      known = new Map(r.rows.map((x) => [x.column_name, x.data_type]));
      this.#columns.set(targetKey, known);
    }
    const keyColumn = colOf(table.keyAttribute);
    const wanted = new Map<string, string>();
    if (!known.has(keyColumn)) {
      const sample = rows.find((r) => r.key !== undefined)?.key;
      wanted.set(keyColumn, typeof sample === 'number' ? 'double precision' : 'text');
    }
    for (const r of rows) {
      if (!r.record) continue;
      for (const [attr, v] of Object.entries(r.record)) {
        const col = colOf(attr);
        if (v === null || v === undefined || known.has(col) || wanted.has(col)) continue;
        wanted.set(col, inferType(attr, v));
      }
    }
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
    const present = new Set(attributes);
    for (const r of rows) if (r.record) for (const a of Object.keys(r.record)) present.add(a);
    present.add(table.keyAttribute);
    const reverse = new Map<string, string>();
    for (const [attr, col] of Object.entries(table.columns)) reverse.set(col, attr);
    const names: string[] = [], types: string[] = [], attrs: string[] = [];
    for (const [col, type] of known) {
      if (col === VERSION_COLUMN || col === ORIGIN_COLUMN) continue;
      const attr = reverse.get(col) ?? (table.columns[col] === undefined ? col : null);
      if (attr === null || !present.has(attr)) continue;
      names.push(col); types.push(type); attrs.push(attr);
    }
    return { cols: { names, types }, attrs, keyColumn, keyType: known.get(keyColumn)! };
  }

  /** COPY text of the rows: the mapped columns, version and origin (and the key text when staging). */
  #copyText(m: Mapped, rows: SinkRow[], withKeyText: boolean): { text: string; mismatches: number } {
    let mismatches = 0;
    const encoders = m.cols.types.map(copyEncoder);
    const attrs = m.attrs;
    const n = attrs.length;
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
    return { text, mismatches };
  }

  async #copyIn(c: pg.Client, sql: string, text: string): Promise<void> {
    const stream = c.query(copyFrom(sql));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(text);
    });
  }

  async #copy(c: pg.Client, qname: string, m: Mapped, rows: SinkRow[]): Promise<{ bytes: number; mismatches: number }> {
    const { text, mismatches } = this.#copyText(m, rows, false);
    await this.#copyIn(c, copySql(qname, m.cols), text);
    return { bytes: Buffer.byteLength(text), mismatches };
  }

  /** COPY into a transaction-scoped staging table, then one INSERT ... ON CONFLICT with the version rule. */
  async #upsert(c: pg.Client, qname: string, targetKey: string, m: Mapped, rows: SinkRow[]): Promise<{ bytes: number; mismatches: number }> {
    // A stable key order makes concurrent writers (several HQ nodes) lock rows in the same order.
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const { text, mismatches } = this.#copyText(m, rows, true);
    await c.query(stageSql(m.cols));
    await this.#copyIn(c, stageCopySql(m.cols), text);
    await c.query(`${upsertSql(qname, m.keyColumn, m.cols)}`, [targetKey]);
    await c.query(`DROP TABLE ${STAGE_TABLE}`);
    return { bytes: Buffer.byteLength(text), mismatches };
  }

  async #delete(c: pg.Client, qname: string, targetKey: string, m: Mapped, rows: SinkRow[]): Promise<number> {
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
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
