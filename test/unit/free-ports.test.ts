import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { freePorts } from '../../src/demo/node-launcher.js';

const listen = (port: number) => new Promise<Server>((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(s));
});
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

test('freePorts: distinct bindable ports below the ephemeral range', async () => {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number];
  for (let round = 0; round < 5; round++) {
    const ports = await freePorts(8);
    assert.equal(new Set(ports).size, 8, `distinct: ${ports}`);
    // Out of reach of connect()'s source ports and of listen(0), when the range leaves room below it.
    if (ephemeralLow - 10_000 >= 1000) for (const p of ports) assert.ok(p >= 10_000 && p < ephemeralLow, `port ${p} below ${ephemeralLow}`);
    // Released again: a child process can bind every one.
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map(close));
  }
});
