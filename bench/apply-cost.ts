/**
 * The receiving half of catch-up without the network (issue 14, target 3): batches of sensor rows
 * are encoded as a sender would (deflate frames of 2,000 rows), then decoded and applied one
 * after another on a fresh node's storage, pipelined as the receiver does. Prints rows/s as JSON.
 * `node dist/bench/apply-cost.js [rows]`. Under `valgrind --tool=callgrind` the difference of two
 * row counts gives instructions per applied row; with JIT compilation and GC in the count, identical
 * runs differed by up to 15% on a loaded machine, so compare medians of several runs.
 * Measured (issue 14, 200k rows, medians of 6 interleaved runs, load 1.1-1.2): 154,900 rows/s before
 * the decode builders, 158,800 with them, 166,200 with the reused stored-record array as well.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../src/catalog/catalog.js';
import { ChangeLog } from '../src/changelog/changelog.js';
import type { ChangeEntry } from '../src/changelog/entry.js';
import { Records } from '../src/records/records.js';
import { CursorStore } from '../src/replication/cursor-store.js';
import { decodeBatchBody, decodeFrame, encodeBatchFrame } from '../src/replication/protocol/frame-codec.js';
import { FRAME_TYPES } from '../src/replication/protocol/messages.js';
import { applyBatch } from '../src/replication/receiver.js';
import { openLmdbEngine } from '../src/storage/lmdb-engine.js';
import { median, sensorRow } from './load.js';

const IN_FLIGHT = 4;

export async function runApplyCost(rows: number, batchRows = 2000): Promise<{ rows: number; seconds: number; rows_per_s: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-apply-'));
  const engine = openLmdbEngine({ path: join(dir, 'database') });
  try {
    const records = new Records(engine, new Catalog(engine), new ChangeLog(engine, 'hq'));
    records.createTable('default', 'sensor_data', 'id');
    const cursors = new CursorStore(engine);
    const frames = await makeFrames(rows, batchRows);
    const deps = { records, cursors, link: 'in:edge', self: 'hq', peer: 'edge' };
    const prof = process.env.APPLY_COST_PROFILE ? await startProfile() : null;
    const t0 = performance.now();
    // Like the receiver: batches are submitted in order without waiting for earlier commits
    // (they share write transactions and fsyncs), at most IN_FLIGHT unacknowledged.
    const inFlight: Promise<unknown>[] = [];
    for (const buf of frames) {
      const f = decodeFrame(buf);
      if (f.type !== FRAME_TYPES.BATCH) throw new Error('not a batch');
      const entries = await decodeBatchBody(f);
      inFlight.push(applyBatch(deps, f.header, entries));
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - t0) / 1000;
    if (prof) await prof(process.env.APPLY_COST_PROFILE!);
    if (records.table('default', 'sensor_data').data.getCount() !== rows) throw new Error('not every row was applied');
    return { rows, seconds: Math.round(seconds * 1000) / 1000, rows_per_s: Math.round(rows / seconds) };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The frames a sender would send for rows 1..rows; kept in APPLY_COST_FRAMES (a file) when set,
 * so a profiled or callgrind run measures decoding and applying only.
 */
async function makeFrames(rows: number, batchRows: number): Promise<Buffer[]> {
  const file = process.env.APPLY_COST_FRAMES ? `${process.env.APPLY_COST_FRAMES}.${rows}` : null;
  if (file && existsSync(file)) {
    const all = readFileSync(file);
    const out: Buffer[] = [];
    for (let at = 0; at < all.length;) { const len = all.readUInt32LE(at); out.push(all.subarray(at + 4, at + 4 + len)); at += 4 + len; }
    return out;
  }
  const frames: Buffer[] = [];
  const t = Date.now() * 1000;
  for (let first = 1, id = 0; first <= rows; first += batchRows) {
    const entries: ChangeEntry[] = [];
    for (let seq = first; seq < Math.min(rows + 1, first + batchRows); seq++) {
      const rec = { ...sensorRow(seq), __createdtime__: 1_700_000_000_000 + seq, __updatedtime__: 1_700_000_000_000 + seq };
      entries.push({ seq, hlc: t + seq, origin: 'edge', originSeq: seq, database: 'default', table: 'sensor_data', op: 'insert', key: seq, record: rec, user: 'admin' });
    }
    frames.push((await encodeBatchFrame({ type: FRAME_TYPES.BATCH, db: 'default', table: 'sensor_data', hash: 'id', id: ++id, last: first + entries.length - 1, entries })).frame);
  }
  if (file) writeFileSync(file, Buffer.concat(frames.flatMap((f) => { const len = Buffer.alloc(4); len.writeUInt32LE(f.length); return [len, f]; })));
  return frames;
}

/** CPU profile of the apply phase only (APPLY_COST_PROFILE=<file.cpuprofile>). */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.start');
  return async (file) => { const { profile } = await s.post('Profiler.stop'); writeFileSync(file, JSON.stringify(profile)); s.disconnect(); };
}

/**
 * `npm run bench -- --only apply`: median of runs, against issue 14's catch-up target (300,000
 * rows/s for the whole pipeline; this is the receiver's share, so it bounds the pipeline).
 */
export async function runApplyBench(o: { rows: number; runs: number }): Promise<Record<string, unknown>> {
  const runs = [];
  for (let i = 0; i < o.runs; i++) runs.push(await runApplyCost(o.rows));
  const rate = median(runs.map((r) => r.rows_per_s));
  return {
    what: 'decode + apply of 2,000-row deflate batches on one node, up to 4 in flight like the receiver (the receiving side of catch-up, no network)',
    rows_per_s: rate, target: 300_000, ratio: Math.round((rate / 300_000) * 100) / 100, ok: rate >= 300_000,
    loadavg: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100), runs,
  };
}

if (process.argv[1]?.endsWith('apply-cost.js')) {
  process.stdout.write(`${JSON.stringify(await runApplyCost(Number(process.argv[2] ?? 100_000)))}\n`);
}
