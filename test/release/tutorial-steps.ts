/**
 * Reads the request/response pairs out of docs/tutorial.md. A pair is marked by an HTML
 * comment the reader does not see:
 *
 *   <!-- step [wait] [variant=local] [ignore=a,b] -->   then a ```sh block with one curl
 *                                                       command and a ```json block
 *   <!-- action: NAME -->                                then a ```sh block (for humans)
 *
 * `wait` steps are retried until the response matches (replication is asynchronous);
 * `variant=local` steps show the same request for two local processes and are only parsed.
 */

export interface CurlRequest {
  method: 'GET' | 'POST';
  /** Host port in the tutorial (9900 edge, 9902 hq). */
  port: number;
  path: string;
  user: string | null;
  password: string | null;
  body: Record<string, unknown> | null;
}

export interface TutorialStep {
  kind: 'step';
  line: number;
  wait: boolean;
  variant: string | null;
  ignore: string[];
  request: CurlRequest;
  /** The printed response, parsed. */
  response: unknown;
  /** Character range of the response block's content in the markdown (for rewriting). */
  responseRange: [number, number];
}

export interface TutorialAction {
  kind: 'action';
  line: number;
  name: string;
}

const FENCE = /```(\w*)\n([\s\S]*?)```/y;

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Parses one curl command line (continuations already joined). */
export function parseCurl(command: string): CurlRequest {
  const url = /https?:\/\/localhost:(\d+)(\/[^\s'"]*)?/.exec(command);
  if (!url) throw new Error(`no http://localhost:PORT URL in: ${command}`);
  const data = /(?:-d|--data(?:-raw)?)\s+'([^']*)'/.exec(command);
  const auth = /(?:-u|--user)\s+'?([^\s':]+):([^\s']+)'?/.exec(command);
  return {
    method: data ? 'POST' : 'GET',
    port: Number(url[1]),
    path: url[2] ?? '/',
    user: auth ? auth[1]! : null,
    password: auth ? auth[2]! : null,
    body: data ? (JSON.parse(data[1]!) as Record<string, unknown>) : null,
  };
}

export function parseTutorial(markdown: string): (TutorialStep | TutorialAction)[] {
  const out: (TutorialStep | TutorialAction)[] = [];
  const marker = /<!--\s*(step|action:)([^>]*?)-->\s*/g;
  for (let m = marker.exec(markdown); m; m = marker.exec(markdown)) {
    const line = lineOf(markdown, m.index);
    if (m[1] === 'action:') {
      out.push({ kind: 'action', line, name: m[2]!.trim() });
      continue;
    }
    const words = m[2]!.trim().split(/\s+/).filter(Boolean);
    FENCE.lastIndex = marker.lastIndex;
    const req = FENCE.exec(markdown);
    if (!req || !['sh', 'bash', 'shell'].includes(req[1]!)) throw new Error(`line ${line}: a step must be followed by a sh block`);
    const ws = /\s*/y;
    ws.lastIndex = FENCE.lastIndex;
    ws.exec(markdown);
    FENCE.lastIndex = ws.lastIndex;
    const res = FENCE.exec(markdown);
    if (!res || res[1] !== 'json') throw new Error(`line ${line}: a step's sh block must be followed by a json block`);
    const command = req[2]!.replace(/\\\n\s*/g, ' ').trim();
    const contentStart = res.index + 3 + res[1]!.length + 1;
    out.push({
      kind: 'step', line,
      wait: words.includes('wait'),
      variant: words.find((w) => w.startsWith('variant='))?.slice(8) ?? null,
      ignore: words.find((w) => w.startsWith('ignore='))?.slice(7).split(',') ?? [],
      request: parseCurl(command),
      response: JSON.parse(res[2]!),
      responseRange: [contentStart, contentStart + res[2]!.length],
    });
    marker.lastIndex = FENCE.lastIndex;
  }
  return out;
}

/** Fields whose values change from run to run; compared for presence only. */
export const VOLATILE_FIELDS = new Set([
  '__createdtime__', '__updatedtime__', 'created_time', 'last_updated_record', 'uptime', 'uptime_ms',
  'latency_ms', 'lag_ms', 'bytes', 'bytes_sent', 'bytes_received', 'connected_at', 'last_seen', 'last_connected',
  'started_at', 'timestamp', 'hlc', 'pid', 'connected_since', 'last_received_ms_ago', 'last_sent_ms_ago', 'last_applied_at',
]);

/** A copy with volatile fields replaced by a placeholder, for comparison. */
export function withoutVolatile(value: unknown, extra: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutVolatile(v, extra));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = VOLATILE_FIELDS.has(k) || extra.includes(k) ? '<volatile>' : withoutVolatile(v, extra);
  return out;
}

/** JSON on one line with a space after each comma and colon. */
function inlineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** JSON for the tutorial: indented, with any array or object that fits in 96 columns on one line. */
export function formatJson(value: unknown, indent = 0): string {
  const flat = inlineJson(value);
  if (value === null || typeof value !== 'object' || indent * 2 + flat.length <= 96) return flat;
  const pad = '  '.repeat(indent + 1);
  const close = '  '.repeat(indent);
  if (Array.isArray(value)) return `[\n${value.map((v) => pad + formatJson(v, indent + 1)).join(',\n')}\n${close}]`;
  const entries = Object.entries(value).map(([k, v]) => `${pad}${JSON.stringify(k)}: ${formatJson(v, indent + 1)}`);
  return `{\n${entries.join(',\n')}\n${close}}`;
}
