/** Worker thread that parses large statements off the event loop (see parse.ts). */
import { parentPort } from 'node:worker_threads';
import { parseText } from './sql-parser.js';

parentPort?.on('message', (msg: { id: number; text: string }) => {
  try {
    parentPort!.postMessage({ id: msg.id, ast: parseText(msg.text) });
  } catch (err) {
    const e = err as { message?: string; location?: { start?: { offset?: number } } };
    parentPort!.postMessage({ id: msg.id, error: { message: String(e?.message ?? err), offset: e?.location?.start?.offset ?? null } });
  }
});
