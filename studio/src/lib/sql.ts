/** Pure helpers of the Studio's SQL box: the starting statement and how a result is shown. */

export type SqlResult =
  | { kind: 'rows'; columns: string[]; rows: Record<string, unknown>[] }
  | { kind: 'message'; message: string; detail: unknown }
  | { kind: 'plan'; plan: unknown };

/** The statement the box starts with for a table (identifiers back-quoted). */
export function defaultStatement(database: string, table: string): string {
  return `SELECT * FROM \`${database.replace(/`/g, '``')}\`.\`${table.replace(/`/g, '``')}\` LIMIT 100`;
}

/** Columns of a result in first-seen order, the primary key (when present) first. */
export function resultColumns(rows: readonly Record<string, unknown>[], hashAttribute?: string): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  const cols = [...seen];
  if (hashAttribute && seen.has(hashAttribute)) return [hashAttribute, ...cols.filter((c) => c !== hashAttribute)];
  return cols;
}

/** Classifies what the sql operation answered: rows for the grid, a write's message, or a plan. */
export function classifyResult(body: unknown, hashAttribute?: string): SqlResult {
  if (Array.isArray(body)) {
    const rows = body.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r));
    return { kind: 'rows', columns: resultColumns(rows, hashAttribute), rows };
  }
  if (body && typeof body === 'object' && 'statement' in body) return { kind: 'plan', plan: body };
  const message = body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : 'done';
  return { kind: 'message', message, detail: body };
}

/** True for statements that change data (the table page then reloads). */
export function isWrite(statement: string): boolean {
  return /^\s*(insert|update|delete)\b/i.test(statement);
}
