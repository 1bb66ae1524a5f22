/** Serves the built Studio (studio/dist) for GET requests on the operations port. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

export class StudioFiles {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  get available(): boolean {
    return existsSync(join(this.#dir, 'index.html'));
  }

  /** Sends the file for a URL path; returns false when this path is not a Studio file. */
  serve(path: string, res: ServerResponse): boolean {
    let rel = decodeURIComponent(path.split('?')[0] ?? '/');
    if (rel === '/studio') rel = '/studio/';
    if (rel.startsWith('/studio/')) rel = rel.slice('/studio'.length);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(this.#dir, rel));
    if (!file.startsWith(this.#dir + sep) || !existsSync(file) || !statSync(file).isFile()) return false;
    const immutable = rel.startsWith('/assets/');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(readFileSync(file));
    return true;
  }
}
