/** CSV import through csv_data_load, offered only when the node knows that operation. */

import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ApiClient, type JobRecord, type JobStartResult } from '../lib/api.js';
import { ErrorMessage, Modal, Success, messageOf } from '../ui.js';

type Support = { supported: boolean | null; reason: string | null };

const supportByNode = new Map<string, Support>();

/**
 * Asks the node once whether it has csv_data_load: a request without data must be refused for
 * a missing field, not with "Operation 'csv_data_load' not found".
 */
export function useCsvSupport(client: ApiClient, database: string, table: string): Support {
  const url = client.endpoint.url;
  const [support, setSupport] = useState<Support>(supportByNode.get(url) ?? { supported: null, reason: null });
  useEffect(() => {
    if (supportByNode.has(url)) return;
    let live = true;
    const decide = (s: Support) => {
      if (s.supported !== null) supportByNode.set(url, s);
      if (live) setSupport(s);
    };
    client.call({ operation: 'csv_data_load', action: 'insert', database, table }).then(
      () => decide({ supported: true, reason: null }),
      (e: unknown) => {
        if (e instanceof ApiError && e.isUnknownOperation) decide({ supported: false, reason: e.message });
        else if (e instanceof ApiError && (e.kind === 'network' || e.kind === 'timeout')) decide({ supported: null, reason: e.message });
        else if (e instanceof ApiError && (e.status === 401 || e.status === 403)) decide({ supported: false, reason: e.message });
        else decide({ supported: true, reason: null });
      },
    );
    return () => {
      live = false;
    };
  }, [url]);
  return support;
}

function jobIdOf(res: JobStartResult): string | null {
  if (typeof res.job_id === 'string') return res.job_id;
  const m = /job with id ([\w-]+)/i.exec(res.message ?? '');
  return m ? m[1]! : null;
}

/** Polls get_job until the job ends or `deadlineMs` passes. Returns the final job, or null when get_job is missing. */
async function waitForJob(client: ApiClient, id: string, deadlineMs: number): Promise<JobRecord | null> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    let answer: unknown;
    try {
      answer = await client.call({ operation: 'get_job', id });
    } catch (e) {
      if (e instanceof ApiError && e.isUnknownOperation) return null;
      throw e;
    }
    const job = (Array.isArray(answer) ? answer[0] : answer) as JobRecord | undefined;
    const status = String(job?.status ?? '').toUpperCase();
    if (job && (status === 'COMPLETE' || status === 'ERROR')) return job;
    if (Date.now() > end) throw new Error(`job ${id} is still ${status || 'running'}; check again later`);
    await new Promise((r) => setTimeout(r, 400));
  }
}

export function CsvImport(props: { client: ApiClient; database: string; table: string; onClose: () => void; onLoaded: () => Promise<void> }) {
  const [data, setData] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [action, setAction] = useState<'insert' | 'update' | 'upsert'>('insert');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    setData(await file.text());
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (data.trim() === '') {
      setError(new Error('choose a CSV file or paste CSV text (first line: attribute names)'));
      return;
    }
    setBusy(true);
    try {
      const res = await props.client.call<JobStartResult>({ operation: 'csv_data_load', action, database: props.database, table: props.table, data });
      const id = jobIdOf(res);
      let message = messageOf(res, 'load started');
      if (id) {
        setProgress(`${message}; waiting for it to finish…`);
        const job = await waitForJob(props.client, id, 120_000);
        if (job && String(job.status).toUpperCase() === 'ERROR') throw new Error(`job ${id} failed: ${job.message ?? 'no message'}`);
        if (job) message = job.message ?? `job ${id} complete`;
      }
      await props.onLoaded();
      setDone(message);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return (
    <Modal title={`Import CSV into ${props.database}.${props.table}`} onClose={props.onClose} wide>
      <form class="form" onSubmit={submit} aria-busy={busy}>
        <div class="field">
          <label for="csv-file">CSV file</label>
          <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => void readFile(e.currentTarget.files?.[0])} />
        </div>
        <div class="field">
          <label for="csv-text">…or CSV text {fileName ? <span class="hint">(loaded from {fileName})</span> : null}</label>
          <textarea id="csv-text" class="code" rows={10} spellcheck={false} value={data} onInput={(e) => setData(e.currentTarget.value)} placeholder={'id,name\n1,Penny'} />
        </div>
        <div class="field">
          <label for="csv-action">Action</label>
          <select id="csv-action" value={action} onChange={(e) => setAction(e.currentTarget.value as 'insert' | 'update' | 'upsert')}>
            <option value="insert">insert (skip existing keys)</option>
            <option value="update">update existing records</option>
            <option value="upsert">upsert</option>
          </select>
        </div>
        {progress ? <p class="msg msg-loading" role="status">{progress}</p> : null}
        <ErrorMessage error={error} prefix="Import failed" />
        {done ? <Success>{done}</Success> : null}
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Importing…' : 'Import'}</button>
          <button type="button" class="btn" onClick={props.onClose}>Close</button>
        </div>
      </form>
    </Modal>
  );
}
