/**
 * The only module that imports pino: structured logs to stdout and to a size-rotated file
 * under <rootPath>/log. Secret-looking fields are redacted before anything is written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger as PinoLogger } from 'pino';
import { createStream } from 'rotating-file-stream';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: string;
  stdStreams: boolean;
  /** Directory for ferrydb.log; null disables the file. */
  dir: string | null;
  maxBytes: number;
  files: number;
  nodeName?: string;
}

export const LOG_FILE_NAME = 'ferrydb.log';

/** HarperDB's `notify` level: above fatal, so start-up and shutdown lines are kept at any level but silent. */
export const NOTIFY_LEVEL = 70;

/** Logs at the notify level (falls back to info on loggers without it, e.g. silentLogger()). */
export function notify(logger: Logger, obj: object, msg: string): void {
  const n = (logger as unknown as { notify?: (o: object, m: string) => void }).notify;
  if (typeof n === 'function') n.call(logger, obj, msg);
  else logger.info(obj, msg);
}

const REDACT = [
  'password', '*.password', '*.*.password', 'authorization', '*.authorization', 'headers.authorization',
  'req.headers.authorization', 'clustering.password', 'admin.password', 'secret', '*.secret',
];

export interface LoggerHandle {
  logger: Logger;
  /** Flushes and closes the file stream. */
  close(): Promise<void>;
}

/** Creates the process logger; nothing is opened until this is called. */
export function createLogger(opts: LoggerOptions): LoggerHandle {
  const streams: pino.StreamEntry[] = [];
  let file: ReturnType<typeof createStream> | null = null;
  if (opts.stdStreams) streams.push({ level: 'trace', stream: pino.destination({ fd: 1, sync: false }) });
  if (opts.dir) {
    mkdirSync(opts.dir, { recursive: true });
    file = createStream(LOG_FILE_NAME, { path: opts.dir, size: `${Math.max(1, Math.ceil(opts.maxBytes / 1024))}K`, maxFiles: opts.files });
    file.on('error', () => { /* a full disk must not crash the node; the stdout stream still carries logs */ });
    streams.push({ level: 'trace', stream: file });
  }
  const logger = pino(
    {
      level: opts.level,
      customLevels: { notify: NOTIFY_LEVEL },
      base: opts.nodeName ? { node: opts.nodeName } : {},
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    streams.length ? pino.multistream(streams) : pino.destination('/dev/null'),
  );
  return {
    logger: logger as unknown as Logger,
    close: () =>
      new Promise<void>((resolve) => {
        logger.flush?.();
        if (!file) return resolve();
        file.end(() => resolve());
      }),
  };
}

/** A logger that discards everything (tests, tools). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function logFilePath(dir: string): string {
  return join(dir, LOG_FILE_NAME);
}
