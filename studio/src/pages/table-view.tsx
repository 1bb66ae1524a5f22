/** One table: paged, sortable, filterable grid; a SQL box; add/edit/delete records; CSV import; drop table. */

import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ApiClient, type DataRecord, type DeleteResult, type TableDescription } from '../lib/api.js';
import { formatCount } from '../lib/format.js';
import {
  COMPARATORS,
  DEFAULT_QUERY,
  PAGE_SIZES,
  attributeNames,
  buildPageOperation,
  countOf,
  formatCell,
  formatGridCell,
  nextSort,
  orderColumns,
  sortRows,
  splitPage,
  type Comparator,
  type GridQuery,
  type ListingMode,
} from '../lib/grid.js';
import { navigate } from '../nav.js';
import { ConfirmButton, ErrorMessage, Loading, Success, messageOf, useAction, useAsync } from '../ui.js';
import { CsvImport, useCsvSupport } from './csv-import.js';
import { RecordEditor } from './record-editor.js';
import { SqlBox } from './sql-box.js';

/** Per node: nodes that reject the match-all condition are listed with search_by_value. */
const listingModes = new Map<string, ListingMode>();

interface Page {
  rows: DataRecord[];
  hasMore: boolean;
  /** True when the node could not sort and the rows were sorted in the browser (this page only). */
  sortedLocally: boolean;
}

async function fetchPage(client: ApiClient, database: string, table: string, hash: string, query: GridQuery): Promise<Page> {
  const url = client.endpoint.url;
  let mode = listingModes.get(url) ?? 'conditions';
  let raw: unknown;
  try {
    raw = await client.call(buildPageOperation(database, table, hash, query, mode));
  } catch (e) {
    if (!(mode === 'conditions' && query.filter === null && e instanceof ApiError && e.status === 400)) throw e;
    // This node rejected the match-all condition (older comparator set): list by primary key instead.
    mode = 'by_value';
    raw = await client.call(buildPageOperation(database, table, hash, query, mode));
    listingModes.set(url, mode);
  }
  if (!Array.isArray(raw)) throw new Error(`the search answered with ${typeof raw} instead of a list of records`);
  const page = splitPage(raw as DataRecord[], query.pageSize);
  const sortedLocally = mode === 'by_value' && query.sort !== null;
  return { rows: sortedLocally ? sortRows(page.rows, query.sort) : page.rows, hasMore: page.hasMore, sortedLocally };
}

