/** Users & Roles: list, add, change password/role/active and drop users; add, edit (a table of checkboxes) and drop roles. */

import { useState } from 'preact/hooks';
import type { ApiClient, DescribeAll } from '../lib/api.js';
import { CRUD, permissionFromRows, permissionRows, roleKind, toggle, validateNewUser, type PermissionRow, type RoleRecord, type UserRecord } from '../lib/roles.js';
import { ConfirmButton, ErrorMessage, Loading, Success, messageOf, useAction, useAsync } from '../ui.js';

function UserRow({ user, roles, client, onChanged }: { user: UserRecord; roles: RoleRecord[]; client: ApiClient; onChanged: () => void }) {
  const action = useAction();
  const [password, setPassword] = useState('');
  const [changing, setChanging] = useState(false);
  // Shown at once; the list reload after the call confirms it (a failed call puts it back).
  const [active, setActive] = useState(user.active);
  const alter = (changes: Record<string, unknown>, done: string) => action.run(async () => {
    await client.call({ operation: 'alter_user', username: user.username, ...changes });
    onChanged();
    return done;
  });
  return (
    <tr>
      <th scope="row">{user.username}</th>
      <td>
        <select aria-label={`Role of ${user.username}`} value={user.role?.role ?? ''} disabled={action.busy} onChange={(e) => void alter({ role: e.currentTarget.value }, `Role of ${user.username} changed.`)}>
          {roles.map((r) => <option key={r.id} value={r.role}>{r.role}</option>)}
        </select>
      </td>
      <td>
        <label class="check"><input type="checkbox" checked={active} disabled={action.busy} onChange={(e) => {
          const next = e.currentTarget.checked;
          setActive(next);
          void alter({ active: next }, `${user.username} is now ${next ? 'active' : 'inactive'}.`).then((ok) => { if (!ok) setActive(!next); });
        }} /> active</label>
      </td>
      <td>
        {changing ? (
          <form class="inline-form" onSubmit={(e) => { e.preventDefault(); if (password) void alter({ password }, `Password of ${user.username} changed.`).then((ok) => { if (ok) { setPassword(''); setChanging(false); } }); }}>
            <input type="password" aria-label={`New password for ${user.username}`} value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" />
            <button type="submit" class="btn btn-small" disabled={!password || action.busy}>Save password</button>
            <button type="button" class="btn btn-small" onClick={() => setChanging(false)}>Cancel</button>
          </form>
        ) : <button type="button" class="btn btn-small" onClick={() => setChanging(true)}>Change password</button>}
        {' '}
        <ConfirmButton small label="Drop" question={`Drop user ${user.username}?`} confirmLabel={`Drop ${user.username}`} disabled={action.busy}
          onConfirm={() => action.run(async () => { await client.call({ operation: 'drop_user', username: user.username }); onChanged(); })} />
        <ErrorMessage error={action.error} />
        {action.message ? <Success>{action.message}</Success> : null}
      </td>
    </tr>
  );
}

function AddUserForm({ roles, client, onAdded }: { roles: RoleRecord[]; client: ApiClient; onAdded: () => void }) {
  const [input, setInput] = useState({ username: '', password: '', role: '', active: true });
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const role = input.role || roles.find((r) => roleKind(r) === 'standard')?.role || roles[0]?.role || '';
  const submit = (e: Event) => {
    e.preventDefault();
    const p = validateNewUser({ ...input, role });
    setProblem(p);
    if (p) return;
    void action.run(async () => {
      const r = await client.call({ operation: 'add_user', username: input.username.trim(), password: input.password, role, active: input.active });
      setInput({ username: '', password: '', role: '', active: true });
      onAdded();
      return messageOf(r, 'User added.');
    });
  };
  return (
    <form class="form" onSubmit={submit} aria-labelledby="add-user-title" noValidate>
      <h3 id="add-user-title">Add user</h3>
      <div class="form-row">
        <div class="field"><label for="new-username">Username</label><input id="new-username" value={input.username} onInput={(e) => setInput({ ...input, username: e.currentTarget.value })} autoComplete="off" /></div>
        <div class="field"><label for="new-password">Password</label><input id="new-password" type="password" value={input.password} onInput={(e) => setInput({ ...input, password: e.currentTarget.value })} autoComplete="new-password" /></div>
        <div class="field"><label for="new-role">Role</label>
          <select id="new-role" value={role} onChange={(e) => setInput({ ...input, role: e.currentTarget.value })}>{roles.map((r) => <option key={r.id} value={r.role}>{r.role}</option>)}</select>
        </div>
        <label class="check"><input type="checkbox" checked={input.active} onChange={(e) => setInput({ ...input, active: e.currentTarget.checked })} /> active</label>
      </div>
      {problem ? <p class="msg msg-error" role="alert">{problem}</p> : null}
      <ErrorMessage error={action.error} prefix="add_user failed" />
      {action.message ? <Success>{action.message}</Success> : null}
      <div class="actions"><button type="submit" class="btn btn-primary" disabled={action.busy}>Add user</button></div>
    </form>
  );
}

