/** The package version, read from package.json when asked (never at import time). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Root folder of the installed package (holds package.json and studio/dist). */
export function packageRoot(): string {
  // dist/src/version.js -> package root is two levels above dist/src
  return fileURLToPath(new URL('../../', import.meta.url));
}

export function version(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
