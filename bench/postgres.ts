/**
 * A throw-away PostgreSQL 15 server for comparisons: initdb in a temp directory and start on a
 * free loopback port, as the unprivileged `postgres` user when run as root (initdb refuses
 * root). Returns null when the server binaries are not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePorts } from '../src/demo/node-launcher.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TempPostgres {
  client: pg.Client;
  version: string;
  stop(): Promise<void>;
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPostgres(): Promise<TempPostgres | null> {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'postgres'))) return null;
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-pg-'));
  if (process.getuid?.() === 0) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) { rmSync(dir, { recursive: true, force: true }); return null; }
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'bench', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) { rmSync(dir, { recursive: true, force: true }); throw new Error(`initdb failed: ${init.stderr}`); }
  const port = (await freePorts(1))[0]!;
  const [cmd, args] = asPostgres(join(PG_BIN, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off']);
  const proc: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  const deadline = Date.now() + 30_000;
  let client: pg.Client | undefined;
  while (!client) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'bench', database: 'postgres' });
    try { await c.connect(); client = c; } catch {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline || proc.exitCode !== null) { proc.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); throw new Error(`postgres did not start: ${stderr}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const version = String((await client.query('SHOW server_version')).rows[0].server_version);
  return {
    client, version,
    async stop() {
      await client!.end().catch(() => undefined);
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
