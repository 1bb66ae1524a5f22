/**
 * The demo end to end, as a user runs it: `ferrydb demo` as a child process. A bounded run
 * must verify zero lost and zero duplicated rows and exit 0; an interrupted run must stop on
 * SIGINT, still verify, and leave no node process or temp directory behind.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait-for.js';

const BIN = fileURLToPath(new URL('../../../bin/ferrydb.js', import.meta.url));

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string }

function startDemo(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise<Run>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out })));
  return { child, output: () => out, done };
}

/** Ends the demo and whatever nodes it named, by PID, if a test fails half-way. */
function killLeftovers(out: string, demoPid: number | undefined): void {
  const pids = [...out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
  for (const pid of [demoPid, ...pids]) {
    if (!pid) continue;
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

const demoDirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('ferrydb-demo-')));

test('a bounded demo run with an outage loses and duplicates nothing and exits 0', { timeout: 90_000 }, async () => {
  const before = demoDirs();
  const demo = startDemo(['--duration', '12', '--outage', '3', '--rate', '500']);
  const timer = setTimeout(() => killLeftovers(demo.output(), demo.child.pid), 80_000);
  const run = await demo.done;
  clearTimeout(timer);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /^lost: 0$/m);
  assert.match(run.out, /^duplicated: 0$/m);
  assert.match(run.out, /^checksums: match$/m);
  assert.match(run.out, /link cut for 3s/);
  assert.match(run.out, /link restored/);
  assert.match(run.out, /fleet picked up config v2/);
  assert.match(run.out, /compression: \d+(\.\d)?x/);
  assert.match(run.out, /Studio: edge http:\/\/127\.0\.0\.1:\d+\/ {2}hq http:\/\/127\.0\.0\.1:\d+\//);
  const written = Number(/written by the fleet: (\d+) rows/.exec(run.out)?.[1]);
  assert.ok(written > 1000, `the fleet wrote ${written} rows`);
  for (const pid of [...run.out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]))) assert.equal(isAlive(pid), false, `node ${pid} still runs`);
  assert.deepEqual([...demoDirs()].filter((d) => !before.has(d)), []);
});

test('Ctrl-C stops the demo, verifies what was written and leaves nothing running', { timeout: 60_000 }, async () => {
  const before = demoDirs();
  const demo = startDemo(['--rate', '300', '--outage', '0']);
  try {
    await waitFor(() => /written=[1-9]\d{2,}/.test(demo.output()), { timeoutMs: 30_000, what: 'the fleet to write rows' });
    demo.child.kill('SIGINT');
    const run = await demo.done;
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Ctrl-C: stopping the fleet/);
    assert.match(run.out, /^lost: 0$/m);
    assert.match(run.out, /^duplicated: 0$/m);
    const pids = [...run.out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.equal(isAlive(pid), false, `node ${pid} still runs`);
    assert.deepEqual([...demoDirs()].filter((d) => !before.has(d)), []);
  } finally {
    killLeftovers(demo.output(), demo.child.exitCode === null ? demo.child.pid : undefined);
  }
});
