import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect as connectTcp } from 'node:net';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { generate, parser as createParser } from 'mqtt-packet';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
const CREDS = { username: 'admin', password: 'secret-pw' };
const HAS_MOSQUITTO = spawnSync('mosquitto_pub', ['--help']).error === undefined;

/** Runs a command without blocking the event loop (the broker under test lives in this process). */
function run(cmd: string, args: string[], timeoutMs = 15_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d.toString(); });
    p.stderr.on('data', (d) => { stderr += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('exit', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

interface Broker { s: TestServer; port: number; securePort: number | null; httpPort: number }

async function broker(t: TestContext, env: Record<string, string> = {}): Promise<Broker> {
  const s = await startTestServer(env);
  t.after(() => s.close());
  await s.op({ operation: 'create_table', table: 'reading', primary_key: 'id' });
  return { s, port: s.ports.mqtt.port, securePort: s.ports.mqtt.securePort, httpPort: s.ports.http.port };
}

function connect(t: TestContext, url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...CREDS, ...opts });
    t.after(() => new Promise<void>((r) => c.end(true, {}, () => r())));
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

const publish = (c: MqttClient, topic: string, payload: string | Buffer, opts: mqtt.IClientPublishOptions) =>
  new Promise<any>((resolve, reject) => c.publish(topic, payload, opts, (err, packet) => (err ? reject(err) : resolve(packet))));

async function rows(s: TestServer): Promise<any[]> {
  const r = await s.op({ operation: 'search_by_value', table: 'reading', search_attribute: 'id', search_value: '*', get_attributes: ['*'] });
  return (r.body as any[]).sort((a, b) => (a.id < b.id ? -1 : 1));
}

for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: retained QoS 0 and 1 publishes write records; a plain publish is a message only`, async (t) => {
    const b = await broker(t);
    const c = await connect(t, `mqtt://127.0.0.1:${b.port}`, { protocolVersion });
    await publish(c, 'data/reading/1', JSON.stringify({ pressure: 1.5 }), { qos: 1, retain: true });
    // QoS 1: the PUBACK came after the commit, so the row is there now.
    assert.deepEqual((await rows(b.s)).map((r) => [r.id, r.pressure]), [[1, 1.5]]);
    await publish(c, 'reading/2', JSON.stringify({ pressure: 2.5 }), { qos: 0, retain: true });
    await publish(c, 'reading', JSON.stringify({ id: 3, pressure: 3.5 }), { qos: 1, retain: true });
    await waitFor(async () => (await rows(b.s)).length === 3, { what: 'QoS 0 row' });
    await publish(c, 'reading/9', JSON.stringify({ pressure: 9 }), { qos: 1, retain: false });
    assert.deepEqual((await rows(b.s)).map((r) => r.id), [1, 2, 3]);
    // A retained empty payload clears the retained state: the record is deleted.
    await publish(c, 'reading/2', '', { qos: 1, retain: true });
    assert.deepEqual((await rows(b.s)).map((r) => r.id), [1, 3]);
  });
}

