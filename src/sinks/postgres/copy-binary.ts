/**
 * Pure: PostgreSQL's binary COPY format (`COPY ... FROM STDIN WITH (FORMAT binary)`) for the
 * column types the sink creates, so neither side turns numbers into decimal text and back.
 * Layout: signature, flags and header-extension length; per row a 16-bit field count, then per
 * field a 32-bit byte length (-1 for NULL) and the value in network byte order; a -1 trailer.
 * A column of any other type (numeric, timestamps, a type the warehouse chose) makes the whole
 * batch use the text format instead (`binaryEncoder` returns null).
 */

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;

/** A growing byte buffer holding one binary COPY payload. */
export class BinaryCopyBuffer {
  #buf: Buffer;
  #view: DataView;
  pos = 0;

  constructor(capacity = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(capacity);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    for (const b of SIGNATURE) this.#buf[this.pos++] = b;
    this.int32(0); // flags: no OIDs
    this.int32(0); // header extension length
  }

  ensure(n: number): void {
    if (this.pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.pos + n));
    this.#buf.copy(next, 0, 0, this.pos);
    this.#buf = next;
    this.#view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  int16(v: number): void {
    this.ensure(2);
    this.#view.setInt16(this.pos, v);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.#view.setInt32(this.pos, v);
    this.pos += 4;
  }

  /** A field: NULL. */
  nullField(): void {
    this.int32(-1);
  }

  float64Field(v: number): void {
    this.ensure(12);
    this.#view.setInt32(this.pos, 8);
    this.#view.setFloat64(this.pos + 4, v);
    this.pos += 12;
  }

  float32Field(v: number): void {
    this.ensure(8);
    this.#view.setInt32(this.pos, 4);
    this.#view.setFloat32(this.pos + 4, v);
    this.pos += 8;
  }

  /** A whole number known to fit the field's width (`bytes` 2, 4 or 8). */
  intField(v: number, bytes: 2 | 4 | 8): void {
    this.ensure(4 + bytes);
    const dv = this.#view;
    dv.setInt32(this.pos, bytes);
    const at = this.pos + 4;
    if (bytes === 2) dv.setInt16(at, v);
    else if (bytes === 4) dv.setInt32(at, v);
    else if (Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      dv.setInt32(at, hi);
      dv.setUint32(at + 4, v - hi * TWO_32);
    } else dv.setBigInt64(at, BigInt(v));
    this.pos = at + bytes;
  }

  boolField(v: boolean): void {
    this.ensure(5);
    this.#view.setInt32(this.pos, 1);
    this.#buf[this.pos + 4] = v ? 1 : 0;
    this.pos += 5;
  }

  /** A UTF-8 text field, optionally after a one-byte prefix (jsonb's format version). */
  textField(s: string, prefix = -1): void {
    const extra = prefix >= 0 ? 1 : 0;
    this.ensure(4 + extra + s.length * 3);
    const start = this.pos + 4;
    if (extra) this.#buf[start] = prefix;
    const n = s.length === 0 ? 0 : this.#buf.write(s, start + extra, 'utf8');
    this.#view.setInt32(this.pos, n + extra);
    this.pos = start + extra + n;
  }

  /** The finished payload (with the trailer); the buffer must not be used afterwards. */
  finish(): Buffer {
    this.int16(-1);
    return this.#buf.subarray(0, this.pos);
  }
}

/** Writes one value as a field of its column; false when it does not fit (a NULL was written). */
export type BinaryFieldEncoder = (out: BinaryCopyBuffer, value: unknown) => boolean;

function nullOr(out: BinaryCopyBuffer, v: unknown): boolean {
  out.nullField();
  return v === null || v === undefined;
}

function intEncoder(bytes: 2 | 4 | 8): BinaryFieldEncoder {
  const limit = bytes === 2 ? 2 ** 15 : bytes === 4 ? 2 ** 31 : TWO_63;
  return (out, v) => {
    if (typeof v === 'number' && Number.isFinite(v)) {
      const t = Math.trunc(v);
      if (t >= -limit && t < limit) { out.intField(t, bytes); return true; }
      out.nullField();
      return false;
    }
    return nullOr(out, v);
  };
}

/**
 * The binary encoder for a column type (information_schema's data_type), with the same rules as
 * the text encoding (`encodeValue` in sql.ts), or null when the type has no binary encoder here.
 * Whole-number columns also refuse values outside their range (PostgreSQL would reject the batch).
 */
export function binaryEncoder(type: string): BinaryFieldEncoder | null {
  switch (type) {
    case 'double precision':
      return (out, v) => {
        if (typeof v === 'number') { out.float64Field(v); return true; }
        return nullOr(out, v);
      };
    case 'real':
      return (out, v) => {
        if (typeof v === 'number') { out.float32Field(v); return true; }
        return nullOr(out, v);
      };
    case 'bigint': return intEncoder(8);
    case 'integer': return intEncoder(4);
    case 'smallint': return intEncoder(2);
    case 'boolean':
      return (out, v) => {
        if (typeof v === 'boolean') { out.boolField(v); return true; }
        return nullOr(out, v);
      };
    case 'text':
    case 'character varying':
      return (out, v) => {
        if (typeof v === 'string') out.textField(v);
        else if (v === null || v === undefined) out.nullField();
        else out.textField(JSON.stringify(v));
        return true;
      };
    case 'jsonb':
    case 'json': {
      const prefix = type === 'jsonb' ? 1 : -1;
      return (out, v) => {
        if (v === null || v === undefined) out.nullField();
        else out.textField(JSON.stringify(v), prefix);
        return true;
      };
    }
    default:
      return null;
  }
}