function keyOf(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function FilterForm({ attributes, hash, query, onApply }: { attributes: string[]; hash: string; query: GridQuery; onApply: (q: GridQuery) => void }) {
  const [attribute, setAttribute] = useState(query.filter?.attribute ?? hash);
  const [comparator, setComparator] = useState<Comparator>(query.filter?.comparator ?? 'equals');
  const [value, setValue] = useState(query.filter?.value ?? '');
  return (
    <form
      class="form form-inline filter"
      role="search"
      aria-label="Filter records"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ ...query, page: 0, filter: { attribute, comparator, value } });
      }}
    >
      <div class="field">
        <label for="filter-attr">Attribute</label>
        <select id="filter-attr" value={attribute} onChange={(e) => setAttribute(e.currentTarget.value)}>
          {attributes.map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="filter-cmp">Comparison</label>
        <select id="filter-cmp" value={comparator} onChange={(e) => setComparator(e.currentTarget.value as Comparator)}>
          {COMPARATORS.map((c) => <option key={c} value={c}>{c.replace(/_/g, ' ')}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="filter-value">Value</label>
        <input id="filter-value" value={value} onInput={(e) => setValue(e.currentTarget.value)} aria-describedby="filter-hint" />
      </div>
      <button type="submit" class="btn">Filter</button>
      {query.filter ? (
        <button type="button" class="btn" onClick={() => { setValue(''); onApply({ ...query, page: 0, filter: null }); }}>Clear filter</button>
      ) : null}
      <p id="filter-hint" class="hint filter-hint">Numbers and true/false are matched as such; put text in "quotes" to match it literally.</p>
    </form>
  );
}

export function TableView({ client, database, table, desc, onChanged }: { client: ApiClient; database: string; table: string; desc: TableDescription; onChanged: () => Promise<void> }) {
  const hash = desc.hash_attribute;
  const [query, setQuery] = useState<GridQuery>(DEFAULT_QUERY);
  const [selected, setSelected] = useState<Map<string, unknown>>(new Map());
  const [editing, setEditing] = useState<{ mode: 'add' } | { mode: 'edit'; record: DataRecord } | null>(null);
  const [importing, setImporting] = useState(false);
  const [autoRefresh, setAutoRefresh] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const page = useAsync(() => fetchPage(client, database, table, hash, query), [client, database, table, query]);
  const del = useAction();
  const drop = useAction();
  const csv = useCsvSupport(client, database, table);

  useEffect(() => {
    if (!autoRefresh) return;
    const timer = setInterval(() => void page.reload(), 5000);
    return () => clearInterval(timer);
  }, [autoRefresh, page.reload]);

  const rows = page.data?.rows ?? [];
  const attrs = attributeNames(desc);
  const columns = orderColumns(hash, attrs, rows);
  const filterAttributes = orderColumns(hash, attrs);
  const first = query.page * query.pageSize;
  const total = desc.record_count;

  const refreshAll = async () => {
    setSelected(new Map());
    await Promise.all([page.reload(), onChanged()]);
  };

  const toggleRow = (id: unknown) => {
    const next = new Map(selected);
    const k = keyOf(id);
    if (next.has(k)) next.delete(k);
    else next.set(k, id);
    setSelected(next);
  };
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(keyOf(r[hash])));
  const toggleAll = () => {
    const next = new Map(selected);
    for (const r of rows) {
      if (allOnPage) next.delete(keyOf(r[hash]));
      else next.set(keyOf(r[hash]), r[hash]);
    }
    setSelected(next);
  };

  const deleteSelected = () => del.run(async () => {
    const ids = [...selected.values()];
    const res = await client.call<DeleteResult>({ operation: 'delete', database, table, ids });
    const skipped = countOf(res.skipped_hashes);
    await refreshAll();
    if (skipped > 0) throw new Error(`${messageOf(res, 'delete finished')}; ${skipped} of ${ids.length} were not found`);
    return messageOf(res, `${ids.length} records deleted`);
  });

  const sortLabel = (c: string): 'ascending' | 'descending' | undefined =>
    query.sort?.attribute === c ? (query.sort.descending ? 'descending' : 'ascending') : undefined;

  return (
    <section aria-labelledby="table-title" class="table-view">
      <div class="page-head">
        <h1 id="table-title"><code>{database}.{table}</code></h1>
        <span class="hint">primary key <code>{hash}</code> · {total === undefined ? 'record count unknown' : `${formatCount(total)} records`}</span>
        <span class="spacer" />
        <ConfirmButton
          label="Drop table"
          question={`Drop table ${database}.${table} and all its records?`}
          confirmLabel="Drop table"
          disabled={drop.busy}
          onConfirm={() => drop.run(async () => {
            await client.call({ operation: 'drop_table', database, table });
            await onChanged();
            navigate({ page: 'browse', database, table: null });
          })}
        />
      </div>
      <ErrorMessage error={drop.error} prefix="Could not drop the table" />

      <SqlBox client={client} database={database} table={table} hash={hash} onWrite={refreshAll} />

      <FilterForm attributes={filterAttributes} hash={hash} query={query} onApply={(q) => { setSelected(new Map()); setQuery(q); }} />

      <div class="toolbar" role="toolbar" aria-label="Records">
        <button type="button" class="btn btn-primary" onClick={() => { setNotice(null); setEditing({ mode: 'add' }); }}>Add record</button>
        <ConfirmButton
          label={`Delete selected (${selected.size})`}
          question={`Delete ${selected.size} selected records?`}
          confirmLabel="Delete"
          disabled={selected.size === 0 || del.busy}
          onConfirm={deleteSelected}
        />
        <button type="button" class="btn" onClick={() => void refreshAll()} disabled={page.loading}>Refresh</button>
        <label class="check">
          <input type="checkbox" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.currentTarget.checked)} /> Auto-refresh (5 s)
        </label>
        {csv.supported === true ? <button type="button" class="btn" onClick={() => setImporting(true)}>Import CSV</button> : null}
        {csv.supported === false ? <span class="hint" role="note">CSV import unavailable: {csv.reason}</span> : null}
      </div>
      <ErrorMessage error={del.error} prefix="Delete failed" />
      {del.message ? <Success>{del.message}</Success> : null}
      {notice ? <Success>{notice}</Success> : null}

      <ErrorMessage error={page.error} prefix="Could not load records" />
      {page.loading && !page.data ? <Loading label="Loading records…" /> : null}
      {page.data?.sortedLocally ? <p class="hint" role="note">This node cannot sort an unfiltered listing: only the rows of this page are sorted.</p> : null}

      <div class="grid-wrap" aria-busy={page.loading}>
        <table class="grid" aria-describedby="grid-range">
          <caption class="sr-only">Records of {database}.{table}. Column headers sort.</caption>
          <thead>
            <tr>
              <th scope="col" class="sel">
                <input type="checkbox" aria-label="Select all rows on this page" checked={allOnPage} onChange={toggleAll} disabled={rows.length === 0} />
              </th>
              {columns.map((c) => (
                <th scope="col" key={c} aria-sort={sortLabel(c)}>
                  <button type="button" class="sort" onClick={() => setQuery({ ...query, page: 0, sort: nextSort(query.sort, c) })}>
                    {c}<span aria-hidden="true" class="sort-mark">{sortLabel(c) === 'ascending' ? ' ▲' : sortLabel(c) === 'descending' ? ' ▼' : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const id = r[hash];
              return (
                <tr key={keyOf(id)} class={selected.has(keyOf(id)) ? 'row-selected' : undefined}>
                  <td class="sel">
                    <input type="checkbox" aria-label={`Select record ${formatCell(id)}`} checked={selected.has(keyOf(id))} onChange={() => toggleRow(id)} />
                  </td>
                  {columns.map((c) => (
                    <td key={c} title={formatCell(r[c])}>
                      {c === hash
                        ? <button type="button" class="link" onClick={() => { setNotice(null); setEditing({ mode: 'edit', record: r }); }} aria-label={`Edit record ${formatCell(id)}`}>{formatCell(id)}</button>
                        : formatGridCell(c, r[c])}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        {page.data && rows.length === 0 ? <p class="empty">{query.filter ? 'No records match the filter.' : query.page > 0 ? 'No records on this page.' : 'This table is empty.'}</p> : null}
      </div>

      <div class="pager">
        <span id="grid-range" aria-live="polite">
          {rows.length === 0 ? 'No rows' : `Rows ${formatCount(first + 1)}–${formatCount(first + rows.length)}`}
          {query.filter ? ' (filtered)' : total !== undefined ? ` of ${formatCount(total)}` : ''}
        </span>
        <label class="check">
          Rows per page{' '}
          <select value={String(query.pageSize)} onChange={(e) => setQuery({ ...query, page: 0, pageSize: Number(e.currentTarget.value) })}>
            {PAGE_SIZES.map((n) => <option key={n} value={String(n)}>{n}</option>)}
          </select>
        </label>
        <button type="button" class="btn" disabled={query.page === 0 || page.loading} onClick={() => setQuery({ ...query, page: query.page - 1 })}>Previous page</button>
        <span>Page {query.page + 1}</span>
        <button type="button" class="btn" disabled={!page.data?.hasMore || page.loading} onClick={() => setQuery({ ...query, page: query.page + 1 })}>Next page</button>
      </div>

      {editing ? (
        <RecordEditor
          client={client}
          database={database}
          table={table}
          desc={desc}
          record={editing.mode === 'edit' ? editing.record : null}
          onClose={() => setEditing(null)}
          onSaved={async (message) => {
            setEditing(null);
            setNotice(message);
            await refreshAll();
          }}
        />
      ) : null}
      {importing ? (
        <CsvImport client={client} database={database} table={table} onClose={() => setImporting(false)} onLoaded={refreshAll} />
      ) : null}
    </section>
  );
}
