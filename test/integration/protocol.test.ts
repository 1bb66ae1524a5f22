import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { opsClient } from '../helpers/http-client.js';

let s: TestServer;
before(async () => { s = await startTestServer({ OPERATIONSAPI_NETWORK_BODYLIMIT: '4096', CORS_WHITELIST: 'https://studio.example' }); });
after(async () => { await s.close(); });

const raw = (init: RequestInit & { headers?: Record<string, string> }) => fetch(s.url, init).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.text() }));
const auth = 'Basic ' + Buffer.from('admin:secret-pw').toString('base64');

test('missing or wrong credentials get 401 Login failed', async () => {
  const none = await raw({ method: 'POST', body: JSON.stringify({ operation: 'describe_all' }) });
  assert.equal(none.status, 401);
  assert.deepEqual(JSON.parse(none.body), { error: 'Login failed' });
  const wrong = await opsClient(s.url, 'admin', 'nope')({ operation: 'describe_all' });
  assert.equal(wrong.status, 401);
  const unknown = await opsClient(s.url, 'ghost', 'secret-pw')({ operation: 'describe_all' });
  assert.equal(unknown.status, 401);
  const garbage = await raw({ method: 'POST', headers: { authorization: 'Basic %%%' }, body: '{}' });
  assert.equal(garbage.status, 401);
});

test("malformed JSON, missing 'operation' and unknown operations are 400s in HarperDB's words", async () => {
  const bad = await raw({ method: 'POST', headers: { authorization: auth }, body: '{"operation":' });
  assert.equal(bad.status, 400);
  assert.deepEqual(JSON.parse(bad.body), { error: 'Invalid JSON.' });
  const noop = await s.op({ table: 'x' });
  assert.equal(noop.status, 400);
  assert.deepEqual(noop.body, { error: "Request body must include an 'operation' property." });
  const arr = await s.op([1, 2]);
  assert.equal(arr.status, 400);
  const unknown = await s.op({ operation: 'make_coffee' });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body, { error: "Operation 'make_coffee' not found" });
});

test('bodies over the limit get 413, declared or streamed', async () => {
  const big = JSON.stringify({ operation: 'insert', table: 'x', records: [{ id: 1, pad: 'x'.repeat(10_000) }] });
  const r = await raw({ method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: big });
  assert.equal(r.status, 413);
  assert.match(JSON.parse(r.body).error, /larger than 4096/);
  // chunked upload without a content-length
  const stream = new ReadableStream({ start(c) { for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000))); c.close(); } });
  const r2 = await fetch(s.url, { method: 'POST', headers: { authorization: auth }, body: stream, duplex: 'half' } as RequestInit).then((x) => x.status);
  assert.equal(r2, 413);
  // the node is still fine afterwards
  assert.equal((await s.op({ operation: 'describe_all' })).status, 200);
});

test('unknown routes are 404 with the fastify-style body; /health answers', async () => {
  const r = await raw({ method: 'GET', headers: {} , ...{} });
  assert.ok(r.status === 200 || r.status === 404);
  const nf = await fetch(new URL('/nope', s.url)).then(async (x) => ({ status: x.status, body: await x.json() }));
  assert.deepEqual(nf, { status: 404, body: { error: 'Not Found', statusCode: 404 } });
  const health = await fetch(new URL('/health', s.url)).then((x) => x.status);
  assert.equal(health, 200);
});

test('CORS answers allowed origins only', async () => {
  const ok = await fetch(s.url, { method: 'OPTIONS', headers: { origin: 'https://studio.example', 'access-control-request-method': 'POST' } });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://studio.example');
  const same = await fetch(s.url, { method: 'POST', headers: { origin: 'http://127.0.0.1:1234', authorization: auth }, body: '{"operation":"describe_all"}' });
  assert.equal(same.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1234');
  const evil = await fetch(s.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
});

test('many concurrent bad requests never take the node down', async () => {
  const bodies = ['', '[]', 'null', '"x"', '{"operation":null}', '{"operation":"insert"}', '{"operation":"insert","table":"t","records":[null]}', '{"operation":"search_by_conditions","table":"t","conditions":"x"}', '{"operation":"describe_table","table":{}}', '\u0000\u0001'];
  const results = await Promise.all(bodies.map((b) => raw({ method: 'POST', headers: { authorization: auth }, body: b })));
  for (const r of results) {
    assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.body}`);
    assert.equal(typeof JSON.parse(r.body).error, 'string');
  }
  assert.equal((await s.op({ operation: 'describe_all' })).status, 200);
});

test('a request that is not HTTP gets a JSON 400 and a closed connection, on the operations port and the HTTP port', async () => {
  const { connect } = await import('node:net');
  const garbage = (port: number) => new Promise<string>((resolve, reject) => {
    let out = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('THIS IS NOT HTTP\r\n\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { out += d; });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
  for (const port of [s.ports.operations.port, s.ports.http.port]) {
    const answer = await garbage(port);
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/, `port ${port}`);
    assert.ok(answer.endsWith('{"error":"Bad Request"}'), `port ${port}: ${answer}`);
  }
});
