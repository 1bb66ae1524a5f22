/** Browse: the database/table tree with record counts, database and table create/drop. */

import { useState } from 'preact/hooks';
import type { ApiClient, DescribeAll, TableDescription } from '../lib/api.js';
import { formatCount } from '../lib/format.js';
import { browseHref } from '../lib/route.js';
import { navigate } from '../nav.js';
import { ConfirmButton, ErrorMessage, Loading, Success, messageOf, useAction, useAsync } from '../ui.js';
import { TableView } from './table-view.js';

function sortedKeys(o: object | null | undefined): string[] {
  return Object.keys(o ?? {}).sort((a, b) => a.localeCompare(b));
}

function Tree({ all, database, table }: { all: DescribeAll; database: string | null; table: string | null }) {
  const dbs = sortedKeys(all);
  if (dbs.length === 0) return <p class="hint">No databases yet.</p>;
  return (
    <ul class="tree">
      {dbs.map((db) => (
        <li key={db}>
          <a class="tree-db" href={browseHref(db)} aria-current={db === database && table === null ? 'page' : undefined}>{db}</a>
          <ul>
            {sortedKeys(all[db]).map((t) => {
              const d = all[db]?.[t];
              return (
                <li key={t}>
                  <a class="tree-table" href={browseHref(db, t)} aria-current={db === database && t === table ? 'page' : undefined}>
                    <span>{t}</span>
                    <span class="count" aria-label={`${d?.record_count ?? 'unknown'} records`}>{d?.record_count === undefined ? '?' : formatCount(d.record_count)}</span>
                  </a>
                </li>
              );
            })}
            {sortedKeys(all[db]).length === 0 ? <li class="hint tree-empty">no tables</li> : null}
          </ul>
        </li>
      ))}
    </ul>
  );
}

function CreateDatabaseForm({ client, onCreated }: { client: ApiClient; onCreated: (db: string) => void }) {
  const [name, setName] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const db = name.trim();
    void action.run(async () => {
      if (!db) throw new Error('enter a database name');
      const res = await client.call({ operation: 'create_database', database: db });
      setName('');
      onCreated(db);
      return messageOf(res, `database '${db}' created`);
    });
  };
  return (
    <form class="form form-inline" onSubmit={submit} aria-busy={action.busy}>
      <div class="field">
        <label for="new-db">New database</label>
        <input id="new-db" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. dev" />
      </div>
      <button type="submit" class="btn" disabled={action.busy}>Create database</button>
      <ErrorMessage error={action.error} />
      {action.message ? <Success>{action.message}</Success> : null}
    </form>
  );
}

function CreateTableForm({ client, database, onCreated }: { client: ApiClient; database: string; onCreated: (table: string) => void }) {
  const [table, setTable] = useState('');
  const [key, setKey] = useState('id');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const t = table.trim();
    const k = key.trim();
    void action.run(async () => {
      if (!t) throw new Error('enter a table name');
      if (!k) throw new Error('enter the primary key attribute');
      const res = await client.call({ operation: 'create_table', database, table: t, primary_key: k });
      setTable('');
      onCreated(t);
      return messageOf(res, `table '${database}.${t}' created`);
    });
  };
  return (
    <form class="form form-inline" onSubmit={submit} aria-busy={action.busy}>
      <div class="field">
        <label for="new-table">Table name</label>
        <input id="new-table" value={table} onInput={(e) => setTable(e.currentTarget.value)} placeholder="e.g. dog" />
      </div>
      <div class="field">
        <label for="new-table-key">Primary key</label>
        <input id="new-table-key" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      </div>
      <button type="submit" class="btn btn-primary" disabled={action.busy}>Create table</button>
      <ErrorMessage error={action.error} />
      {action.message ? <Success>{action.message}</Success> : null}
    </form>
  );
}

function DatabaseView({ client, database, tables, onChanged }: { client: ApiClient; database: string; tables: Record<string, TableDescription>; onChanged: () => Promise<void> }) {
  const drop = useAction();
  const names = sortedKeys(tables);
  return (
    <section aria-labelledby="db-title">
      <div class="page-head">
        <h1 id="db-title">Database <code>{database}</code></h1>
        <ConfirmButton
          label="Drop database"
          question={`Drop database ${database} and all its tables?`}
          confirmLabel="Drop database"
          disabled={drop.busy}
          onConfirm={() => drop.run(async () => {
            await client.call({ operation: 'drop_database', database });
            await onChanged();
            navigate({ page: 'browse', database: null, table: null });
          })}
        />
      </div>
      <ErrorMessage error={drop.error} prefix="Could not drop the database" />
      {names.length === 0 ? <p>This database has no tables yet.</p> : (
        <table class="grid grid-compact">
          <caption class="sr-only">Tables of {database}</caption>
          <thead><tr><th scope="col">Table</th><th scope="col">Primary key</th><th scope="col" class="num">Records</th></tr></thead>
          <tbody>
            {names.map((t) => (
              <tr key={t}>
                <td><a href={browseHref(database, t)}>{t}</a></td>
                <td><code>{tables[t]?.hash_attribute}</code></td>
                <td class="num">{formatCount(tables[t]?.record_count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Create a table</h2>
      <CreateTableForm client={client} database={database} onCreated={async (t) => { await onChanged(); navigate({ page: 'browse', database, table: t }); }} />
    </section>
  );
}

export function BrowsePage({ client, database, table }: { client: ApiClient; database: string | null; table: string | null }) {
  const describe = useAsync(() => client.call<DescribeAll>({ operation: 'describe_all' }), [client]);
  const all = describe.data;
  const tables = database !== null ? all?.[database] : undefined;
  const desc = table !== null ? tables?.[table] : undefined;

  let main;
  if (!all) {
    main = describe.error ? null : <Loading label="Loading databases…" />;
  } else if (database === null) {
    main = (
      <section aria-labelledby="browse-title">
        <h1 id="browse-title">Browse</h1>
        <p class="lead">Pick a table on the left, or create a database.</p>
      </section>
    );
  } else if (!tables) {
    main = <p class="msg msg-error" role="alert">Database '{database}' does not exist on this node (any more).</p>;
  } else if (table === null) {
    main = <DatabaseView client={client} database={database} tables={tables} onChanged={describe.reload} />;
  } else if (!desc) {
    main = <p class="msg msg-error" role="alert">Table '{database}.{table}' does not exist on this node (any more).</p>;
  } else {
    main = <TableView key={`${database}.${table}`} client={client} database={database} table={table} desc={desc} onChanged={describe.reload} />;
  }

  return (
    <div class="browse">
      <aside class="sidebar" aria-label="Databases and tables">
        <div class="sidebar-head">
          <h2>Databases</h2>
          <button type="button" class="btn btn-small" onClick={() => void describe.reload()} disabled={describe.loading}>Refresh</button>
        </div>
        <ErrorMessage error={describe.error} prefix="Could not load databases" />
        {all ? <Tree all={all} database={database} table={table} /> : null}
        <CreateDatabaseForm key={database ?? ''} client={client} onCreated={async (db) => { await describe.reload(); navigate({ page: 'browse', database: db, table: null }); }} />
      </aside>
      <div class="browse-main">{main}</div>
    </div>
  );
}
