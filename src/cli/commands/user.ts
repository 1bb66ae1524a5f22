/**
 * `ferrydb user add|passwd|list`: manage users directly in a STOPPED node's root path (the
 * recovery path for a lost admin password). Refuses while the node runs (its pid file names a
 * live process), since a running node keeps users in memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePassword } from '../../auth/password.js';
import { SUPER_USER } from '../../auth/roles.js';
import { Users } from '../../auth/users.js';
import { parseSettingFlags, readConfig } from '../../config/read-sources.js';
import { DbError } from '../../errors/db-error.js';
import { PID_FILE } from '../../server.js';
import { openLmdbEngine } from '../../storage/lmdb-engine.js';
import type { CliIo } from '../io.js';

export const USER_HELP = `Usage:
  ferrydb user add <username> [--role <role>] [--password <pw> | --password-stdin] [--inactive]
  ferrydb user passwd <username> [--password <pw> | --password-stdin]
  ferrydb user list
  (plus any setting flag, e.g. --ROOTPATH ./data)

Works on a stopped node's root path; refuses while the node is running. Without a password
option a strong one is generated and printed once. --role defaults to super_user (the
recovery case); roles are created with add_role on a running node.
`;

function running(rootPath: string): number | null {
  const file = join(rootPath, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** Splits our own options from the setting flags. */
function parseArgs(args: string[]): { positional: string[]; opts: Map<string, string | true>; settings: string[] } {
  const positional: string[] = [], settings: string[] = [];
  const opts = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--password' || a === '--role') {
      const v = args[++i];
      if (v === undefined) throw new DbError('VALIDATION_FAILED', `${a} needs a value`);
      opts.set(a.slice(2), v);
    } else if (a === '--password-stdin' || a === '--inactive' || a === '--force') opts.set(a.slice(2), true);
    else if (a.startsWith('--')) { settings.push(a); if (!a.includes('=') && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) settings.push(args[++i]!); }
    else positional.push(a);
  }
  return { positional, opts, settings };
}

async function passwordOf(opts: Map<string, string | true>, io: CliIo): Promise<{ password: string; generated: boolean }> {
  const given = opts.get('password');
  if (typeof given === 'string') {
    if (!given) throw new DbError('VALIDATION_FAILED', 'the password must not be empty');
    return { password: given, generated: false };
  }
  if (opts.get('password-stdin')) {
    const text = io.stdin ? await io.stdin() : '';
    const password = text.split(/\r?\n/)[0] ?? '';
    if (!password) throw new DbError('VALIDATION_FAILED', 'no password on standard input');
    return { password, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

export async function runUser(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help')) { io.stdout(USER_HELP); return sub ? 0 : 2; }
  const { positional, opts, settings } = parseArgs(rest);
  const config = readConfig(io.env, parseSettingFlags(settings), io.cwd);
  const pid = running(config.rootPath);
  if (pid !== null && !opts.get('force')) {
    io.stderr(`ferrydb: the node at ${config.rootPath} is running (pid ${pid}); stop it first, or use add_user/alter_user on its operations API\n`);
    return 1;
  }
  if (!existsSync(join(config.rootPath, 'database'))) {
    io.stderr(`ferrydb: no FerryDB data at ${config.rootPath} (set --ROOTPATH)\n`);
    return 1;
  }
  const engine = openLmdbEngine({ path: join(config.rootPath, 'database') });
  try {
    const users = new Users(engine);
    switch (sub) {
      case 'list': {
        const rows = users.list().map((u) => [u.username, u.role.role, u.active ? 'active' : 'inactive']);
        const w = [8, 4].map((min, i) => Math.max(min, ...rows.map((r) => r[i]!.length)));
        io.stdout(`${'USERNAME'.padEnd(w[0]!)}  ${'ROLE'.padEnd(w[1]!)}  STATUS\n`);
        for (const r of rows) io.stdout(`${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]}\n`);
        return 0;
      }
      case 'add':
      case 'passwd': {
        const username = positional[0];
        if (!username || positional.length > 1) { io.stderr(`ferrydb: user ${sub} needs exactly one username\n\n${USER_HELP}`); return 2; }
        const existing = users.stored(username);
        if (sub === 'add' && existing) { io.stderr(`ferrydb: User ${username} already exists (use 'ferrydb user passwd ${username}')\n`); return 1; }
        if (sub === 'passwd' && !existing) { io.stderr(`ferrydb: User ${username} does not exist\n`); return 1; }
        const { password, generated } = await passwordOf(opts, io);
        if (sub === 'add') {
          // The recovery default: a role that really is a super user (even if 'super_user' was altered).
          const role = typeof opts.get('role') === 'string' ? users.roles.find(opts.get('role') as string)
            : users.roles.list().find((r) => r.permission.super_user === true) ?? await users.roles.add(`${SUPER_USER}_recovery`, { super_user: true });
          if (!role) { io.stderr(`ferrydb: ${String(opts.get('role'))} role not found\n`); return 1; }
          await users.put(username, password, role, !opts.get('inactive'));
        } else await users.update(username, { password });
        io.stdout(`${sub === 'add' ? `${username} successfully added` : `password of ${username} changed`}${generated ? `; generated password (shown only this once):\n\n    ${password}\n` : ''}\n`);
        return 0;
      }
      default:
        io.stderr(`ferrydb: unknown user command '${sub}'\n\n${USER_HELP}`);
        return 2;
    }
  } finally {
    await engine.close();
  }
}
