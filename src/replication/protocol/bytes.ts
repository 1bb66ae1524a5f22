/**
 * Growable byte writer and bounds-checked reader with unsigned/zigzag varints valid up to
 * 2^53 (arithmetic, not 32-bit bit operations). Reading past the end throws ProtocolError.
 */

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const TWO_POW_53 = 2 ** 53;

export class ByteWriter {
  #buf: Buffer;
  #len = 0;

  constructor(initial = 4096) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.#len;
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = b;
  }

  /** Unsigned varint (7 bits a byte, little-endian groups), 0 <= n < 2^53. */
  uint(n: number): void {
    this.#ensure(8);
    const buf = this.#buf;
    if (n < 0x80) { buf[this.#len++] = n; return; }
    if (n < 0x80000000) {
      // 31-bit fast path with bit operations.
      while (n >= 0x80) { buf[this.#len++] = (n & 0x7f) | 0x80; n >>>= 7; }
      buf[this.#len++] = n;
      return;
    }
    while (n >= 0x80) {
      buf[this.#len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.#len++] = n;
  }

  /** Zigzag varint: 0,-1,1,-2,... -> 0,1,2,3,...; |n| <= 2^52. */
  int(n: number): void {
    this.uint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Length-prefixed bytes. */
  chunk(b: Uint8Array): void {
    this.uint(b.length);
    this.bytes(b);
  }

  string(s: string): void {
    const max = s.length * 3;
    this.#ensure(max + 8);
    if (s.length < 0x80 / 3) {
      const at = this.#len++;
      const n = this.#buf.write(s, this.#len, 'utf8');
      this.#buf[at] = n;
      this.#len += n;
      return;
    }
    this.chunk(Buffer.from(s, 'utf8'));
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

export class ByteReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  byte(): number {
    if (this.#pos >= this.#end) throw new ProtocolError('truncated input');
    return this.#buf[this.#pos++]!;
  }

  uint(): number {
    const buf = this.#buf;
    let b = this.byte();
    if (b < 0x80) return b;
    let n = b & 0x7f;
    let mul = 0x80;
    for (;;) {
      if (this.#pos >= this.#end) throw new ProtocolError('truncated varint');
      b = buf[this.#pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
      if (mul > TWO_POW_53) throw new ProtocolError('varint too long');
    }
    if (n > Number.MAX_SAFE_INTEGER + 1) throw new ProtocolError('varint out of range');
    return n;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.#end) throw new ProtocolError('truncated input');
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  chunk(): Uint8Array {
    return this.bytes(this.uint());
  }

  string(): string {
    const b = this.chunk();
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
  }
}
