/**
 * add_sink, update_sink, remove_sink, list_sinks, sink_status (super users only). Responses
 * carry the target URL with its password masked, never the password.
 */
import { parseSinkDefinition, SinkSettingError } from '../config/sink-settings.js';
import { invalid } from '../errors/db-error.js';
import type { Body } from '../operations/context.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Sinks } from './sinks.js';

function parse(body: Record<string, unknown>) {
  try {
    return parseSinkDefinition(body, 'sink');
  } catch (err) {
    if (err instanceof SinkSettingError) throw invalid(err.message);
    throw err;
  }
}

function fields(body: Body): Record<string, unknown> {
  const { operation: _op, ...rest } = body;
  return rest;
}

function nameOf(body: Body): string {
  if (typeof body.name !== 'string' || !body.name) throw invalid(`'name' is required`);
  return body.name;
}

export function registerSinkOperations(registry: OperationRegistry, sinks: Sinks): void {
  registry.register({
    name: 'add_sink', superUserOnly: true,
    handler: async (body) => {
      const def = parse(fields(body));
      await sinks.add(def);
      return { message: `Successfully added sink '${def.name}'` };
    },
  });
  registry.register({
    name: 'update_sink', superUserOnly: true,
    handler: async (body) => {
      const name = nameOf(body);
      const cur = sinks.definition(name);
      const merged = {
        name, type: cur.type, url: cur.url, tables: cur.tables, create_tables: cur.createTables, batch_rows: cur.batchRows,
        ...fields(body),
      };
      if ('createTables' in merged) delete (merged as Record<string, unknown>).create_tables;
      if ('batchRows' in merged) delete (merged as Record<string, unknown>).batch_rows;
      await sinks.update(parse(merged));
      return { message: `Successfully updated sink '${name}'` };
    },
  });
  registry.register({
    name: 'remove_sink', superUserOnly: true,
    handler: async (body) => {
      const name = nameOf(body);
      await sinks.remove(name);
      return { message: `Successfully removed sink '${name}'` };
    },
  });
  registry.register({ name: 'list_sinks', superUserOnly: true, handler: () => sinks.list() });
  registry.register({
    name: 'sink_status', superUserOnly: true,
    handler: (body) => {
      if (body.name !== undefined && typeof body.name !== 'string') throw invalid(`'name' must be a string`);
      return { sinks: sinks.status(body.name as string | undefined) };
    },
  });
}
