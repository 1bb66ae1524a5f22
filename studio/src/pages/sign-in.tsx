/** Sign in to a node (or register another one): checks the credentials before saving them. */

import { useState } from 'preact/hooks';
import { ApiClient, type DescribeAll } from '../lib/api.js';
import { validateInstanceInput, type Instance, type InstanceInput } from '../lib/instances.js';
import { ErrorMessage } from '../ui.js';

/**
 * The form shared by the sign-in page and "register an instance": on submit it calls
 * `describe_all` with the typed credentials and only hands them on if the node accepts them.
 */
export function InstanceForm(props: { prefill: Partial<InstanceInput> | null; submitLabel: string; onSuccess: (input: InstanceInput) => void; idPrefix: string; resetOnSuccess?: boolean }) {
  const [name, setName] = useState(props.prefill?.name ?? '');
  const [url, setUrl] = useState(props.prefill?.url ?? location.origin);
  const [username, setUsername] = useState(props.prefill?.username ?? '');
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const id = (s: string) => `${props.idPrefix}-${s}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const checked = validateInstanceInput({ name, url, username, password });
    if (!checked.ok) {
      setProblems(checked.errors);
      return;
    }
    setProblems([]);
    setBusy(true);
    try {
      await new ApiClient(checked.value, { timeoutMs: 15_000 }).call<DescribeAll>({ operation: 'describe_all' });
      setPassword('');
      if (props.resetOnSuccess) {
        setName('');
        setUrl('');
        setUsername('');
      }
      props.onSuccess(checked.value);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} aria-busy={busy} noValidate>
      <div class="field">
        <label for={id('url')}>Node URL</label>
        <input id={id('url')} name="url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="http://localhost:9925" autoComplete="url" />
      </div>
      <div class="field">
        <label for={id('name')}>Name <span class="hint">(optional)</span></label>
        <input id={id('name')} name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. plant-7 edge" />
      </div>
      <div class="field">
        <label for={id('username')}>Username</label>
        <input id={id('username')} name="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} autoComplete="username" />
      </div>
      <div class="field">
        <label for={id('password')}>Password</label>
        <input id={id('password')} name="password" type="password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" />
      </div>
      {problems.length > 0 ? (
        <ul class="msg msg-error" role="alert">
          {problems.map((p) => <li key={p}>{p}</li>)}
        </ul>
      ) : null}
      <ErrorMessage error={error} prefix="Sign-in failed" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Checking…' : props.submitLabel}</button>
      </div>
    </form>
  );
}

export function SignInPage(props: { prefill: Instance | null; hasInstances: boolean; onSignedIn: (input: InstanceInput) => void }) {
  return (
    <section class="page page-narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p class="lead">
        {props.prefill ? <>Sign in to <strong>{props.prefill.name}</strong>. </> : null}
        The Studio talks to the node's operations API with your credentials; they are kept in this browser's local storage until you sign out or remove the instance.
      </p>
      <InstanceForm key={props.prefill?.id ?? 'new'} idPrefix="signin" prefill={props.prefill} submitLabel="Sign in" onSuccess={props.onSignedIn} />
      {props.hasInstances ? <p class="hint"><a href="#/instances">Manage registered instances</a></p> : null}
    </section>
  );
}
