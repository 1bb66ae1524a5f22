/**
 * Table-driven conformance cases: HarperDB's documented request, the status and the body it
 * answers. Cases of one table run in order against one node (later cases see earlier writes).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Op } from './http-client.js';

export interface Case {
  name: string;
  request: Record<string, unknown> | string;
  status: number;
  /** The exact body HarperDB answers. */
  body?: unknown;
  /** For bodies with generated parts (ids, times): checks on the body instead of equality. */
  check?: (body: any) => void | Promise<void>;
}

/** `{"error": message}` with the message exact. */
export const error = (message: string) => ({ error: message });
export const message = (text: string) => ({ message: text });

export async function runCases(t: TestContext, op: Op, cases: Case[]): Promise<void> {
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = await op(c.request);
      assert.equal(r.status, c.status, `${c.name}: status ${r.status}, body ${JSON.stringify(r.body)}`);
      if ('body' in c) assert.deepEqual(r.body, c.body, c.name);
      if (c.check) await c.check(r.body);
    });
  }
}
