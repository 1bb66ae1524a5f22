/**
 * The list of registered instances (name, URL, credentials) and which one is open, kept in a
 * key-value store (the browser's localStorage). Pure: the store is passed in, nothing global.
 */

import { normalizeNodeUrl } from './api.js';

/** A registered node. An empty password means "signed out": credentials must be re-entered. */
export interface Instance {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export interface InstanceState {
  readonly instances: readonly Instance[];
  readonly currentId: string | null;
}

/** The subset of the Web Storage API used here. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const STORAGE_KEY = 'ferrydb.studio.instances.v1';

export const EMPTY_STATE: InstanceState = { instances: [], currentId: null };

function isInstance(v: unknown): v is Instance {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return ['id', 'name', 'url', 'username', 'password'].every((k) => typeof r[k] === 'string');
}

/** Reads the saved state; anything unreadable is dropped rather than breaking the Studio. */
export function loadState(store: KeyValueStore): InstanceState {
  let raw: string | null;
  try {
    raw = store.getItem(STORAGE_KEY);
  } catch {
    return EMPTY_STATE; // storage disabled (private mode, policy): start empty
  }
  if (!raw) return EMPTY_STATE;
  try {
    const parsed = JSON.parse(raw) as { instances?: unknown; currentId?: unknown };
    const instances = Array.isArray(parsed.instances) ? parsed.instances.filter(isInstance) : [];
    const currentId = typeof parsed.currentId === 'string' && instances.some((i) => i.id === parsed.currentId)
      ? parsed.currentId
      : (instances[0]?.id ?? null);
    return { instances, currentId };
  } catch {
    return EMPTY_STATE;
  }
}

export function saveState(store: KeyValueStore, state: InstanceState): void {
  if (state.instances.length === 0) {
    store.removeItem(STORAGE_KEY);
    return;
  }
  store.setItem(STORAGE_KEY, JSON.stringify({ instances: state.instances, currentId: state.currentId }));
}

/** What a person types into the sign-in / register form. */
export interface InstanceInput {
  name: string;
  url: string;
  username: string;
  password: string;
}

/** A default display name for a URL: its host and port. */
export function defaultInstanceName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Validates and normalises form input. Returns the cleaned fields or a list of problems
 * (each phrased for display next to the form).
 */
export function validateInstanceInput(input: InstanceInput): { ok: true; value: InstanceInput } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  let url = '';
  try {
    url = normalizeNodeUrl(input.url);
  } catch (e) {
    errors.push((e as Error).message);
  }
  const username = input.username.trim();
  if (username === '') errors.push('enter a username');
  if (input.password === '') errors.push('enter a password');
  if (errors.length > 0) return { ok: false, errors };
  const name = input.name.trim() || defaultInstanceName(url);
  return { ok: true, value: { name, url, username, password: input.password } };
}

/** A short id that does not need crypto.randomUUID (absent on plain-http non-localhost pages). */
export function newInstanceId(now: number = Date.now(), random: () => number = Math.random): string {
  return `${now.toString(36)}${Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0')}`;
}

/**
 * Adds an instance, or updates the existing one with the same URL and username (signing in
 * again must not create duplicates), and makes it current.
 */
export function upsertInstance(state: InstanceState, input: InstanceInput, makeId: () => string = newInstanceId): { state: InstanceState; instance: Instance } {
  const existing = state.instances.find((i) => i.url === input.url && i.username === input.username);
  const instance: Instance = { id: existing?.id ?? makeId(), name: input.name, url: input.url, username: input.username, password: input.password };
  const instances = existing
    ? state.instances.map((i) => (i.id === existing.id ? instance : i))
    : [...state.instances, instance];
  return { state: { instances, currentId: instance.id }, instance };
}

/** Forgets an instance entirely, credentials included. */
export function removeInstance(state: InstanceState, id: string): InstanceState {
  const instances = state.instances.filter((i) => i.id !== id);
  const currentId = state.currentId === id ? (instances[0]?.id ?? null) : state.currentId;
  return { instances, currentId };
}

/** Forgets only the password; the instance stays listed as "please sign in". */
export function signOutInstance(state: InstanceState, id: string): InstanceState {
  return { ...state, instances: state.instances.map((i) => (i.id === id ? { ...i, password: '' } : i)) };
}

export function selectInstance(state: InstanceState, id: string): InstanceState {
  return state.instances.some((i) => i.id === id) ? { ...state, currentId: id } : state;
}

export function currentInstance(state: InstanceState): Instance | null {
  return state.instances.find((i) => i.id === state.currentId) ?? null;
}

export function isSignedIn(instance: Instance): boolean {
  return instance.password !== '';
}