/** Keyed by role id only: the reload after a save must not remount it (its success message and ticks stay). */
function RoleEditor({ role, schema, client, onSaved }: { role: RoleRecord; schema: DescribeAll; client: ApiClient; onSaved: () => void }) {
  const [rows, setRows] = useState<PermissionRow[]>(() => permissionRows(role, schema));
  const action = useAction();
  const save = () => action.run(async () => {
    await client.call({ operation: 'alter_role', id: role.id, role: role.role, permission: permissionFromRows(rows, role.permission.structure_user) });
    onSaved();
    return `Permissions of ${role.role} saved.`;
  });
  if (rows.length === 0) return <p class="hint">This node has no tables yet; create one in Browse, then grant it here.</p>;
  return (
    <div>
      <div class="grid-wrap">
        <table class="grid grid-compact perm-table">
          <caption>Table permissions of {role.role} (a table with no box ticked is invisible to the role)</caption>
          <thead><tr><th scope="col">Table</th>{CRUD.map((f) => <th scope="col" key={f}>{f}</th>)}<th scope="col">Attributes</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.database}.${r.table}`}>
                <th scope="row"><code>{r.database}.{r.table}</code></th>
                {CRUD.map((f) => (
                  <td key={f}><input type="checkbox" aria-label={`${r.database}.${r.table} ${f}`} checked={r[f]} onChange={() => setRows(toggle(rows, r.database, r.table, f))} /></td>
                ))}
                <td class="hint">{r.attributePermissions.length ? `${r.attributePermissions.length} attribute rule(s), kept` : 'all attributes'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorMessage error={action.error} prefix="alter_role failed" />
      {action.message ? <Success>{action.message}</Success> : null}
      <div class="actions"><button type="button" class="btn btn-primary" onClick={() => void save()} disabled={action.busy}>Save permissions</button></div>
    </div>
  );
}

function RolesPanel({ client, roles, users, reload }: { client: ApiClient; roles: RoleRecord[]; users: UserRecord[]; reload: () => void }) {
  const schema = useAsync(() => client.call<DescribeAll>({ operation: 'describe_all' }), [client]);
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState('');
  const action = useAction();
  const current = roles.find((r) => r.id === selected) ?? null;
  return (
    <section aria-labelledby="roles-title" class="panel">
      <div class="page-head"><h2 id="roles-title">Roles</h2></div>
      <ul class="role-list">
        {roles.map((r) => {
          const kind = roleKind(r);
          const holders = users.filter((u) => u.role?.id === r.id).length;
          return (
            <li key={r.id} class="card">
              <div class="card-head">
                <strong>{r.role}</strong> <span class={`badge ${kind === 'standard' ? 'badge-muted' : 'badge-warn'}`}>{kind === 'standard' ? 'standard' : kind}</span>
                <span class="hint">{holders} user{holders === 1 ? '' : 's'}</span>
                <span class="spacer" />
                {kind === 'standard' ? <button type="button" class="btn btn-small" aria-expanded={selected === r.id} onClick={() => setSelected(selected === r.id ? null : r.id)}>{selected === r.id ? 'Close' : `Edit ${r.role}`}</button> : null}
                <ConfirmButton small label="Drop" question={`Drop role ${r.role}?`} confirmLabel={`Drop ${r.role}`} disabled={holders > 0 || action.busy}
                  onConfirm={() => action.run(async () => { const res = await client.call({ operation: 'drop_role', id: r.id }); reload(); return messageOf(res, 'Role dropped.'); })} />
              </div>
              {selected === r.id && current && schema.data ? <RoleEditor key={r.id} role={current} schema={schema.data} client={client} onSaved={reload} /> : null}
              {selected === r.id && schema.loading ? <Loading label="Reading tables…" /> : null}
            </li>
          );
        })}
      </ul>
      <ErrorMessage error={schema.error} prefix="describe_all failed" />
      <form class="form" aria-labelledby="add-role-title" onSubmit={(e) => { e.preventDefault(); if (name.trim()) void action.run(async () => { const r = await client.call<RoleRecord>({ operation: 'add_role', role: name.trim(), permission: { super_user: false } }); setName(''); reload(); setSelected(r.id); return `Role ${r.role} added; tick the tables it may use.`; }); }}>
        <h3 id="add-role-title">Add role</h3>
        <div class="form-row">
          <div class="field"><label for="new-role-name">Role name</label><input id="new-role-name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" /></div>
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={!name.trim() || action.busy}>Add role</button></div>
        </div>
      </form>
      <ErrorMessage error={action.error} />
      {action.message ? <Success>{action.message}</Success> : null}
    </section>
  );
}

export function UsersPage({ client }: { client: ApiClient }) {
  const data = useAsync(async () => {
    const [users, roles] = await Promise.all([client.call<UserRecord[]>({ operation: 'list_users' }), client.call<RoleRecord[]>({ operation: 'list_roles' })]);
    return { users: [...users].sort((a, b) => a.username.localeCompare(b.username)), roles: [...roles].sort((a, b) => a.role.localeCompare(b.role)) };
  }, [client]);
  const reload = () => void data.reload();
  return (
    <div class="page">
      <h1>Users &amp; Roles</h1>
      <ErrorMessage error={data.error} prefix="list_users failed (super users only)" />
      {data.loading && !data.data ? <Loading label="Reading users and roles…" /> : null}
      {data.data ? (
        <>
          <section aria-labelledby="users-title" class="panel">
            <div class="page-head"><h2 id="users-title">Users</h2><span class="spacer" /><button type="button" class="btn btn-small" onClick={reload} disabled={data.loading}>Refresh</button></div>
            <div class="grid-wrap">
              <table class="grid grid-compact">
                <caption class="sr-only">Users of this node</caption>
                <thead><tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">Active</th><th scope="col">Actions</th></tr></thead>
                <tbody>{data.data.users.map((u) => <UserRow key={u.username} user={u} roles={data.data!.roles} client={client} onChanged={reload} />)}</tbody>
              </table>
            </div>
            <AddUserForm roles={data.data.roles} client={client} onAdded={reload} />
          </section>
          <RolesPanel client={client} roles={data.data.roles} users={data.data.users} reload={reload} />
        </>
      ) : null}
    </div>
  );
}
