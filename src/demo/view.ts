/**
 * The demo's live view. On a terminal it redraws a block of lines in place (ANSI, about four
 * times a second); anywhere else it prints one plain line a second, so logs stay readable.
 */

export type Phase = 'starting' | 'streaming' | 'outage' | 'catching up' | 'draining' | 'verifying' | 'done';

export interface DemoSnapshot {
  elapsedS: number;
  durationS: number | null;
  phase: Phase;
  linkUp: boolean;
  written: number;
  writeRate: number;
  edgeRows: number;
  hqRows: number;
  backlog: number;
  lagMs: number | null;
  /** Bytes that crossed the proxy, both directions. */
  wireBytes: number;
  /** Bytes of the replicated rows as JSON. */
  jsonBytes: number;
  sampleIntervalMs: number;
  configVersion: number;
  /** Catch-up progress 0..1 while catching up, else null. */
  catchUp: number | null;
  /** Recent events, newest last. */
  events: string[];
}

export interface DemoView {
  update(s: DemoSnapshot): void;
  /** Prints a line below the view (kept in the scroll-back). */
  note(line: string): void;
  close(): void;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** Rows of JSON per byte on the wire: how much smaller replication made the data. */
export function compressionRatio(jsonBytes: number, wireBytes: number): number | null {
  return wireBytes > 0 && jsonBytes > 0 ? jsonBytes / wireBytes : null;
}

export function progressBar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

const num = (n: number) => n.toLocaleString('en-US');

/** The lines of one frame, without colour. */
export function frameLines(s: DemoSnapshot): string[] {
  const ratio = compressionRatio(s.jsonBytes, s.wireBytes);
  const clock = s.durationS !== null ? `${s.elapsedS.toFixed(0)}s / ${s.durationS}s` : `${s.elapsedS.toFixed(0)}s (Ctrl-C to stop)`;
  const lines = [
    `FerryDB factory demo   ${clock}   phase: ${s.phase}`,
    `link edge -> hq        ${s.linkUp ? 'up' : 'CUT'}`,
    `rows written at edge   ${num(s.written).padStart(12)}   ${num(Math.round(s.writeRate)).padStart(7)} rows/s   (edge holds ${num(s.edgeRows)})`,
    `rows at hq             ${num(s.hqRows).padStart(12)}`,
    `backlog                ${num(s.backlog).padStart(12)} rows   lag ${s.lagMs === null ? '-' : `${num(Math.round(s.lagMs))} ms`}`,
    `bytes on the wire      ${formatBytes(s.wireBytes).padStart(12)}   rows as JSON ${formatBytes(s.jsonBytes)}   compression ${ratio === null ? '-' : `${ratio.toFixed(1)}x`}`,
    `fleet config           sample every ${s.sampleIntervalMs.toFixed(1)} ms (version ${s.configVersion})`,
  ];
  if (s.catchUp !== null) lines.push(`catch-up               ${progressBar(s.catchUp, 30)}`);
  for (const e of s.events.slice(-4)) lines.push(`  ${e}`);
  return lines;
}

/** One line for logs and pipes. */
export function plainLine(s: DemoSnapshot): string {
  const ratio = compressionRatio(s.jsonBytes, s.wireBytes);
  return [
    `t=${s.elapsedS.toFixed(1)}s`, `phase=${s.phase.replace(' ', '-')}`, `link=${s.linkUp ? 'up' : 'cut'}`,
    `written=${s.written}`, `rate=${Math.round(s.writeRate)}/s`, `hq=${s.hqRows}`, `backlog=${s.backlog}`,
    `lag_ms=${s.lagMs === null ? '-' : Math.round(s.lagMs)}`, `wire_bytes=${s.wireBytes}`,
    `compression=${ratio === null ? '-' : ratio.toFixed(1)}`,
    ...(s.catchUp !== null ? [`catch_up=${Math.round(s.catchUp * 100)}%`] : []),
  ].join(' ');
}

/** Where the view writes: a terminal (redrawn in place) or anything else (plain lines). */
export interface ViewSink {
  write(text: string): void;
  isTTY: boolean;
  columns?: number;
}

export function createView(sink: ViewSink): DemoView {
  return sink.isTTY ? new TerminalView(sink) : new PlainView(sink);
}

class TerminalView implements DemoView {
  readonly #out: ViewSink;
  #drawn = 0;
  #last: DemoSnapshot | null = null;
  #timer: NodeJS.Timeout;

  constructor(out: ViewSink) {
    this.#out = out;
    this.#out.write('\x1b[?25l');
    this.#timer = setInterval(() => this.#draw(), 250);
  }

  update(s: DemoSnapshot): void {
    this.#last = s;
  }

  note(line: string): void {
    this.#clear();
    this.#out.write(`${line}\n`);
    this.#draw();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#draw();
    this.#out.write('\x1b[?25h');
  }

  #clear(): void {
    if (this.#drawn > 0) this.#out.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    if (!this.#last) return;
    const width = Math.max(40, (this.#out.columns ?? 100) - 1);
    const lines = frameLines(this.#last).map((l) => (l.length > width ? l.slice(0, width) : l));
    const styled = lines.map((l, i) => {
      if (i === 0) return `\x1b[1m${l}\x1b[0m`;
      if (l.startsWith('link') && !this.#last!.linkUp) return `\x1b[31;1m${l}\x1b[0m`;
      if (l.startsWith('catch-up')) return `\x1b[33m${l}\x1b[0m`;
      return l;
    });
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
    this.#out.write(`${up}${styled.map((l) => `\x1b[2K${l}`).join('\n')}\n\x1b[J`);
    this.#drawn = lines.length;
  }
}

class PlainView implements DemoView {
  readonly #out: ViewSink;
  readonly #printedEvents = new Set<string>();
  #lastPrinted = 0;

  constructor(out: ViewSink) {
    this.#out = out;
  }

  update(s: DemoSnapshot): void {
    for (const e of s.events) {
      if (this.#printedEvents.has(e)) continue;
      this.#printedEvents.add(e);
      this.#out.write(`event ${e.trim()}\n`);
    }
    const now = Date.now();
    if (now - this.#lastPrinted < 1000) return;
    this.#lastPrinted = now;
    this.#out.write(`${plainLine(s)}\n`);
  }

  note(line: string): void {
    this.#out.write(`${line}\n`);
  }

  close(): void {
    // Nothing to restore on a plain stream.
  }
}
