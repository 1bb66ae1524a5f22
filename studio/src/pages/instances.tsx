/** Registered instances: one card each with live reachability, plus the form to add another. */

import { useEffect, useState } from 'preact/hooks';
import { navigate, type InstanceActions } from '../nav.js';
import { ApiClient, ApiError, type DescribeAll } from '../lib/api.js';
import { isSignedIn, type Instance, type InstanceState } from '../lib/instances.js';
import { ConfirmButton } from '../ui.js';
import { InstanceForm } from './sign-in.js';

type Check =
  | { kind: 'checking' }
  | { kind: 'ok'; databases: number; tables: number }
  | { kind: 'signed-out' }
  | { kind: 'auth'; message: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'error'; message: string };

async function checkInstance(instance: Instance): Promise<Check> {
  if (!isSignedIn(instance)) return { kind: 'signed-out' };
  try {
    const all = await new ApiClient(instance, { timeoutMs: 8000 }).call<DescribeAll>({ operation: 'describe_all' });
    const dbs = Object.values(all ?? {});
    return { kind: 'ok', databases: dbs.length, tables: dbs.reduce((n, t) => n + Object.keys(t ?? {}).length, 0) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof ApiError && e.kind === 'auth') return { kind: 'auth', message };
    if (e instanceof ApiError && (e.kind === 'network' || e.kind === 'timeout')) return { kind: 'unreachable', message };
    return { kind: 'error', message };
  }
}

function StatusBadge({ check }: { check: Check }) {
  switch (check.kind) {
    case 'checking': return <span class="badge badge-muted">Checking…</span>;
    case 'ok': return <span class="badge badge-ok">Reachable · signed in</span>;
    case 'signed-out': return <span class="badge badge-warn">Please sign in</span>;
    case 'auth': return <span class="badge badge-warn">Please sign in</span>;
    case 'unreachable': return <span class="badge badge-bad">Unreachable</span>;
    case 'error': return <span class="badge badge-bad">Error</span>;
  }
}

function InstanceCard({ instance, current, actions }: { instance: Instance; current: boolean; actions: InstanceActions }) {
  const [check, setCheck] = useState<Check>({ kind: 'checking' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setCheck({ kind: 'checking' });
    void checkInstance(instance).then((c) => {
      if (live) setCheck(c);
    });
    return () => {
      live = false;
    };
  }, [instance.url, instance.username, instance.password, round]);

  const open = () => {
    actions.select(instance.id);
    navigate({ page: 'browse', database: null, table: null });
  };
  const signIn = () => {
    actions.select(instance.id);
    navigate({ page: 'sign-in' });
  };
  const titleId = `inst-${instance.id}`;
  return (
    <li class={`card${current ? ' card-current' : ''}`} aria-labelledby={titleId}>
      <div class="card-head">
        <h2 id={titleId}>{instance.name}</h2>
        <StatusBadge check={check} />
      </div>
      <dl class="kv">
        <dt>URL</dt><dd><code>{instance.url}</code></dd>
        <dt>User</dt><dd>{instance.username}</dd>
        {check.kind === 'ok' ? (<><dt>Contents</dt><dd>{check.databases} databases, {check.tables} tables</dd></>) : null}
      </dl>
      {check.kind === 'auth' || check.kind === 'unreachable' || check.kind === 'error' ? (
        <p class="msg msg-error" role="alert">{check.message}</p>
      ) : null}
      {check.kind === 'signed-out' ? <p class="hint">Signed out: the password is not stored.</p> : null}
      <div class="actions">
        {check.kind === 'signed-out' || check.kind === 'auth'
          ? <button type="button" class="btn btn-primary" onClick={signIn}>Sign in</button>
          : <button type="button" class="btn btn-primary" onClick={open} disabled={!isSignedIn(instance)}>Open</button>}
        <button type="button" class="btn" onClick={() => setRound(round + 1)}>Check again</button>
        {isSignedIn(instance) ? <button type="button" class="btn" onClick={() => actions.signOut(instance.id)}>Sign out</button> : null}
        <ConfirmButton label="Remove" question={`Remove ${instance.name} and its stored credentials?`} confirmLabel="Remove" onConfirm={() => actions.remove(instance.id)} />
      </div>
    </li>
  );
}

export function InstancesPage({ state, actions }: { state: InstanceState; actions: InstanceActions }) {
  const [added, setAdded] = useState<string | null>(null);
  return (
    <section class="page" aria-labelledby="instances-title">
      <h1 id="instances-title">Instances</h1>
      <p class="lead">
        Nodes registered in this browser. Names, URLs and credentials are kept in this browser's local storage only;
        <strong> Sign out</strong> forgets a password, <strong>Remove</strong> forgets the instance.
      </p>
      {state.instances.length === 0 ? <p>No instances yet. Register one below.</p> : (
        <ul class="cards">
          {state.instances.map((i) => <InstanceCard key={i.id} instance={i} current={i.id === state.currentId} actions={actions} />)}
        </ul>
      )}
      <h2>Register an instance</h2>
      <p class="hint">Other nodes are called directly from this page, so they must allow this page's origin (CORS).</p>
      {added ? <p class="msg msg-ok" role="status">Added {added}.</p> : null}
      <div class="page-narrow">
        <InstanceForm
          idPrefix="register"
          resetOnSuccess
          prefill={{ url: '' }}
          submitLabel="Add instance"
          onSuccess={(input) => {
            const saved = actions.save(input);
            setAdded(saved.name);
          }}
        />
      </div>
    </section>
  );
}
