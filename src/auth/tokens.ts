/**
 * JSON Web Tokens as HarperDB issues them: RS256, payload {username}, subject 'operation' or
 * 'refresh', iat/exp in seconds. The only module that imports `jose`. The RSA key pair is
 * generated when a node first signs or checks a token and kept under <rootPath>/keys
 * (.jwtPrivate.key, mode 0600; .jwtPublic.key), so tokens survive restarts. The clock is
 * injected (tests).
 */
import { generateKeyPair } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CryptoKey } from 'jose';
import { DbError } from '../errors/db-error.js';

export type TokenKind = 'operation' | 'refresh';

export interface TokenOptions {
  /** Lifetimes in milliseconds. */
  operationTtlMs: number;
  refreshTtlMs: number;
  clock?: () => number;
}

export interface VerifiedToken {
  username: string;
  /** Expiry, epoch ms. */
  expiresAt: number;
}

const ALG = 'RS256';
export const PRIVATE_KEY_FILE = '.jwtPrivate.key';
export const PUBLIC_KEY_FILE = '.jwtPublic.key';

/** jose (ES module only), loaded by the first token signed or verified: a node whose clients use Basic auth never loads it. */
let jose: Promise<typeof import('jose')> | null = null;
const joseLibrary = () => jose ??= import('jose');

interface Keys { privateKey: CryptoKey; publicKey: CryptoKey }

type Pem = { privateKey: string; publicKey: string };

export class Tokens {
  readonly #dir: string;
  #pem: Pem | null;
  #keys: Promise<Keys> | null = null;
  readonly #opts: TokenOptions;
  readonly #clock: () => number;

  private constructor(dir: string, pem: Pem | null, opts: TokenOptions) {
    this.#dir = dir;
    this.#pem = pem;
    this.#opts = opts;
    this.#clock = opts.clock ?? Date.now;
  }

  /**
   * Loads the key pair (PEM) from `dir` when it is there. A node without one generates it (private key mode 0600)
   * on the first token it signs or checks, so a start never waits for RSA key generation (hundreds of ms).
   */
  static open(dir: string, opts: TokenOptions): Tokens {
    return new Tokens(dir, readPair(dir), opts);
  }

  /** The keys as jose's CryptoKeys: generated (first use on a new root) or read, then imported once. */
  #cryptoKeys(): Promise<Keys> {
    if (this.#keys) return this.#keys;
    const keys = this.#keys = (async () => {
      const pem = this.#pem ??= readPair(this.#dir) ?? await generatePair(this.#dir);
      const { importPKCS8, importSPKI } = await joseLibrary();
      return { privateKey: await importPKCS8(pem.privateKey, ALG), publicKey: await importSPKI(pem.publicKey, ALG) };
    })();
    // A failure (e.g. the key directory not writable) is not kept: the next token tries again.
    keys.catch(() => { if (this.#keys === keys) this.#keys = null; });
    return keys;
  }

  async sign(username: string, kind: TokenKind): Promise<string> {
    const now = Math.floor(this.#clock() / 1000);
    const ttl = Math.max(1, Math.round((kind === 'operation' ? this.#opts.operationTtlMs : this.#opts.refreshTtlMs) / 1000));
    const { privateKey } = await this.#cryptoKeys();
    const { SignJWT } = await joseLibrary();
    return new SignJWT({ username }).setProtectedHeader({ alg: ALG }).setSubject(kind).setIssuedAt(now).setExpirationTime(now + ttl).sign(privateKey);
  }

  /** Verifies a token of the given kind; throws HarperDB's 403 'token expired' or 401 'invalid token'. */
  async verify(token: string, kind: TokenKind): Promise<VerifiedToken> {
    const { publicKey } = await this.#cryptoKeys();
    const { jwtVerify, errors } = await joseLibrary();
    try {
      const { payload } = await jwtVerify(token, publicKey, { algorithms: [ALG], subject: kind, currentDate: new Date(this.#clock()) });
      if (typeof payload.username !== 'string' || typeof payload.exp !== 'number') throw new DbError('UNAUTHENTICATED', 'invalid token');
      return { username: payload.username, expiresAt: payload.exp * 1000 };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new DbError('FORBIDDEN', 'token expired');
      throw new DbError('UNAUTHENTICATED', 'invalid token');
    }
  }
}

function readPair(dir: string): Pem | null {
  const priv = join(dir, PRIVATE_KEY_FILE), pub = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(priv) || !existsSync(pub)) return null;
  return { privateKey: readFileSync(priv, 'utf8'), publicKey: readFileSync(pub, 'utf8') };
}

async function generatePair(dir: string): Promise<Pem> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const priv = join(dir, PRIVATE_KEY_FILE);
  writeFileSync(priv, pair.privateKey, { mode: 0o600 });
  chmodSync(priv, 0o600);
  writeFileSync(join(dir, PUBLIC_KEY_FILE), pair.publicKey, { mode: 0o644 });
  return pair;
}