test('MQTT subscribe: current records as retained messages, then every change, with # and + wildcards', async (t) => {
  const b = await broker(t);
  await b.s.op({ operation: 'insert', table: 'reading', records: [{ id: 1, v: 'a' }, { id: 2, v: 'b' }] });
  const sub = await connect(t, `mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5 });
  const all: { topic: string; v: string | null; retain: boolean }[] = [];
  const plus: string[] = [];
  const one: string[] = [];
  sub.on('message', (topic, payload, packet) => {
    const entry = { topic, v: payload.length ? JSON.parse(payload.toString()).v : null, retain: packet.retain };
    if (topic.startsWith('data/')) all.push(entry);
  });
  const text = (topic: string, payload: Buffer) => { const o = payload.length ? JSON.parse(payload.toString()) : null; return `${topic}=${o === null ? '' : o.v ?? JSON.stringify(o)}`; };
  const plusClient = await connect(t, `mqtt://127.0.0.1:${b.port}`);
  plusClient.on('message', (topic, payload) => plus.push(text(topic, payload)));
  const oneClient = await connect(t, `mqtt://127.0.0.1:${b.port}`);
  oneClient.on('message', (topic, payload) => one.push(text(topic, payload)));
  await sub.subscribeAsync('data/reading/#', { qos: 1 });
  await plusClient.subscribeAsync('reading/+', { qos: 0 });
  await oneClient.subscribeAsync('reading/2', { qos: 1 });
  await waitFor(() => all.length === 2 && plus.length === 2 && one.length === 1, { what: 'retained messages' });
  assert.deepEqual(all, [{ topic: 'data/reading/1', v: 'a', retain: true }, { topic: 'data/reading/2', v: 'b', retain: true }]);

  const pub = await connect(t, `mqtt://127.0.0.1:${b.port}`);
  await publish(pub, 'data/reading/3', JSON.stringify({ v: 'c' }), { qos: 1, retain: true });
  await b.s.op({ operation: 'update', table: 'reading', records: [{ id: 2, v: 'b2' }] });
  await b.s.op({ operation: 'delete', table: 'reading', ids: [1] });
  await publish(pub, 'reading/2', JSON.stringify({ note: 'message only' }), { qos: 0, retain: false });
  await waitFor(() => all.length === 5 && one.length === 3 && plus.length === 6, { what: 'changes' });
  assert.deepEqual(all.slice(2), [
    { topic: 'data/reading/3', v: 'c', retain: false },
    { topic: 'data/reading/2', v: 'b2', retain: false },
    { topic: 'data/reading/1', v: null, retain: false },
  ]);
  // The plain message went to topic 'reading/2', which 'data/reading/#' does not match.
  assert.deepEqual(one, ['reading/2=b', 'reading/2=b2', 'reading/2={"note":"message only"}']);
  assert.deepEqual(plus, ['reading/1=a', 'reading/2=b', 'reading/3=c', 'reading/2=b2', 'reading/1=', 'reading/2={"note":"message only"}']);
});

test('MQTT authentication: missing or wrong credentials are refused (3.1.1 and 5), and anonymous access can be allowed', async (t) => {
  const b = await broker(t);
  const refused = (opts: IClientOptions) => new Promise<any>((resolve) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, ...opts });
    c.once('error', (err) => { c.end(true); resolve(err); });
    c.once('connect', () => { c.end(true); resolve(null); });
  });
  const v4none = await refused({ protocolVersion: 4 });
  assert.equal(v4none?.code, 4, String(v4none));
  const v4wrong = await refused({ protocolVersion: 4, username: 'admin', password: 'nope' });
  assert.equal(v4wrong?.code, 4);
  const v5wrong = await refused({ protocolVersion: 5, username: 'admin', password: 'nope' });
  assert.equal(v5wrong?.code, 0x86);
  const open = await broker(t, { MQTT_REQUIREAUTHENTICATION: 'false' });
  const anon = await connect(t, `mqtt://127.0.0.1:${open.port}`, { username: undefined, password: undefined });
  await publish(anon, 'reading/1', '{"v":1}', { qos: 1, retain: true });
  assert.equal((await rows(open.s)).length, 1);
});

test('malformed payloads are refused with reason code 0x99 (MQTT 5) or a closed connection (3.1.1), and never half-written', async (t) => {
  const b = await broker(t);
  const c5 = await connect(t, `mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5 });
  // Good and bad publishes in the same few milliseconds: the good ones commit, the bad ones alone are refused.
  const results = await Promise.all([
    publish(c5, 'reading/1', '{"v":1}', { qos: 1, retain: true }),
    publish(c5, 'reading/2', 'not json', { qos: 1, retain: true }).then(() => 'acked', (e) => e),
    publish(c5, 'reading/3', '[1,2,3]', { qos: 1, retain: true }).then(() => 'acked', (e) => e),
    publish(c5, 'reading/4', JSON.stringify({ id: 5, v: 'mismatch' }), { qos: 1, retain: true }).then(() => 'acked', (e) => e),
    publish(c5, 'reading/6', JSON.stringify({ 'bad/name': 1 }), { qos: 1, retain: true }).then(() => 'acked', (e) => e),
    publish(c5, 'reading/7', '{"v":7}', { qos: 1, retain: true }),
    publish(c5, 'nosuchtable/1', '{"v":1}', { qos: 1, retain: true }).then(() => 'acked', (e) => e),
  ]);
  for (const i of [1, 2, 3, 4]) assert.equal(results[i]?.code, 0x99, `publish ${i}: ${String(results[i])}`);
  assert.equal(results[6]?.code, 0x90);
  assert.deepEqual((await rows(b.s)).map((r) => r.id), [1, 7]);
  // QoS 0 has no acknowledgement: MQTT 5 ends the session with DISCONNECT carrying the reason code.
  const q0 = await connect(t, `mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5 });
  const disconnected = new Promise<number | undefined>((r) => q0.once('disconnect', (packet) => r(packet.reasonCode)));
  q0.publish('reading/9', 'garbage', { qos: 0, retain: true });
  assert.equal(await disconnected, 0x99);
  // MQTT 3.1.1 cannot NACK a publish: the connection is closed, and nothing is written.
  const c4 = await connect(t, `mqtt://127.0.0.1:${b.port}`, { protocolVersion: 4 });
  const closed = new Promise<void>((r) => c4.once('close', () => r()));
  c4.publish('reading/8', Buffer.from([0xc1, 0x00]), { qos: 1, retain: true });
  await closed;
  assert.deepEqual((await rows(b.s)).map((r) => r.id), [1, 7]);
});

