/** Unit tests of the Studio's operations-API client (studio/src/lib/api.ts) with a fake fetch. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApiClient,
  ApiError,
  base64Utf8,
  basicAuthHeader,
  buildRequest,
  normalizeNodeUrl,
  parseResponse,
  type FetchLike,
} from '../../studio/src/lib/api.js';

const endpoint = { url: 'http://127.0.0.1:9925', username: 'admin', password: 'pässwörd:1' };

describe('studio api client', () => {
  test('base64Utf8 matches Buffer for ASCII, UTF-8 and every padding length', () => {
    for (const s of ['', 'a', 'ab', 'abc', 'abcd', 'admin:pässwörd:1', '🦆 ferry']) {
      assert.equal(base64Utf8(s), Buffer.from(s, 'utf8').toString('base64'), s);
    }
  });

  test('basicAuthHeader encodes user:password', () => {
    assert.equal(basicAuthHeader('admin', 'secret'), `Basic ${Buffer.from('admin:secret').toString('base64')}`);
  });

  test('normalizeNodeUrl adds http, drops trailing slashes, query and fragment', () => {
    assert.equal(normalizeNodeUrl('localhost:9925'), 'http://localhost:9925');
    assert.equal(normalizeNodeUrl(' https://db.example.com/ '), 'https://db.example.com');
    assert.equal(normalizeNodeUrl('http://10.0.0.7:9925/ferry//?x=1#y'), 'http://10.0.0.7:9925/ferry');
    assert.throws(() => normalizeNodeUrl(''), /enter the node URL/);
    assert.throws(() => normalizeNodeUrl('ftp://x'), /http/);
    assert.throws(() => normalizeNodeUrl('http://'), /not a valid URL/);
  });

  test('buildRequest posts JSON to / with Basic auth', () => {
    const { url, init } = buildRequest(endpoint, { operation: 'describe_all' });
    assert.equal(url, 'http://127.0.0.1:9925/');
    assert.equal(init.method, 'POST');
    assert.equal(init.headers['Content-Type'], 'application/json');
    assert.equal(init.headers['Authorization'], `Basic ${Buffer.from('admin:pässwörd:1').toString('base64')}`);
    assert.deepEqual(JSON.parse(init.body), { operation: 'describe_all' });
  });

  test('parseResponse returns the body of a 2xx answer', () => {
    assert.deepEqual(parseResponse('describe_all', 200, '{"dev":{}}'), { dev: {} });
    assert.throws(() => parseResponse('describe_all', 200, '<html>'), (e: unknown) => e instanceof ApiError && e.kind === 'parse');
  });

  test('parseResponse throws the server error message with its status', () => {
    const err = (() => {
      try {
        parseResponse('insert', 400, JSON.stringify({ error: "Table 'dev.cat' does not exist" }));
      } catch (e) {
        return e;
      }
      return null;
    })();
    if (!(err instanceof ApiError)) throw new Error('expected an ApiError');
    assert.equal(err.message, "Table 'dev.cat' does not exist");
    assert.equal(err.status, 400);
    assert.equal(err.kind, 'http');
    assert.equal(err.operation, 'insert');
    assert.equal(err.isUnknownOperation, false);
  });

  test('parseResponse marks 401 as auth and recognises unknown operations', () => {
    assert.throws(() => parseResponse('describe_all', 401, '{"error":"Login failed"}'), (e: unknown) => e instanceof ApiError && e.kind === 'auth' && e.message === 'Login failed');
    assert.throws(() => parseResponse('csv_data_load', 400, `{"error":"Operation 'csv_data_load' not found"}`), (e: unknown) => e instanceof ApiError && e.isUnknownOperation);
  });

  test('parseResponse includes 403 permission details and falls back to the raw text', () => {
    const body = { error: 'This operation is not authorized', unauthorized_access: ["Operation 'drop_table' is restricted to 'super_user' roles"] };
    assert.throws(() => parseResponse('drop_table', 403, JSON.stringify(body)), /not authorized: Operation 'drop_table' is restricted/);
    assert.throws(() => parseResponse('x', 502, 'Bad Gateway'), /^ApiError: HTTP 502: Bad Gateway$/);
    assert.throws(() => parseResponse('x', 500, ''), /^ApiError: HTTP 500$/);
  });

  test('ApiClient.call sends the body and returns parsed JSON', async () => {
    const seen: { url: string; body: string; auth: string | undefined }[] = [];
    const fetch: FetchLike = async (url, init) => {
      seen.push({ url, body: init.body, auth: init.headers['Authorization'] });
      return { status: 200, text: async () => '[{"id":1}]' };
    };
    const rows = await new ApiClient(endpoint, { fetch }).call({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'id', value: '*' });
    assert.deepEqual(rows, [{ id: 1 }]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.url, 'http://127.0.0.1:9925/');
    assert.equal(JSON.parse(seen[0]!.body).table, 'dog');
    assert.match(seen[0]!.auth ?? '', /^Basic /);
  });

  test('ApiClient.call turns a fetch rejection into a network ApiError', async () => {
    const fetch: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    await assert.rejects(new ApiClient(endpoint, { fetch }).call({ operation: 'describe_all' }), (e: unknown) => {
      if (!(e instanceof ApiError)) return false;
      assert.equal(e.kind, 'network');
      assert.equal(e.status, 0);
      assert.match(e.message, /cannot reach http:\/\/127\.0\.0\.1:9925 \(Failed to fetch\)/);
      return true;
    });
  });

  test('ApiClient.call aborts after timeoutMs with a timeout ApiError', async () => {
    const fetch: FetchLike = (_url, init) => new Promise((_resolve, reject) => {
      init.signal?.addEventListener('abort', () => reject(new Error('aborted')));
    });
    await assert.rejects(new ApiClient(endpoint, { fetch, timeoutMs: 20 }).call({ operation: 'describe_all' }), (e: unknown) => e instanceof ApiError && e.kind === 'timeout');
  });
});
