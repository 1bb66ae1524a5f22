/** Small shared UI pieces: error and loading messages, confirm buttons, modal dialogs, async state. */

import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './lib/api.js';

/** Inline error with the server's message (and HTTP status when there was one). */
export function ErrorMessage({ error, prefix }: { error: unknown; prefix?: string }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status > 0 ? ` (HTTP ${error.status})` : '';
  return (
    <p class="msg msg-error" role="alert">
      {prefix ? <strong>{prefix}: </strong> : null}
      {message}
      {status}
      {error instanceof ApiError && error.kind === 'auth' ? <> <a href="#/sign-in">Sign in again</a></> : null}
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="msg msg-loading" role="status">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Success({ children }: { children: ComponentChildren }) {
  return <p class="msg msg-ok" role="status">{children}</p>;
}

/**
 * A destructive button that asks first, inline: the first press shows "Confirm" and "Cancel"
 * (focus moves to Cancel so Enter twice does nothing harmful).
 */
export function ConfirmButton(props: { label: string; question: string; confirmLabel?: string; onConfirm: () => unknown; disabled?: boolean; small?: boolean }) {
  const [asking, setAsking] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
  }, [asking]);
  const cls = `btn btn-danger${props.small ? ' btn-small' : ''}`;
  if (!asking) {
    return <button type="button" class={cls} disabled={props.disabled} onClick={() => setAsking(true)}>{props.label}</button>;
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span class="confirm-q">{props.question}</span>
      <button type="button" class={cls} onClick={() => { setAsking(false); void props.onConfirm(); }}>{props.confirmLabel ?? 'Confirm'}</button>
      <button type="button" class={`btn${props.small ? ' btn-small' : ''}`} ref={cancelRef} onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}

/** A native modal dialog (focus trapping, Escape and inert background come from the browser). */
export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
    };
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'modal modal-wide' : 'modal'} aria-labelledby="modal-title" onClose={onClose}>
      <div class="modal-head">
        <h2 id="modal-title">{title}</h2>
        <button type="button" class="btn btn-small" onClick={onClose} aria-label="Close dialog">Close</button>
      </div>
      {children}
    </dialog>
  );
}

export interface AsyncState<T> {
  readonly data: T | null;
  readonly error: unknown;
  readonly loading: boolean;
  /** Runs the loader again; the previous data stays visible while it runs. */
  readonly reload: () => Promise<void>;
}

/** Loads data with `load` whenever `deps` change; a stale answer never overwrites a newer one. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(null);
    } catch (e) {
      if (mine !== generation.current) return;
      setError(e);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);
  useEffect(() => {
    setData(null);
    setError(null);
    void reload();
    return () => {
      generation.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { data, error, loading, reload };
}

/** State for one user action (a button press): busy flag, error, and a success message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const run = useCallback(async (fn: () => Promise<string | null | void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      const msg = await fn();
      setMessage(typeof msg === 'string' ? msg : null);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setMessage(null);
  }, []);
  return { busy, error, message, run, clear };
}

/** The `message` of a write answer, or a fallback. */
export function messageOf(result: unknown, fallback: string): string {
  if (result !== null && typeof result === 'object' && typeof (result as { message?: unknown }).message === 'string') {
    return (result as { message: string }).message;
  }
  return fallback;
}
