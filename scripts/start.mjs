// `npm start`: runs the compiled node (dist/src/main.js) in this process. It compiles first only when a
// source file is newer than the build; a fresh clone is built once by `prepare` at `npm install`.
// The check takes a few milliseconds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'dist', 'src', 'main.js');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : entry.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

const sources = Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (!existsSync(built) || statSync(built).mtimeMs < sources) {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  if (!existsSync(tsc)) {
    console.error('ferrydb: the compiled files are missing or older than src/, and TypeScript is not installed: run npm install');
    process.exit(1);
  }
  console.error('ferrydb: compiling (src/ changed since the last build)');
  const r = spawnSync(tsc, ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

await import(pathToFileURL(built).href);
