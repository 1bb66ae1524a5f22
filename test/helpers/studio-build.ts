/** Builds studio/dist for the browser tests when it is missing or older than its sources. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Newest modification time under a path (files only). */
function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

/** Builds studio/dist when it is missing or older than its sources (npm ci builds it via prepare). */
export function ensureStudioBuilt(): void {
  const index = join(ROOT, 'studio', 'dist', 'index.html');
  const sources = Math.max(newestMtime(join(ROOT, 'studio', 'src')), newestMtime(join(ROOT, 'studio', 'index.html')), newestMtime(join(ROOT, 'studio', 'vite.config.ts')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const res = spawnSync(process.execPath, [vite, 'build', '--config', 'studio/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`studio build failed:\n${res.stdout}\n${res.stderr}`);
}

