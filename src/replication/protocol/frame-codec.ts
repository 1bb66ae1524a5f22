/**
 * Pure-ish frame encoding (compression runs on the libuv pool). Every WebSocket binary
 * message is one frame:
 *   control: u8 type | msgpack map (the message without `type`)
 *   batch:   u8 type=4 | u8 compression (0 none, 1 deflate-raw, 2 brotli) | uint headerLen |
 *            msgpack header {db, table, hash, id, last, snap?} | compressed batch-codec body
 * Unknown types, oversized frames and malformed bodies are rejected with ProtocolError.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants as zc, deflateRaw, inflateRaw } from 'node:zlib';
import { Packr } from 'msgpackr';
import { ByteReader, ByteWriter, ProtocolError } from './bytes.js';
import { decodeEntries, encodeEntries } from './batch-codec.js';
import { FRAME_TYPES, MAX_FRAME_BYTES, type BatchMessage, type ControlMessage, type Message } from './messages.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true } as ConstructorParameters<typeof Packr>[0]);
const deflateAsync = promisify(deflateRaw);
const inflateAsync = promisify(inflateRaw);
const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);

export const COMPRESSION = { NONE: 0, DEFLATE: 1, BROTLI: 2 } as const;
export type Compression = (typeof COMPRESSION)[keyof typeof COMPRESSION];

/** Encodes a control message (everything but BATCH). */
export function encodeControl(msg: ControlMessage): Buffer {
  const { type, ...rest } = msg;
  const body = packr.pack(rest);
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = type;
  body.copy(out, 1);
  return out;
}

/** Encodes a batch: columnar body, compressed. */
export async function encodeBatch(msg: BatchMessage, compression: Compression = COMPRESSION.DEFLATE): Promise<Buffer> {
  return (await encodeBatchFrame(msg, compression)).frame;
}

