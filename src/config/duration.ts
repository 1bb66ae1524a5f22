/** Pure parsing of HarperDB-style durations ('1d', '30d', '12h', '15m', '90s', '500ms' or plain seconds). */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_557_600_000 };

/** Milliseconds, or null when the text is not a positive duration. */
export function parseDuration(text: string | number): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$/i.exec(String(text));
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!;
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}
