/**
 * Pure helpers for secondary-index keys. Long strings are indexed by a prefix, so every index
 * hit is re-checked against the record; arrays index each element.
 */

export const INDEX_PREFIX_CHARS = 200;

export type IndexKey = string | number | boolean;

/** The index keys for one attribute value (none for null, objects and empty values). */
export function indexKeysOf(value: unknown): IndexKey[] {
  if (Array.isArray(value)) {
    const keys = new Set<IndexKey>();
    for (const v of value) for (const k of indexKeysOf(v)) keys.add(k);
    return [...keys];
  }
  const k = indexKeyOf(value);
  return k === undefined ? [] : [k];
}

export function indexKeyOf(value: unknown): IndexKey | undefined {
  switch (typeof value) {
    case 'string':
      if (value.length === 0) return undefined;
      return value.length > INDEX_PREFIX_CHARS ? value.slice(0, INDEX_PREFIX_CHARS) : value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    default:
      return undefined;
  }
}

/** True when two attribute values produce the same index keys (skip index work). */
export function sameIndexValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    const ka = indexKeysOf(a), kb = indexKeysOf(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
  }
  return false;
}
