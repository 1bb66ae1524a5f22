import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decoder } from 'cbor-x';
import { unpack } from 'msgpackr';
import { startTestServer } from '../helpers/test-server.js';

const AUTH = `Basic ${Buffer.from('admin:secret-pw').toString('base64')}`;

async function setup(t: import('node:test').TestContext) {
  const s = await startTestServer();
  t.after(() => s.close());
  const base = `http://127.0.0.1:${s.node.services.node.ports.http}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method, headers: { authorization: AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  await s.op({ operation: 'create_table', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'name' });
  await s.op({ operation: 'insert', table: 'dog', records: [{ id: 1, name: 'Penny', age: 7 }, { id: 2, name: 'Kato', age: 3 }, { id: 3, name: 'Riley', age: 12 }] });
  await s.op({ operation: 'insert', database: 'dev', table: 'cat', records: [{ name: 'Tom', lives: 9 }] });
  return { s, base, call };
}

test('REST conformance: method x path x status x body', async (t) => {
  const { call } = await setup(t);
  const strip = (r: any) => { const { __createdtime__, __updatedtime__, ...rest } = r; return rest; };
  // [method, path, body, status, expected body (undefined: no body; function: a check)]
  const table: [string, string, unknown, number, unknown][] = [
    ['GET', '/dog/1', undefined, 200, (b: any) => assert.deepEqual(strip(b), { id: 1, name: 'Penny', age: 7 })],
    ['GET', '/data/dog/2', undefined, 200, (b: any) => assert.equal(b.name, 'Kato')],
    ['GET', '/dev/cat/Tom', undefined, 200, (b: any) => assert.equal(b.lives, 9)],
    ['GET', '/dog/99', undefined, 404, (b: any) => assert.match(b.error, /not found/)],
    ['GET', '/nope/1', undefined, 404, { error: "Table 'data.nope' does not exist" }],
    ['GET', '/dev/nope/1', undefined, 404, { error: "Table 'dev.nope' does not exist" }],
    ['GET', '/', undefined, 404, { error: 'Not Found' }],
    ['GET', '/dog', undefined, 200, (b: any) => { assert.equal(b.name, 'dog'); assert.equal(b.record_count, 3); assert.equal(b.primary_key, 'id'); }],
    ['GET', '/dog/', undefined, 200, (b: any) => assert.deepEqual(b.map((r: any) => r.id), [1, 2, 3])],
    ['GET', '/dog/?age=gt=5&sort(-age)&select(id)', undefined, 200, [{ id: 3 }, { id: 1 }]],
    ['GET', '/dog/?name=Kato|name=Riley&select(id)', undefined, 200, [{ id: 2 }, { id: 3 }]],
    ['GET', '/dog/?limit(1,2)&select(id)', undefined, 200, [{ id: 2 }]],
    ['GET', '/dog/?age=zz=1', undefined, 400, (b: any) => assert.match(b.error, /unknown operator/)],
    ['PUT', '/dog/4', { name: 'Rex', age: 2 }, 204, undefined],
    ['GET', '/dog/4?select(name)', undefined, 200, { name: 'Rex' }],
    ['PUT', '/dog/4', { name: 'Rex II' }, 204, undefined],
    ['GET', '/dog/4', undefined, 200, (b: any) => { assert.equal(b.name, 'Rex II'); assert.equal('age' in b, false, 'PUT replaces the whole record'); }],
    ['PATCH', '/dog/4', { age: 5 }, 204, undefined],
    ['GET', '/dog/4', undefined, 200, (b: any) => assert.deepEqual([b.name, b.age], ['Rex II', 5])],
    ['PUT', '/dog/4', { id: 5, name: 'x' }, 400, (b: any) => assert.match(b.error, /does not match the path/)],
    ['PUT', '/dog/4', '{"name":', 400, (b: any) => assert.match(b.error, /not valid application\/json/)],
    ['PUT', '/dog/4', '[1,2]', 400, { error: 'the request body must be one record (an object)' }],
    ['POST', '/dog/', { name: 'New', age: 1 }, 201, (b: any) => assert.match(String(b), /^[0-9a-f-]{36}$/)],
    ['POST', '/dog/', { id: 1, name: 'Dup' }, 409, (b: any) => assert.match(b.error, /already exists/)],
    ['POST', '/dog/1', { name: 'x' }, 405, (b: any) => assert.match(b.error, /not allowed/)],
    ['PUT', '/dog/', { name: 'x' }, 405, (b: any) => assert.match(b.error, /not allowed/)],
    ['COPY', '/dog/1', undefined, 405, (b: any) => assert.match(b.error, /not supported/)],
    ['DELETE', '/dog/4', undefined, 204, undefined],
    ['GET', '/dog/4', undefined, 404, (b: any) => assert.match(b.error, /not found/)],
    ['DELETE', '/dog/4', undefined, 404, (b: any) => assert.match(b.error, /not found/)],
    ['DELETE', '/dog/', undefined, 400, (b: any) => assert.match(b.error, /needs a query string/)],
    ['DELETE', '/dog/?age=lt=4', undefined, 204, undefined],
    ['GET', '/dog/2', undefined, 404, (b: any) => assert.match(b.error, /not found/)],
    ['OPTIONS', '/dog/1', undefined, 204, undefined],
  ];
  for (const [method, path, body, status, expected] of table) {
    const r = await call(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    if (typeof expected === 'function') expected(r.body);
    else assert.deepEqual(r.body, expected, `${method} ${path}`);
  }
  const created = await call('POST', '/data/dog/', { name: 'Loc' });
  assert.equal(created.headers.get('location'), `/data/dog/${created.body}`);
  assert.equal((await call('GET', `/data/dog/${created.body}`)).body.name, 'Loc');
  assert.equal((await call('OPTIONS', '/dog/1')).headers.get('allow'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  assert.equal((await call('POST', '/dog/1', { a: 1 })).headers.get('allow'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
});

test('REST writes go through the write path: change log (audit) and operations API see them', async (t) => {
  const { s, call } = await setup(t);
  await call('PUT', '/dog/10', { name: 'Audit' });
  await call('PATCH', '/dog/10', { age: 4 });
  await call('DELETE', '/dog/10');
  const log = await s.op({ operation: 'read_audit_log', table: 'dog', search_type: 'hash_value', search_values: [10] });
  assert.equal(log.status, 200, JSON.stringify(log.body));
  const ops = JSON.stringify(log.body);
  assert.match(ops, /upsert/);
  assert.match(ops, /delete/);
  const r = await s.op({ operation: 'search_by_id', table: 'dog', ids: [10], get_attributes: ['*'] });
  assert.deepEqual(r.body, []);
});

test('REST requires authentication and answers 401 in HarperDB words', async (t) => {
  const { base } = await setup(t);
  const none = await fetch(base + '/dog/1');
  assert.equal(none.status, 401);
  assert.deepEqual(await none.json(), { error: 'Login failed' });
  const wrong = await fetch(base + '/dog/1', { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
  assert.equal(wrong.status, 401);
});

test('content negotiation: JSON, CBOR, MessagePack and CSV by Accept and by suffix, errors included', async (t) => {
  const { base, call } = await setup(t);
  const get = (path: string, accept?: string) => fetch(base + path, { headers: { authorization: AUTH, ...(accept ? { accept } : {}) } });
  const cbor = await get('/dog/1', 'application/cbor');
  assert.equal(cbor.headers.get('content-type'), 'application/cbor');
  assert.equal(new Decoder({ mapsAsObjects: true }).decode(Buffer.from(await cbor.arrayBuffer())).name, 'Penny');
  const mp = await get('/dog/1', 'application/x-msgpack');
  assert.equal(mp.headers.get('content-type'), 'application/x-msgpack');
  assert.equal((unpack(Buffer.from(await mp.arrayBuffer())) as any).name, 'Penny');
  const csv = await get('/dog/?select(id,name)', 'text/csv');
  assert.equal(csv.headers.get('content-type'), 'text/csv');
  assert.equal(await csv.text(), 'id,name\r\n1,Penny\r\n2,Kato\r\n3,Riley\r\n');
  assert.equal(await (await get('/dog/1.csv?select(name)')).text(), 'name\r\nPenny\r\n');
  assert.equal(await (await get('/dog/.csv?select(id)&id=2')).text(), 'id\r\n2\r\n');
  assert.equal((await (await get('/dog/1.json', 'application/cbor')).json()).name, 'Penny');
  const err = await get('/dog/99', 'application/cbor');
  assert.equal(err.status, 404);
  assert.match(new Decoder({ mapsAsObjects: true }).decode(Buffer.from(await err.arrayBuffer())).error, /not found/);
  // Request bodies in CBOR, MessagePack and CSV.
  const { Encoder } = await import('cbor-x');
  const { pack } = await import('msgpackr');
  const put = (path: string, type: string, body: Buffer | string) => fetch(base + path, { method: 'PUT', headers: { authorization: AUTH, 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  assert.equal((await put('/dog/20', 'application/cbor', new Encoder({ useRecords: false }).encode({ name: 'C' }))).status, 204);
  assert.equal((await put('/dog/21', 'application/x-msgpack', pack({ name: 'M' }))).status, 204);
  assert.equal((await put('/dog/22', 'text/csv', 'name,age\nV,3\n')).status, 204);
  assert.equal((await put('/dog/23', 'text/plain', 'x')).status, 415);
  assert.deepEqual([(await call('GET', '/dog/20')).body.name, (await call('GET', '/dog/21')).body.name, (await call('GET', '/dog/22')).body.age], ['C', 'M', 3]);
});

test('ETag on records: If-None-Match gives 304 until the record changes', async (t) => {
  const { call } = await setup(t);
  const first = await call('GET', '/dog/1');
  const etag = first.headers.get('etag')!;
  assert.match(etag, /^"[0-9a-z]+"$/);
  const again = await call('GET', '/dog/1', undefined, { 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.body, undefined);
  assert.equal((await call('GET', '/dog/1', undefined, { 'if-none-match': `W/${etag}, "other"` })).status, 304);
  await call('PATCH', '/dog/1', { age: 8 });
  const changed = await call('GET', '/dog/1', undefined, { 'if-none-match': etag });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get('etag'), etag);
  const head = await call('HEAD', '/dog/1');
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('etag'), changed.headers.get('etag'));
});

test('REST queries on an attribute build and use its index, like the operations API', async (t) => {
  const { s, call } = await setup(t);
  const r = await call('GET', '/dog/?name=Kato&select(id)');
  assert.deepEqual(r.body, [{ id: 2 }]);
  const d = await s.op({ operation: 'describe_table', table: 'dog' });
  assert.equal(d.body.attributes.find((a: any) => a.attribute === 'name').indexed, true);
});

test('a large REST collection query is sent as it is read, with the bytes of one JSON document; other formats are encoded whole', async (t) => {
  const { s, base } = await setup(t);
  await s.op({ operation: 'create_table', database: 'dev', table: 'many', primary_key: 'id' });
  const n = 12_345; // past the 5,000 rows answered in one body, not a multiple of the slice
  const rows = Array.from({ length: n }, (_, i) => ({ id: i, label: `r"${i}\u00e9`, odd: i % 2 === 1 }));
  for (let i = 0; i < n; i += 5000) await s.op({ operation: 'insert', database: 'dev', table: 'many', records: rows.slice(i, i + 5000) });
  const get = (path: string, accept?: string) => fetch(base + path, { headers: { authorization: AUTH, ...(accept ? { accept } : {}) } });
  const json = await get('/dev/many/?select(id,label)');
  assert.equal(json.status, 200);
  assert.match(json.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(await json.text(), JSON.stringify(rows.map(({ id, label }) => ({ id, label }))));
  // Filtered, paged past a batch boundary.
  const page = await get('/dev/many/?odd=true&select(id)&limit(6001)');
  assert.deepEqual(await page.json(), rows.filter((r) => r.odd).slice(0, 6001).map(({ id }) => ({ id })));
  const csv = await (await get('/dev/many/?select(id)', 'text/csv')).text();
  assert.equal(csv, ['id', ...rows.map((r) => String(r.id))].join('\r\n') + '\r\n');
  const head = await fetch(base + '/dev/many/?select(id)', { method: 'HEAD', headers: { authorization: AUTH } });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('a REST collection query whose table is dropped in the middle is cut short, not left hanging', { timeout: 60_000 }, async (t) => {
  const { s } = await setup(t);
  await s.op({ operation: 'create_table', database: 'dev', table: 'gone', primary_key: 'id' });
  const pad = 'x'.repeat(680); // 21 MB in all: far more than the socket buffers take
  for (let i = 0; i < 30_000; i += 5000) {
    await s.op({ operation: 'insert', database: 'dev', table: 'gone', records: Array.from({ length: 5000 }, (_, k) => ({ id: i + k, pad })) });
  }
  const { request } = await import('node:http');
  const outcome = await new Promise<string>((resolve) => {
    const req = request(`http://127.0.0.1:${s.node.services.node.ports.http}/dev/gone/`, { headers: { authorization: AUTH } }, (res) => {
      res.once('data', () => {
        res.pause();
        void s.op({ operation: 'drop_table', database: 'dev', table: 'gone' }).then(() => res.resume());
      });
      res.on('end', () => resolve('ended'));
      res.on('aborted', () => resolve('aborted'));
      res.on('error', () => resolve('aborted'));
    });
    req.on('error', () => resolve('aborted'));
    req.end();
  });
  assert.equal(outcome, 'aborted');
});
