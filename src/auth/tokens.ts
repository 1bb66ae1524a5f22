/**
 * JSON Web Tokens as HarperDB issues them: RS256, payload {username}, subject 'operation' or
 * 'refresh', iat/exp in seconds. The only module that imports `jose`. The RSA key pair is
 * generated on the node's first start and kept under <rootPath>/keys (.jwtPrivate.key, mode
 * 0600; .jwtPublic.key), so tokens survive restarts. The clock is injected (tests).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose';
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

export class Tokens {
  readonly #privateKey: CryptoKey;
  readonly #publicKey: CryptoKey;
  readonly #opts: TokenOptions;
  readonly #clock: () => number;

  private constructor(privateKey: CryptoKey, publicKey: CryptoKey, opts: TokenOptions) {
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.#opts = opts;
    this.#clock = opts.clock ?? Date.now;
  }

  /** Loads the key pair from `dir`, generating it (private key mode 0600) when absent. */
  static async open(dir: string, opts: TokenOptions): Promise<Tokens> {
    const priv = join(dir, PRIVATE_KEY_FILE), pub = join(dir, PUBLIC_KEY_FILE);
    if (!existsSync(priv) || !existsSync(pub)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const pair = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
      writeFileSync(priv, await exportPKCS8(pair.privateKey), { mode: 0o600 });
      chmodSync(priv, 0o600);
      writeFileSync(pub, await exportSPKI(pair.publicKey), { mode: 0o644 });
      return new Tokens(pair.privateKey, pair.publicKey, opts);
    }
    return new Tokens(await importPKCS8(readFileSync(priv, 'utf8'), ALG), await importSPKI(readFileSync(pub, 'utf8'), ALG), opts);
  }

  async sign(username: string, kind: TokenKind): Promise<string> {
    const now = Math.floor(this.#clock() / 1000);
    const ttl = Math.max(1, Math.round((kind === 'operation' ? this.#opts.operationTtlMs : this.#opts.refreshTtlMs) / 1000));
    return new SignJWT({ username }).setProtectedHeader({ alg: ALG }).setSubject(kind).setIssuedAt(now).setExpirationTime(now + ttl).sign(this.#privateKey);
  }

  /** Verifies a token of the given kind; throws HarperDB's 403 'token expired' or 401 'invalid token'. */
  async verify(token: string, kind: TokenKind): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, { algorithms: [ALG], subject: kind, currentDate: new Date(this.#clock()) });
      if (typeof payload.username !== 'string' || typeof payload.exp !== 'number') throw new DbError('UNAUTHENTICATED', 'invalid token');
      return { username: payload.username, expiresAt: payload.exp * 1000 };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new DbError('FORBIDDEN', 'token expired');
      throw new DbError('UNAUTHENTICATED', 'invalid token');
    }
  }
}
