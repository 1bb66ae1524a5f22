/**
 * Scalar functions of the dialect (HarperDB's documented names). NULL arguments give NULL
 * except in COALESCE/IFNULL and CONCAT (which skips them). Dates are epoch milliseconds or
 * strings Date can parse; formatting is in UTC.
 */
import { invalid } from '../errors/db-error.js';
import { asNumber, isNull } from './values.js';

type Fn = (args: unknown[]) => unknown;

const str = (v: unknown): string | null => (isNull(v) ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));
const num = (v: unknown): number | null => (isNull(v) ? null : asNumber(v) ?? null);

function toDate(v: unknown): Date | null {
  if (isNull(v)) return null;
  const n = asNumber(v);
  const d = n !== undefined ? new Date(n) : typeof v === 'string' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

const UNIT_MS: Record<string, number> = { ms: 1, milliseconds: 1, millisecond: 1, s: 1000, seconds: 1000, second: 1000, m: 60_000, minutes: 60_000, minute: 60_000, h: 3_600_000, hours: 3_600_000, hour: 3_600_000, d: 86_400_000, days: 86_400_000, day: 86_400_000, w: 604_800_000, weeks: 604_800_000, week: 604_800_000 };
const MONTH_UNITS: Record<string, number> = { M: 1, months: 1, month: 1, Q: 3, quarters: 3, quarter: 3, y: 12, years: 12, year: 12 };

function unitOf(v: unknown, fn: string): { ms?: number; months?: number } {
  const u = String(v ?? '');
  const key = u.length > 1 ? u.toLowerCase() : u;
  if (UNIT_MS[key] !== undefined) return { ms: UNIT_MS[key] };
  if (MONTH_UNITS[key] !== undefined) return { months: MONTH_UNITS[key] };
  throw invalid(`${fn}: unknown interval '${u}' (use years, quarters, months, weeks, days, hours, minutes, seconds or milliseconds)`);
}

function addInterval(date: unknown, amount: unknown, unit: unknown, fn: string, sign: number): number | null {
  const d = toDate(date), n = num(amount);
  if (!d || n === null) return null;
  const u = unitOf(unit, fn);
  if (u.ms !== undefined) return d.getTime() + sign * n * u.ms;
  const out = new Date(d.getTime());
  out.setUTCMonth(out.getUTCMonth() + sign * n * u.months!);
  return out.getTime();
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Formats a date in UTC with moment-style tokens (YYYY YY MM M DD D HH H hh h mm m ss s SSS A a Z). */
export function formatDate(d: Date, format: string): string {
  const h = d.getUTCHours();
  const tokens: Record<string, () => string> = {
    YYYY: () => String(d.getUTCFullYear()), YY: () => pad(d.getUTCFullYear() % 100),
    MM: () => pad(d.getUTCMonth() + 1), M: () => String(d.getUTCMonth() + 1),
    DD: () => pad(d.getUTCDate()), D: () => String(d.getUTCDate()),
    HH: () => pad(h), H: () => String(h), hh: () => pad(h % 12 || 12), h: () => String(h % 12 || 12),
    mm: () => pad(d.getUTCMinutes()), m: () => String(d.getUTCMinutes()),
    ss: () => pad(d.getUTCSeconds()), s: () => String(d.getUTCSeconds()),
    SSS: () => pad(d.getUTCMilliseconds(), 3), A: () => (h < 12 ? 'AM' : 'PM'), a: () => (h < 12 ? 'am' : 'pm'),
    ZZ: () => '+0000', Z: () => '+00:00',
  };
  return format.replace(/\[([^\]]*)\]|YYYY|YY|SSS|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|A|a|ZZ|Z/g, (t, lit: string | undefined) => (lit !== undefined ? lit : tokens[t]!()));
}

const FUNCTIONS: Record<string, { min: number; max: number; fn: Fn }> = {
  UPPER: { min: 1, max: 1, fn: ([v]) => str(v)?.toUpperCase() ?? null },
  LOWER: { min: 1, max: 1, fn: ([v]) => str(v)?.toLowerCase() ?? null },
  CONCAT: { min: 1, max: 255, fn: (args) => args.filter((a) => !isNull(a)).map((a) => str(a)).join('') },
  LENGTH: { min: 1, max: 1, fn: ([v]) => str(v)?.length ?? null },
  SUBSTRING: {
    min: 2, max: 3,
    fn: ([v, start, len]) => {
      const s = str(v), p = num(start);
      if (s === null || p === null) return null;
      const from = p > 0 ? p - 1 : p < 0 ? Math.max(0, s.length + p) : 0;
      if (len === undefined) return s.slice(from);
      const l = num(len);
      return l === null ? null : s.slice(from, from + Math.max(0, l));
    },
  },
  TRIM: { min: 1, max: 1, fn: ([v]) => str(v)?.trim() ?? null },
  LTRIM: { min: 1, max: 1, fn: ([v]) => str(v)?.trimStart() ?? null },
  RTRIM: { min: 1, max: 1, fn: ([v]) => str(v)?.trimEnd() ?? null },
  ABS: { min: 1, max: 1, fn: ([v]) => { const n = num(v); return n === null ? null : Math.abs(n); } },
  ROUND: {
    min: 1, max: 2,
    fn: ([v, digits]) => {
      const n = num(v), k = digits === undefined ? 0 : num(digits);
      if (n === null || k === null) return null;
      const f = 10 ** k;
      return Math.sign(n) * Math.round(Math.abs(n) * f) / f;
    },
  },
  FLOOR: { min: 1, max: 1, fn: ([v]) => { const n = num(v); return n === null ? null : Math.floor(n); } },
  CEIL: { min: 1, max: 1, fn: ([v]) => { const n = num(v); return n === null ? null : Math.ceil(n); } },
  COALESCE: { min: 1, max: 255, fn: (args) => args.find((a) => !isNull(a)) ?? null },
  NOW: { min: 0, max: 0, fn: () => Date.now() },
  CURRENT_TIMESTAMP: { min: 0, max: 0, fn: () => Date.now() },
  CURRENT_DATE: { min: 0, max: 0, fn: () => new Date().toISOString().slice(0, 10) },
  CURRENT_TIME: { min: 0, max: 0, fn: () => new Date().toISOString().slice(11, 23) },
  DATE_FORMAT: { min: 2, max: 2, fn: ([d, f]) => { const date = toDate(d); return date && !isNull(f) ? formatDate(date, String(f)) : null; } },
  DATE_ADD: { min: 3, max: 3, fn: ([d, n, u]) => addInterval(d, n, u, 'DATE_ADD', 1) },
  DATE_SUB: { min: 3, max: 3, fn: ([d, n, u]) => addInterval(d, n, u, 'DATE_SUB', -1) },
  DATE_DIFF: {
    min: 2, max: 3,
    fn: ([a, b, u]) => {
      const x = toDate(a), y = toDate(b);
      if (!x || !y) return null;
      const ms = x.getTime() - y.getTime();
      if (u === undefined) return ms;
      const unit = unitOf(u, 'DATE_DIFF');
      if (unit.ms !== undefined) return ms / unit.ms;
      return ((x.getUTCFullYear() - y.getUTCFullYear()) * 12 + x.getUTCMonth() - y.getUTCMonth()) / unit.months!;
    },
  },
};

const ALIASES: Record<string, string> = { UCASE: 'UPPER', LCASE: 'LOWER', CHAR_LENGTH: 'LENGTH', CHARACTER_LENGTH: 'LENGTH', SUBSTR: 'SUBSTRING', CEILING: 'CEIL', IFNULL: 'COALESCE', GETDATE: 'NOW', DATEDIFF: 'DATE_DIFF' };

export function isKnownFunction(name: string): boolean {
  return name in FUNCTIONS || name in ALIASES;
}

/** The implementation of a function; checks the argument count (400 otherwise). */
export function functionFor(name: string, argCount: number): Fn {
  const def = FUNCTIONS[ALIASES[name] ?? name];
  if (!def) throw invalid(`unsupported SQL: function '${name}'`);
  if (argCount < def.min || argCount > def.max) {
    const want = def.min === def.max ? `${def.min}` : `${def.min} to ${def.max}`;
    throw invalid(`function '${name}' takes ${want} argument${def.max === 1 ? '' : 's'}, got ${argCount}`);
  }
  return def.fn;
}
