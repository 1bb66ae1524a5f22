/**
 * `npm run fault-rounds -- --seed S --rounds N [--seeds a,b,c]`: the long seeded fault rounds
 * (three node processes; see test/replication/helpers/fault-rounds.ts). Prints one line per
 * round on stderr and the summary per seed on stdout; exits 1 on any loss, duplicate or divergence.
 */
import { runFaultRounds, summaryLine } from '../test/replication/helpers/fault-rounds.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const rounds = Number(arg('rounds') ?? 20);
const seeds = (arg('seeds') ?? arg('seed') ?? '1').split(',').map(Number);
if (!Number.isInteger(rounds) || rounds < 1 || seeds.some((s) => !Number.isInteger(s))) {
  process.stderr.write('usage: npm run fault-rounds -- --seed S --rounds N   (or --seeds 1,2,3)\n');
  process.exit(2);
}
let failed = false;
for (const seed of seeds) {
  const r = await runFaultRounds({ seed, rounds, log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(summaryLine(r) + `; faults ${JSON.stringify(r.faults)}\n`);
  for (const p of r.problems) process.stdout.write(`  ${p}\n`);
  if (r.lost || r.duplicated || r.divergent || r.rounds < rounds) failed = true;
}
process.exit(failed ? 1 : 0);
