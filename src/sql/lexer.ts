/**
 * Pure pre-pass over SQL text before the parser: strips comments, lifts every string and number
 * literal out into a parameter list (`:pN` in the text), back-quotes bare identifiers next to a
 * dot (so `default.sensor_data` parses although DEFAULT is a keyword) and bounds nesting and
 * size. Statements differing only in literals share one normalised text, so the parsed form is
 * cached once for all of them. Offsets map back to the original text for error messages.
 */
import { invalid } from '../errors/db-error.js';

export const MAX_NESTING = 64;
export const MAX_LITERALS = 100_000;

export interface Normalised {
  text: string;
  params: unknown[];
  /** Maps an offset in `text` to an offset in the original SQL. */
  originalOffset(offset: number): number;
}

// Character classes by code unit (no regular expression per character on the per-query path):
// a word is [A-Za-z0-9_$] or anything from U+0080 up; a word starts with the same minus digits.
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 0x80;
const isWord = (c: number) => isWordStart(c) || isDigit(c);
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
/** Clause keywords that end an ORDER BY / GROUP BY list (where numbers are column positions). */
const CLAUSE_WORDS = new Set(['SELECT', 'FROM', 'WHERE', 'HAVING', 'LIMIT', 'OFFSET', 'ORDER', 'GROUP', 'ON', 'SET', 'VALUES', 'JOIN', 'UNION']);

/** Line and column (1-based) of an offset, and the token starting there. */
export function describePosition(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const token = /^\s*(\S{1,20})/.exec(sql.slice(offset))?.[1];
  return token ? `line ${line}, column ${column}, near '${token}'` : `line ${line}, column ${column}, at the end of the statement`;
}

export function normalise(sql: string): Normalised {
  const out: string[] = [];
  const params: unknown[] = [];
  const map: number[] = []; // pairs: normalised offset, original offset
  let outLen = 0;
  let depth = 0;
  let prevWord = ''; // last significant token, upper-cased
  let prefixRun = 0; // consecutive prefix operators (NOT NOT ..., - - ...): nesting in disguise
  let inByList = false;
  let glue = false; // the last token was a dot: the next one joins it without a space
  const emit = (s: string, from: number) => {
    const join = out.length > 0 && (glue || s === '.');
    if (join) out[out.length - 1] += s;
    else { if (out.length) outLen += 1; out.push(s); }
    map.push(outLen, from);
    outLen += s.length;
    glue = s === '.';
  };
  const fail = (why: string, at: number) => { throw invalid(`SQL syntax error: ${why} at ${describePosition(sql, at)}`); };
  const literal = (value: unknown, at: number) => {
    if (params.length >= MAX_LITERALS) fail(`more than ${MAX_LITERALS} literal values`, at);
    emit(`:p${params.length}`, at);
    params.push(value);
    prevWord = '?';
  };
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment', i);
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= n) fail('unterminated string', start);
        const ch = sql[i]!;
        if (ch === '\\' && i + 1 < n) {
          const e = sql[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
          i += 2;
        } else if (ch === c) {
          if (sql[i + 1] === c) { value += c; i += 2; } else { i++; break; }
        } else { value += ch; i++; }
      }
      literal(value, start);
      continue;
    }
    if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) fail('unterminated quoted identifier', i);
      emit(sql.slice(i, end + 1), i);
      i = end + 1;
      prevWord = 'IDENT';
      continue;
    }
    const code = sql.charCodeAt(i);
    if (isDigit(code) || (c === '.' && isDigit(sql.charCodeAt(i + 1)) && !isWord(sql.charCodeAt(i - 1)) && sql[i - 1] !== '`')) {
      const m = NUMBER.exec(sql.slice(i, i + 64))!;
      if (isWordStart(sql.charCodeAt(i + m[0].length))) { // an identifier starting with digits, e.g. 1abc
        let j = i;
        while (j < n && isWord(sql.charCodeAt(j))) j++;
        emit(sql.slice(i, j), i);
        i = j;
        prevWord = 'IDENT';
        continue;
      }
      // Column positions in ORDER BY / GROUP BY stay in the text: they are not values.
      if (inByList && (prevWord === 'BY' || prevWord === ',')) emit(m[0], i);
      else literal(Number(m[0]), i);
      i += m[0].length;
      continue;
    }
    if (isWordStart(code)) {
      let j = i;
      while (j < n && isWord(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j);
      const upper = word.toUpperCase();
      prefixRun = upper === 'NOT' ? prefixRun + 1 : 0;
      if (prefixRun > MAX_NESTING) fail(`more than ${MAX_NESTING} NOTs in a row`, i);
      const nextDot = sql[j] === '.';
      const prevDot = glue;
      if (nextDot || prevDot) emit(`\`${word}\``, i);
      else emit(word, i);
      if (upper === 'BY') inByList = true;
      else if (CLAUSE_WORDS.has(upper)) inByList = false;
      prevWord = upper;
      i = j;
      continue;
    }
    if (c === '?' || c === ':') fail(`unsupported token '${c}' (statement parameters are not supported)`, i);
    if (c === '(') { depth++; if (depth > MAX_NESTING) fail(`nesting deeper than ${MAX_NESTING} levels`, i); }
    if (c === ')') depth--;
    if (c === ';') {
      // A trailing semicolon is fine; a second statement is not.
      let j = i + 1;
      while (j < n && /\s/.test(sql[j]!)) j++;
      if (j < n) fail('only one statement per request is supported', j);
      i = n;
      continue;
    }
    const next = sql[i + 1];
    const two = next === '=' || next === '>' || next === '|' || next === '&' ? c + next : '';
    if (two === '<=' || two === '>=' || two === '<>' || two === '!=' || two === '||' || two === '&&') {
      emit(two, i);
      prevWord = two;
      i += 2;
      continue;
    }
    if (c === '-' || c === '+' || c === '!' || c === '~') {
      prefixRun++;
      if (prefixRun > MAX_NESTING) fail(`more than ${MAX_NESTING} prefix operators in a row`, i);
    } else prefixRun = 0;
    emit(c, i);
    prevWord = c;
    i++;
  }
  const text = out.join(' ');
  return {
    text, params,
    originalOffset(offset: number): number {
      let lo = 0, hi = map.length / 2 - 1, best = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (map[mid * 2]! <= offset) { best = mid; lo = mid + 1; } else hi = mid - 1;
      }
      if (map.length === 0) return 0;
      return offset >= outLen ? sql.length : map[best * 2 + 1]!;
    },
  };
}
