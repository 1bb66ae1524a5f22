/** Renders docs/config.md from the settings schema (a test keeps the file current). */
import { writeFileSync } from 'node:fs';
import { SETTINGS, envNameOf } from './schema.js';

export function renderConfigDocs(): string {
  const rows = SETTINGS.map((d) => {
    const names = [...new Set([envNameOf(d.path), ...(d.aliases ?? [])])].map((n) => `\`${n}\``).join(', ');
    const def = d.default === null ? '(none)' : Array.isArray(d.default) ? (d.default.length ? d.default.join(',') : '(empty)') : String(d.default);
    return `| \`${d.path}\` | ${names} | ${d.type} | \`${def}\` | ${d.doc}${d.secret ? ' (secret: never logged or returned)' : ''} |`;
  });
  return [
    '# Configuration',
    '',
    'Generated from `src/config/schema.ts` (run `npm run docs:config` after changing it; a test checks this file).',
    '',
    'Every setting is read from, in increasing precedence: its default, `<rootPath>/ferrydb-config.yaml` (YAML, nested by the',
    'dotted path; `HDB_CONFIG` may point elsewhere), the environment (any listed name, upper case), and command-line flags',
    '(`--NAME value`, `--NAME=value` or `--dotted.path=value`). Port settings also accept `host:port`. An invalid value or an',
    'unknown key in the file or on the command line stops start-up with a message naming the setting.',
    '',
    '| setting (YAML path) | environment / flag names | type | default | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export function writeConfigDocs(path: string): void {
  writeFileSync(path, renderConfigDocs());
}
