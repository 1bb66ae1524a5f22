/**
 * Rows as a JSON array response, written as they are read: the operations API's searches and the
 * REST port's collection queries. Up to STREAM_ROWS rows are answered as one body (an error
 * while reading them is an ordinary error response); past that the rows go out SLICE_ROWS at a
 * time, the next batch read only once the socket took the last, and an error can only cut the
 * response short (the client sees invalid JSON, never a short array).
 */
import type { ServerResponse } from 'node:http';
import { jsonArrayPiece } from '../operations/row-stream.js';

/** Results with more rows than this are sent a slice at a time. */
export const STREAM_ROWS = 5000;
const SLICE_ROWS = 2000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves on the response's next 'drain' or its 'close', whichever comes first (no listener left behind). */
const drained = (res: ServerResponse) => new Promise<void>((resolve) => {
  const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
  res.on('drain', done);
  res.on('close', done);
});

export interface RowResponseOptions {
  /** Headers of the 200 (content type, CORS). */
  headers: Record<string, string>;
  /** Answers an error raised before the first byte was sent. */
  fail: (err: unknown) => void;
}

/**
 * Sends the rows of `batches` as one JSON array; resolves when done (or the client has gone).
 * Rejects, with the response already cut short, when reading fails after the first bytes.
 */
export async function sendJsonRows(res: ServerResponse, batches: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>, o: RowResponseOptions): Promise<void> {
  const it = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : (batches as Iterable<readonly unknown[]>)[Symbol.iterator]();
  const head: unknown[] = [];
  try {
    try {
      for (;;) {
        const next = await it.next();
        if (next.done) {
          if (res.headersSent || res.destroyed) return;
          res.writeHead(200, o.headers);
          return void res.end(JSON.stringify(head));
        }
        for (const r of next.value) head.push(r);
        if (head.length > STREAM_ROWS) break;
      }
    } catch (err) {
      return o.fail(err);
    }
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, o.headers);
    try {
      let open = await writeSlices(res, head, true);
      head.length = 0;
      while (open) {
        const next = await it.next();
        if (next.done) return void res.end(']');
        open = await writeSlices(res, next.value, false);
      }
    } catch (err) {
      // Past the head no error response is possible: cut the response, then let the caller log.
      res.destroy();
      throw err;
    }
  } finally {
    await it.return?.(undefined);
  }
}

/**
 * Writes rows SLICE_ROWS at a time (serialising a million rows at once took a few hundred ms of
 * the event loop), waiting for the socket to drain. False once the client has gone.
 */
async function writeSlices(res: ServerResponse, rows: readonly unknown[], first: boolean): Promise<boolean> {
  for (let i = 0; i < rows.length; i += SLICE_ROWS) {
    if (res.destroyed) return false;
    if (!res.write(jsonArrayPiece(rows.slice(i, i + SLICE_ROWS), first && i === 0))) await drained(res);
    // Also after a drain: when the socket takes each write at once, 'drain' comes from a
    // nextTick, and a loop on it alone would never give the event loop back.
    await nextTurn();
  }
  return !res.destroyed;
}
