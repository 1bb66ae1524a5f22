/**
 * Pure parsing of HarperDB's REST query string into a search filter plus select/limit/sort:
 * `attr=value`, FIQL operators (`=gt=`, `=lt=`, `=ge=`, `=le=`, `=ne=`, `=ct=`, `=sw=`, `=ew=`),
 * `==`, `===`, `!=`, `!==`, `&` (AND, binds tighter) and `|` (OR), grouping with `( )` or `[ ]`,
 * chained ranges (`price=gt=100&lt=200`), type prefixes and `select()`, `limit()`, `sort()`.
 * Throws a 400 DbError naming what it could not read; never touches a table.
 */
import { invalid } from '../errors/db-error.js';
import type { Comparator, Condition, Group } from '../records/conditions.js';
import type { SortSpec } from '../records/search.js';

export interface RestQuery {
  filter: Group | null;
  /** Attributes to return (null: all). */
  select: string[] | null;
  offset?: number;
  limit?: number;
  sort?: SortSpec[];
}

const FIQL: Record<string, Comparator> = {
  gt: 'greater_than', lt: 'less_than', ge: 'greater_than_equal', le: 'less_than_equal',
  ne: 'not_equal', ct: 'contains', sw: 'starts_with', ew: 'ends_with', eq: 'equals',
};
const STOP = new Set(['&', '|', ')', ']']);
const CALLS = new Set(['select', 'limit', 'sort']);

/** Parses the part of a URL after '?' (still percent-encoded). */
export function parseRestQuery(raw: string): RestQuery {
  const out: RestQuery = { filter: null, select: null };
  if (!raw) return out;
  const p = new Parser(raw, out);
  const node = p.expression(null);
  if (p.pos < raw.length) throw invalid(`unexpected '${raw[p.pos]}' at position ${p.pos} of the query string`);
  out.filter = node && (node.kind === 'group' ? node : { kind: 'group', operator: 'and', conditions: [node] });
  return out;
}

class Parser {
  readonly src: string;
  readonly out: RestQuery;
  pos = 0;

  constructor(src: string, out: RestQuery) {
    this.src = src;
    this.out = out;
  }

  /** OR of AND-groups, up to a closing bracket or the end. */
  expression(closer: string | null): Condition | Group | null {
    const ors: (Condition | Group)[] = [];
    let ands: (Condition | Group)[] = [];
    let lastAttribute: string | null = null;
    const flush = () => {
      if (ands.length === 1) ors.push(ands[0]!);
      else if (ands.length > 1) ors.push({ kind: 'group', operator: 'and', conditions: ands });
      ands = [];
    };
    for (;;) {
      if (this.pos >= this.src.length || this.src[this.pos] === closer) break;
      const ch = this.src[this.pos]!;
      if (ch === '&') { this.pos++; continue; }
      if (ch === '|') { this.pos++; flush(); lastAttribute = null; continue; }
      if (ch === ')' || ch === ']') throw invalid(`unbalanced '${ch}' in the query string`);
      if (ch === '(' || ch === '[') {
        this.pos++;
        const inner = this.expression(ch === '(' ? ')' : ']');
        if (this.src[this.pos] !== (ch === '(' ? ')' : ']')) throw invalid(`missing '${ch === '(' ? ')' : ']'}' in the query string`);
        this.pos++;
        if (inner) ands.push(inner);
        continue;
      }
      const term = this.term(lastAttribute);
      if (term) {
        ands.push(term);
        lastAttribute = term.attribute;
      }
    }
    flush();
    if (ors.length === 0) return null;
    if (ors.length === 1) return ors[0]!;
    return { kind: 'group', operator: 'or', conditions: ors };
  }

  /** One comparison (or a select/limit/sort call, which returns null). */
  term(lastAttribute: string | null): Condition | null {
    const start = this.pos;
    while (this.pos < this.src.length && !'=!&|()[]'.includes(this.src[this.pos]!)) this.pos++;
    const word = decode(this.src.slice(start, this.pos));
    if (this.src[this.pos] === '(' && CALLS.has(word)) {
      this.call(word);
      return null;
    }
    if (!word) throw invalid(`expected an attribute name at position ${start} of the query string`);
    // Chained range: `price=gt=100&lt=200` reuses the previous attribute.
    if (this.src[this.pos] === '=' && lastAttribute !== null && word in FIQL && !this.src.startsWith('=', this.pos + 1) && this.nextIsValue()) {
      this.pos++;
      return this.condition(lastAttribute, FIQL[word]!, false);
    }
    const rest = this.src.slice(this.pos);
    const fiql = /^=([a-z]{2})=/.exec(rest);
    if (fiql) {
      const comparator = FIQL[fiql[1]!];
      if (!comparator) throw invalid(`unknown operator '=${fiql[1]}=' in the query string`);
      this.pos += fiql[0].length;
      return this.condition(word, comparator, false);
    }
    for (const [op, comparator, wildcard] of [['===', 'equals', false], ['!==', 'not_equal', false], ['==', 'equals', true], ['!=', 'not_equal', false], ['=', 'equals', false]] as const) {
      if (rest.startsWith(op)) {
        this.pos += op.length;
        return this.condition(word, comparator, wildcard, op === '===' || op === '!==');
      }
    }
    throw invalid(`expected an operator after '${word}' in the query string`);
  }

