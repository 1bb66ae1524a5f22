/**
 * A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temp directory, listening on a
 * free port on 127.0.0.1 only (no Unix socket outside the temp dir). initdb refuses to run as
 * root, so as root the server runs as the `postgres` system user (runuser) in a directory it owns.
 * stop() ends only the server this helper started (pg_ctl with its own data directory).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePorts } from '../../../src/demo/node-launcher.js';

const run = promisify(execFile);

function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

export const PG_BIN = findPgBin();

export interface TestPostgres {
  port: number;
  /** Superuser URL (user ferry, password in it). */
  url: string;
  password: string;
  dir: string;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  /** pg_ctl stop with a mode: 'fast' (clean) or 'immediate' (like a crash: no checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

function asPgUser(cmd: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!PG_BIN) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql-15; .ci/run does it)');
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-pg-'));
  const data = join(dir, 'data');
  const password = 'pg-test-secret';
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password);
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(g.trim()));
    chownSync(pwfile, Number(stdout.trim()), Number(g.trim()));
  }
  const port = (await freePorts(1))[0]!;
  const [c1, a1] = asPgUser(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'ferry', '--pwfile', pwfile, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  await run(c1, a1);
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=40 -c shared_buffers=32MB`;
  const ctl = async (...args: string[]) => { const [c, a] = asPgUser(join(PG_BIN!, 'pg_ctl'), args); await run(c, a); };
  const url = `postgres://ferry:${password}@127.0.0.1:${port}/postgres`;
  let pool: pg.Pool | null = null;
  const pgServer: TestPostgres = {
    port, url, password, dir,
    async query(sql, params) {
      if (!pool) {
        pool = new pg.Pool({ connectionString: url, max: 2 });
        pool.on('error', () => { /* idle clients die when the server stops on purpose */ });
      }
      return await pool.query(sql, params);
    },
    async start() { await ctl('start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'log'), '-o', opts); },
    async stop(mode = 'fast') {
      if (pool) { const p = pool; pool = null; await p.end().catch(() => undefined); }
      await ctl('stop', '-D', data, '-w', '-t', '60', '-m', mode);
    },
    async destroy() {
      await pgServer.stop('fast').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pgServer.start();
  return pgServer;
}
