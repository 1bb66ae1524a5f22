/** The Studio shell: instance store, hash routing, header navigation, and page selection. */

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient } from './lib/api.js';
import {
  currentInstance,
  isSignedIn,
  loadState,
  removeInstance,
  saveState,
  selectInstance,
  signOutInstance,
  upsertInstance,
  type InstanceState,
} from './lib/instances.js';
import { parseRoute, type Route } from './lib/route.js';
import { navigate, type InstanceActions } from './nav.js';
import { BrowsePage } from './pages/browse.js';
import { ClusterPage } from './pages/cluster.js';
import { InstancesPage } from './pages/instances.js';
import { SignInPage } from './pages/sign-in.js';
import { StatusPage } from './pages/status.js';
import { UsersPage } from './pages/users.js';

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const [state, setState] = useState<InstanceState>(() => loadState(localStorage));
  const route = useHashRoute();

  const update = (next: InstanceState) => {
    saveState(localStorage, next);
    setState(next);
  };
  const actions: InstanceActions = {
    save(input) {
      const { state: next, instance } = upsertInstance(state, input);
      update(next);
      return instance;
    },
    remove: (id) => update(removeInstance(state, id)),
    signOut: (id) => update(signOutInstance(state, id)),
    select: (id) => update(selectInstance(state, id)),
  };

  const instance = currentInstance(state);
  const client = useMemo(() => (instance && isSignedIn(instance) ? new ApiClient(instance) : null), [instance?.id, instance?.url, instance?.username, instance?.password]);

  const needsSignIn = route.page === 'sign-in' || (route.page !== 'instances' && client === null);

  let page;
  if (route.page === 'instances') {
    page = <InstancesPage state={state} actions={actions} />;
  } else if (needsSignIn || !client || !instance) {
    page = (
      <SignInPage
        prefill={instance ?? null}
        hasInstances={state.instances.length > 0}
        onSignedIn={(input) => {
          actions.save(input);
          navigate({ page: 'browse', database: null, table: null });
        }}
      />
    );
  } else if (route.page === 'cluster') {
    page = <ClusterPage key={instance.id} client={client} />;
  } else if (route.page === 'users') {
    page = <UsersPage key={instance.id} client={client} />;
  } else if (route.page === 'status') {
    page = <StatusPage key={instance.id} client={client} />;
  } else {
    page = <BrowsePage key={instance.id} client={client} database={route.database} table={route.table} />;
  }

  const current: Route['page'] = route.page === 'instances' ? 'instances' : needsSignIn ? 'sign-in' : route.page;
  const navLink = (target: Route['page'], label: string) => (
    <a href={`#/${target}`} class="nav-link" aria-current={current === target ? 'page' : undefined}>{label}</a>
  );

  return (
    <div class="shell">
      {/* Hash routing owns location.hash, so the skip link moves focus itself. */}
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">FerryDB <span>Studio</span></span>
        {state.instances.length > 0 ? (
          <span class="instance-switch">
            <label for="instance-select">Instance</label>
            <select
              id="instance-select"
              value={state.currentId ?? ''}
              onChange={(e) => {
                actions.select((e.currentTarget as HTMLSelectElement).value);
                if (route.page === 'browse' && route.database) navigate({ page: 'browse', database: null, table: null });
              }}
            >
              {state.instances.map((i) => (
                <option value={i.id} key={i.id}>{i.name}{isSignedIn(i) ? '' : ' (signed out)'}</option>
              ))}
            </select>
          </span>
        ) : null}
        <nav aria-label="Studio" class="nav">
          {navLink('browse', 'Browse')}
          {navLink('cluster', 'Cluster')}
          {navLink('users', 'Users & Roles')}
          {navLink('status', 'Status')}
          {navLink('instances', 'Instances')}
        </nav>
        {instance && isSignedIn(instance) ? (
          <span class="whoami">
            <span title={instance.url}>{instance.username}@{instance.name}</span>
            <button type="button" class="btn btn-small" onClick={() => actions.signOut(instance.id)}>Sign out</button>
          </span>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </div>
  );
}
