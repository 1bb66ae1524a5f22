/**
 * How a record sits in its table store: [hlc, origin, record]. The version pair (hlc, origin)
 * is what last-writer-wins compares; tombstones keep the same pair for deleted keys.
 */
import type { RecordData } from '../changelog/entry.js';

export type StoredRecord = [hlc: number, origin: string, record: RecordData];
export type Tombstone = [hlc: number, origin: string];
