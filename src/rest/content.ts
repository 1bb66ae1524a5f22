/**
 * Content negotiation and the body codecs of the HTTP port: JSON, CBOR (cbor-x, imported only
 * here), MessagePack and CSV. Pure: bytes in, values out, or a 400/415 DbError.
 */
import { createRequire } from 'node:module';
import type { Decoder as CborDecoder, Encoder as CborEncoder } from 'cbor-x';
import { Packr } from 'msgpackr';
import { DbError, invalid } from '../errors/db-error.js';

export const MEDIA_TYPES = {
  json: 'application/json',
  cbor: 'application/cbor',
  msgpack: 'application/x-msgpack',
  csv: 'text/csv',
} as const;
export type Format = keyof typeof MEDIA_TYPES;

const ALIASES: Record<string, Format> = {
  'application/json': 'json', 'text/json': 'json', 'application/cbor': 'cbor',
  'application/x-msgpack': 'msgpack', 'application/msgpack': 'msgpack', 'application/vnd.msgpack': 'msgpack',
  'text/csv': 'csv',
};
/** Path suffixes that choose a format: /Table/1.csv, /Table/.msgpack?... */
export const SUFFIXES: Record<string, Format> = { '.json': 'json', '.cbor': 'cbor', '.msgpack': 'msgpack', '.csv': 'csv' };

const load = createRequire(import.meta.url);
let cbor: { encoder: CborEncoder; decoder: CborDecoder } | null = null;
/** cbor-x's codec, loaded by the first CBOR body or response (an idle node never loads it). */
function cborCodec(): { encoder: CborEncoder; decoder: CborDecoder } {
  if (cbor) return cbor;
  const { Encoder, Decoder } = load('cbor-x') as typeof import('cbor-x');
  // mapsAsObjects/useRecords off: plain interoperable CBOR maps and objects.
  return cbor = { encoder: new Encoder({ useRecords: false, mapsAsObjects: true }), decoder: new Decoder({ useRecords: false, mapsAsObjects: true }) };
}
/** csv-parse's synchronous parser, loaded by the first CSV body. */
function csvParser(): typeof import('csv-parse/sync').parse {
  return (load('csv-parse/sync') as typeof import('csv-parse/sync')).parse;
}
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/**
 * The response format for an Accept header (q-values honoured); JSON when the header is
 * absent, says * / *, or names nothing we produce.
 */
export function negotiate(accept: string | undefined): Format {
  if (!accept) return 'json';
  let best: Format = 'json', bestQ = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const format = type === '*/*' || type === 'application/*' ? 'json' : ALIASES[type!.trim()];
    if (format && q > bestQ) { best = format; bestQ = q; }
  }
  return best;
}

/** The request body format from Content-Type (JSON when absent); 415 for anything else. */
export function bodyFormat(contentType: string | undefined): Format {
  if (!contentType) return 'json';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const format = ALIASES[type];
  if (!format) throw new DbError('UNSUPPORTED_MEDIA_TYPE', `unsupported content type '${type}'; use ${Object.values(MEDIA_TYPES).join(', ')}`);
  return format;
}

/** Decodes a request body; throws 400 when the bytes are not valid in that format. */
export function decodeBody(format: Format, bytes: Buffer): unknown {
  try {
    switch (format) {
      case 'json':
        return JSON.parse(bytes.toString('utf8'));
      case 'cbor':
        return cborCodec().decoder.decode(bytes);
      case 'msgpack':
        return packr.unpack(bytes);
      case 'csv': {
        const rows = csvParser()(bytes, { columns: true, skip_empty_lines: true, cast: castCell }) as Record<string, unknown>[];
        return rows.length === 1 ? rows[0] : rows;
      }
    }
  } catch (err) {
    throw invalid(`the request body is not valid ${MEDIA_TYPES[format]}: ${(err as Error).message.slice(0, 200)}`);
  }
}

function castCell(value: string): unknown {
  if (value === '') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^[[{]/.test(value)) {
    try { return JSON.parse(value); } catch { return value; }
  }
  return value;
}

/** Encodes a response value in a format (CSV: an array of records, or one record). */
export function encodeBody(format: Format, value: unknown): Buffer {
  switch (format) {
    case 'json':
      return Buffer.from(JSON.stringify(value));
    case 'cbor':
      return cborCodec().encoder.encode(value);
    case 'msgpack':
      return packr.pack(value);
    case 'csv':
      return Buffer.from(toCsv(value));
  }
}

/** RFC 4180 CSV with a header of every attribute in first-seen order. */
export function toCsv(value: unknown): string {
  const rows = (Array.isArray(value) ? value : [value]).map((r): Record<string, unknown> => (r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { value: r }));
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
  const lines = [columns.map(csvCell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Decodes an MQTT payload that must be one record: JSON, CBOR or MessagePack, told apart by
 * the MQTT 5 content type when given, otherwise by the first byte (JSON '{', CBOR map
 * 0xa0-0xbf, MessagePack map 0x80-0x8f/0xde/0xdf). Throws 400 for anything else.
 */
export function decodeRecordPayload(bytes: Buffer, contentType?: string): Record<string, unknown> {
  if (bytes.length === 0) throw invalid('the payload is empty; a JSON, CBOR or MessagePack object is required');
  let format: Format;
  if (contentType) format = bodyFormat(contentType);
  else {
    let i = 0;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
    const b = bytes[i] ?? 0;
    if (b === 0x7b) format = 'json';
    else if (b >= 0xa0 && b <= 0xbf) format = 'cbor';
    else if ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf) format = 'msgpack';
    else throw invalid('the payload is not a JSON, CBOR or MessagePack object');
  }
  if (format === 'csv') throw invalid('CSV payloads are not accepted over MQTT');
  const value = decodeBody(format, bytes);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Map) throw invalid('the payload must be a single object (one record)');
  return value as Record<string, unknown>;
}
