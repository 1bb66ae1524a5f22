/**
 * Pure value semantics of the dialect. NULL (and a missing attribute) is unknown: comparisons
 * with it are NULL and WHERE keeps only true. A number compared with a string that reads as a
 * number compares as numbers (HarperDB evaluates SQL loosely, like JavaScript); other mixed
 * types are never equal and not ordered. An array attribute equals a value it contains.
 * Sorting puts NULL first, then booleans, numbers, strings and objects (the index order).
 */

const NUMERIC = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export function isNull(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** The number a value stands for (numbers and numeric strings), else undefined. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

export function isNumericString(v: unknown): v is string {
  return typeof v === 'string' && NUMERIC.test(v);
}

/** SQL `=`: true, false or null (unknown). */
export function sqlEquals(a: unknown, b: unknown): boolean | null {
  if (isNull(a) || isNull(b)) return null;
  if (Array.isArray(a) && !Array.isArray(b)) return a.some((x) => sqlEquals(x, b) === true);
  if (Array.isArray(b) && !Array.isArray(a)) return b.some((x) => sqlEquals(a, x) === true);
  if (typeof a === typeof b) {
    if (typeof a === 'object') return JSON.stringify(a) === JSON.stringify(b);
    return a === b;
  }
  if (typeof a === 'number' && typeof b === 'string') return asNumber(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return asNumber(a) === b;
  return false;
}

/** SQL ordering comparison: negative, zero, positive, or null when the values are not comparable. */
export function sqlCompare(a: unknown, b: unknown): number | null {
  if (isNull(a) || isNull(b)) return null;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' || typeof b === 'number') {
    const x = asNumber(a), y = asNumber(b);
    return x === undefined || y === undefined ? null : x - y;
  }
  return null;
}

/** `a < b` style predicates over an attribute that may hold an array (true when any element matches). */
export function compareWith(a: unknown, b: unknown, test: (d: number) => boolean): boolean | null {
  if (Array.isArray(a)) return a.some((x) => compareWith(x, b, test) === true);
  const d = sqlCompare(a, b);
  return d === null ? null : test(d);
}

function rank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return 4;
}

/** Total order for ORDER BY, GROUP BY output and MIN/MAX: NULL < booleans < numbers < strings < objects. */
export function sortCompare(a: unknown, b: unknown): number {
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 2) return (a as number) - (b as number);
  if (ra === 1) return Number(a) - Number(b);
  if (ra === 3) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** WHERE/HAVING/ON keep a row only when the condition is true (a non-zero number counts as true). */
export function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'number' && v !== 0 && !Number.isNaN(v));
}

/** Three-valued NOT. */
export function not(v: unknown): boolean | null {
  if (isNull(v)) return null;
  return !isTrue(v);
}

/** Arithmetic: numbers and numeric strings; `+` of a non-numeric string concatenates; NULL in, NULL out. */
export function arithmetic(op: '+' | '-' | '*' | '/' | '%', a: unknown, b: unknown): unknown {
  if (isNull(a) || isNull(b)) return null;
  const x = asNumber(a), y = asNumber(b);
  if (x === undefined || y === undefined) {
    if (op === '+' && (typeof a === 'string' || typeof b === 'string')) return `${String(a)}${String(b)}`;
    return null;
  }
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return y === 0 ? null : x / y;
    case '%': return y === 0 ? null : x % y;
  }
}

/** A LIKE pattern (`%` any run, `_` one character, case-insensitive as in HarperDB and MySQL) as a RegExp. */
export function likeToRegExp(pattern: string): RegExp {
  let body = '';
  for (const ch of pattern) {
    if (ch === '%') body += '.*';
    else if (ch === '_') body += '.';
    else body += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, 'is');
}

/** Key identifying a group or a distinct row: NULL and missing are one group; 5 and '5' are two. */
export function groupKey(values: readonly unknown[]): unknown {
  if (values.length === 1) {
    const v = values[0];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object') return typeof v === 'string' ? `s${v}` : v;
  }
  return JSON.stringify(values, (_k, v: unknown) => (v === undefined ? null : v));
}
