/**
 * The only module that loads node-sql-parser (its MySQL grammar: backtick identifiers,
 * `schema.table`, LIMIT a, b), created on first use.
 */
import { createRequire } from 'node:module';

type ParserCtor = new () => { astify(sql: string, opts: { database: string }): unknown };

let parser: InstanceType<ParserCtor> | undefined;

/** Parses one normalised statement into node-sql-parser's AST; throws its syntax errors. */
export function parseText(text: string): unknown {
  if (!parser) {
    const { Parser } = createRequire(import.meta.url)('node-sql-parser/build/mysql.js') as { Parser: ParserCtor };
    parser = new Parser();
  }
  return parser.astify(text, { database: 'mysql' });
}
