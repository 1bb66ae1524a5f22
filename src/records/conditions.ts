/**
 * Pure search conditions: normalising HarperDB's 3.x (search_attribute/search_type/
 * search_value) and 4.x (attribute/comparator/value) forms, nested groups, and matching a
 * record. Used by search_by_conditions and search_by_value.
 */
import { invalid } from '../errors/db-error.js';

export const COMPARATORS = [
  'equals', 'not_equal', 'contains', 'starts_with', 'ends_with',
  'greater_than', 'greater_than_equal', 'less_than', 'less_than_equal', 'between',
] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface Condition {
  kind: 'condition';
  attribute: string;
  comparator: Comparator;
  value: unknown;
}

export interface Group {
  kind: 'group';
  operator: 'and' | 'or';
  conditions: (Condition | Group)[];
}

const ALIASES: Record<string, Comparator> = {
  eq: 'equals', equal: 'equals', '=': 'equals', ne: 'not_equal', '!=': 'not_equal', not_equals: 'not_equal',
  gt: 'greater_than', ge: 'greater_than_equal', gte: 'greater_than_equal', lt: 'less_than', le: 'less_than_equal', lte: 'less_than_equal',
};

/** Normalises a request's top-level operator and conditions into a group; throws 400s. */
export function parseGroup(operator: unknown, conditions: unknown, path = 'conditions'): Group {
  const op = operator === undefined || operator === null ? 'and' : String(operator).toLowerCase();
  if (op !== 'and' && op !== 'or') throw invalid(`'operator' must be 'and' or 'or'`);
  if (!Array.isArray(conditions) || conditions.length === 0) throw invalid(`'${path}' must be a non-empty array`);
  return { kind: 'group', operator: op, conditions: conditions.map((c, i) => parseCondition(c, `${path}[${i}]`)) };
}

function parseCondition(raw: unknown, path: string): Condition | Group {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`'${path}' must be an object`);
  const c = raw as Record<string, unknown>;
  if (Array.isArray(c.conditions)) return parseGroup(c.operator, c.conditions, `${path}.conditions`);
  const attribute = c.attribute ?? c.search_attribute;
  if (typeof attribute !== 'string' || !attribute) throw invalid(`'${path}' needs 'attribute' (or 'search_attribute')`);
  const rawComparator = c.comparator ?? c.search_type ?? 'equals';
  const comparator = (ALIASES[String(rawComparator).toLowerCase()] ?? String(rawComparator).toLowerCase()) as Comparator;
  if (!COMPARATORS.includes(comparator)) throw invalid(`'${path}': unknown comparator '${String(rawComparator)}'; use one of ${COMPARATORS.join(', ')}`);
  const value = 'value' in c ? c.value : c.search_value;
  if (value === undefined) throw invalid(`'${path}' needs 'value' (or 'search_value')`);
  if (comparator === 'between') {
    if (!Array.isArray(value) || value.length !== 2) throw invalid(`'${path}': 'between' needs a value of two elements [low, high]`);
  } else if (comparator !== 'equals' && comparator !== 'not_equal') {
    if (typeof value !== 'string' && typeof value !== 'number') throw invalid(`'${path}': comparator '${comparator}' needs a string or number value`);
  }
  return { kind: 'condition', attribute, comparator, value };
}

/** Orders two attribute values like the indexes do: numbers < strings, then natural order. */
export function compareValues(a: unknown, b: unknown): number {
  const ta = rank(a), tb = rank(b);
  if (ta !== tb) return ta - tb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (ta === 5) { const sa = JSON.stringify(a), sb = JSON.stringify(b); return sa < sb ? -1 : sa > sb ? 1 : 0; }
  return 0;
}

function rank(v: unknown): number {
  if (v === undefined) return 0;
  if (v === null) return 1;
  if (typeof v === 'boolean') return 2;
  if (typeof v === 'number') return 3;
  if (typeof v === 'string') return 4;
  return 5;
}

function valueMatches(v: unknown, c: Condition): boolean {
  if (Array.isArray(v) && c.comparator !== 'equals' && c.comparator !== 'not_equal') return v.some((x) => valueMatches(x, c));
  switch (c.comparator) {
    case 'equals':
      return equalsValue(v, c.value);
    case 'not_equal':
      return !equalsValue(v, c.value);
    case 'contains':
      return v !== undefined && v !== null && String(v).includes(String(c.value));
    case 'starts_with':
      return v !== undefined && v !== null && String(v).startsWith(String(c.value));
    case 'ends_with':
      return v !== undefined && v !== null && String(v).endsWith(String(c.value));
    case 'greater_than':
      return comparable(v, c.value) && compareValues(v, c.value) > 0;
    case 'greater_than_equal':
      return comparable(v, c.value) && compareValues(v, c.value) >= 0;
    case 'less_than':
      return comparable(v, c.value) && compareValues(v, c.value) < 0;
    case 'less_than_equal':
      return comparable(v, c.value) && compareValues(v, c.value) <= 0;
    case 'between': {
      const [lo, hi] = c.value as [unknown, unknown];
      return comparable(v, lo) && compareValues(v, lo) >= 0 && compareValues(v, hi) <= 0;
    }
  }
}

function comparable(v: unknown, target: unknown): boolean {
  if (v === undefined || v === null) return false;
  return typeof v === typeof target;
}

function equalsValue(v: unknown, target: unknown): boolean {
  if (target instanceof RegExp) return typeof v === 'string' && target.test(v);
  if (Array.isArray(v) && !Array.isArray(target)) return v.some((x) => x === target);
  if (v !== null && typeof v === 'object') return JSON.stringify(v) === JSON.stringify(target);
  return v === target;
}

/** True when the record satisfies the condition or group. */
export function matches(record: Record<string, unknown>, node: Condition | Group): boolean {
  if (node.kind === 'condition') return valueMatches(record[node.attribute], node);
  if (node.operator === 'and') return node.conditions.every((c) => matches(record, c));
  return node.conditions.some((c) => matches(record, c));
}

/** A search_by_value value with '*' wildcards as a condition ('*' alone matches anything present). */
export function wildcardCondition(attribute: string, value: unknown): Condition | null {
  if (typeof value !== 'string' || !value.includes('*')) return { kind: 'condition', attribute, comparator: 'equals', value };
  if (/^\*+$/.test(value)) return null;
  const parts = value.split('*');
  if (parts.length === 2 && parts[1] === '') return { kind: 'condition', attribute, comparator: 'starts_with', value: parts[0] };
  if (parts.length === 2 && parts[0] === '') return { kind: 'condition', attribute, comparator: 'ends_with', value: parts[1] };
  if (parts.length === 3 && parts[0] === '' && parts[2] === '') return { kind: 'condition', attribute, comparator: 'contains', value: parts[1] };
  return { kind: 'condition', attribute, comparator: 'equals', value: globToRegExp(value) };
}

/** Matches a glob pattern (only used for patterns the simple comparators cannot express). */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}