test('a slow MQTT subscriber is disconnected (MQTT 5: reason 0x97) instead of growing the node memory', async (t) => {
  const b = await broker(t, { HTTP_MAXSUBSCRIBERBUFFERBYTES: '65536' });
  const slow = await connect(t, `mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5 });
  await slow.subscribeAsync('reading/#', { qos: 0 });
  let reason: number | undefined;
  slow.on('disconnect', (packet) => { reason = packet.reasonCode; });
  const closed = new Promise<void>((r) => slow.once('close', () => r()));
  (slow as any).stream.pause();
  const big = 'x'.repeat(4000);
  for (let i = 0; i < 30 && (b.s.node as any) && (await connectionCount(b)) > 0; i++) {
    await b.s.op({ operation: 'insert', table: 'reading', records: Array.from({ length: 100 }, (_, j) => ({ id: i * 100 + j, big })) });
  }
  await waitFor(async () => (await connectionCount(b)) === 0, { what: 'the slow subscriber to be dropped' });
  (slow as any).stream.resume();
  await closed;
  if (reason !== undefined) assert.equal(reason, 0x97);
});

async function connectionCount(b: Broker): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`, { headers: { authorization: `Basic ${Buffer.from('admin:secret-pw').toString('base64')}` } })).text();
  return Number(/^ferrydb_mqtt_connections (\d+)/m.exec(text)?.[1] ?? -1);
}

test('MQTT over WebSocket on the HTTP port (sub-protocol mqtt) and over TLS with the node certificate', async (t) => {
  const b = await broker(t, { TLS_CERTIFICATE: `${FIXTURES}test-cert.pem`, TLS_PRIVATEKEY: `${FIXTURES}test-key.pem` });
  const ws = await connect(t, `ws://127.0.0.1:${b.httpPort}/mqtt`, { protocolVersion: 5 });
  await publish(ws, 'reading/1', '{"v":"ws"}', { qos: 1, retain: true });
  assert.ok(b.securePort, 'the TLS port is open');
  const tls = await connect(t, `mqtts://127.0.0.1:${b.securePort}`, { rejectUnauthorized: false });
  await publish(tls, 'reading/2', '{"v":"tls"}', { qos: 1, retain: true });
  assert.deepEqual((await rows(b.s)).map((r) => r.v), ['ws', 'tls']);
});

