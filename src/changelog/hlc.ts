/**
 * Hybrid logical clock as one ordered number: wall-clock milliseconds x 1000 plus a logical
 * counter in the last three digits (safe below 2^53 until the year 2255). Every tick is
 * greater than every value this clock produced or observed before.
 */

export const HLC_SCALE = 1000;

export class HybridClock {
  #last = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A new timestamp greater than any previous one. */
  tick(): number {
    const physical = this.#now() * HLC_SCALE;
    this.#last = physical > this.#last ? physical : this.#last + 1;
    return this.#last;
  }

  /** Folds in a timestamp seen from elsewhere (a peer's entry, the log on start-up). */
  observe(timestamp: number): void {
    if (Number.isFinite(timestamp) && timestamp > this.#last) this.#last = timestamp;
  }

  get last(): number {
    return this.#last;
  }
}

/** Wall-clock milliseconds of a timestamp. */
export function hlcToMillis(timestamp: number): number {
  return Math.floor(timestamp / HLC_SCALE);
}

/**
 * The conflict rule, identical on every node: the write with the greater (timestamp, origin)
 * wins. Returns true when (aTime, aOrigin) is newer than (bTime, bOrigin).
 */
export function isNewer(aTime: number, aOrigin: string, bTime: number, bOrigin: string): boolean {
  if (aTime !== bTime) return aTime > bTime;
  return aOrigin > bOrigin;
}
