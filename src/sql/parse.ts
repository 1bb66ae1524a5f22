/**
 * Text -> statement: normalise (literals become parameters), then parse the normalised text
 * once and keep the translated statement in an LRU cache, so repeated statements that differ
 * only in literals skip the parser. Long statements are parsed in a worker thread so the event
 * loop stays free. Parser errors become 400s naming the position and token.
 */
import { Worker } from 'node:worker_threads';
import { DbError, invalid } from '../errors/db-error.js';
import type { Statement } from './ast.js';
import { describePosition, normalise } from './lexer.js';
import { parseText } from './sql-parser.js';
import { translate } from './translate.js';

const CACHE_SIZE = 1000;
/** Normalised statements longer than this are parsed in the worker (about 1 ms of parsing). */
const WORKER_THRESHOLD_CHARS = 400;
/** A parse running longer than this is stopped (the worker is replaced) and refused. */
const PARSE_TIMEOUT_MS = 15_000;

export interface ParsedSql {
  statement: Statement;
  params: unknown[];
}

interface ParseFailure { message: string; offset: number | null }

export interface SqlParserOptions {
  /** Longest a worker parse may run before it is stopped and refused (default 15 s). */
  parseTimeoutMs?: number;
  /** Normalised statements longer than this are parsed in the worker (default 400 chars). */
  workerThresholdChars?: number;
}

export class SqlParser {
  readonly #cache = new Map<string, Statement>();
  readonly #timeoutMs: number;
  readonly #threshold: number;
  #worker: Worker | undefined;
  #pending = new Map<number, (r: { ast?: unknown; error?: ParseFailure }) => void>();
  #nextId = 1;

  constructor(options: SqlParserOptions = {}) {
    this.#timeoutMs = options.parseTimeoutMs ?? PARSE_TIMEOUT_MS;
    this.#threshold = options.workerThresholdChars ?? WORKER_THRESHOLD_CHARS;
  }

  /** Parses a statement; synchronous (returns a value, not a promise) on a cache hit. */
  parse(sql: string): ParsedSql | Promise<ParsedSql> {
    if (typeof sql !== 'string' || !sql.trim()) throw invalid(`'sql' must be a non-empty string`);
    // EXPLAIN is ours (the grammar only knows EXPLAIN SELECT): strip it and wrap the statement.
    const explain = /^\s*explain\s+/i.exec(sql);
    const shift = explain ? explain[0].length : 0;
    const norm = normalise(explain ? sql.slice(shift) : sql);
    const key = explain ? `EXPLAIN ${norm.text}` : norm.text;
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return { statement: cached, params: norm.params };
    }
    const finish = (ast: unknown): ParsedSql => {
      const inner = translate(ast, norm.params.length);
      if (explain && inner.type === 'explain') throw invalid('EXPLAIN EXPLAIN is not a statement');
      const statement: Statement = explain && inner.type !== 'explain' ? { type: 'explain', statement: inner } : inner;
      this.#cache.set(key, statement);
      if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      return { statement, params: norm.params };
    };
    const fail = (f: ParseFailure): never => {
      if (f.offset === null) {
        // Errors without a position (e.g. "column count doesn't match value count at row 1") say what is wrong.
        const said = f.message.replace(/^(Error:\s*)+/, '');
        throw invalid(said && said.length < 200 && !said.includes('\n') ? `SQL syntax error: ${said}` : 'SQL syntax error');
      }
      const at = shift + norm.originalOffset(f.offset);
      throw invalid(`SQL syntax error at ${describePosition(sql, at)}${unsupportedNear(sql, at)}`);
    };
    if (norm.text.length <= this.#threshold) {
      let ast: unknown;
      try {
        ast = parseText(norm.text);
      } catch (err) {
        fail(toFailure(err));
      }
      return finish(ast);
    }
    return this.#parseInWorker(norm.text).then((r) => (r.error ? fail(r.error) : finish(r.ast)));
  }

  #parseInWorker(text: string): Promise<{ ast?: unknown; error?: ParseFailure }> {
    if (!this.#worker) {
      const w = new Worker(new URL('./parse-worker.js', import.meta.url));
      w.unref();
      w.on('message', (m: { id: number; ast?: unknown; error?: ParseFailure }) => {
        const done = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        done?.(m);
      });
      w.on('error', (err) => this.#failAll(err));
      w.on('exit', () => { if (this.#worker === w) { this.#worker = undefined; this.#failAll(new Error('parser worker exited')); } });
      this.#worker = w;
    }
    const id = this.#nextId++;
    const worker = this.#worker;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ error: { message: 'the statement is too complex to parse', offset: null } });
        if (this.#worker === worker) this.#worker = undefined;
        void worker.terminate();
      }, this.#timeoutMs);
      timer.unref();
      this.#pending.set(id, (r) => { clearTimeout(timer); resolve(r); });
      worker.postMessage({ id, text });
    });
  }

  #failAll(err: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const done of pending) done({ error: { message: String(err), offset: null } });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }
}

function toFailure(err: unknown): ParseFailure {
  if (err instanceof DbError) throw err;
  const e = err as { message?: string; location?: { start?: { offset?: number } } };
  if (err instanceof RangeError) return { message: 'statement too deeply nested', offset: null };
  return { message: String(e?.message ?? err), offset: e?.location?.start?.offset ?? null };
}

/**
 * Constructs the grammar refuses with a bare syntax error, named when the error sits right after them: the
 * parser's MySQL grammar takes DISTINCT only inside COUNT (and GROUP_CONCAT).
 */
function unsupportedNear(sql: string, at: number): string {
  const m = /\b(SUM|AVG|MIN|MAX)\s*\(\s*DISTINCT\b\s*$/i.exec(sql.slice(Math.max(0, at - 40), at));
  return m ? `: ${m[1].toUpperCase()}(DISTINCT ...) is not supported (COUNT(DISTINCT ...) is)` : '';
}
