/**
 * An operation's result of rows that may be too large to hold at once: an array as far as the
 * client is concerned, produced in batches and read only as it is sent. The operations server
 * answers a small one in one body and a large one a batch at a time; internal callers (jobs)
 * read it whole with toArray(). It can be read once.
 */
export type Row = Record<string, unknown>;

/**
 * A non-empty slice of a JSON array: '[' or ',' and the rows' elements. The pieces of a
 * sequence of slices, followed by ']', are the bytes of JSON.stringify of all the rows.
 */
export function jsonArrayPiece(rows: readonly unknown[], first: boolean): string {
  return (first ? '[' : ',') + JSON.stringify(rows).slice(1, -1);
}

export class RowStream implements AsyncIterable<Row[]> {
  readonly #batches: AsyncIterable<Row[]>;
  #read = false;
  #settle!: () => void;
  /** Settles once the rows were read to the end, or the reading stopped (an error, a closed client). */
  readonly finished: Promise<void> = new Promise<void>((resolve) => { this.#settle = resolve; });

  constructor(batches: AsyncIterable<Row[]>) {
    this.#batches = batches;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Row[]> {
    if (this.#read) throw new Error('a RowStream can be read once');
    this.#read = true;
    try {
      for await (const batch of this.#batches) if (batch.length) yield batch;
    } finally {
      this.#settle();
    }
  }

  async toArray(): Promise<Row[]> {
    const out: Row[] = [];
    for await (const batch of this) for (const r of batch) out.push(r);
    return out;
  }

  /** The same rows, each batch passed through fn (projection, masking). */
  map(fn: (row: Row) => Row): RowStream {
    const source = this;
    return new RowStream((async function* () {
      for await (const batch of source) yield batch.map(fn);
    })());
  }
}
