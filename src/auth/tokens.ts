/**
 * JSON Web Tokens as HarperDB issues them: RS256, payload {username}, subject 'operation' or
 * 'refresh', iat/exp in seconds. The only module that imports `jose`. The RSA key pair is
 * generated on the node's first start and kept under <rootPath>/keys (.jwtPrivate.key, mode
 * 0600; .jwtPublic.key), so tokens survive restarts. The clock is injected (tests).
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

export class Tokens {
  readonly #pem: { privateKey: string; publicKey: string };
  #keys: Promise<Keys> | null = null;
  readonly #opts: TokenOptions;
  readonly #clock: () => number;

  private constructor(pem: { privateKey: string; publicKey: string }, opts: TokenOptions) {
    this.#pem = pem;
    this.#opts = opts;
    this.#clock = opts.clock ?? Date.now;
  }

  /** Loads the key pair (PEM) from `dir`, generating it (private key mode 0600) when absent. */
  static async open(dir: string, opts: TokenOptions): Promise<Tokens> {
    const priv = join(dir, PRIVATE_KEY_FILE), pub = join(dir, PUBLIC_KEY_FILE);
    if (!existsSync(priv) || !existsSync(pub)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const pair = await promisify(generateKeyPair)('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      writeFileSync(priv, pair.privateKey, { mode: 0o600 });
      chmodSync(priv, 0o600);
      writeFileSync(pub, pair.publicKey, { mode: 0o644 });
      return new Tokens(pair, opts);
    }
    return new Tokens({ privateKey: readFileSync(priv, 'utf8'), publicKey: readFileSync(pub, 'utf8') }, opts);
  }

  /** The keys as jose's CryptoKeys, imported on first use. */
  #cryptoKeys(): Promise<Keys> {
    return this.#keys ??= (async () => {
      const { importPKCS8, importSPKI } = await joseLibrary();
      return { privateKey: await importPKCS8(this.#pem.privateKey, ALG), publicKey: await importSPKI(this.#pem.publicKey, ALG) };
    })();
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
