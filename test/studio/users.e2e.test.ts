/**
 * The Studio's Users & Roles page in Debian's Chromium against a real node: add a role, grant
 * it a table with the checkbox table, add a user with it, change its password, drop both.
 * Every step is checked against the node's own answers.
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { opsClient, type Op } from '../helpers/http-client.js';
import { startNode, type TestNode } from '../helpers/node-process.js';
import { ensureStudioBuilt } from '../helpers/studio-build.js';
import { waitFor } from '../helpers/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);

if (missing && process.env.CI === 'true') {
  test('users e2e: Chromium is installed at /usr/bin/chromium', () => assert.fail(`${CHROMIUM} is missing; install it with: apt-get install -y chromium`));
}

describe('studio users and roles in a browser', { skip: missing ? `${CHROMIUM} is not installed; skipping` : false }, () => {
  let n: TestNode;
  let op: Op;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ensureStudioBuilt();
    n = await startNode({ nodeName: 'studio-users' });
    op = opsClient(n.url, n.user, n.password);
    await op({ operation: 'create_database', database: 'dev' });
    await op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await op({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'id' });
    await op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny' }] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await n?.stop();
  });

  const role = async (name: string) => ((await op({ operation: 'list_roles' })).body as { role: string; permission: any }[]).find((r) => r.role === name);

  test('add a role, tick its tables, add a user with it, change the password, drop both', async () => {
    await page.goto(n.url);
    await page.getByLabel('Username').fill(n.user);
    await page.getByLabel('Password').fill(n.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Browse' }).waitFor();
    await page.getByRole('link', { name: 'Users & Roles' }).click();
    await page.getByRole('heading', { name: 'Users & Roles' }).waitFor();
    await page.getByRole('row', { name: new RegExp(`^${n.user}`) }).waitFor();

    // Role: add, then grant dev.dog read + insert with the checkboxes.
    await page.getByLabel('Role name').fill('dog_reader');
    await page.getByRole('button', { name: 'Add role' }).click();
    await page.getByText('Role dog_reader added').waitFor();
    await page.getByLabel('dev.dog read').check();
    await page.getByLabel('dev.dog insert').check();
    await page.getByRole('button', { name: 'Save permissions' }).click();
    await page.getByText('Permissions of dog_reader saved.').waitFor();
    const saved = await role('dog_reader');
    assert.deepEqual(saved?.permission.dev.tables.dog, { read: true, insert: true, update: false, delete: false, attribute_permissions: [] });
    assert.equal(saved?.permission.dev.tables.cat, undefined, 'a table with no box ticked is left out');

    // User: add with the new role; the node agrees and the user can read dev.dog only.
    await page.getByLabel('Username', { exact: true }).last().fill('walker');
    await page.locator('#new-password').fill('Walker-pw-1');
    await page.locator('#new-role').selectOption('dog_reader');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('walker successfully added').waitFor();
    const walker = opsClient(n.url, 'walker', 'Walker-pw-1');
    assert.equal((await walker({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1] })).status, 200);
    assert.equal((await walker({ operation: 'search_by_id', database: 'dev', table: 'cat', ids: [1] })).status, 403);

    // Change the password in the row.
    const row = page.getByRole('row', { name: /^walker/ });
    await row.getByRole('button', { name: 'Change password' }).click();
    await row.getByLabel('New password for walker').fill('Walker-pw-2');
    await row.getByRole('button', { name: 'Save password' }).click();
    await page.getByText('Password of walker changed.').waitFor();
    assert.equal((await walker({ operation: 'user_info' })).status, 401);
    assert.equal((await opsClient(n.url, 'walker', 'Walker-pw-2')({ operation: 'user_info' })).status, 200);

    // Role and active status from the row.
    const walker2 = opsClient(n.url, 'walker', 'Walker-pw-2');
    await row.getByLabel('Role of walker').selectOption('super_user');
    await page.getByText('Role of walker changed.').waitFor();
    assert.equal((await walker2({ operation: 'list_users' })).status, 200);
    await row.getByLabel('Role of walker').selectOption('dog_reader');
    await waitFor(async () => (await walker2({ operation: 'list_users' })).status === 403, { what: 'role back to dog_reader' });
    await row.getByRole('checkbox', { name: 'active' }).uncheck();
    await page.getByText('walker is now inactive.').waitFor();
    assert.deepEqual((await walker2({ operation: 'user_info' })).body, { error: 'Cannot complete request: User is inactive' });

    // The role cannot be dropped while walker has it; drop walker, then the role.
    const roleCard = page.locator('.card', { hasText: 'dog_reader' });
    assert.equal(await roleCard.getByRole('button', { name: 'Drop' }).isDisabled(), true);
    await row.getByRole('button', { name: 'Drop' }).click();
    await row.getByRole('button', { name: 'Drop walker' }).click();
    await waitFor(async () => (await page.getByRole('row', { name: /^walker/ }).count()) === 0, { what: 'walker gone from the list' });
    assert.equal((await op({ operation: 'list_users' })).body.some((u: { username: string }) => u.username === 'walker'), false);
    await roleCard.getByRole('button', { name: 'Drop' }).click();
    await roleCard.getByRole('button', { name: 'Drop dog_reader' }).click();
    await waitFor(async () => (await role('dog_reader')) === undefined, { what: 'role dropped on the node' });
    assert.deepEqual(pageErrors, []);
  });
});
