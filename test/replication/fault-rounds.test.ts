import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFaultRounds, summaryLine } from './helpers/fault-rounds.js';

// The short variant; the long one is `npm run fault-rounds -- --seed S --rounds N`.
for (const seed of [11, 12]) {
  test(`seeded fault rounds on three node processes lose, duplicate and diverge nothing (seed ${seed}, 3 rounds)`, { timeout: 240_000 }, async (t) => {
    const report = await runFaultRounds({ seed, rounds: 3, rowsPerRound: 400, log: (l) => t.diagnostic(l) });
    t.diagnostic(summaryLine(report));
    assert.deepEqual(report.problems, []);
    assert.equal(report.rounds, 3);
    assert.equal(report.lost + report.duplicated + report.divergent, 0, summaryLine(report));
    assert.ok(report.acknowledgedWrites > 3000);
  });
}
