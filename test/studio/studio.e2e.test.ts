/**
 * End-to-end test of the Studio in Debian's Chromium (driven by playwright-core, never a
 * downloaded browser) against real FerryDB nodes started by the test. With
 * STUDIO_SCREENSHOTS=1 it also writes the screenshots used by docs/studio.md.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { opsClient, type Op } from '../helpers/http-client.js';
import { startNode, type TestNode } from '../helpers/node-process.js';
import { ensureStudioBuilt } from '../helpers/studio-build.js';
import { waitFor } from '../helpers/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCREENSHOTS = process.env.STUDIO_SCREENSHOTS === '1';
const IMAGES = join(ROOT, 'docs', 'images');
const VIEWPORT = { width: 1280, height: 800 };

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: join(IMAGES, `studio-${name}.png`), fullPage, animations: 'disabled', caret: 'hide' });
}

async function visible(locator: Locator, timeout = 15_000): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

async function gone(locator: Locator, timeout = 15_000): Promise<void> {
  await locator.waitFor({ state: 'detached', timeout });
}

async function textMatches(locator: Locator, pattern: RegExp, what: string, timeoutMs = 15_000): Promise<string> {
  let last = '';
  await waitFor(async () => {
    last = (await locator.count()) > 0 ? await locator.first().innerText() : '';
    return pattern.test(last);
  }, { timeoutMs, intervalMs: 100, what: `${what} (last text: ${JSON.stringify(last.slice(0, 300))})` });
  return last;
}

const missing = !existsSync(CHROMIUM);

if (missing && process.env.CI === 'true') {
  test('studio e2e: Chromium is installed at /usr/bin/chromium', () => {
    assert.fail(`${CHROMIUM} is missing; install it with: apt-get install -y chromium`);
  });
}

describe('studio in a browser', { skip: missing ? `${CHROMIUM} is not installed (apt-get install -y chromium); skipping the Studio browser tests` : false }, () => {
  let a: TestNode;
  let b: TestNode;
  let opA: Op;
  let opB: Op;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ensureStudioBuilt();
    // allSettled, so a node that did start is assigned (and stopped in after()) even if the other failed.
    const [startedA, startedB] = await Promise.allSettled([
      startNode({ nodeName: 'studio-a', clustering: true }),
      startNode({ nodeName: 'studio-b', clustering: true }),
    ]);
    if (startedA.status === 'fulfilled') a = startedA.value;
    if (startedB.status === 'fulfilled') b = startedB.value;
    if (startedA.status === 'rejected') throw startedA.reason;
    if (startedB.status === 'rejected') throw startedB.reason;
    opA = opsClient(a.url, a.user, a.password);
    opB = opsClient(b.url, b.user, b.password);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const context = await browser.newContext({ viewport: VIEWPORT, reducedMotion: 'reduce' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('sign in: a wrong password shows the server error, the right one opens Browse', async () => {
    await page.goto(a.url);
    await visible(page.getByRole('heading', { name: 'Sign in' }));
    // Keyboard: the first Tab reaches the skip link, which moves focus to the page content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    assert.match(page.url(), /\/$/, 'the skip link does not change the route');
    assert.equal(await page.getByLabel('Node URL').inputValue(), a.url.replace(/\/$/, ''), 'prefilled with the page origin');
    await page.locator('#signin-name').fill('studio-a');
    await page.getByLabel('Username').fill(a.user);
    await shot(page, 'sign-in');

    const serverSays = await opsClient(a.url, a.user, 'wrong-password')({ operation: 'describe_all' });
    assert.equal(serverSays.status, 401);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = await visible(page.getByRole('alert'));
    assert.match(await alert.innerText(), new RegExp(`${serverSays.body.error}.*401`));

    await page.getByLabel('Password').fill(a.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await visible(page.getByRole('heading', { name: 'Browse' }));
    const stored = await page.evaluate(() => localStorage.getItem('ferrydb.studio.instances.v1'));
    assert.match(stored ?? '', /studio-a/);
  });

  test('the same Studio is served under /studio/', async () => {
    const other = await page.context().newPage();
    try {
      await other.goto(`${a.url}studio/`);
      await visible(other.getByRole('heading', { name: 'Browse' }));
    } finally {
      await other.close();
    }
  });

  test('create a database and a table, then drop a scratch table and database', async () => {
    await page.getByLabel('New database').fill('scratch');
    await page.getByRole('button', { name: 'Create database' }).click();
    await visible(page.getByRole('heading', { name: 'Database scratch' }));
    await page.getByLabel('Table name').fill('tmp');
    await page.getByRole('button', { name: 'Create table' }).click();
    await visible(page.getByRole('heading', { name: 'scratch.tmp' }));
    await page.getByRole('button', { name: 'Drop table' }).click();
    await page.getByRole('button', { name: 'Drop table' }).click(); // the confirm button
    await visible(page.getByRole('heading', { name: 'Database scratch' }));
    await page.getByRole('button', { name: 'Drop database' }).click();
    await page.getByRole('button', { name: 'Drop database' }).click();
    await visible(page.getByRole('heading', { name: 'Browse' }));
    const all = await opA({ operation: 'describe_all' });
    assert.equal('scratch' in all.body, false, 'scratch was dropped on the node');

    await page.getByLabel('New database').fill('dev');
    await page.getByRole('button', { name: 'Create database' }).click();
    await visible(page.getByRole('heading', { name: 'Database dev' }));
    await page.getByLabel('Table name').fill('dog');
    await page.getByLabel('Primary key').fill('id');
    await page.getByRole('button', { name: 'Create table' }).click();
    await visible(page.getByRole('heading', { name: 'dev.dog' }));
    await visible(page.getByText('This table is empty.'));
    const table = await opA({ operation: 'describe_table', database: 'dev', table: 'dog' });
    assert.equal(table.status, 200);
    assert.equal(table.body.hash_attribute, 'id');
  });

  test('add, edit, sort, filter and delete records', async () => {
    await page.getByRole('button', { name: 'Add record' }).click();
    const editor = await visible(page.getByLabel('Record JSON'));
    assert.deepEqual(JSON.parse(await editor.inputValue()), {}, 'a new table has no attributes to pre-fill');
    await editor.fill(JSON.stringify({ id: 1, name: 'Penny', breed: 'Whippet', age: 5 }));
    await page.getByRole('button', { name: 'Insert' }).click();
    await visible(page.getByRole('button', { name: 'Edit record 1' }));
    await visible(page.getByText('inserted 1 of 1 records'));

    // A second insert of the same key is reported, not silently dropped.
    await page.getByRole('button', { name: 'Add record' }).click();
    const prefilled = JSON.parse(await page.getByLabel('Record JSON').inputValue());
    assert.deepEqual(prefilled, { age: null, breed: null, name: null }, 'pre-filled with the table attributes');
    await page.getByLabel('Record JSON').fill(JSON.stringify({ id: 1, name: 'Duplicate' }));
    await page.getByRole('button', { name: 'Insert' }).click();
    await textMatches(page.getByRole('dialog').getByRole('alert'), /skipped/, 'the skipped-insert error');
    await page.keyboard.press('Escape');
    await gone(page.getByRole('dialog'));

    const seed = [
      { id: 2, name: 'Harper', breed: 'Mutt', age: 3 },
      { id: 3, name: 'Kato', breed: 'Akita', age: 9, tags: ['calm', 'big'] },
      { id: 4, name: 'Billy', breed: 'Terrier', age: 1 },
      { id: 5, name: 'Rosco', breed: 'Husky', age: 7 },
    ];
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByLabel('Record JSON').fill(JSON.stringify(seed, null, 2));
    await page.getByRole('button', { name: 'Insert' }).click();
    await visible(page.getByRole('button', { name: 'Edit record 5' }));
    await shot(page, 'browse-grid');

    // Edit Penny.
    await page.getByRole('button', { name: 'Edit record 1' }).click();
    const text = await visible(page.getByLabel('Record JSON'));
    const record = JSON.parse(await text.inputValue()) as Record<string, unknown>;
    assert.equal(record['name'], 'Penny');
    assert.equal('__createdtime__' in record, false, 'server timestamps are not offered for editing');
    await text.fill(JSON.stringify({ ...record, name: 'Penelope' }, null, 2));
    await shot(page, 'record-editor');
    await page.getByRole('button', { name: 'Save record' }).click();
    await gone(page.getByRole('dialog'));
    await visible(page.getByRole('cell', { name: 'Penelope' }));
    const stored = await opA({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['*'] });
    assert.equal(stored.body[0].name, 'Penelope');

    // Changing the primary key is refused in the browser.
    await page.getByRole('button', { name: 'Edit record 2' }).click();
    await page.getByLabel('Record JSON').fill('{"id": 99, "name": "Harper"}');
    await page.getByRole('button', { name: 'Save record' }).click();
    await textMatches(page.getByRole('dialog').getByRole('alert'), /cannot be changed/, 'the primary-key error');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await gone(page.getByRole('dialog'));

    // Sort by name, ascending then descending.
    const firstName = () => page.locator('table.grid tbody tr').first().locator('td').nth(4);
    await page.getByRole('button', { name: 'name', exact: true }).click();
    await textMatches(firstName(), /^Billy$/, 'ascending sort by name');
    assert.equal(await page.locator('th[aria-sort="ascending"]').innerText(), 'name ▲');
    await page.getByRole('button', { name: /^name/ }).click();
    await textMatches(firstName(), /^Rosco$/, 'descending sort by name');

    // Filter, then clear.
    await page.getByLabel('Attribute').selectOption('age');
    await page.getByLabel('Comparison').selectOption('greater_than');
    await page.getByLabel('Value', { exact: true }).fill('4');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await textMatches(page.locator('#grid-range'), /^Rows 1–3 \(filtered\)$/, 'three dogs older than 4');
    await page.getByRole('button', { name: 'Clear filter' }).click();
    await textMatches(page.locator('#grid-range'), /^Rows 1–5 of 5$/, 'all five dogs');

    // Paging with two rows per page.
    await page.getByLabel('Rows per page').selectOption('10');
    await textMatches(page.locator('#grid-range'), /^Rows 1–5 of 5$/, 'page size 10');

    // Delete Billy through the selection and the inline confirmation.
    await page.getByRole('checkbox', { name: 'Select record 4' }).check();
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await gone(page.getByRole('button', { name: 'Edit record 4' }));
    const left = await opA({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [4], get_attributes: ['*'] });
    assert.deepEqual(left.body, []);

    // CSV import is offered only when the node has csv_data_load; otherwise its message is shown.
    const probe = await opA({ operation: 'csv_data_load', action: 'insert', database: 'dev', table: 'dog' });
    if (probe.status === 400 && /not found/.test(String(probe.body.error))) {
      await textMatches(page.getByRole('note').filter({ hasText: 'CSV import' }), new RegExp(`CSV import unavailable: ${probe.body.error}`), 'the csv_data_load message');
      assert.equal(await page.getByRole('button', { name: 'Import CSV' }).count(), 0);
    } else {
      await page.getByRole('button', { name: 'Import CSV' }).click();
      await page.getByLabel('…or CSV text').fill('id,name,breed,age\n6,Toby,Beagle,4\n');
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await visible(page.getByRole('dialog').getByRole('status').filter({ hasNotText: 'waiting' }), 60_000);
      await page.getByRole('button', { name: 'Close', exact: true }).click();
      await visible(page.getByRole('button', { name: 'Edit record 6' }));
    }
  });

  test('the SQL box runs a query into a grid, explains it, reports errors, and a SQL write refreshes the table', async () => {
    await page.locator('details.sql-box summary').click();
    const box = await visible(page.getByLabel('SQL statement'));
    assert.equal(await box.inputValue(), 'SELECT * FROM `dev`.`dog` LIMIT 100');
    await box.fill('SELECT name, age FROM dev.dog WHERE age > 4 ORDER BY age DESC');
    await page.getByRole('button', { name: 'Run SQL' }).click();
    const grid = page.getByRole('table', { name: 'SQL result' });
    await textMatches(grid.locator('tbody tr').first(), /Kato\s+9/, 'the oldest dog first');
    await textMatches(page.locator('details.sql-box').getByRole('status'), /^3 rows$/, 'three dogs older than 4');
    assert.deepEqual(await grid.locator('th').allInnerTexts(), ['name', 'age']);
    await shot(page, 'sql-box');
    await page.getByRole('button', { name: 'Explain' }).click();
    await textMatches(page.locator('pre.sql-plan'), /"statement": "select",\s+"tables": \[\s+\{\s+"table": "dev.dog",[^]*"access": "[a-z_]+"/, 'the plan');
    await box.fill('UPDATE dev.dog SET age = 12 WHERE id = 2');
    await page.getByRole('button', { name: 'Run SQL' }).click();
    await visible(page.getByText('updated 1 of 1 records'));
    await visible(page.locator('table.grid:not(.sql-result)').getByRole('cell', { name: '12', exact: true }));
    await box.fill('SELECT FROM dev.dog');
    await page.getByRole('button', { name: 'Run SQL' }).click();
    await textMatches(page.locator('details.sql-box').getByRole('alert'), /SQL syntax error at line 1/, 'the SQL error');
    await page.locator('details.sql-box summary').click();
  });

  test('instances: register nodes, see reachability, sign out and back in, remove', async () => {
    const c = await startNode({ nodeName: 'studio-c' });
    try {
      await page.goto(`${a.url}#/instances`);
      await visible(page.getByRole('heading', { name: 'Instances' }));
      for (const [node, name] of [[b, 'studio-b'], [c, 'studio-c']] as const) {
        await page.locator('#register-url').fill(node.url);
        await page.locator('#register-name').fill(name);
        await page.locator('#register-username').fill(node.user);
        await page.locator('#register-password').fill(node.password);
        await page.getByRole('button', { name: 'Add instance' }).click();
        await visible(page.getByText(`Added ${name}.`));
      }
      const card = (name: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name, exact: true }) });
      await visible(card('studio-b').getByText('Reachable · signed in'));
      await c.stop();
      await card('studio-c').getByRole('button', { name: 'Check again' }).click();
      await visible(card('studio-c').getByText('Unreachable'));
      await textMatches(card('studio-c').getByRole('alert'), /cannot reach/, 'the unreachable reason');
      await card('studio-b').getByRole('button', { name: 'Sign out' }).click();
      await visible(card('studio-b').getByText('Please sign in'));
      await shot(page, 'instances', true);

      await card('studio-c').getByRole('button', { name: 'Remove' }).click();
      await card('studio-c').getByRole('button', { name: 'Remove' }).click();
      await gone(card('studio-c'));
      assert.doesNotMatch(await page.evaluate(() => localStorage.getItem('ferrydb.studio.instances.v1') ?? ''), /studio-c/);

      await card('studio-b').getByRole('button', { name: 'Sign in' }).click();
      await visible(page.getByRole('heading', { name: 'Sign in' }));
      assert.equal(await page.getByLabel('Node URL').inputValue(), b.url.replace(/\/$/, ''));
      await page.getByLabel('Password').fill(b.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await visible(page.getByRole('heading', { name: 'Browse' }));
      await textMatches(page.locator('.whoami'), /admin@studio-b/, 'signed in to studio-b (cross-origin)');
    } finally {
      await c.stop();
    }
  });

  test('status page shows system information and recent log lines', async () => {
    await page.getByLabel('Instance', { exact: true }).selectOption({ label: 'studio-a' });
    await page.goto(`${a.url}#/status`);
    await visible(page.getByRole('heading', { name: 'Status' }));
    await visible(page.locator('dt', { hasText: 'Version' }));
    await visible(page.locator('dt', { hasText: 'Memory total' }));
    await visible(page.locator('table.log tbody tr').first());
    await shot(page, 'status', true);
  });

  test('cluster: connect two nodes from the Cluster page and see a record replicate', async () => {
    const status = await opA({ operation: 'cluster_status' });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    // The subscriber needs the table too (create it on B directly; the Studio's part is the link).
    const created = await opB({ operation: 'create_database', database: 'dev' });
    assert.ok(created.status === 200 || /exist/.test(JSON.stringify(created.body)), JSON.stringify(created.body));
    const tableB = await opB({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    assert.ok(tableB.status === 200 || /exist/.test(JSON.stringify(tableB.body)), JSON.stringify(tableB.body));

    await page.goto(`${a.url}#/cluster`);
    await visible(page.getByRole('heading', { name: 'Cluster' }));
    await textMatches(page.getByTestId('node-name'), /^studio-a$/, 'this node name');
    await page.locator('#node-name').fill('studio-b');
    await page.locator('#node-host').fill('127.0.0.1');
    await page.locator('#node-port').fill(String(b.clusteringPort));
    await page.getByRole('checkbox', { name: 'Publish dev:dog to studio-b' }).check();
    await page.getByRole('checkbox', { name: 'Subscribe to dev:dog from studio-b' }).check();
    await page.getByRole('button', { name: 'Connect node' }).click();
    const peer = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'studio-b', exact: true }) });
    await visible(peer);
    await textMatches(peer.locator('h4').first(), /Outbound link\s+open/, 'the outbound link to studio-b opens', 30_000);
    await visible(peer.getByRole('rowheader', { name: 'dev:dog' }).first());

    // Insert on A in the Studio, then watch B's grid (cross-origin) until the record arrives.
    await page.goto(`${a.url}#/browse/dev/dog`);
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByLabel('Record JSON').fill(JSON.stringify({ id: 42, name: 'Replicated', breed: 'Ferry dog', age: 2 }));
    await page.getByRole('button', { name: 'Insert' }).click();
    await visible(page.getByRole('button', { name: 'Edit record 42' }));

    await page.goto(`${a.url}#/cluster`);
    await textMatches(peer.locator('tbody').first(), /dev:dog/, 'the subscription row', 30_000);
    await shot(page, 'cluster', true);

    await page.getByLabel('Instance', { exact: true }).selectOption({ label: 'studio-b' });
    await page.goto(`${a.url}#/browse/dev/dog`);
    await visible(page.getByRole('heading', { name: 'dev.dog' }));
    await waitFor(async () => {
      if ((await page.getByRole('button', { name: 'Edit record 42' }).count()) > 0) return true;
      await page.getByRole('button', { name: 'Refresh', exact: true }).last().click();
      return false;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'record 42 to appear in studio-b\'s grid' });
    const onB = await opB({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [42], get_attributes: ['*'] });
    assert.equal(onB.body[0]?.name, 'Replicated');

    // B's Cluster page (cross-origin) shows the link studio-a opened to it.
    await page.goto(`${a.url}#/cluster`);
    await textMatches(page.getByTestId('node-name'), /^studio-b$/, 'node name of studio-b');
    const fromA = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'studio-a', exact: true }) });
    await textMatches(fromA.locator('h4').first(), /Inbound link\s+open/, 'the inbound link from studio-a', 30_000);
  });

  test('cluster: on the dialled node, edit the inbound link with a typed database:table; the dialler learns it', async () => {
    // Still on studio-b's Cluster page (the previous test): studio-a dialled it.
    await page.goto(`${a.url}#/cluster`);
    await textMatches(page.getByTestId('node-name'), /^studio-b$/, 'node name of studio-b');
    const fromA = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'studio-a', exact: true }) });
    await fromA.getByRole('button', { name: 'Edit subscriptions' }).click();
    // A table neither node has yet, typed by name.
    await fromA.getByLabel('Add a table by name').fill('dev:typed');
    await fromA.getByRole('button', { name: 'Add table' }).click();
    await fromA.getByRole('checkbox', { name: 'Subscribe to dev:typed from studio-a' }).check();
    await fromA.getByRole('button', { name: 'Save subscriptions' }).click();
    await visible(fromA.getByText(/studio-a applies them over its link|successfully updated/).first());
    await waitFor(async () => {
      const st = await opA({ operation: 'cluster_status' });
      const link = st.body.status.outbound_connections.find((c: { node_name: string }) => c.node_name === 'studio-b');
      return link?.subscriptions.some((x: { channel: string; publish: boolean }) => x.channel === 'dev:typed' && x.publish);
    }, { timeoutMs: 30_000, what: 'studio-a to store the edit made on studio-b' });
    // Back to studio-a for the tests that follow.
    await page.getByLabel('Instance', { exact: true }).selectOption({ label: 'studio-a' });
  });

  test('cluster: a node with other cluster credentials shows as unauthorized with the reason, and can be removed', async () => {
    const d = await startNode({ nodeName: 'studio-d', clustering: true, clusterPassword: 'a-different-secret' });
    try {
      await page.getByLabel('Instance', { exact: true }).selectOption({ label: 'studio-a' });
      await page.goto(`${a.url}#/cluster`);
      await textMatches(page.getByTestId('node-name'), /^studio-a$/, 'this node name');
      await page.locator('#node-name').fill('studio-d');
      await page.locator('#node-host').fill('127.0.0.1');
      await page.locator('#node-port').fill(String(d.clusteringPort));
      await page.getByRole('checkbox', { name: 'Publish dev:dog to studio-d' }).check();
      await page.getByRole('button', { name: 'Connect node' }).click();
      const peer = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'studio-d', exact: true }) });
      await textMatches(peer.locator('h4').first(), /Outbound link\s+unauthorized/, 'the refused link', 30_000);
      const reason = await textMatches(peer.getByRole('alert').first(), /\S/, 'the refusal reason');
      const raw = await opA({ operation: 'cluster_status' });
      const link = raw.body.status.outbound_connections.find((c: { node_name: string }) => c.node_name === 'studio-d');
      assert.ok(link?.error, 'the node reports a reason');
      assert.ok(reason.includes(link.error), `the card shows the node's reason (${link.error}); it shows: ${reason}`);

      await peer.getByRole('button', { name: 'Remove node' }).click();
      await peer.getByRole('button', { name: 'Remove', exact: true }).click();
      await gone(peer, 15_000);
      const after = await opA({ operation: 'cluster_status' });
      assert.equal(after.body.status.outbound_connections.some((c: { node_name: string }) => c.node_name === 'studio-d'), false);
    } finally {
      await d.stop();
    }
  });

  test('tablet width: no horizontal page scroll, and no uncaught page errors', async () => {
    await page.getByLabel('Instance', { exact: true }).selectOption({ label: 'studio-a' });
    await page.setViewportSize({ width: 820, height: 1100 });
    for (const hash of ['#/browse/dev/dog', '#/cluster', '#/status', '#/instances']) {
      await page.goto(`${a.url}${hash}`);
      await visible(page.locator('main h1').first());
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${hash} scrolls horizontally by ${overflow}px at 820px`);
    }
    await page.setViewportSize(VIEWPORT);
    assert.deepEqual(pageErrors, []);
  });
});