/** Encodes a batch and reports the uncompressed body size (senders size their batches by it). */
export async function encodeBatchFrame(msg: BatchMessage, compression: Compression = COMPRESSION.DEFLATE): Promise<{ frame: Buffer; rawBytes: number }> {
  const raw = encodeEntries(msg.entries);
  let body: Buffer;
  if (compression === COMPRESSION.DEFLATE) body = await deflateAsync(raw, { level: 6, memLevel: 9 });
  else if (compression === COMPRESSION.BROTLI) body = await brotliAsync(raw, { params: { [zc.BROTLI_PARAM_QUALITY]: 5, [zc.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  else body = raw;
  const header = packr.pack({ db: msg.db, table: msg.table, hash: msg.hash, id: msg.id, last: msg.last, ...(msg.snap ? { snap: msg.snap } : {}) });
  const w = new ByteWriter(header.length + body.length + 16);
  w.byte(FRAME_TYPES.BATCH);
  w.byte(compression);
  w.chunk(header);
  w.bytes(body);
  return { frame: w.finish(), rawBytes: raw.length };
}

/** A decoded frame; batches keep their body compressed until decodeBatchBody. */
export type DecodedFrame = ControlMessage | { type: typeof FRAME_TYPES.BATCH; header: Omit<BatchMessage, 'type' | 'entries'>; compression: number; body: Uint8Array };

function isStr(v: unknown): v is string {
  return typeof v === 'string';
}
function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Decodes a frame's type and control fields; validates shapes. */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  if (buf.length < 1) throw new ProtocolError('empty frame');
  if (buf.length > MAX_FRAME_BYTES) throw new ProtocolError('frame too large');
  const type = buf[0]!;
  if (type === FRAME_TYPES.BATCH) {
    const r = new ByteReader(buf, 1);
    const compression = r.byte();
    if (compression > 2) throw new ProtocolError(`unknown compression ${compression}`);
    const h = unpackMap(r.chunk());
    if (!isStr(h.db) || !isStr(h.table) || !isStr(h.hash) || !isNum(h.id) || !isNum(h.last)) throw new ProtocolError('malformed batch header');
    const snap = h.snap as BatchMessage['snap'];
    if (snap !== undefined && (typeof snap !== 'object' || snap === null || !isNum(snap.at) || typeof snap.done !== 'boolean')) throw new ProtocolError('malformed snapshot info');
    const header = { db: h.db, table: h.table, hash: h.hash, id: h.id, last: h.last, ...(snap ? { snap } : {}) };
    return { type, header, compression, body: r.bytes(r.remaining) };
  }
  const m = unpackMap(buf.subarray(1));
  switch (type) {
    case FRAME_TYPES.HELLO:
      if (!isStr(m.node) || !Array.isArray(m.subs)) break;
      checkSubs(m.subs);
      if (m.added !== undefined && !isNum(m.added)) break;
      if (m.tables !== undefined && !isStrList(m.tables)) break;
      if (m.log !== undefined && !isStr(m.log)) break;
      return { type, node: m.node, subs: m.subs as never, ...(m.added !== undefined ? { added: m.added as number } : {}), ...(m.tables !== undefined ? { tables: m.tables as string[] } : {}), ...(m.log !== undefined ? { log: m.log } : {}) };
    case FRAME_TYPES.MANIFEST:
      if (!Array.isArray(m.subs) || (m.removed !== undefined && typeof m.removed !== 'boolean')) break;
      checkSubs(m.subs);
      return { type, subs: m.subs as never, ...(m.removed ? { removed: true } : {}) };
    case FRAME_TYPES.WELCOME:
      if (!isStr(m.node) || (m.tables !== undefined && !isStrList(m.tables)) || (m.log !== undefined && !isStr(m.log))) break;
      return { type, node: m.node, ...(m.tables !== undefined ? { tables: m.tables as string[] } : {}), ...(m.log !== undefined ? { log: m.log } : {}) };
    case FRAME_TYPES.SUB:
      if (!isStr(m.db) || !isStr(m.table) || !(m.after === null || isNum(m.after))) break;
      if (m.since !== undefined && !isNum(m.since)) break;
      if (m.resume !== undefined && m.resume !== null && !isStr(m.resume) && !isNum(m.resume)) break;
      return { type, db: m.db, table: m.table, after: m.after as number | null, ...(m.resume !== undefined ? { resume: m.resume as never } : {}), ...(m.since !== undefined ? { since: m.since as number } : {}) };
    case FRAME_TYPES.ACK:
      if (!isStr(m.db) || !isStr(m.table) || !isNum(m.id) || !isNum(m.last)) break;
      return { type, db: m.db, table: m.table, id: m.id, last: m.last };
    case FRAME_TYPES.NOTICE:
      if (!isStr(m.db) || !isStr(m.table) || !isStr(m.state) || !isStr(m.message)) break;
      return { type, db: m.db, table: m.table, state: m.state, message: m.message };
    default:
      throw new ProtocolError(`unknown frame type ${type}`);
  }
  throw new ProtocolError(`malformed frame of type ${type}`);
}

function isStrList(v: unknown): boolean {
  return Array.isArray(v) && v.length <= 100_000 && v.every(isStr);
}

function checkSubs(subs: unknown[]): void {
  for (const s of subs as Record<string, unknown>[]) {
    if (typeof s !== 'object' || s === null || !isStr(s.db) || !isStr(s.table) || typeof s.pub !== 'boolean' || typeof s.sub !== 'boolean') throw new ProtocolError('malformed subscription');
    if (s.since !== undefined && !isNum(s.since)) throw new ProtocolError('malformed subscription time');
  }
}

function unpackMap(b: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = packr.unpack(b);
  } catch (err) {
    throw new ProtocolError(`bad msgpack: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('frame body is not a map');
  return v as Record<string, unknown>;
}

/** Decompresses and decodes a batch frame's entries. */
export async function decodeBatchBody(frame: { header: { db: string; table: string }; compression: number; body: Uint8Array }, maxBytes = MAX_FRAME_BYTES): Promise<BatchMessage['entries']> {
  let raw: Uint8Array;
  try {
    if (frame.compression === COMPRESSION.DEFLATE) raw = await inflateAsync(frame.body, { maxOutputLength: maxBytes });
    else if (frame.compression === COMPRESSION.BROTLI) raw = await unbrotliAsync(frame.body, { maxOutputLength: maxBytes });
    else raw = frame.body;
  } catch (err) {
    throw new ProtocolError(`cannot decompress batch: ${(err as Error).message}`);
  }
  return decodeEntries(raw, frame.header.db, frame.header.table);
}

/** Full decode of any frame (tests and tools). */
export async function decodeMessage(buf: Uint8Array): Promise<Message> {
  const f = decodeFrame(buf);
  if (f.type !== FRAME_TYPES.BATCH) return f;
  return { type: FRAME_TYPES.BATCH, ...f.header, entries: await decodeBatchBody(f) };
}
