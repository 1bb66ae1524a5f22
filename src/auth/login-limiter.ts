/**
 * Failed-login limiting per client address. After `freeFailures` consecutive failures an
 * address is blocked for a delay that doubles with every further failure (up to `maxDelayMs`);
 * while blocked, its password attempts are refused without checking them, so guessing costs
 * seconds per try instead of milliseconds. Only the failing address is blocked: the admin
 * signing in from anywhere else, and credentials already verified (cache hits), are never
 * affected. A success clears the address. Bounded memory: the oldest entries are dropped.
 */

export interface LimiterOptions {
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxEntries?: number;
  clock?: () => number;
}

interface Entry { failures: number; blockedUntil: number }

export class LoginLimiter {
  readonly #entries = new Map<string, Entry>();
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #limit: number;
  readonly #clock: () => number;

  constructor(opts: LimiterOptions = {}) {
    this.#free = opts.freeFailures ?? 5;
    this.#base = opts.baseDelayMs ?? 1000;
    this.#max = opts.maxDelayMs ?? 60_000;
    this.#limit = opts.maxEntries ?? 10_000;
    this.#clock = opts.clock ?? Date.now;
  }

  /** Milliseconds the address must still wait before its next password attempt (0: go ahead). */
  blockedFor(address: string): number {
    const e = this.#entries.get(address);
    return e ? Math.max(0, e.blockedUntil - this.#clock()) : 0;
  }

  failed(address: string): void {
    let e = this.#entries.get(address);
    if (!e) {
      if (this.#entries.size >= this.#limit) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(address, (e = { failures: 0, blockedUntil: 0 }));
    }
    e.failures++;
    if (e.failures >= this.#free) e.blockedUntil = this.#clock() + Math.min(this.#max, this.#base * 2 ** (e.failures - this.#free));
  }

  succeeded(address: string): void {
    this.#entries.delete(address);
  }
}