test('Debian mosquitto_pub/mosquitto_sub (3.1.1 and 5) against the broker', { skip: HAS_MOSQUITTO ? false : 'mosquitto-clients not installed (.ci/run installs it)' }, async (t) => {
  const b = await broker(t);
  const common = ['-h', '127.0.0.1', '-p', String(b.port), '-u', 'admin', '-P', 'secret-pw'];
  const pub = await run('mosquitto_pub', [...common, '-t', 'data/reading/1', '-m', '{"v":"mosq"}', '-r', '-q', '1']);
  assert.equal(pub.status, 0, pub.stderr);
  const pub5 = await run('mosquitto_pub', [...common, '-V', 'mqttv5', '-t', 'reading/2', '-m', '{"v":"mosq5"}', '-r', '-q', '1']);
  assert.equal(pub5.status, 0, pub5.stderr);
  assert.deepEqual((await rows(b.s)).map((r) => r.v), ['mosq', 'mosq5']);
  // mosquitto_sub gets both records as retained messages, then a live change.
  const sub = spawn('mosquitto_sub', [...common, '-V', 'mqttv5', '-t', 'data/reading/#', '-q', '1', '-C', '3', '-v', '-W', '20']);
  let err = '';
  sub.stderr.on('data', (d) => { err += d.toString(); });
  const exited = new Promise<[number | null, string | null]>((r) => sub.once('exit', (c, sig) => r([c, sig])));
  t.after(() => { if (sub.exitCode === null) sub.kill('SIGKILL'); });
  let out = '';
  sub.stdout.on('data', (d) => { out += d.toString(); });
  await waitFor(() => out.split('\n').filter(Boolean).length >= 2, { what: 'mosquitto_sub retained messages' });
  await b.s.op({ operation: 'update', table: 'reading', records: [{ id: 1, v: 'changed' }] });
  const [code, signal] = await exited;
  assert.equal(code, 0, `mosquitto_sub exit ${code} ${signal}: ${err} ${out}`);
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /^data\/reading\/1 \{.*"v":"mosq"/);
  assert.match(lines[1]!, /^data\/reading\/2 \{.*"v":"mosq5"/);
  assert.match(lines[2]!, /^data\/reading\/1 \{.*"v":"changed"/);
  const denied = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(b.port), '-u', 'admin', '-P', 'wrong', '-t', 'reading/3', '-m', '{}', '-q', '1']);
  assert.notEqual(denied.status, 0);
  assert.match(denied.stderr + denied.stdout, /not authori[sz]ed|bad user name or password|Connection Refused/i);
});

/** A raw TCP client: bytes in, the packets the broker sends back (parsed by mqtt-packet). */
async function rawSession(t: TestContext, port: number) {
  const socket = connectTcp({ host: '127.0.0.1', port });
  t.after(() => { socket.destroy(); });
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('error', reject); });
  const packets: any[] = [];
  const parser = createParser();
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d) => parser.parse(d));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, packets, closed };
}

test('MQTT framing: many publishes in one write, a publish split into single bytes, pipelined after CONNECT, and an oversized packet refused from its header', async (t) => {
  const b = await broker(t);
  const c = await rawSession(t, b.port);
  const connectFrame = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'raw', keepalive: 30, username: CREDS.username, password: Buffer.from(CREDS.password) });
  const pub = (id: number, qos: 0 | 1) => generate({ cmd: 'publish', topic: `data/reading/${id}`, payload: Buffer.from(JSON.stringify({ v: `r${id}` })), qos, retain: true, dup: false, ...(qos ? { messageId: id } : {}) });
  // CONNECT and 50 publishes (QoS 1 and 0 mixed) in one write: they wait for the login, then commit.
  const burst = [connectFrame];
  for (let i = 1; i <= 50; i++) burst.push(pub(i, i % 2 === 0 ? 0 : 1));
  c.socket.write(Buffer.concat(burst));
  await waitFor(() => c.packets.filter((p) => p.cmd === 'puback').length === 25, { what: '25 PUBACKs' });
  assert.equal(c.packets[0].cmd, 'connack');
  assert.deepEqual(c.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId), Array.from({ length: 25 }, (_, i) => 2 * i + 1), 'PUBACKs in publish order');
  // One publish delivered a byte at a time.
  for (const byte of pub(51, 1)) { c.socket.write(Buffer.from([byte])); await new Promise((r) => setImmediate(r)); }
  await waitFor(() => c.packets.some((p) => p.cmd === 'puback' && p.messageId === 51), { what: 'PUBACK of the split publish' });
  const stored = await rows(b.s);
  assert.equal(stored.length, 51);
  assert.equal(stored.find((r) => r.id === 51)?.v, 'r51');
  assert.equal(stored.find((r) => r.id === 50)?.v, 'r50');
  // A header announcing 2 MB (over mqtt.maxPacketBytes) closes the connection before any body arrives.
  c.socket.write(Buffer.from([0x32, 0x80, 0x80, 0x80, 0x01]));
  await c.closed;
  assert.equal((await rows(b.s)).length, 51);
});
