/**
 * docs/operations.md, rendered from the operation registry and HarperDB's catalogue: every
 * HarperDB 3.x and 4.x operation name, whether FerryDB supports it, its fields and a sample
 * response. Pure: the caller passes the registered names (test/unit/operations-docs checks it).
 */
import { CATALOGUE, type CatalogueEntry } from './catalogue.js';

const NOTES = [
  '`create_schema`/`create_database` and `drop_schema`/`drop_database` answer in HarperDB 4.x\'s "database" words for both names.',
  'Names of databases and tables follow HarperDB\'s rule (printable ASCII without backticks and forward slashes, up to 250 characters); numeric `schema`/`table` values are coerced to strings.',
  '`read_audit_log` and `read_transaction_log` return one entry per write transaction (a request of up to 5,000 records; a larger one is several). Rows that arrived by replication are logged one entry per row on the receiving node.',
  '`read_audit_log` and `read_transaction_log` return at most 10,000 transactions unless `limit` asks for more.',
  '`read_audit_log` update entries carry the records after the write; FerryDB does not keep `original_records`.',
  '`read_transaction_log` starts with a `define_schema` entry for the table (its creation time, primary key and attributes), then 4.x entries `{operation, user, timestamp, records}` plus `hash_values`; delete entries list the deleted keys as records.',
  'CSV loads keep the cells of a row longer than the header in `__parsed_extra`, as HarperDB (papaparse) does; empty cells leave the attribute out.',
  'Jobs are `IN_PROGRESS` from the moment their start is answered (HarperDB briefly shows `CREATED`).',
  '`delete_records_before`/`delete_files_before` remove records created before `date` on this node only: the removal is not logged and does not replicate.',
  '`delete_audit_logs_before`/`delete_transaction_logs_before` never remove change-log entries a replication peer (or another consumer) has not acknowledged yet; the job message says how many were kept and for whom.',
  '`export_local` writes `<path>/<filename or job id>.<format>` and refuses to overwrite an existing file.',
  '`set_configuration` validates every value against the configuration schema and writes `<rootPath>/ferrydb-config.yaml`; it takes effect on the next start, and environment variables and flags still win over the file (see docs/config.md).',
  '`restart` restarts the node in place (same ports, same data) when it runs as a process (`npm start` / `ferrydb start`); `restart_service` restarts the services subsystems register (replication registers its own).',
  '`read_log` returns the newest entries first unless `order` is `asc`; start-up and shutdown lines are written at HarperDB\'s `notify` level, so they are there at any configured level except `silent`.',
  'The 403 body uses HarperDB 4.x\'s words: "This operation is not authorized due to role restrictions and/or invalid database items".',
];

function cell(text: string | undefined): string {
  if (text === undefined || text === '') return '—';
  return text.replace(/\|/g, '\\|');
}

function code(text: string | undefined): string {
  return text ? `\`${cell(text)}\`` : '—';
}

function status(entry: CatalogueEntry | undefined, supported: boolean): string {
  if (supported) return 'supported';
  if (entry?.unsupported) return `not supported: ${cell(entry.unsupported)}`;
  return 'not yet';
}

/** The whole markdown document for the given registered operation names. */
export function renderOperationsDoc(registered: readonly string[]): string {
  const have = new Set(registered);
  const groups = new Map<string, CatalogueEntry[]>();
  for (const entry of CATALOGUE) {
    const list = groups.get(entry.group) ?? [];
    list.push(entry);
    groups.set(entry.group, list);
  }
  const known = new Set(CATALOGUE.map((e) => e.name));
  const extras = registered.filter((n) => !known.has(n)).sort();
  const supported = CATALOGUE.filter((e) => have.has(e.name)).length;
  const lines = [
    '# Operations',
    '',
    '<!-- Generated from the operation registry by `npm run docs:operations`; test/unit/operations-docs.test.ts fails when it drifts. -->',
    '',
    `FerryDB answers HarperDB's operations API: \`POST /\` with a JSON body \`{"operation": ...}\`. Of the ${CATALOGUE.length} operation names of HarperDB 3.x and 4.x listed here, FerryDB supports ${supported}. `
      + 'A supported operation takes HarperDB\'s fields and answers with HarperDB\'s status and body; the differences are listed at the end. '
      + 'An operation marked "not supported" answers 400 with the reason shown; one marked "not yet" answers 400 saying FerryDB does not implement it yet.',
    '',
    'Fields: `database` and `schema` are aliases everywhere (a missing database means `data`); `?` marks an optional field.',
    '',
  ];
  for (const [group, entries] of groups) {
    lines.push(`## ${group[0]!.toUpperCase()}${group.slice(1)}`, '', '| operation | HarperDB | FerryDB | request fields | sample response |', '| --- | --- | --- | --- | --- |');
    for (const e of entries) lines.push(`| \`${e.name}\` | ${e.since} | ${status(e, have.has(e.name))} | ${cell(e.fields)} | ${code(e.sample)} |`);
    lines.push('');
  }
  if (extras.length) {
    lines.push('## FerryDB only', '', 'Registered operations that are not HarperDB operation names:', '');
    for (const n of extras) lines.push(`- \`${n}\``);
    lines.push('');
  }
  lines.push('## Known differences from HarperDB', '');
  for (const n of NOTES) lines.push(`- ${n}`);
  lines.push('');
  return lines.join('\n');
}