  nextIsValue(): boolean {
    // `lt=200`: the character after '=' starts a value, not another operator.
    return !/^=[a-z]{2}=/.test(this.src.slice(this.pos));
  }

  condition(attribute: string, comparator: Comparator, wildcard: boolean, strict = false): Condition {
    const start = this.pos;
    while (this.pos < this.src.length && !STOP.has(this.src[this.pos]!)) this.pos++;
    const text = decode(this.src.slice(start, this.pos));
    let value = strict ? text : typedValue(text);
    let cmp = comparator;
    if (wildcard && typeof value === 'string' && value.endsWith('*') && !value.slice(0, -1).includes('*')) {
      cmp = 'starts_with';
      value = value.slice(0, -1);
    }
    if (cmp !== 'equals' && cmp !== 'not_equal' && typeof value !== 'string' && typeof value !== 'number') {
      throw invalid(`operator for '${attribute}' needs a string or number value`);
    }
    return { kind: 'condition', attribute, comparator: cmp, value };
  }

  call(name: string): void {
    const open = this.pos;
    let depth = 0;
    for (; this.pos < this.src.length; this.pos++) {
      const c = this.src[this.pos];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    if (this.src[this.pos] !== ')') throw invalid(`missing ')' after '${name}(' in the query string`);
    const inner = decode(this.src.slice(open + 1, this.pos)).trim();
    this.pos++;
    const args = inner.replace(/^\[(.*)\]$/s, '$1').split(',').map((a) => a.trim()).filter((a) => a !== '');
    if (name === 'select') {
      if (!args.length) throw invalid(`select() needs at least one attribute`);
      if (args.some((a) => /[{}()]/.test(a))) throw invalid(`nested select() (relationships) is not supported`);
      this.out.select = args;
    } else if (name === 'limit') {
      const nums = args.map((a) => (/^\d+$/.test(a) ? Number(a) : NaN));
      if (nums.length < 1 || nums.length > 2 || nums.some((n) => !Number.isSafeInteger(n))) throw invalid(`limit() takes limit(end) or limit(start,end) with whole numbers`);
      if (nums.length === 1) { this.out.offset = 0; this.out.limit = nums[0]!; }
      else {
        if (nums[1]! < nums[0]!) throw invalid(`limit(start,end) needs end >= start`);
        this.out.offset = nums[0]!; this.out.limit = nums[1]! - nums[0]!;
      }
    } else {
      if (!args.length) throw invalid(`sort() needs at least one attribute`);
      // '+' may arrive as a space when a client form-encodes the query.
      this.out.sort = args.map((a) => {
        const descending = a.startsWith('-');
        const attribute = a.replace(/^[+\- ]/, '').trim();
        if (!attribute) throw invalid(`sort() has an empty attribute`);
        return { attribute, descending };
      });
    }
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid(`the query string is not valid percent-encoding near '${s.slice(0, 40)}'`);
  }
}

/**
 * A query value with its type: `number:`, `boolean:`, `string:` and `date:` prefixes force one
 * (date: becomes epoch ms); otherwise `null`, `true`/`false` and canonical numbers are typed
 * and anything else is a string.
 */
export function typedValue(text: string): unknown {
  const m = /^(number|boolean|string|date):(.*)$/s.exec(text);
  if (m) {
    const [, type, v] = m as unknown as [string, string, string];
    if (type === 'string') return v;
    if (type === 'number') {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw invalid(`'${v}' is not a number`);
      return n;
    }
    if (type === 'boolean') {
      if (v !== 'true' && v !== 'false') throw invalid(`'${v}' is not a boolean`);
      return v === 'true';
    }
    const t = /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t)) throw invalid(`'${v}' is not a date`);
    return t;
  }
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(text) && String(Number(text)) === text) return Number(text);
  return text;
}
