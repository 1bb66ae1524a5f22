/** The `ferrydb` command: parses the command word and hands over to it. */
import { DbError } from '../errors/db-error.js';
import { version } from '../version.js';
import { DEMO_HELP, runDemo } from '../demo/demo.js';
import { START_HELP, runStart } from './commands/start.js';
import { runUser } from './commands/user.js';
import { processIo, type CliIo } from './io.js';

const HELP = `Usage: ferrydb <command> [options]

Commands:
  start      start a node in the foreground (default)
  demo       run the live factory demo: two nodes, a fleet, an outage, a catch-up
  user       add a user, change a password or list users of a stopped node (add|passwd|list)
  version    print the version
  help       show this help

Options:
  --help, -h       help for the command
  --version, -v    print the version

Run 'ferrydb <command> --help' for a command's options.
`;

/** Runs the CLI; returns the process exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') { io.stdout(`${version()}\n`); return 0; }
  if (first === '--help' || first === '-h' || first === 'help') { io.stdout(HELP); return 0; }
  const command = first === undefined || first.startsWith('--') ? 'start' : first;
  const args = first === undefined || first.startsWith('--') ? argv : rest;
  try {
    switch (command) {
      case 'start':
        if (args.includes('--help') || args.includes('-h')) { io.stdout(START_HELP); return 0; }
        return await runStart(args, io);
      case 'demo':
        if (args.includes('--help') || args.includes('-h')) { io.stdout(DEMO_HELP); return 0; }
        return await runDemo(args, io);
      case 'user':
        return await runUser(args, io);
      default:
        io.stderr(`ferrydb: unknown command '${command}'\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    io.stderr(`ferrydb: ${err instanceof DbError ? err.message : (err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const code = await run(argv, processIo());
  process.exitCode = code;
  if (code !== 0) process.exit(code);
}
