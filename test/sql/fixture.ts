/**
 * The SQL test fixture: HarperDB's dogs/breeds/owners shape (with a dog lacking an owner and a
 * breed, a dog whose breed does not exist, a breed and an owner without dogs), sensor rows, and
 * a table of values of mixed types for coercion (indexed and unindexed copies).
 */
import type { Op } from '../helpers/http-client.js';

export const DOGS = [
  { id: 1, dog_name: 'Penny', owner_name: 'Kyle', breed_id: 154, age: 7, weight_lbs: 38, adorable: true, meta: { vet: 'Dr X', shots: [1, 2] } },
  { id: 2, dog_name: 'Harper', owner_name: 'Stephen', breed_id: 346, age: 7, weight_lbs: 55, adorable: true },
  { id: 3, dog_name: 'Alby', owner_name: 'Kaylan', breed_id: 348, age: 7, weight_lbs: 84, adorable: true },
  { id: 4, dog_name: 'Billy', owner_name: 'Zach', breed_id: 347, age: 6, weight_lbs: 60, adorable: true },
  { id: 5, dog_name: 'Rose Merry', owner_name: 'Zach', breed_id: 348, age: 8, weight_lbs: 15, adorable: true },
  { id: 6, dog_name: 'Kato', owner_name: 'Kyle', breed_id: 351, age: 6, weight_lbs: 32, adorable: true },
  { id: 7, dog_name: 'Simon', owner_name: 'Fred', breed_id: 349, age: 3, weight_lbs: 35, adorable: true },
  { id: 8, dog_name: 'Gemma', owner_name: 'Stephen', breed_id: 350, age: 5, weight_lbs: 55, adorable: true },
  { id: 9, dog_name: 'Yeti', owner_name: 'Jaxon', breed_id: 154, age: 5, weight_lbs: 55, adorable: true },
  { id: 10, dog_name: 'Monkey', owner_name: 'Aron', breed_id: 350, age: 7, weight_lbs: 35, adorable: true },
  { id: 11, dog_name: 'Bode', owner_name: 'Margo', breed_id: 104, age: 8, weight_lbs: 75, adorable: true },
  { id: 12, dog_name: 'Tucker', owner_name: 'David', breed_id: 346, age: 2, weight_lbs: 60, adorable: true },
  { id: 13, dog_name: 'Jagger', owner_name: 'Margo', breed_id: 154, age: 7, weight_lbs: 45, adorable: true },
  { id: 14, dog_name: 'Nameless', owner_name: null, breed_id: null, age: null },
  { id: 15, dog_name: 'Ghost', owner_name: 'Nobody', breed_id: 999, age: 4, weight_lbs: 20, adorable: false },
];

export const BREEDS = [
  { id: 154, name: 'Australian Shepherd', country: 'US' }, { id: 346, name: 'Labrador', country: 'CA' },
  { id: 347, name: 'Poodle', country: 'FR' }, { id: 348, name: 'Beagle', country: 'GB' },
  { id: 349, name: 'Boxer', country: 'DE' }, { id: 350, name: 'Husky', country: 'RU' },
  { id: 351, name: 'Pug', country: 'CN' }, { id: 104, name: 'Great Dane', country: 'DE' },
  { id: 500, name: 'Unused', country: 'XX' },
];

export const OWNERS = [
  { id: 1, name: 'Kyle' }, { id: 2, name: 'Zach' }, { id: 3, name: 'Stephen' }, { id: 4, name: 'Margo' }, { id: 5, name: 'Lonely' },
];

/** Values of every type for the coercion cases (`v` indexed in dev.mixed, not in dev.mixed_plain). */
export const MIXED = [
  { id: 1, v: 5 }, { id: 2, v: '5' }, { id: 3, v: '5.0' }, { id: 4, v: 'abc' }, { id: 5, v: null }, { id: 6, v: [5, 6] },
  { id: 7 }, { id: 8, v: 10 }, { id: 9, v: '10' }, { id: 10, v: true }, { id: 11, v: '' }, { id: 12, v: 'x'.repeat(250) },
];

export function sensorRows(count: number): Record<string, unknown>[] {
  const out = [];
  for (let id = 1; id <= count; id++) {
    out.push({ id, machine_id: 'm' + (id % 10), pressure: (id * 37 % 1000) / 10, temperature: (150 + (id * 13 % 300)) / 10, ts: 1_700_000_000_000 + id * 1000 });
  }
  return out;
}

async function must(op: Op, body: Record<string, unknown>): Promise<void> {
  const r = await op(body);
  if (r.status !== 200) throw new Error(`${String(body.operation)} failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Creates database `dev` with dog, breed, owner, sensor, mixed and mixed_plain. */
export async function loadFixture(op: Op): Promise<void> {
  await must(op, { operation: 'create_database', database: 'dev' });
  await must(op, { operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id', attributes: [{ name: 'breed_id', indexed: true }, { name: 'age', indexed: true }] });
  await must(op, { operation: 'create_table', database: 'dev', table: 'breed', primary_key: 'id' });
  await must(op, { operation: 'create_table', database: 'dev', table: 'owner', primary_key: 'id' });
  await must(op, { operation: 'create_table', database: 'dev', table: 'sensor', primary_key: 'id', attributes: [{ name: 'machine_id', indexed: true }, { name: 'ts', indexed: true }] });
  await must(op, { operation: 'create_table', database: 'dev', table: 'mixed', primary_key: 'id', attributes: [{ name: 'v', indexed: true }] });
  await must(op, { operation: 'create_table', database: 'dev', table: 'mixed_plain', primary_key: 'id' });
  await must(op, { operation: 'insert', database: 'dev', table: 'dog', records: DOGS });
  await must(op, { operation: 'insert', database: 'dev', table: 'breed', records: BREEDS });
  await must(op, { operation: 'insert', database: 'dev', table: 'owner', records: OWNERS });
  await must(op, { operation: 'insert', database: 'dev', table: 'sensor', records: sensorRows(200) });
  await must(op, { operation: 'insert', database: 'dev', table: 'mixed', records: MIXED.map((r) => ({ ...r })) });
  await must(op, { operation: 'insert', database: 'dev', table: 'mixed_plain', records: MIXED.map((r) => ({ ...r })) });
}

/** Runs SQL; throws with the body unless it answers 200. */
export async function sql(op: Op, statement: string, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await op({ operation: 'sql', sql: statement, ...extra });
  if (r.status !== 200) throw new Error(`${statement} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
