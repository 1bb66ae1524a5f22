/** JSON editor dialog: add records (insert) or edit/delete one record (update/delete). */

import { useState } from 'preact/hooks';
import type { ApiClient, DataRecord, DeleteResult, InsertResult, TableDescription, UpdateResult } from '../lib/api.js';
import { countOf, editRecordText, formatCell, newRecordTemplate, parseEditedRecord, parseNewRecords } from '../lib/grid.js';
import { ConfirmButton, ErrorMessage, Modal, messageOf } from '../ui.js';

export function RecordEditor(props: {
  client: ApiClient;
  database: string;
  table: string;
  desc: TableDescription;
  /** null: add new records. */
  record: DataRecord | null;
  onClose: () => void;
  onSaved: (message: string) => void | Promise<void>;
}) {
  const { client, database, table, desc, record } = props;
  const hash = desc.hash_attribute;
  const [text, setText] = useState(() => (record ? editRecordText(record) : newRecordTemplate(desc)));
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      const message = await fn();
      await props.onSaved(message);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const save = (e: Event) => {
    e.preventDefault();
    setProblem(null);
    if (record === null) {
      const parsed = parseNewRecords(text);
      if (!parsed.ok) return setProblem(parsed.error);
      void run(async () => {
        const res = await client.call<InsertResult>({ operation: 'insert', database, table, records: parsed.value });
        const skipped = countOf(res.skipped_hashes);
        if (skipped > 0) {
          throw new Error(`${messageOf(res, 'insert finished')}: ${skipped} skipped because a record with the same primary key exists (${(res.skipped_hashes as unknown[]).map(formatCell).join(', ')})`);
        }
        return messageOf(res, `inserted ${parsed.value.length} records`);
      });
    } else {
      const parsed = parseEditedRecord(text, record, hash);
      if (!parsed.ok) return setProblem(parsed.error);
      void run(async () => {
        const res = await client.call<UpdateResult>({ operation: 'update', database, table, records: [parsed.value] });
        if (countOf(res.skipped_hashes) > 0) throw new Error(`${messageOf(res, 'update finished')}: the record no longer exists`);
        return messageOf(res, 'record updated');
      });
    }
  };

  const remove = () => run(async () => {
    const id = record?.[hash];
    const res = await client.call<DeleteResult>({ operation: 'delete', database, table, ids: [id] });
    if (countOf(res.skipped_hashes) > 0) throw new Error(`${messageOf(res, 'delete finished')}: the record was not found`);
    return messageOf(res, 'record deleted');
  });

  const title = record ? `Edit record ${formatCell(record[hash])}` : `Add records to ${database}.${table}`;
  return (
    <Modal title={title} onClose={props.onClose} wide>
      <form class="form" onSubmit={save} aria-busy={busy}>
        <div class="field">
          <label for="record-json">Record JSON</label>
          <textarea
            id="record-json"
            class="code"
            rows={16}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            aria-describedby="record-hint"
            aria-invalid={problem !== null}
          />
          <p id="record-hint" class="hint">
            {record
              ? <>Changed attributes are merged into the record; an attribute removed here keeps its old value (set it to <code>null</code> to clear it). The primary key <code>{hash}</code> cannot change.</>
              : <>One object, or an array of objects to add several. Leave out <code>{hash}</code> to let the node generate a primary key. <code>__createdtime__</code> and <code>__updatedtime__</code> are set by the node.</>}
          </p>
        </div>
        {problem ? <p class="msg msg-error" role="alert">{problem}</p> : null}
        <ErrorMessage error={error} prefix={record ? 'Save failed' : 'Insert failed'} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : record ? 'Save record' : 'Insert'}</button>
          <button type="button" class="btn" onClick={props.onClose}>Cancel</button>
          <span class="spacer" />
          {record ? <ConfirmButton label="Delete record" question="Delete this record?" confirmLabel="Delete" onConfirm={remove} disabled={busy} /> : null}
        </div>
      </form>
    </Modal>
  );
}
